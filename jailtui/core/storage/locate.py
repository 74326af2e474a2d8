"""Which file system holds a jail's root (docs/freebsd.md 12.1).

The file system is the mount with the longest mount point at or above the
root. On ZFS the root is a dataset of its own when that mount point *is*
the root (then its child datasets belong to the jail); otherwise the root is a
directory inside a bigger dataset, or on UFS or another file system, and has
no snapshots of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from jailtui.core.storage.mounts import MountEntry
from jailtui.core.storage.zfs import ZfsDataset
from jailtui.core.text import human_bytes


@dataclass(frozen=True, slots=True)
class JailStorage:
    """Where one jail's root lives."""

    root: str
    fstype: str
    #: The dataset's name on ZFS, else the device (``/dev/ada1p1``).
    device: str
    #: Where that file system is mounted (== root for a dataset of its own).
    mountpoint: str
    #: The root's own dataset (None: not a dataset of its own, or not ZFS).
    dataset: ZfsDataset | None = None
    #: Its child datasets (``.../var``), parents first.
    children: tuple[ZfsDataset, ...] = ()
    #: The dataset that contains the root when it is not its own.
    container: ZfsDataset | None = None

    @property
    def own_dataset(self) -> bool:
        return self.dataset is not None

    def summary(self) -> str:
        """One line: ``ZFS zroot/jails/web: used 140M, refer 140M, quota none, free 253G``."""
        ds = self.dataset
        if ds is not None:
            text = (f"ZFS dataset {ds.name}: used {human_bytes(ds.used)}, referenced "
                    f"{human_bytes(ds.refer)}, quota "
                    f"{human_bytes(ds.quota) if ds.quota else 'none'}, "
                    f"free {human_bytes(ds.avail)}")
            if ds.origin:
                text += f", a clone of {ds.origin}"
            return text
        if self.fstype == "zfs":
            c = self.container
            free = f", free {human_bytes(c.avail)}" if c is not None else ""
            return (f"inside ZFS dataset {self.device} (mounted at {self.mountpoint}), not a "
                    f"dataset of its own{free}")
        return f"{self.fstype.upper()} {self.device} mounted at {self.mountpoint}"


def _holder(root: str, mounts: list[MountEntry]) -> MountEntry | None:
    base = root.rstrip("/") or "/"
    best: MountEntry | None = None
    for m in mounts:
        point = m.point.rstrip("/") or "/"
        if point == base or point == "/" or base.startswith(point + "/"):
            if best is None or len(point) >= len(best.point.rstrip("/") or "/"):
                best = m
    return best


def locate(root: str, datasets: list[ZfsDataset], mounts: list[MountEntry]) -> JailStorage | None:
    """The file system holding ``root``; None when the mount table has nothing above it."""
    holder = _holder(root, mounts)
    if holder is None:
        return None
    point = holder.point.rstrip("/") or "/"
    if holder.fstype != "zfs":
        return JailStorage(root, holder.fstype, holder.device, holder.point)
    by_name = {d.name: d for d in datasets}
    ds = by_name.get(holder.device)
    if point != (root.rstrip("/") or "/") or ds is None:
        return JailStorage(root, "zfs", holder.device, holder.point, container=ds)
    children = tuple(sorted((d for d in datasets if d.name.startswith(ds.name + "/")),
                            key=lambda d: d.name))
    return JailStorage(root, "zfs", ds.name, holder.point, ds, children)
