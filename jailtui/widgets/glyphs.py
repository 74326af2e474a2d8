"""The console's symbols, and their ASCII stand-ins for terminals without Unicode.

A VT100 (and a non-UTF-8 locale) shows ``✓`` or ``▲`` as garbage; the
terminal profile (jailtui/terminal.py, docs/textual.md 2.14) picks the ASCII
table once, before the App is built. Every symbol the console draws itself
comes from :func:`glyphs`, so the two tables cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from jailtui.core.history import SPARK_ASCII, SPARK_UNICODE


@dataclass(frozen=True)
class Glyphs:
    """One set of symbols."""

    ok: str
    bad: str
    pending: str
    up: str
    down: str
    enter: str
    warn: str
    ellipsis: str
    #: One cell: the table goes on to the right (widgets/keyed_table.py).
    more: str
    dot: str
    #: A sparkline's levels, lowest first (core/history.py spark()).
    spark: str
    #: The jails pane's mark of a jail with a note (core/userstate.py).
    note: str


UNICODE = Glyphs(ok="✓", bad="✗", pending="•", up="▲", down="▼", enter="⏎", warn="⚠",
                 ellipsis="…", more="…", dot="·", spark=SPARK_UNICODE, note="✎")
ASCII = Glyphs(ok="+", bad="x", pending="*", up="^", down="v", enter="Enter", warn="!",
               ellipsis="...", more=">", dot="-", spark=SPARK_ASCII, note="n")

_current: list[Glyphs] = [UNICODE]


def glyphs() -> Glyphs:
    """The symbols for this terminal."""
    return _current[0]


def use_ascii(ascii_only: bool) -> None:
    """Choose the table (once at start; tests switch it back)."""
    _current[0] = ASCII if ascii_only else UNICODE


__all__ = ["ASCII", "UNICODE", "Glyphs", "glyphs", "use_ascii"]
