"""Parsers of ``zfs list -H -p`` output (docs/freebsd.md 12.2).

One line per object, fields separated by one tab, exact numbers, ``-`` for a
value that does not apply. A line with the wrong number of fields, a number
that is not one, or output that does not end with a newline (cut short) is a
ParseError naming the command: nothing half-read is shown as true.
"""

from __future__ import annotations

from dataclasses import dataclass

from jailtui.core.errors import ParseError
from jailtui.core.freebsd.argv import ZFS_LIST_COLUMNS, ZFS_SNAPSHOT_COLUMNS

LIST_COMMAND = "zfs list"


@dataclass(frozen=True, slots=True)
class ZfsDataset:
    """One file system: its space in bytes (quota 0: none), mount point and origin."""

    name: str
    used: int
    avail: int
    refer: int
    quota: int
    mountpoint: str
    #: The snapshot it was cloned from ("" when it is not a clone).
    origin: str


@dataclass(frozen=True, slots=True)
class ZfsSnapshot:
    """One snapshot: ``DATASET@NAME``, created at ``creation`` (epoch seconds)."""

    name: str
    creation: int
    used: int
    refer: int

    @property
    def dataset(self) -> str:
        return self.name.split("@", 1)[0]

    @property
    def short(self) -> str:
        return self.name.split("@", 1)[1]


def _lines(data: bytes, command: str) -> list[str]:
    text = data.decode("utf-8", "surrogateescape")
    if not text:
        return []
    if not text.endswith("\n"):
        raise ParseError(command, "output cut short (no newline after the last line)")
    return text[:-1].split("\n")


def _number(value: str, column: str, line_no: int, command: str) -> int:
    if value == "-":
        return 0
    if not value.isdigit():
        raise ParseError(command, f"line {line_no}: {column} is not a number: {value[:40]!r}")
    return int(value)


def _fields(line: str, n: int, line_no: int, command: str) -> list[str]:
    fields = line.split("\t")
    if len(fields) != n:
        raise ParseError(command, f"line {line_no}: {len(fields)} fields, expected {n}")
    if not fields[0]:
        raise ParseError(command, f"line {line_no}: empty name")
    return fields


def parse_datasets(data: bytes) -> list[ZfsDataset]:
    """The file systems of :func:`argv.zfs_list_argv`'s output."""
    out = []
    for i, line in enumerate(_lines(data, LIST_COMMAND), 1):
        f = _fields(line, len(ZFS_LIST_COLUMNS), i, LIST_COMMAND)
        if "@" in f[0]:
            raise ParseError(LIST_COMMAND, f"line {i}: a snapshot in a file system list")
        used, avail, refer, quota = (_number(f[k], ZFS_LIST_COLUMNS[k], i, LIST_COMMAND)
                                     for k in (1, 2, 3, 4))
        out.append(ZfsDataset(f[0], used, avail, refer, quota, f[5],
                              "" if f[6] == "-" else f[6]))
    return out


def parse_snapshots(data: bytes) -> list[ZfsSnapshot]:
    """The snapshots of :func:`argv.zfs_snapshots_argv`'s output."""
    out = []
    for i, line in enumerate(_lines(data, LIST_COMMAND), 1):
        f = _fields(line, len(ZFS_SNAPSHOT_COLUMNS), i, LIST_COMMAND)
        if "@" not in f[0]:
            raise ParseError(LIST_COMMAND, f"line {i}: not a snapshot: {f[0][:60]!r}")
        creation, used, refer = (_number(f[k], ZFS_SNAPSHOT_COLUMNS[k], i, LIST_COMMAND)
                                 for k in (1, 2, 3))
        out.append(ZfsSnapshot(f[0], creation, used, refer))
    return out
