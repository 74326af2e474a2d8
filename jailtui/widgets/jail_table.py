"""The jails pane: one row per jail, running, dying or configured-but-stopped.

Keyed by name, not jid: a jail gets a new jid on every restart, and a
stopped jail has none (model.Jail.key).
"""

from __future__ import annotations

from collections.abc import Sequence

from jailtui.core.model import Jail, JailState
from jailtui.core.text import visible
from jailtui.widgets.cells import compact_addresses, human_kib, jid_text, percent, state_label
from jailtui.widgets.keyed_table import Cell, Column, KeyedTable

_STATE_ORDER = {JailState.RUNNING: 0, JailState.DYING: 1, JailState.STOPPED: 2}


def _longest(values: Sequence[str]) -> int:
    return max((len(v) for v in values), default=0)


def _state(j: Jail) -> Cell:
    text, role = state_label(j.state)
    return ((text, role),)


def _procs(j: Jail) -> Cell:
    return "-" if j.state is JailState.STOPPED else str(j.processes)


def _cpu(j: Jail) -> Cell:
    return "-" if j.state is JailState.STOPPED else percent(j.cpu_percent)


def _mem(j: Jail) -> Cell:
    return "-" if j.state is JailState.STOPPED else human_kib(j.rss_kib)


def jail_columns() -> list[Column[Jail]]:
    return [
        Column("state", "STATE", _state, lambda j: _STATE_ORDER[j.state], width=7),
        Column("jid", "JID", lambda j: jid_text(j.jid),
               lambda j: (j.jid is None, j.jid or 0), width=3, justify="right",
               measure=lambda rows: _longest([jid_text(j.jid) for j in rows])),
        Column("name", "NAME", lambda j: visible(j.name, 64), lambda j: j.name,
               width=4, measure=lambda rows: _longest([j.name for j in rows]), max_width=20),
        Column("hostname", "HOSTNAME", lambda j: visible(j.hostname, 128) or "-",
               lambda j: j.hostname, width=8,
               measure=lambda rows: _longest([j.hostname for j in rows]), max_width=24),
        Column("addr", "ADDRESS", compact_addresses, lambda j: (*j.ip4, *j.ip6),
               width=7, measure=lambda rows: _longest([compact_addresses(j) for j in rows]),
               max_width=26),
        Column("procs", "PROCS", _procs, lambda j: j.processes, width=4, justify="right",
               descending_first=True),
        Column("cpu", "CPU%", _cpu, lambda j: j.cpu_percent, width=5, justify="right",
               descending_first=True),
        Column("mem", "MEM", _mem, lambda j: j.rss_kib, width=6, justify="right",
               descending_first=True),
        Column("path", "PATH", lambda j: visible(j.path, 1024) or "-", lambda j: j.path,
               width=4, measure=lambda rows: _longest([j.path for j in rows]), last=True),
    ]


class JailTable(KeyedTable[str, Jail]):
    """Jails with state, jid, addresses and their processes' CPU and memory."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(jail_columns(), sort="name", id=id)

    def row_key(self, row: Jail) -> str:
        return row.name

    def row_matches(self, row: Jail, needle: str) -> bool:
        if needle in row.name.lower() or needle in row.hostname.lower() \
                or needle in row.path.lower() or needle == row.state.value:
            return True
        if row.jid is not None and needle == str(row.jid):
            return True
        return any(needle in a.lower() for a in (*row.ip4, *row.ip6))

    def placeholder(self) -> str:
        if self._loaded and not self._filter and not self.source_count:
            return "no jails on this host (none running, none in jail.conf)"
        return super().placeholder()
