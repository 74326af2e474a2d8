"""sudoers and doas rules that run jailtui, checked (``jailtui doctor``, issue 14 item 7).

The README's "Delegating a jail" demands rules that pin every argument and
keep the caller's environment out: sudoers with ``NOSETENV`` and no
wildcard, doas without ``keepenv``/``setenv`` and with ``args``. A rule
that breaks this lets a delegate choose jailtui's arguments (``--sim``,
``--config``) or its environment as root. This reads the rule files
themselves (host paths; a simulated host keeps them under its root):

- sudoers(5): a command with no arguments allows *any* arguments; ``*``,
  ``?`` and ``[`` in arguments are fnmatch wildcards; tags (``NOSETENV:``)
  carry over to the following commands of the same list; ``\\`` continues a
  line. Aliases are not expanded (a rule through a Cmnd_Alias is reported
  as not checked).
- doas.conf(5): ``permit [options] identity [as target] [cmd command [args ...]]``;
  ``cmd`` without ``args`` allows any arguments.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

SUDOERS_FILES = ("/usr/local/etc/sudoers", "/etc/sudoers")
SUDOERS_DIRS = ("/usr/local/etc/sudoers.d", "/etc/sudoers.d")
DOAS_FILES = ("/usr/local/etc/doas.conf", "/etc/doas.conf")

_TAG = re.compile(r"^(NO)?(PASSWD|SETENV|EXEC|NOEXEC|LOG_INPUT|LOG_OUTPUT|MAIL|FOLLOW|"
                  r"INTERCEPT|CWD|CHROOT)$|^(NOPASSWD|NOSETENV|NOEXEC|NOLOG_INPUT|"
                  r"NOLOG_OUTPUT|NOMAIL|NOFOLLOW|NOINTERCEPT)$")


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    buf, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0] if not raw.lstrip().startswith("#include") else ""
        if not buf:
            start = n
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.strip():
            yield start, buf.strip()
        buf = ""


def sudoers_problems(text: str, where: str) -> list[str]:
    """Unsafe commands naming jailtui in one sudoers file."""
    out: list[str] = []
    for n, line in _logical_lines(text):
        if "jailtui" not in line or line.startswith("Defaults"):
            continue
        if "=" not in line:
            continue
        spec = line.split("=", 1)[1]
        spec = re.sub(r"^\s*\([^)]*\)", "", spec)  # (runas)
        nosetenv = False  # in effect from its tag to the end of the list
        for cmnd in spec.split(","):
            words = cmnd.split()
            while words and words[0].endswith(":") and _TAG.match(words[0][:-1]):
                tag = words.pop(0)[:-1]
                if tag in ("SETENV", "NOSETENV"):
                    nosetenv = tag == "NOSETENV"
            if not words or "jailtui" not in words[0]:
                continue
            cmd, args = words[0], words[1:]
            shown = f"{where}:{n}: {' '.join(words)}"
            if not nosetenv:
                out.append(f"{shown}: no NOSETENV (the caller's environment may reach root)")
            if not args:
                out.append(f"{shown}: no arguments pinned (any arguments are allowed)")
            elif any(c in a for a in args for c in "*?[") or cmd.endswith("*"):
                out.append(f"{shown}: a wildcard argument (arguments are not pinned)")
    return out


def doas_problems(text: str, where: str) -> list[str]:
    """Unsafe doas.conf rules running jailtui."""
    out: list[str] = []
    for n, line in _logical_lines(text):
        words = line.split()
        if not words or words[0] != "permit" or "cmd" not in words:
            continue
        i = words.index("cmd")
        if i + 1 >= len(words) or "jailtui" not in words[i + 1]:
            continue
        shown = f"{where}:{n}: {line}"
        opts = words[1:i]
        if "keepenv" in opts:
            out.append(f"{shown}: keepenv (the caller's environment reaches root)")
        if "setenv" in opts:
            out.append(f"{shown}: setenv (variables set for root)")
        if "args" not in words[i + 2:i + 3]:
            out.append(f"{shown}: no args (any arguments are allowed)")
    return out


def check_rules(read: Callable[[str], str | None],
                listdir: Callable[[str], list[str]]) -> list[tuple[str, str]]:
    """Findings for doctor: ("FAIL", ...) per unsafe rule, ("OK"/"INFO", ...) otherwise."""
    problems: list[str] = []
    seen = 0
    files = list(SUDOERS_FILES) + [f"{d}/{n}" for d in SUDOERS_DIRS for n in listdir(d)
                                   if "." not in n and not n.endswith("~")]
    for path in files:
        text = read(path)
        if text is not None and "jailtui" in text:
            seen += 1
            problems += sudoers_problems(text, path)
    for path in DOAS_FILES:
        text = read(path)
        if text is not None and "jailtui" in text:
            seen += 1
            problems += doas_problems(text, path)
    if problems:
        return [("FAIL", p) for p in problems]
    if seen:
        return [("OK", "sudo/doas rules naming jailtui pin every argument and keep the "
                       "environment out")]
    return [("INFO", "no sudo/doas rule names jailtui")]
