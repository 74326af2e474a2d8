"""The HOST column of the all-hosts view (jails and processes panes).

Rows of a host whose latest poll failed are from an older poll: their HOST
cell says so with a ``⚠`` in the error colour, so stale rows stand out
among fresh ones (the status line says why and since when).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from jailtui.core.text import visible
from jailtui.widgets.keyed_table import Cell, Column

#: The stale mark before a host's name.
STALE_MARK = "⚠ "


class HostRow(Protocol):
    """A model row that knows its host (core.model.Jail, Process)."""

    @property
    def host_name(self) -> str | None: ...


R = TypeVar("R", bound=HostRow)


def host_column(then: Callable[[R], str | int],
                stale: Callable[[], frozenset[str]]) -> Column[R]:
    """HOST first; sorted by host, then by ``then`` (name, pid) within a host."""

    def cell(row: R) -> Cell:
        host = row.host_name or "-"
        shown = visible(host, 32)
        if host in stale():
            return ((STALE_MARK, "bad"), (shown, "warn"))
        return shown

    def measure(rows: Sequence[R]) -> int:
        marks = stale()
        return max((len(r.host_name or "-") + (len(STALE_MARK) if r.host_name in marks else 0)
                    for r in rows), default=0)

    return Column("host", "HOST", cell, lambda r: (r.host_name or "", then(r)), width=4,
                  measure=measure, max_width=24)


__all__ = ["STALE_MARK", "host_column"]
