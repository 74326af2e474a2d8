"""The snapshots screen's second table: the jail's quarantined copies, oldest first.

A :class:`~jailtui.widgets.keyed_table.KeyedTable` keyed by what
``quarantine destroy`` takes (the dataset's name, or the directory's path), so the
cursor stays on its copy across reloads. When it was quarantined is the UTC stamp
in its name (core/storage/quarantine.py ``quarantined_at``); its size is known for a
dataset (``zfs list`` used) and not for a directory (a walk of the whole tree).
Every cell through visible(): a name under the jail's parent may be anyone's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from jailtui.core.storage.quarantine import Quarantined, QuarantinedDir, quarantined_at
from jailtui.core.storage.snapshots import age_text, utc_text
from jailtui.core.text import human_bytes, visible
from jailtui.widgets.keyed_table import Column, KeyedTable

#: The size column of a directory: unknown without walking it.
NO_SIZE = "?"


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    copy: Quarantined | QuarantinedDir
    #: When the list was read (ages are as of then).
    now: float

    @property
    def at(self) -> float | None:
        return quarantined_at(self.copy.name)


def _used(r: QuarantineRow) -> int:
    return r.copy.dataset.used if isinstance(r.copy, Quarantined) else -1


def quarantine_columns() -> list[Column[QuarantineRow]]:
    return [
        Column("when", "QUARANTINED (UTC)",
               lambda r: utc_text(int(r.at)) if r.at is not None else "?",
               lambda r: r.at or 0.0, width=19),
        Column("age", "AGE", lambda r: age_text(r.now - r.at) if r.at is not None else "?",
               lambda r: -(r.at or 0.0), width=6, justify="right"),
        Column("used", "USED", lambda r: human_bytes(_used(r)) if _used(r) >= 0 else NO_SIZE,
               _used, width=6, justify="right", descending_first=True),
        Column("name", "COPY (dataset or directory)",
               lambda r: ((visible(r.copy.name, 300), "warn"),), lambda r: r.copy.name,
               width=20, measure=lambda rows: max((len(r.copy.name) for r in rows), default=0),
               max_width=300, last=True),
    ]


class QuarantineTable(KeyedTable[str, QuarantineRow]):
    """Quarantined copies, oldest first, keyed by the name destroy takes."""

    DEFAULT_CSS = """
    QuarantineTable { height: auto; max-height: 6; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(quarantine_columns(), sort="when", id=id)

    def row_key(self, row: QuarantineRow) -> str:
        return row.copy.name

    def row_matches(self, row: QuarantineRow, needle: str) -> bool:
        return needle in row.copy.name.lower()


def quarantine_rows(found: list[Quarantined | QuarantinedDir],
                    now: float | None = None) -> list[QuarantineRow]:
    at = time.time() if now is None else now
    return [QuarantineRow(q, at) for q in found]
