"""Parser of ``mount -p`` (docs/freebsd.md 12.4): the mount table in fstab(5) form.

mount.c pads the fields with tabs, or one space after a long one, so a line
splits on runs of blanks into exactly six fields. A mount point that itself
holds a blank cannot be split back: such a line (more than six fields) is a
ParseError rather than a guess, and so is a truncated table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jailtui.core.errors import ParseError

COMMAND = "mount -p"
_BLANKS = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class MountEntry:
    """What is mounted where: ``device`` is a dataset name for ZFS."""

    device: str
    point: str
    fstype: str
    options: tuple[str, ...]

    @property
    def readonly(self) -> bool:
        return "ro" in self.options


def parse_mount_p(data: bytes) -> list[MountEntry]:
    text = data.decode("utf-8", "surrogateescape")
    if not text.strip():
        raise ParseError(COMMAND, "empty output (every system has / mounted)")
    if not text.endswith("\n"):
        raise ParseError(COMMAND, "output cut short (no newline after the last line)")
    out = []
    for i, line in enumerate(text[:-1].split("\n"), 1):
        fields = _BLANKS.split(line.strip())
        if len(fields) != 6:
            raise ParseError(COMMAND, f"line {i}: {len(fields)} fields, expected 6 "
                                      "(a mount point with a blank in it?)")
        if not fields[1].startswith("/"):
            raise ParseError(COMMAND, f"line {i}: mount point is not a path: "
                                      f"{fields[1][:60]!r}")
        out.append(MountEntry(fields[0], fields[1], fields[2], tuple(fields[3].split(","))))
    return out


def mounts_below(mounts: list[MountEntry], root: str) -> list[MountEntry]:
    """Everything mounted at ``root`` or below it, deepest last (mount order)."""
    base = root.rstrip("/")
    return [m for m in mounts if m.point == base or m.point.startswith(base + "/")]
