"""The services screen's table: a jail's enabled rc.d services and their state.

A :class:`~jailtui.widgets.keyed_table.KeyedTable` like the jails pane, so
the cursor stays on its service (by name) while states arrive one by one
and after every reload, and nothing in a cell is parsed as markup (service
names come from the jail's own rc.d directory: visible() on every cell).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jailtui.core.checks.rcstatus import ServiceState
from jailtui.core.text import visible
from jailtui.widgets.keyed_table import Cell, Column, KeyedTable

#: The STATE text while its ``status`` is being asked.
CHECKING = "checking…"

#: Style role of each state (keyed-table--<role>, app.tcss); an enabled
#: daemon that is not running is the thing to see.
_ROLES = {ServiceState.RUNNING.value: "good", ServiceState.STOPPED.value: "bad",
          ServiceState.NO_STATUS.value: "dim", ServiceState.UNKNOWN.value: "warn",
          CHECKING: "dim"}


@dataclass(frozen=True, slots=True)
class ServiceRow:
    """One enabled service. ``state`` is a ServiceState value, CHECKING, or the
    action in progress (``restarting…``); ``message`` is raw tool text."""

    order: int
    name: str
    state: str = CHECKING
    pid: int | None = None
    message: str = ""
    #: The action running on it (``restarting…``), shown instead of the state.
    busy: str | None = None


def _longest(values: Sequence[str]) -> int:
    return max((len(v) for v in values), default=0)


def _state(row: ServiceRow) -> Cell:
    if row.busy:
        return ((row.busy, "warn"),)
    return ((row.state, _ROLES.get(row.state, "warn")),)


def service_columns() -> list[Column[ServiceRow]]:
    return [
        Column("order", "#", lambda r: str(r.order), lambda r: r.order, width=2,
               justify="right"),
        Column("name", "SERVICE", lambda r: visible(r.name, 64), lambda r: r.name, width=7,
               measure=lambda rows: _longest([r.name for r in rows]), max_width=28),
        Column("state", "STATE", _state, lambda r: (r.busy or r.state), width=11,
               measure=lambda rows: _longest([r.busy or r.state for r in rows])),
        Column("pid", "PID", lambda r: "-" if r.pid is None else str(r.pid),
               lambda r: r.pid or 0, width=5, justify="right"),
        Column("message", "STATUS", lambda r: visible(r.message, 512) or "-",
               lambda r: r.message, width=6, last=True),
    ]


class ServiceTable(KeyedTable[str, ServiceRow]):
    """Services in rcorder (``service -e`` order), keyed by name."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(service_columns(), sort="order", id=id)

    def row_key(self, row: ServiceRow) -> str:
        return row.name

    def row_matches(self, row: ServiceRow, needle: str) -> bool:
        return needle in row.name.lower() or needle in row.state

    def placeholder(self) -> str:
        if self._loaded and not self._filter and not self.source_count:
            return "no rc.d service is enabled in this jail"
        return super().placeholder()
