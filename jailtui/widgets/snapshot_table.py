"""The snapshots screen's table: a jail dataset's snapshots, newest first.

A :class:`~jailtui.widgets.keyed_table.KeyedTable` keyed by the snapshot's
full name, so the cursor stays on its snapshot across reloads; every cell
through visible() (a snapshot name may have been made by anyone with zfs
rights on the dataset).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from jailtui.core.storage.snapshots import PREFIX, age_text, utc_text
from jailtui.core.storage.zfs import ZfsSnapshot
from jailtui.core.text import human_bytes, visible
from jailtui.widgets.keyed_table import Cell, Column, KeyedTable


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    snap: ZfsSnapshot
    #: When the list was read (ages are as of then).
    now: float


def _name(r: SnapshotRow) -> Cell:
    # The console's own snapshots (keep-N pruning touches only those) stand out.
    return ((visible(r.snap.short, 200), "good" if r.snap.short.startswith(PREFIX) else None),)


def snapshot_columns() -> list[Column[SnapshotRow]]:
    return [
        Column("name", "SNAPSHOT", _name, lambda r: r.snap.short, width=8,
               measure=lambda rows: max((len(r.snap.short) for r in rows), default=0),
               max_width=48),
        Column("creation", "CREATED (UTC)", lambda r: utc_text(r.snap.creation),
               lambda r: r.snap.creation, width=19),
        Column("age", "AGE", lambda r: age_text(r.now - r.snap.creation),
               lambda r: -r.snap.creation, width=6, justify="right"),
        Column("used", "USED", lambda r: human_bytes(r.snap.used), lambda r: r.snap.used,
               width=6, justify="right", descending_first=True),
        Column("refer", "REFER", lambda r: human_bytes(r.snap.refer), lambda r: r.snap.refer,
               width=6, justify="right", descending_first=True, last=True),
    ]


class SnapshotTable(KeyedTable[str, SnapshotRow]):
    """Snapshots, newest first, keyed by full name."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(snapshot_columns(), sort="creation", reverse=True, id=id)

    def row_key(self, row: SnapshotRow) -> str:
        return row.snap.name

    def row_matches(self, row: SnapshotRow, needle: str) -> bool:
        return needle in row.snap.short.lower()

    #: What an empty table says once loaded (a root off ZFS has none to take).
    empty_text = "no snapshots yet: n takes one"

    def placeholder(self) -> str:
        if self._loaded and not self._filter and not self.source_count:
            return self.empty_text
        return super().placeholder()


def rows_of(snaps: tuple[ZfsSnapshot, ...], now: float | None = None) -> list[SnapshotRow]:
    at = time.time() if now is None else now
    return [SnapshotRow(s, at) for s in snaps]
