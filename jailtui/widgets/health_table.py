"""The health view's findings: one row per finding, worst first.

A :class:`KeyedTable` like the two panes of the main screen, so the cursor
belongs to a finding and stays on it when a re-evaluation reorders the
list, and only the lines on screen are drawn. Messages name jails (raw
strings from the host): every cell goes through ``visible()`` and is drawn
as ``Text`` (keyed_table.py never parses markup).
"""

from __future__ import annotations

from collections.abc import Sequence

from jailtui.core.checks.health import Finding
from jailtui.core.text import visible
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.health_state import VIEW_RANK, finding_text, marks
from jailtui.widgets.keyed_table import Cell, Column, KeyedTable


def _longest(values: Sequence[str]) -> int:
    return max((len(v) for v in values), default=0)


def _severity(f: Finding) -> Cell:
    mark, role = marks().get(f.severity, (glyphs().ok, "good"))
    return ((f"{mark} {f.label}", role),)


def _jail(f: Finding) -> Cell:
    return visible(f.jail, 64) if f.jail is not None else (("host", "dim"),)


def finding_columns() -> list[Column[Finding]]:
    return [
        Column("severity", "SEVERITY", _severity, lambda f: VIEW_RANK[f.severity], width=10),
        Column("jail", "JAIL", _jail, lambda f: (f.jail is not None, f.jail or ""), width=4,
               measure=lambda rows: _longest([f.jail or "host" for f in rows]), max_width=20),
        Column("kind", "KIND", lambda f: visible(f.kind, 32), lambda f: f.kind, width=4,
               measure=lambda rows: _longest([f.kind for f in rows]), max_width=14),
        Column("message", "FINDING", lambda f: visible(finding_text(f), 1024), lambda f: f.message,
               width=7, last=True),
    ]


class FindingTable(KeyedTable[Finding, Finding]):
    """Findings keyed by themselves (a finding is a frozen, hashable value)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(finding_columns(), sort="severity", id=id)
        #: What the empty table says (set by the view: OK, or not available).
        self.empty_text = "nothing found"

    def row_key(self, row: Finding) -> Finding:
        return row

    def row_matches(self, row: Finding, needle: str) -> bool:
        return (needle in row.message.lower() or needle in row.kind
                or needle == row.severity.name.lower())

    def placeholder(self) -> str:
        if self._loaded and not self._filter and not self.source_count:
            return self.empty_text
        return super().placeholder()


__all__ = ["FindingTable", "finding_columns"]
