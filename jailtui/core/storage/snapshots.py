"""A jail's storage and its snapshots, for one session, through the one gate.

Reading (where a jail lives, its snapshots) is a VIEW: every role that sees
the jail may. Taking and destroying a snapshot is :data:`Action.SNAPSHOT`: the
controller's gate decides (a delegate only on their own jail), and every
attempt writes exactly one audit record with the outcome. A delegate is never
shown another jail's datasets: the full ``zfs list`` is read here and only the
jail's own part leaves this module.

Commands (docs/freebsd.md 12): ``zfs list -H -p`` and ``mount -p`` to locate,
``zfs list -t snapshot -d 1`` to list, ``zfs snapshot -r DS@NAME`` and
``zfs destroy -r DS@NAME``; argv from core/freebsd/argv.py, each with a timeout.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from jailtui.core.actions.control import ActionResult, Controller
from jailtui.core.actions.policy import Action
from jailtui.core.errors import JailtuiError
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.freebsd.jailname import check_jail_name
from jailtui.core.model import Jail
from jailtui.core.storage.locate import JailStorage, locate
from jailtui.core.storage.mounts import MountEntry, parse_mount_p
from jailtui.core.storage.zfs import ZfsDataset, ZfsSnapshot, parse_datasets, parse_snapshots
from jailtui.core.transport.runner import Runner

#: zfs list on a big pool walks every dataset; a snapshot is a metadata operation.
LIST_TIMEOUT = 60.0
SNAPSHOT_TIMEOUT = 120.0

#: What a snapshot name may hold here: ZFS allows a few more characters (and a
#: space), which a name typed in a dialog or on a command line should not need.
_SNAP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")
#: Any snapshot name ZFS accepts (zfs_namecheck.c valid_char), not starting like an option.
_ANY_SNAP_NAME = re.compile(r"^[A-Za-z0-9_.:][A-Za-z0-9_.: -]{0,254}$")
#: The prefix of the console's own snapshots (keep-N pruning touches only these).
PREFIX = "jailtui-"


class StorageError(JailtuiError):
    """The jail's storage cannot do what was asked (not on ZFS, no such snapshot ...)."""


class NotOnZfs(StorageError):
    """The jail's root is no dataset of its own (UFS, or a directory in a bigger
    dataset): not a failure of the listing, a fact the console says as one."""


def default_name(now: float | None = None) -> str:
    """``jailtui-20261202T041500Z``: the console's snapshot name, UTC."""
    return PREFIX + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None
                                                                   else now))


def name_problem(name: str) -> str | None:
    """Why ``name`` is no snapshot name we take; None when it is one."""
    if not name:
        return "empty"
    if not _SNAP_NAME.match(name):
        return ("only letters, digits and _ . : - (not first), at most 200 characters")
    return None


def _not_on_zfs(name: str, where: JailStorage | None) -> str:
    """Why a jail has no snapshots: its root is no dataset of its own."""
    if where is None:
        return f"{name}: its root is on no mounted file system"
    return f"{name}: no snapshots: its root is not a ZFS dataset of its own ({where.summary()})"


def half_done(name: str, root: str, datasets: list[ZfsDataset],
              where: JailStorage | None) -> str | None:
    """A restore cut short between its rename and its clone (the console killed, the
    host rebooted): the jail's dataset is gone and its quarantine is there. Says what
    is where and how to undo it; None when that is not the case."""
    if where is None or where.dataset is not None or where.container is None:
        return None
    c = where.container
    expected = c.name + root[len(c.mountpoint.rstrip("/")):]
    if any(d.name == expected for d in datasets):
        return None
    left = sorted(d.name for d in datasets if d.name.startswith(f"{expected}.quarantine-")
                  and "/" not in d.name[len(expected):])
    if not left:
        return None
    q = left[-1]
    return (f"{name}: a restore was cut short: its root dataset {expected} does not exist "
            f"and {q} holds the old root (read-only, with its snapshots); to undo: "
            f"zfs set readonly=off {q} (and its children), zfs rename {q} {expected}, "
            "then restore again")


def not_on_zfs(name: str, where: JailStorage | None,
               datasets: list[ZfsDataset] | None = None) -> str:
    """Why a jail has no snapshots; a restore cut short is said first."""
    if where is not None and datasets is not None:
        cut = half_done(name, where.root, datasets, where)
        if cut is not None:
            return cut
    return _not_on_zfs(name, where)


@dataclass(frozen=True, slots=True)
class SnapshotList:
    """A jail's storage and its snapshots, newest first."""

    where: JailStorage
    snapshots: tuple[ZfsSnapshot, ...]


async def read_tables(runner: Runner) -> tuple[list[ZfsDataset], list[MountEntry]]:
    """``zfs list`` and ``mount -p`` (a host without zfs has no datasets)."""
    mres = await runner.run(argvmod.mount_p_argv(), timeout=LIST_TIMEOUT)
    if mres.returncode != 0:
        raise tool_error(mres)
    mounts = parse_mount_p(mres.stdout)
    if not any(m.fstype == "zfs" for m in mounts):
        return [], mounts
    zres = await runner.run(argvmod.zfs_list_argv(), timeout=LIST_TIMEOUT)
    if zres.returncode != 0:
        raise tool_error(zres)
    return parse_datasets(zres.stdout), mounts


async def where(runner: Runner, root: str) -> JailStorage | None:
    """Where the root at ``root`` lives (None: nothing mounted above it)."""
    datasets, mounts = await read_tables(runner)
    return locate(root, datasets, mounts)


async def list_of(runner: Runner, dataset: str) -> list[ZfsSnapshot]:
    """``dataset``'s own snapshots, newest first."""
    res = await runner.run(argvmod.zfs_snapshots_argv(dataset), timeout=LIST_TIMEOUT)
    if res.returncode != 0:
        raise tool_error(res)
    snaps = parse_snapshots(res.stdout)
    # zfs lists them oldest first (-s creation, then by creation order within one
    # second): reversed, then sorted stably, the newest is first even among equals.
    return sorted(reversed(snaps), key=lambda s: s.creation, reverse=True)


class Snapshots:
    """One session's view of and actions on jail snapshots."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    @property
    def runner(self) -> Runner:
        return self.controller.host.runner

    async def find(self, name: str, jail: Jail | None = None) -> Jail:
        """The jail as the host knows it now (running, dying or configured)."""
        check_jail_name(name)
        if jail is not None:
            return jail
        snap = await self.controller.host.poll()
        found = snap.jail(name)
        if found is None or not self.controller.policy.in_scope(name):
            # Out of scope reads as missing: a delegate learns nothing of other jails.
            raise StorageError(f'jail "{name}" not found')
        return found

    async def locate(self, name: str, jail: Jail | None = None) -> JailStorage | None:
        self.controller.gate(Action.VIEW, name)
        found = await self.find(name, jail)
        if not found.path:
            raise StorageError(f"{name}: its root path is not known")
        return await where(self.runner, found.path)

    async def listing(self, name: str, jail: Jail | None = None) -> SnapshotList:
        """The jail's storage and its snapshots (reading: a VIEW)."""
        loc = await self.locate(name, jail)
        if loc is None or loc.dataset is None:
            msg = not_on_zfs(name, loc, (await read_tables(self.runner))[0])
            raise (NotOnZfs if loc is not None and msg == _not_on_zfs(name, loc)
                   else StorageError)(msg)
        return SnapshotList(loc, tuple(await list_of(self.runner, loc.dataset.name)))

    async def _dataset_for(self, action: Action, name: str, jail: Jail | None
                           ) -> tuple[Jail, JailStorage]:
        self.controller.gate(action, name)
        found = await self.find(name, jail)
        loc = await where(self.runner, found.path) if found.path else None
        if loc is None or loc.dataset is None:
            msg = not_on_zfs(name, loc)
            self.controller.record(action, name, found.jid, f"failed: {msg}")
            raise StorageError(msg)
        return found, loc

    async def create(self, name: str, snap_name: str | None = None, jail: Jail | None = None,
                     *, keep: int = 0) -> ActionResult:
        """``zfs snapshot -r DS@NAME`` of the jail's dataset (and its children); with
        ``keep`` ([backup] keep), then the oldest of the console's own snapshots
        (``jailtui-...``) beyond that many are destroyed, each audited like any."""
        snap_name = snap_name or default_name()
        problem = name_problem(snap_name)
        if problem is not None:
            self.controller.gate(Action.SNAPSHOT, name)
            msg = f"snapshot name {snap_name[:80]!r}: {problem}"
            self.controller.record(Action.SNAPSHOT, name, None, f"failed: {msg}")
            raise StorageError(msg)
        found, loc = await self._dataset_for(Action.SNAPSHOT, name, jail)
        assert loc.dataset is not None
        full = f"{loc.dataset.name}@{snap_name}"
        made = await self._run(Action.SNAPSHOT, found, argvmod.zfs_snapshot_argv(
            loc.dataset.name, snap_name), f"created snapshot {full}", f"create {full}")
        if not made.ok or keep <= 0:
            return made
        return await self._prune(found, loc.dataset.name, keep, made)

    async def _prune(self, jail: Jail, ds: str, keep: int, made: ActionResult) -> ActionResult:
        own = [s for s in await list_of(self.runner, ds) if s.short.startswith(PREFIX)]
        doomed = own[keep:]  # newest first: everything past the first ``keep``
        gone: list[str] = []
        kept: list[str] = []
        for s in reversed(doomed):
            res = await self._run(Action.SNAPSHOT, jail, argvmod.zfs_destroy_snapshot_argv(
                ds, s.short), f"destroyed snapshot {s.name}", f"prune {s.name} (keep {keep})")
            if res.ok:
                gone.append(s.short)
            else:
                # A clone depends on it (a restored jail's origin): it stays, said so.
                kept.append(f"{s.short} ({res.message.splitlines()[0]})")
        if not gone and not kept:
            return made
        text = made.message
        if gone:
            text += f"; pruned {len(gone)} older (keep = {keep}): {', '.join(gone)}"
        if kept:
            text += f"; could not prune: {', '.join(kept)}"
        return ActionResult(True, text, made.output, made.argv)

    async def destroy(self, name: str, snap_name: str, jail: Jail | None = None
                      ) -> ActionResult:
        """``zfs destroy -r DS@NAME``: one of the jail's own snapshots, never another's."""
        found, loc = await self._dataset_for(Action.SNAPSHOT, name, jail)
        assert loc.dataset is not None
        ds = loc.dataset.name
        short = snap_name
        if "@" in snap_name:
            owner, short = snap_name.split("@", 1)
            if owner != ds:
                msg = f"{snap_name[:120]} is not a snapshot of {name} ({ds})"
                self.controller.record(Action.SNAPSHOT, name, found.jid, f"failed: {msg}")
                raise StorageError(msg)
        if not _ANY_SNAP_NAME.match(short):
            # One made elsewhere may hold a space (zfs allows it); never an option.
            msg = f"snapshot name {short[:80]!r}: not a ZFS snapshot name"
            self.controller.record(Action.SNAPSHOT, name, found.jid, f"failed: {msg}")
            raise StorageError(msg)
        full = f"{ds}@{short}"
        return await self._run(Action.SNAPSHOT, found, argvmod.zfs_destroy_snapshot_argv(
            ds, short), f"destroyed snapshot {full}", f"destroy {full}")

    async def destroy_audited(self, action: Action, jail: Jail, ds: str, short: str,
                              detail: str) -> ActionResult:
        """``zfs destroy -r DS@SHORT`` as ``action`` on ``jail`` (the caller gated it
        and chose the snapshot: pruning, core/storage/backup.py), one audit record."""
        return await self._run(action, jail, argvmod.zfs_destroy_snapshot_argv(ds, short),
                               f"destroyed snapshot {ds}@{short}", detail)

    async def run_audited(self, action: Action, jail: Jail, argv: list[str], done: str,
                          detail: str) -> ActionResult:
        """Another command of the storage flows (``rm`` of a pruned archive) as
        ``action`` on ``jail``, gated by the caller, with one audit record."""
        return await self._run(action, jail, argv, done, detail)

    async def _run(self, action: Action, jail: Jail, argv: list[str], done: str, detail: str
                   ) -> ActionResult:
        try:
            res = await self.runner.run(argv, timeout=SNAPSHOT_TIMEOUT)
        except JailtuiError as exc:
            self.controller.record(action, jail.name, jail.jid, f"failed: {exc}", detail)
            raise
        out = (res.stdout + res.stderr).decode("utf-8", "replace")
        if res.returncode != 0:
            err = tool_error(res)
            # zfs's refusal is several lines (the datasets in the way): keep them all.
            message = err.stderr.strip() or str(err)
            self.controller.record(action, jail.name, jail.jid,
                                   f"failed: {message.splitlines()[0]}", detail)
            return ActionResult(False, message, out, tuple(argv))
        self.controller.record(action, jail.name, jail.jid, "ok", detail)
        return ActionResult(True, done, out, tuple(argv))


def utc_text(t: int) -> str:
    """``2026-12-02 04:15:00``: a creation time, UTC (the zone a fleet shares)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def age_text(seconds: float) -> str:
    """``45s``, ``12m``, ``3h05m``, ``2d04h``: how old a snapshot is."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86_400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86_400}d{s % 86_400 // 3600:02d}h"


def snapshot_json(s: ZfsSnapshot, now: float) -> dict[str, object]:
    return {"name": s.name, "dataset": s.dataset, "snapshot": s.short, "creation": s.creation,
            "age_seconds": max(0, int(now - s.creation)), "used": s.used, "referenced": s.refer}


def storage_json(w: JailStorage) -> dict[str, object]:
    """The jail's storage for --json (its own datasets only)."""
    ds = w.dataset
    return {"root": w.root, "fstype": w.fstype, "device": w.device, "mountpoint": w.mountpoint,
            "dataset": None if ds is None else {
                "name": ds.name, "used": ds.used, "available": ds.avail, "referenced": ds.refer,
                "quota": ds.quota or None, "origin": ds.origin or None},
            "children": [{"name": c.name, "used": c.used, "referenced": c.refer,
                          "mountpoint": c.mountpoint} for c in w.children]}
