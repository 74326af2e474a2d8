"""Which simulated file system holds a host path, and its device number.

The simulator's files all live on one file system of this machine, so ``st_dev``
of the real files says nothing; the simulated host's file systems are its mount
table (sim/zfs_model.py ``mount_table``: ``/`` on UFS, the pool's datasets, a UFS
disk per UFS jail root, nullfs mounts). A path belongs to the mount with the
longest mount point at or above it (docs/freebsd.md 12.1), a mount point to the
file system mounted there. stat(1) ``%d`` (sim/statls.py) prints that file
system's number, and rename(2) between two of them fails with EXDEV (sim/mv.py).
"""

from __future__ import annotations

import zlib

from jailtui.sim import zfs_model as zm


def holder(mounts: list[zm.Mount], host_path: str) -> zm.Mount:
    """The mount a host path is on (``/`` when nothing longer is above it)."""
    path = "/" + "/".join(p for p in host_path.split("/") if p and p != ".")
    best = mounts[0]
    for m in mounts:
        point = m.point.rstrip("/") or "/"
        if point == path or point == "/" or path.startswith(point + "/"):
            if len(point) >= len(best.point.rstrip("/") or "/"):
                best = m
    return best


def device_number(m: zm.Mount) -> int:
    """A stable ``st_dev`` for one simulated file system (its device and mount point:
    each devfs mount is a file system of its own)."""
    return zlib.crc32(f"{m.device}\0{m.point}".encode("utf-8", "surrogateescape")) & 0x7FFFFFFF
