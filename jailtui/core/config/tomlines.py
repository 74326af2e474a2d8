"""The line of each table and key of a TOML file.

``tomllib`` returns values only, no positions, yet an error about a config
file must name the line the admin has to fix ("unknown keys and wrong types
are named with their file and line", issue 19). So the text, once tomllib has
accepted it, is scanned here for table headers (``[a.b]``, ``[[a]]``) and key
lines (``key = ...``, dotted ``a.b = ...``, quoted ``"a b" = ...``), following
the TOML 1.0 grammar (https://toml.io/en/v1.0.0) far enough to skip what could
look like a key but is not: multi-line strings and arrays spanning lines.
Keys inside an inline table (``t = {a = 1}``) get the line of ``t``
(:func:`line_of` falls back to the nearest enclosing key).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

KeyPath = tuple[str, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def key_lines(text: str) -> dict[KeyPath, int]:
    """First line (1-based) of every table header and key of a valid TOML ``text``."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    state = _ValueState()
    for number, line in enumerate(text.splitlines(), start=1):
        if state.busy():
            state.scan(line, 0)
            continue
        s = line.lstrip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("["):
            double = s.startswith("[[")
            parsed = _parse_key(s, 2 if double else 1)
            if parsed is None:
                continue
            table, _ = parsed
            lines.setdefault(table, number)
            continue
        parsed = _parse_key(s, 0)
        if parsed is None:
            continue
        key, end = parsed
        rest = s[end:].lstrip()
        if not rest.startswith("="):
            continue
        for depth in range(1, len(key) + 1):
            # a.b.c = 1 defines a and a.b as well (TOML "dotted keys").
            lines.setdefault((*table, *key[:depth]), number)
        state.scan(rest, 1)
    return lines


def line_of(lines: Mapping[KeyPath, int], path: Sequence[str]) -> int | None:
    """The line of ``path``, else of the nearest enclosing table or key, else None."""
    for end in range(len(path), 0, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return None


def _parse_key(s: str, pos: int) -> tuple[KeyPath, int] | None:
    """A dotted key starting at ``s[pos]``: (its parts, the index after it)."""
    parts: list[str] = []
    while True:
        while pos < len(s) and s[pos] in " \t":
            pos += 1
        if pos >= len(s):
            return None
        if s[pos] == '"':
            end = _basic_end(s, pos + 1)
            if end < 0:
                return None
            try:
                parts.append(json.loads(s[pos:end + 1]))
            except ValueError:
                # TOML's \UXXXXXXXX escape is not JSON's: keep the raw text.
                parts.append(s[pos + 1:end])
            pos = end + 1
        elif s[pos] == "'":
            end = s.find("'", pos + 1)
            if end < 0:
                return None
            parts.append(s[pos + 1:end])
            pos = end + 1
        else:
            m = _BARE.match(s, pos)
            if m is None:
                return None
            parts.append(m.group())
            pos = m.end()
        while pos < len(s) and s[pos] in " \t":
            pos += 1
        if pos < len(s) and s[pos] == ".":
            pos += 1
            continue
        return tuple(parts), pos


def _basic_end(s: str, pos: int) -> int:
    """Index of the closing quote of a basic string whose text starts at ``pos``."""
    while pos < len(s):
        c = s[pos]
        if c == "\\":
            pos += 2
            continue
        if c == '"':
            return pos
        pos += 1
    return -1


class _ValueState:
    """What the value being scanned still has open: brackets, a multi-line string."""

    def __init__(self) -> None:
        self.depth = 0
        self.multiline: str | None = None   # '"""' or "'''" while one is open

    def busy(self) -> bool:
        return self.depth > 0 or self.multiline is not None

    def scan(self, s: str, pos: int) -> None:
        """Follow ``s`` from ``pos``: strings, brackets and a trailing comment."""
        while pos < len(s):
            if self.multiline is not None:
                end = s.find(self.multiline, pos)
                if end < 0:
                    return
                pos = end + 3
                # A closing delimiter may carry one or two more quotes ("""a"""").
                while pos < len(s) and s[pos] == self.multiline[0]:
                    pos += 1
                self.multiline = None
                continue
            c = s[pos]
            if c == "#":
                return
            if s.startswith('"""', pos) or s.startswith("'''", pos):
                self.multiline = s[pos:pos + 3]
                pos += 3
                continue
            if c == '"':
                end = _basic_end(s, pos + 1)
                pos = len(s) if end < 0 else end + 1
                continue
            if c == "'":
                end = s.find("'", pos + 1)
                pos = len(s) if end < 0 else end + 1
                continue
            if c in "[{":
                self.depth += 1
            elif c in "]}":
                self.depth = max(0, self.depth - 1)
            pos += 1
