"""Read the shell-variable files managers keep their settings in, without a shell.

bastille.conf, appjail.conf, pot.conf, ezjail.conf and ezjail's per-jail files are
sh(1) scripts of assignments (``KEY="value"  ## comment``, ``export KEY=...``) that use
``${OTHER}`` substitution (docs/managers.md 1.1), so splitting on ``=`` is not enough.
This expands ``$VAR``, ``${VAR}``, ``${VAR:-word}`` and ``${VAR-word}`` in double
quotes and bare words, keeps single quotes literal, and refuses everything else (a
command, ``$(...)``, backquotes, an unterminated quote): jailtui never runs a
manager's shell, and a guessed value would drive the wrong path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ShellVarsError(ValueError):
    """A line that is not a plain assignment, or a malformed one."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}: line {line}: {message}")
        self.file = file
        self.line = line


def parse(text: str, file: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables ``text`` assigns, in order, expanded against earlier ones and ``env``.

    Blank lines and comments are skipped. Raises ShellVarsError on anything else.
    """
    values: dict[str, str] = dict(env or {})
    assigned: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        m = _NAME.match(line)
        if m is None or line[m.end():m.end() + 1] != "=":
            raise ShellVarsError(file, n, "not a plain assignment (jailtui does not run shell)")
        key = m.group(0)
        value, rest = _word(line[m.end() + 1:], values, file, n)
        rest = rest.strip()
        if rest and not rest.startswith("#"):
            raise ShellVarsError(file, n, f"unexpected text after the value: {rest[:20]!r}")
        values[key] = value
        assigned[key] = value
    return assigned


def _word(s: str, values: Mapping[str, str], file: str, n: int) -> tuple[str, str]:
    """One sh word from the start of ``s``: (its expanded value, what follows)."""
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c in " \t":
            break
        if c == "'":
            end = s.find("'", i + 1)
            if end < 0:
                raise ShellVarsError(file, n, "unterminated single quote")
            out.append(s[i + 1:end])
            i = end + 1
        elif c == '"':
            i += 1
            while True:
                if i >= len(s):
                    raise ShellVarsError(file, n, "unterminated double quote")
                c = s[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < len(s) and s[i + 1] in '$`"\\':
                    out.append(s[i + 1])
                    i += 2
                elif c == "$":
                    text, i = _dollar(s, i, values, file, n)
                    out.append(text)
                elif c == "`":
                    raise ShellVarsError(file, n, "command substitution is not supported")
                else:
                    out.append(c)
                    i += 1
        elif c == "$":
            text, i = _dollar(s, i, values, file, n)
            out.append(text)
        elif c == "\\" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
        elif c in "`;&|<>()":
            raise ShellVarsError(file, n, f"shell syntax {c!r} is not supported")
        else:
            out.append(c)
            i += 1
    return "".join(out), s[i:]


def _dollar(s: str, i: int, values: Mapping[str, str], file: str, n: int) -> tuple[str, int]:
    """Expand the ``$...`` at ``s[i]``; return (text, index after it)."""
    if s[i + 1:i + 2] == "{":
        end = s.find("}", i + 2)
        if end < 0:
            raise ShellVarsError(file, n, "unterminated ${")
        inner = s[i + 2:end]
        m = _NAME.match(inner)
        if m is None:
            raise ShellVarsError(file, n, f"bad substitution ${{{inner}}}")
        name, op = m.group(0), inner[m.end():]
        value = values.get(name)
        if op == "":
            return value or "", end + 1
        for form in (":-", "-"):
            if op.startswith(form):
                word = op[len(form):]
                if "$" in word:
                    word, _ = _word(word, values, file, n)
                empty = value is None or (form == ":-" and value == "")
                return (word if empty else value or ""), end + 1
        raise ShellVarsError(file, n, f"unsupported substitution ${{{inner}}}")
    if s[i + 1:i + 2] == "(":
        raise ShellVarsError(file, n, "command substitution is not supported")
    m = _NAME.match(s, i + 1)
    if m is None:
        return "$", i + 1
    return values.get(m.group(0), ""), m.end()
