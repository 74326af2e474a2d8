"""``jailtui completion bash|zsh``: shell completion scripts made from the argparse parser.

The scripts know every subcommand and option because they are generated
from cli/main.py's parser (never a hand-kept list): the subcommands of each
level (``conf show``), the options of each, which options take a value and
what kind (a metavar FILE completes files, DIR directories, NAME and JAIL
jail names), and the positional arguments that are jail names. Jail names
come from ``jailtui completion --names``: the names of the local host's
last poll (core/hosts/namecache.py), read without polling.

FreeBSD's /bin/sh has no programmable completion (sh(1) has no ``complete``
built-in; its line editor completes file names only), so there is no sh
script; bash (shells/bash with shells/bash-completion) and zsh read the
ones the port installs (packaging/freebsd/sysutils/jailtui).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any

#: Shells a script is made for.
SHELLS = ("bash", "zsh")

#: Metavar -> what its value completes to.
_KINDS = {"FILE": "file", "DIR": "dir", "PATH": "file", "NAME": "jail", "JAIL": "jail",
          "BINDIR": "dir"}


def add_parser(sub: Any) -> None:
    """Register ``completion`` on the subcommand parsers of cli/main.py."""
    sp = sub.add_parser(
        "completion", help="shell completion script for bash or zsh",
        description="Print a completion script: eval \"$(jailtui completion bash)\" in "
                    "~/.bashrc, or the zsh script as _jailtui in a directory of $fpath. "
                    "It completes subcommands, options and the jail names of the local "
                    "host's last poll (--names prints them, without polling). FreeBSD's "
                    "sh(1) has no programmable completion.")
    sp.add_argument("shell", nargs="?", choices=SHELLS, metavar="bash|zsh")
    sp.add_argument("--names", action="store_true",
                    help="print the jail names of the last poll of the local host, one a line")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.names:
        from jailtui.core.hosts.namecache import recall

        for name in recall():
            print(name)
        return 0
    if args.shell is None:
        print("jailtui: completion: name a shell: bash or zsh", file=sys.stderr)
        return 1
    sys.stdout.write(script(args.shell, parser))
    return 0


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for ``shell`` ("bash" or "zsh")."""
    tree = _command(parser, "")
    return _bash(tree) if shell == "bash" else _zsh(tree)


@dataclass
class Command:
    """One level of the command line: its options, values, positionals, subcommands."""

    path: str
    help: str = ""
    options: list[str] = field(default_factory=list)
    #: option -> kind of its value ("file", "dir", "jail", "" for anything);
    #: an optional value (``--sim [DIR]``) has the kind prefixed with "?".
    values: dict[str, str] = field(default_factory=dict)
    #: kind of each positional ("jail" or ""); ``repeat`` the last one repeats.
    positionals: list[str] = field(default_factory=list)
    repeat: bool = False
    subcommands: dict[str, Command] = field(default_factory=dict)

    def walk(self) -> list[Command]:
        out = [self]
        for sub in self.subcommands.values():
            out.extend(sub.walk())
        return out


def _kind(action: argparse.Action) -> str:
    metavar = action.metavar if isinstance(action.metavar, str) else ""
    return _KINDS.get(metavar, "")


def _command(parser: argparse.ArgumentParser, path: str, help_text: str = "") -> Command:
    cmd = Command(path, help_text)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                cmd.subcommands[name] = _command(sub, f"{path} {name}".strip(),
                                                 helps.get(name, ""))
            continue
        if action.option_strings:
            cmd.options.extend(action.option_strings)
            if action.nargs != 0:
                kind = _kind(action)
                for opt in action.option_strings:
                    cmd.values[opt] = ("?" if action.nargs == "?" else "") + kind
            continue
        if action.nargs == argparse.REMAINDER:
            continue
        cmd.positionals.append(_kind(action))
        if action.nargs in ("*", "+"):
            cmd.repeat = True
    return cmd


def _words(items: list[str]) -> str:
    return " ".join(items)


def _bash(tree: Command) -> str:
    opts, values, subs, pos = [], [], [], []
    for c in tree.walk():
        opts.append(f'        "{c.path}") echo "{_words(c.options)}" ;;')
        for opt, kind in c.values.items():
            values.append(f'        "{c.path}|{opt}") echo "{kind or "-"}" ;;')
        if c.subcommands:
            subs.append(f'        "{c.path}") echo "{_words(list(c.subcommands))}" ;;')
        for i, kind in enumerate(c.positionals):
            last = c.repeat and i == len(c.positionals) - 1
            if kind:
                pattern = f'"{c.path}|"*' if last else f'"{c.path}|{i}"'
                pos.append(f"        {pattern}) echo {kind} ;;")
    nl = "\n"
    return f'''# bash completion for jailtui(8); made by "jailtui completion bash".
# Use: eval "$(jailtui completion bash)" in ~/.bashrc, or install it as
# share/bash-completion/completions/jailtui (the port does).

_jailtui_opts() {{
    case "$1" in
{nl.join(opts)}
    esac
}}

# The kind of the value option $2 of command "$1" takes (file, dir, jail, -;
# ?KIND: optional); no output and status 1 if it takes none.
_jailtui_value() {{
    case "$1|$2" in
{nl.join(values)}
        *) return 1 ;;
    esac
}}

_jailtui_subs() {{
    case "$1" in
{nl.join(subs)}
    esac
}}

# The kind of positional number $2 (from 0) of command "$1".
_jailtui_pos() {{
    case "$1|$2" in
{nl.join(pos)}
    esac
}}

_jailtui_names() {{
    local prog=${{COMP_WORDS[0]}}
    command -v -- "$prog" >/dev/null 2>&1 || prog=jailtui
    "$prog" completion --names 2>/dev/null
}}

_jailtui_complete_kind() {{
    case "$1" in
        file) COMPREPLY=($(compgen -f -- "$2")) ;;
        dir) COMPREPLY=($(compgen -d -- "$2")) ;;
        jail) COMPREPLY=($(compgen -W "$(_jailtui_names)" -- "$2")) ;;
        *) COMPREPLY=() ;;
    esac
}}

_jailtui() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}}
    local cmdpath="" npos=0 i w kind next
    COMPREPLY=()
    for (( i = 1; i < COMP_CWORD; i++ )); do
        w=${{COMP_WORDS[i]}}
        if [[ $w == -- ]]; then
            return 0
        fi
        if [[ $w == -* ]]; then
            [[ $w == *=* ]] && continue
            kind=$(_jailtui_value "$cmdpath" "$w") || continue
            if [[ $kind == \\?* ]]; then
                # An optional value: taken unless it is a subcommand or an option.
                next=${{COMP_WORDS[i+1]}}
                if (( i + 1 < COMP_CWORD )) && [[ $next != -* ]] &&
                        [[ " $(_jailtui_subs "$cmdpath") " != *" $next "* ]]; then
                    (( i++ ))
                fi
            else
                (( i++ ))
            fi
            continue
        fi
        if [[ " $(_jailtui_subs "$cmdpath") " == *" $w "* ]]; then
            cmdpath=${{cmdpath:+$cmdpath }}$w
            npos=0
        else
            (( npos++ ))
        fi
    done
    if (( COMP_CWORD > 1 )); then
        w=${{COMP_WORDS[COMP_CWORD-1]}}
        if [[ $w == -* && $w != *=* ]] && kind=$(_jailtui_value "$cmdpath" "$w"); then
            if [[ $kind != \\?* ]]; then
                _jailtui_complete_kind "$kind" "$cur"
                return 0
            fi
        fi
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_jailtui_opts "$cmdpath")" -- "$cur"))
        return 0
    fi
    local subs
    subs=$(_jailtui_subs "$cmdpath")
    if [[ -n $subs ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        return 0
    fi
    _jailtui_complete_kind "$(_jailtui_pos "$cmdpath" "$npos")" "$cur"
}}

complete -F _jailtui jailtui
'''


def _zsh_item(name: str, description: str) -> str:
    """``name:description`` in single quotes for _describe (its ``:`` escaped)."""
    text = f"{name}:{description.replace(':', chr(92) + ':')}"
    return "'" + text.replace("'", "'\\''") + "'"


def _zsh(tree: Command) -> str:
    opts, values, subs, pos = [], [], [], []
    for c in tree.walk():
        opts.append(f'        "{c.path}") reply=({_words(c.options)}) ;;')
        for opt, kind in c.values.items():
            values.append(f'        "{c.path}|{opt}") REPLY="{kind or "-"}" ;;')
        if c.subcommands:
            described = " ".join(_zsh_item(name, sub.help)
                                 for name, sub in c.subcommands.items())
            subs.append(f'        "{c.path}") reply=({described}) ;;')
        for i, kind in enumerate(c.positionals):
            last = c.repeat and i == len(c.positionals) - 1
            if kind:
                pattern = f'"{c.path}|"*' if last else f'"{c.path}|{i}"'
                pos.append(f"        {pattern}) REPLY={kind} ;;")
    nl = "\n"
    return f'''#compdef jailtui
# zsh completion for jailtui(8); made by "jailtui completion zsh".
# Use: save it as _jailtui in a directory of $fpath (the port installs
# share/zsh/site-functions/_jailtui), then run compinit.

_jailtui_opts() {{
    case "$1" in
{nl.join(opts)}
        *) reply=() ;;
    esac
}}

_jailtui_value() {{
    case "$1|$2" in
{nl.join(values)}
        *) return 1 ;;
    esac
}}

# "name:description" of the subcommands of command "$1".
_jailtui_subs() {{
    case "$1" in
{nl.join(subs)}
        *) reply=() ;;
    esac
}}

_jailtui_pos() {{
    REPLY=""
    case "$1|$2" in
{nl.join(pos)}
    esac
}}

_jailtui_kind() {{
    case "$1" in
        file) _files ;;
        dir) _files -/ ;;
        jail)
            local prog=${{words[1]}}
            (( $+commands[$prog] )) || [[ -x $prog ]] || prog=jailtui
            local -a names
            names=(${{(f)"$("$prog" completion --names 2>/dev/null)"}})
            compadd -a names ;;
    esac
}}

_jailtui() {{
    local cmdpath="" REPLY w next kind
    local -a reply subnames
    integer i npos=0
    for (( i = 2; i < CURRENT; i++ )); do
        w=${{words[i]}}
        [[ $w == -- ]] && return 0
        if [[ $w == -* ]]; then
            [[ $w == *=* ]] && continue
            _jailtui_value "$cmdpath" "$w" || continue
            if [[ $REPLY == \\?* ]]; then
                next=${{words[i+1]}}
                _jailtui_subs "$cmdpath"
                subnames=(${{reply%%:*}})
                if (( i + 1 < CURRENT )) && [[ $next != -* ]] &&
                        (( ! ${{subnames[(Ie)$next]}} )); then
                    (( i++ ))
                fi
            else
                (( i++ ))
            fi
            continue
        fi
        _jailtui_subs "$cmdpath"
        subnames=(${{reply%%:*}})
        if (( ${{subnames[(Ie)$w]}} )); then
            cmdpath=${{cmdpath:+$cmdpath }}$w
            npos=0
        else
            (( npos++ ))
        fi
    done
    w=${{words[CURRENT-1]}}
    if (( CURRENT > 2 )) && [[ $w == -* && $w != *=* ]] && _jailtui_value "$cmdpath" "$w" &&
            [[ $REPLY != \\?* ]]; then
        _jailtui_kind "$REPLY"
        return
    fi
    if [[ $PREFIX == -* ]]; then
        _jailtui_opts "$cmdpath"
        compadd -a reply
        return
    fi
    _jailtui_subs "$cmdpath"
    if (( $#reply )); then
        _describe -t commands 'jailtui command' reply
        return
    fi
    _jailtui_pos "$cmdpath" "$npos"
    _jailtui_kind "$REPLY"
}}

_jailtui "$@"
'''
