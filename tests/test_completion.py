"""Shell completion (cli/completion.py): scripts made from the parser, run in real shells.

bash runs the script with COMP_WORDS/COMP_CWORD set as readline would and
calls ``_jailtui``; zsh runs it with ``words``/``CURRENT`` set and compadd /
_describe / _files standing in for the completion system (they print what
they were given). Jail names come from the cache the last poll of the
local host wrote, never from a new poll.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_tool

from jailtui.cli.completion import script
from jailtui.cli.main import build_parser
from jailtui.core.hosts.namecache import cache_path

ROOT = Path(__file__).resolve().parent.parent
JAILTUI = str(Path(sys.executable).parent / "jailtui")


def jailtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=90)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def bash_complete(line: str) -> list[str]:
    """What bash offers for ``line`` (the cursor at its end)."""
    bash = require_tool("bash")
    code = ('source <("$0" completion bash); read -ra COMP_WORDS <<< "$1"; '
            '[[ $1 == *" " ]] && COMP_WORDS+=(""); COMP_WORDS[0]=$0; '
            'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _jailtui; printf "%s\\n" "${COMPREPLY[@]}"')
    out = subprocess.run([bash, "--norc", "-c", code, JAILTUI, line], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return [w for w in out.stdout.splitlines() if w]


def zsh_complete(line: str) -> list[str]:
    zsh = require_tool("zsh")
    script_file = Path(os.environ["XDG_CACHE_HOME"]) / "_jailtui"
    script_file.parent.mkdir(parents=True, exist_ok=True)
    script_file.write_text(script("zsh", build_parser()))
    code = (
        'compadd() { if [[ $1 == -a ]]; then shift; local n; for n; do print -rl -- ${(P)n};'
        ' done; fi }\n'
        '_describe() { local -a items; items=("${(@P)${@[-1]}}"); print -rl -- ${items%%:*}; }\n'
        '_files() { print -r -- "<files $*>"; }\n'
        'words=(${(z)1}); [[ $1 == *" " ]] && words+=(""); words[1]=$0; CURRENT=$#words\n'
        'PREFIX=${words[CURRENT]}\n'
        f'source {script_file}\n')
    out = subprocess.run([zsh, "-f", "-c", code, JAILTUI, line], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    # compadd filters by the prefix in a real zsh; the stand-ins do not
    prefix = "" if line.endswith(" ") else line.split()[-1]
    return [w for w in out.stdout.splitlines() if w.startswith(prefix) or w.startswith("<")]


def test_every_subcommand_and_option_of_help_is_in_the_scripts() -> None:
    parser = build_parser()
    for shell in ("bash", "zsh"):
        text = script(shell, parser)
        stack: list[tuple[str, argparse.ArgumentParser]] = [("", parser)]
        while stack:
            path, p = stack.pop()
            for action in p._actions:
                for opt in action.option_strings:
                    assert opt in text, (shell, path, opt)
            for name, sub in _subcommands(p).items():
                assert name in text, (shell, name)
                stack.append((f"{path} {name}".strip(), sub))


@pytest.fixture
def names_cached(sim_dir: Path) -> Path:
    """A poll of the simulated host through the CLI, which leaves the names."""
    out = jailtui("--sim", str(sim_dir), "list", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(cache_path().read_text())["names"]
    return sim_dir


@pytest.mark.parametrize("complete", [bash_complete, zsh_complete])
def test_subcommands_options_and_jail_names(complete: object, names_cached: Path) -> None:
    assert callable(complete)
    assert set(complete("jailtui st")) == {"start", "stop"}
    assert "--json" in complete("jailtui list --")
    assert "--version" in complete("jailtui --")
    assert set(complete("jailtui conf ")) == {"show", "check"}
    names = set(complete("jailtui stop "))
    assert {"web", "db"} <= names
    # global options with values are skipped, --sim's optional DIR too
    assert complete(f"jailtui --sim {names_cached} --interval 3 stop w") == ["web"]
    assert complete("jailtui --sim stop w") == ["web"]
    assert {"web", "db"} <= set(complete("jailtui ps --jail "))
    assert {"web", "db"} <= set(complete("jailtui conf show web "))
    # after "--" the words are the jail's command: nothing is offered
    assert complete("jailtui exec web -- l") == []
    # a FILE value completes file names
    files = complete("jailtui --config ")
    assert files == ["<files >"] if complete is zsh_complete else "pyproject.toml" in files


def test_names_come_from_the_cache_without_polling(names_cached: Path) -> None:
    """--names answers from the cache even when the host is gone."""
    before = jailtui("completion", "--names").stdout.split()
    assert "web" in before
    state = names_cached / "state.json"
    state.rename(names_cached / "state.gone")
    assert jailtui("completion", "--names").stdout.split() == before


def test_names_a_shell_could_not_take_are_not_offered() -> None:
    cache_path().parent.mkdir(parents=True, exist_ok=True)
    cache_path().write_text(json.dumps({"names": ["web", "a b", "x;rm", "*", "-r", "ok.child",
                                                  "\x1b[2J", 7]}))
    assert jailtui("completion", "--names").stdout.split() == ["web", "ok.child"]
    cache_path().write_text("not json")
    out = jailtui("completion", "--names")
    assert out.returncode == 0 and out.stdout == ""


def test_the_cache_is_never_written_into_another_users_directory(sim_dir: Path) -> None:
    """Root whose cache directory belongs to someone else (su without -)
    writes nothing there; the command itself still works."""
    if os.geteuid() != 0:
        pytest.skip("needs root to own a directory by another uid")
    cache_dir = cache_path().parent
    cache_dir.mkdir(parents=True)
    os.chown(cache_dir, 65534, 65534)
    out = jailtui("--sim", str(sim_dir), "list")
    assert out.returncode == 0, out.stderr
    assert list(cache_dir.iterdir()) == []


def test_completion_needs_a_shell_and_survives_a_broken_config() -> None:
    out = jailtui("completion")
    assert out.returncode == 1 and "bash or zsh" in out.stderr
    conf = Path(os.environ["XDG_CONFIG_HOME"]) / "jailtui" / "config.toml"
    conf.parent.mkdir(parents=True)
    conf.write_text("[console\n")
    out = jailtui("completion", "bash")
    assert out.returncode == 0 and "complete -F _jailtui jailtui" in out.stdout
