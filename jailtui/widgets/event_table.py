"""The events pane (``E``): the session's timeline, newest first.

Rows are core.events.Event, keyed by their place in the timeline (``seq``).
The filter takes the pane's own words beside plain text: ``jail:web``,
``host:db1``, ``kind:restarted`` match that field exactly (``a|b``: either,
as everywhere); anything else matches the jail, host, kind or text. Every
cell is raw text from a host (jail names, tool messages): ``visible()``.
"""

from __future__ import annotations

import time

from jailtui.core.events import KIND_WIDTH, Event, Kind
from jailtui.core.text import visible
from jailtui.widgets.keyed_table import Cell, Column, KeyedTable

#: The role (colour) of each kind.
ROLES: dict[Kind, str | None] = {
    Kind.SEEN: "dim", Kind.CREATED: "good", Kind.REMOVED: "warn", Kind.RESTARTED: "accent",
    Kind.DYING: "warn", Kind.UNREACHABLE: "bad", Kind.BACK: "good", Kind.ACTION: None,
    Kind.CONFIG_CHANGED: "accent", Kind.DAEMON_DOWN: "bad", Kind.DAEMON_UP: "good",
    Kind.LIMIT_NEAR: "warn",
}

#: The filter's field words.
FIELDS = ("jail", "host", "kind")


def clock_text(at: float) -> str:
    """``04:31:07`` (local time; the date is left to --json and the log)."""
    return time.strftime("%H:%M:%S", time.localtime(at))


def _kind(e: Event) -> Cell:
    role = ROLES.get(e.kind)
    if e.kind is Kind.ACTION and e.ok is not None:
        role = "good" if e.ok else "bad"
    return ((str(e.kind), role),)


def event_matches(e: Event, needle: str) -> bool:
    """The filter's rule for one (lower-case) term (see the module docstring)."""
    field, sep, value = needle.partition(":")
    if sep and field in FIELDS:
        got = {"jail": e.jail, "host": e.host, "kind": str(e.kind)}[field]
        return got is not None and got.lower() == value.strip()
    return any(needle in (v or "").lower() for v in (e.jail, e.host, str(e.kind), e.text))


class EventTable(KeyedTable[int, Event]):
    """TIME, (HOST), JAIL, KIND, WHAT."""

    def __init__(self, *, id: str | None = None) -> None:
        self.show_hosts = False
        super().__init__(self._make_columns(), sort="time", reverse=True, id=id)

    def _make_columns(self) -> list[Column[Event]]:
        cols: list[Column[Event]] = [
            Column("time", "TIME", lambda e: clock_text(e.at), lambda e: e.seq, width=8),
        ]
        if self.show_hosts:
            cols.append(Column("host", "HOST", lambda e: visible(e.host, 32),
                               lambda e: (e.host, e.seq), width=4, max_width=16,
                               measure=lambda rows: max((len(e.host) for e in rows), default=0)))
        cols += [
            Column("jail", "JAIL", lambda e: visible(e.jail, 64) if e.jail else "-",
                   lambda e: (e.jail or "", e.seq), width=4, max_width=20,
                   measure=lambda rows: max((len(e.jail or "-") for e in rows), default=0)),
            Column("kind", "KIND", _kind, lambda e: (str(e.kind), e.seq), width=KIND_WIDTH),
            Column("text", "WHAT", lambda e: visible(e.text, 600), lambda e: e.text, width=4,
                   last=True,
                   measure=lambda rows: max((len(e.text) for e in rows), default=0)),
        ]
        return cols

    def set_hosts(self, on: bool) -> None:
        if on != self.show_hosts:
            self.show_hosts = on
            self.set_columns(self._make_columns())

    def row_key(self, row: Event) -> int:
        return row.seq

    def row_matches(self, row: Event, needle: str) -> bool:
        return event_matches(row, needle)

    def placeholder(self) -> str:
        if self._loaded and not self._filter and not self.source_count:
            return "no events yet: jails created, removed, restarted, dying; hosts; actions"
        return super().placeholder()
