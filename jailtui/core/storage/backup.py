"""A backup of a jail outside its reach: ``jailtui backup NAME``, the console's ``b``.

On ZFS (docs/freebsd.md 12.7) the jail's datasets are copied to
``POOL/jailtui-backups/NAME`` on the same pool: a new snapshot
``DS@jailtui-UTC`` of the jail and its children (``zfs snapshot -r``), then
``zfs send -R`` of it -- incremental (``-I @COMMON``) when the backup already
holds a snapshot the jail still has -- received with ``zfs receive -u -x
mountpoint``. The container ``POOL/jailtui-backups`` is made once with
``mountpoint=none`` and ``readonly=on``: the copies are never mounted, neither
over the jail they came from nor inside any jail's root, and a jail's own
datasets (even one delegated to it with ``zfs jail``) do not hold them, so an
intruder in the jail cannot destroy them (docs/freebsd.md 12.6).

Send and receive are two processes joined by this process (core/storage/pipe.py):
the bytes are counted (progress and rate as :class:`~jailtui.core.storage.pipe.Progress`
events), a stalled copy is stopped, and a cancel kills both.

What a cancel or a failure leaves: ``zfs receive`` takes a snapshot whole or not
at all and, without ``-s``, keeps no partial state, so no half-received snapshot
remains. A ``-R`` package is received file system by file system, so a *first*
backup cut short can leave some of the copy's datasets made: the backup made
them, so it destroys its target again (``zfs destroy -r``); an incremental one
cut short leaves only whole snapshots, from which the next backup continues.
The jail's new snapshot is destroyed again when the copy did not get it.

Without a ZFS dataset of its own (UFS, docs/freebsd.md 12.8) the root is copied
with bsdtar: ``bsdtar -c --one-file-system --numeric-owner -f - -C ROOT .``
(file flags are archived by default in c mode), its stream written by
``bsdtar -c -f TARGET/jailtui-NAME-UTC.tar @-`` into the ``[backup] target``
directory on the host -- two processes again, joined here for progress and
cancel. A target inside a jail's root is refused (it would be in that jail's
reach). bsdtar writes as it reads: a copy cut short can leave a partial
archive, which the message names (no file is removed on the host).

Every attempt is :data:`Action.BACKUP` through the one gate (a delegate only
their own jail), with exactly one audit record of its outcome.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from jailtui.core.actions.control import ActionResult, Controller
from jailtui.core.actions.policy import Action
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.model import Jail
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.storage.locate import JailStorage, locate
from jailtui.core.storage.mounts import MountEntry
from jailtui.core.storage.pipe import PipeOutcome, Progress, pipe
from jailtui.core.storage.zfs import ZfsDataset, ZfsSnapshot
from jailtui.core.text import human_bytes
from jailtui.core.transport.runner import Runner

#: The container of the backups on each pool.
CONTAINER = "jailtui-backups"
#: ``[backup] target``'s default (core/config/settings.py).
DEFAULT_TARGET = "/var/backups"
#: zfs list/snapshot/destroy: metadata operations.
ZFS_TIMEOUT = 120.0
#: Characters of a dataset name component (zfs_namecheck.c valid_char, without the
#: space a jail name never needs here).
_DS_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")


class BackupError(snapmod.StorageError):
    """The backup cannot be made (no ZFS dataset, no common snapshot, full pool ...)."""


def backup_dataset(jail_dataset: str, name: str) -> str:
    """``zroot/jailtui-backups/web``: where jail ``name``'s copy lives, on its pool."""
    return f"{jail_dataset.split('/', 1)[0]}/{CONTAINER}/{name}"


def old_backup_name(target: str, now: float) -> str:
    """``zroot/jailtui-backups/web.old-20261202T043500Z``: an old backup kept aside."""
    return f"{target}.old-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}"


def is_backup_of(snapshot: str, name: str) -> bool:
    """Is ``snapshot`` (``POOL/jailtui-backups/NAME@S``) a snapshot of ``name``'s backup?"""
    if "@" not in snapshot:
        return False
    ds = snapshot.split("@", 1)[0]
    parts = ds.split("/")
    return len(parts) == 3 and parts[1] == CONTAINER and parts[2] == name


@dataclass
class BackupResult:
    """What one backup did."""

    ok: bool
    jail: str
    #: The jail's dataset and the backup's.
    source: str = ""
    target: str = ""
    #: The snapshot sent (short name) and the one it was incremental from ("": full).
    snapshot: str = ""
    since: str = ""
    bytes: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    message: str = ""
    #: The backup's snapshots after it, oldest first (full names).
    snapshots: list[str] = field(default_factory=list)
    #: The old backup renamed aside (TARGET.old-UTC) for a full copy: no common snapshot.
    set_aside: str = ""

    @property
    def rate(self) -> float:
        return self.bytes / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "jail": self.jail, "source": self.source, "target": self.target,
                "snapshot": self.snapshot, "incremental_from": self.since or None,
                "bytes": self.bytes, "seconds": round(self.seconds, 3),
                "rate": round(self.rate), "cancelled": self.cancelled,
                "message": self.message, "snapshots": self.snapshots,
                "set_aside": self.set_aside or None}


def progress_text(p: Progress) -> str:
    """``1.2 MB in 3.4s (350 KB/s)``."""
    return f"{human_bytes(p.bytes)} in {p.seconds:.1f}s ({human_bytes(int(p.rate))}/s)"


class Backup:
    """One backup of one jail, through the controller's gate."""

    def __init__(self, controller: Controller,
                 on_progress: Callable[[Progress], None] | None = None,
                 clock: Callable[[], float] = time.time,
                 target_dir: str = DEFAULT_TARGET) -> None:
        self.controller = controller
        self.on_progress = on_progress
        self.clock = clock
        self.target_dir = target_dir

    @property
    def runner(self) -> Runner:
        return self.controller.host.runner

    async def _zfs(self, argv: list[str]) -> str:
        res = await self.runner.run(argv, timeout=ZFS_TIMEOUT)
        if res.returncode != 0:
            err = tool_error(res)
            raise BackupError(err.stderr.strip() or str(err))
        return res.stdout.decode("utf-8", "replace")

    async def run(self, name: str, cancel: asyncio.Event | None = None,
                  expect: Jail | None = None, where: JailStorage | None = None
                  ) -> BackupResult:
        """Back jail ``name`` up; a refusal by the gate raises, everything else is
        said in the result (and audited once).

        ``where``: the root's location the caller has just read (the console's backup
        screen, for its subtitle). A root on no ZFS at all is then archived without
        reading ``mount -p`` and ``zfs list`` again (bsdtar reads the root itself); on
        ZFS both are read once here anyway: the dataset names decide what is sent and
        made (container, target, a restore cut short), so the location is re-derived
        from them, never taken on trust."""
        self.controller.gate(Action.BACKUP, name)
        result = BackupResult(False, name)
        jid: int | None = expect.jid if expect is not None else None
        try:
            snaps = snapmod.Snapshots(self.controller)
            jail = await snaps.find(name, expect)
            jid = jail.jid
            if not jail.path:
                raise BackupError(f"{name}: its root path is not known")
            if where is not None and where.root == jail.path and where.fstype != "zfs":
                await self._tar_backup(jail, where.summary(), result, cancel or asyncio.Event())
            else:
                datasets, mounts = await snapmod.read_tables(self.runner)
                here = locate(jail.path, datasets, mounts)
                if here is not None and here.dataset is None and not snapmod.half_done(
                        name, jail.path, datasets, here):
                    await self._tar_backup(jail, here.summary(), result,
                                           cancel or asyncio.Event())
                else:
                    await self._zfs_backup(jail, result, cancel or asyncio.Event(),
                                           datasets, mounts)
        except JailtuiError as exc:
            result.ok = False
            result.message = result.message or describe(exc)
        outcome = ("ok" if result.ok else "cancelled" if result.cancelled
                   else f"failed: {result.message.splitlines()[0] if result.message else '?'}")
        self.controller.record(Action.BACKUP, name, jid, outcome,
                               f"{result.source}@{result.snapshot} -> {result.target}"
                               + (f" (incremental from @{result.since})" if result.since else "")
                               + f", {result.bytes} bytes")
        return result

    async def _zfs_backup(self, jail: Jail, result: BackupResult, cancel: asyncio.Event,
                          datasets: list[ZfsDataset], mounts: list[MountEntry]) -> None:
        """``datasets`` and ``mounts``: the tables :meth:`run` has just read."""
        name = jail.name
        where = locate(jail.path, datasets, mounts)
        if where is None or where.dataset is None:
            raise BackupError(snapmod.not_on_zfs(name, where, datasets).replace(
                "no snapshots", "no ZFS backup"))
        if not set(name) <= _DS_OK:
            raise BackupError(f"{name}: the jail's name cannot name a ZFS dataset")
        ds = where.dataset.name
        target = backup_dataset(ds, name)
        container = target.rsplit("/", 1)[0]
        result.source, result.target = ds, target
        have = {d.name for d in datasets}
        if container not in have:
            await self._zfs(argvmod.zfs_create_unmounted_argv(container))
        since = ""
        existed = target in have
        aside = ""
        if existed:
            copy = await snapmod.list_of(self.runner, target)  # newest first
            mine = {(s.short, s.creation) for s in await snapmod.list_of(self.runner, ds)}
            if copy and (copy[0].short, copy[0].creation) in mine:
                since = copy[0].short
            else:
                # No snapshot in common (the jail was restored from this backup: its
                # root is a clone with no snapshot of its own; or its snapshots were
                # destroyed): an incremental send cannot continue, so the old backup is
                # renamed aside (zfs-rename(8): a clone of it follows), never destroyed,
                # and a full copy is made under the usual name.
                aside = old_backup_name(target, self.clock())
                await self._zfs(argvmod.zfs_rename_argv(target, aside))
                existed = False
                result.set_aside = aside
        short = snapmod.default_name(self.clock())
        if short == since:
            raise BackupError(f"{name}: a backup was made this second ({ds}@{short}); "
                              "try again")
        await self._zfs(argvmod.zfs_snapshot_argv(ds, short))
        result.snapshot, result.since = short, since

        def progress(p: Progress) -> None:
            result.bytes, result.seconds = p.bytes, p.seconds
            if self.on_progress is not None:
                self.on_progress(p)

        try:
            out = await pipe(self.runner, argvmod.zfs_send_argv(f"{ds}@{short}", since or None),
                             argvmod.zfs_receive_argv(target), on_progress=progress,
                             cancel=cancel)
        except BaseException:
            await self._clean(result, existed, short)
            await self._put_back(result)
            raise
        result.bytes, result.seconds = out.bytes, out.seconds
        if out.ok:
            result.ok = True
            result.snapshots = [s.name for s in reversed(await snapmod.list_of(self.runner,
                                                                               target))]
            kind = f"incremental from @{since}" if since else "full"
            result.message = (f"{name}: backed up {ds}@{short} to {target} ({kind}): "
                              f"{progress_text(Progress(out.bytes, out.seconds))}")
            if result.set_aside:
                result.message += (
                    f"; the old backup had no snapshot in common with {ds} (a root restored "
                    f"from it is a clone), so it was renamed to {result.set_aside} and kept "
                    f"(zfs list -t all -r {result.set_aside}; destroy it yourself once "
                    "nothing is cloned from it)")
            return
        result.cancelled = out.cancelled
        result.message = self._failure(name, out, target)
        result.message += await self._clean(result, existed, short)
        result.message += await self._put_back(result)

    async def _put_back(self, result: BackupResult) -> str:
        """A full copy that failed after the old backup was renamed aside: the old one
        gets its name back (the partial new one was destroyed by :meth:`_clean`)."""
        if not result.set_aside:
            return ""
        try:
            await self._zfs(argvmod.zfs_rename_argv(result.set_aside, result.target))
        except JailtuiError as exc:
            return (f"; the old backup stays as {result.set_aside} (renaming it back "
                    f"failed: {describe(exc)})")
        aside, result.set_aside = result.set_aside, ""
        return f"; the old backup {aside} has its name {result.target} back"

    async def _tar_backup(self, jail: Jail, where: str, result: BackupResult,
                          cancel: asyncio.Event) -> None:
        """bsdtar of a root that is no dataset of its own, to ``[backup] target``."""
        name = jail.name
        if not set(name) <= _DS_OK:
            raise BackupError(f"{name}: the jail's name cannot name an archive file")
        target_dir = self.target_dir.rstrip("/") or "/"
        snap = await self.controller.host.poll()
        for other in snap.jails:
            r = (other.path or "").rstrip("/")
            if r and (target_dir == r or target_dir.startswith(r + "/")):
                raise BackupError(f"{name}: [backup] target {target_dir} is inside jail "
                                  f"{other.name}'s root: a backup there is in its reach")
        stamp = snapmod.default_name(self.clock())[len(snapmod.PREFIX):]
        archive = f"{target_dir}/jailtui-{name}-{stamp}.tar"
        result.source, result.target, result.snapshot = jail.path, archive, stamp

        def progress(p: Progress) -> None:
            result.bytes, result.seconds = p.bytes, p.seconds
            if self.on_progress is not None:
                self.on_progress(p)

        out = await pipe(self.runner, argvmod.bsdtar_create_argv(jail.path),
                         argvmod.bsdtar_write_argv(archive), on_progress=progress,
                         cancel=cancel)
        result.bytes, result.seconds = out.bytes, out.seconds
        if out.ok:
            result.ok = True
            result.snapshots = [archive]
            result.message = (f"{name}: archived {jail.path} ({where}) to {archive} with "
                              f"bsdtar: {progress_text(Progress(out.bytes, out.seconds))}")
            return
        result.cancelled = out.cancelled
        err = out.sink_err.strip() or out.source_err.strip()
        if out.cancelled:
            head = f"{name}: backup cancelled after {human_bytes(out.bytes)}"
        elif "Failed to open" in err:
            head = (f"{name}: backup failed: {target_dir} is not writable here "
                    f"({err.splitlines()[0]})")
        elif "No space" in err or "Write error" in err:
            head = f"{name}: backup failed: {target_dir} is full ({err.splitlines()[0]})"
        else:
            head = f"{name}: backup failed: {err or 'bsdtar exit ' + str(out.sink_rc)}"
        result.message = head + (f"; a partial {archive} may remain: remove it"
                                 if "Failed to open" not in err else "")

    def _failure(self, name: str, out: PipeOutcome, target: str) -> str:
        if out.cancelled:
            return f"{name}: backup cancelled after {human_bytes(out.bytes)}"
        if out.stalled:
            return (f"{name}: backup stopped: no byte moved for a long time "
                    f"({human_bytes(out.bytes)} copied)")
        err = (out.sink_err.strip() or out.source_err.strip()
               or f"zfs send exit {out.source_rc}, zfs receive exit {out.sink_rc}")
        if "out of space" in err:
            pool = target.split("/", 1)[0]
            return f"{name}: backup failed: pool {pool} is full ({err.splitlines()[0]})"
        if "ermission denied" in err or "not permitted" in err:
            return f"{name}: backup failed: {target} is not writable here ({err.splitlines()[0]})"
        return f"{name}: backup failed: {err}"

    async def _clean(self, result: BackupResult, existed: bool, short: str) -> str:
        """Leave no half-made backup (see the module docstring); say what was done."""
        notes: list[str] = []
        try:
            datasets, _ = await snapmod.read_tables(self.runner)
            names = {d.name for d in datasets}
            got: list[ZfsSnapshot] = []
            if result.target in names:
                got = await snapmod.list_of(self.runner, result.target)
            if not existed and result.target in names:
                await self._zfs(argvmod.zfs_destroy_tree_argv(result.target))
                notes.append(f"the partial {result.target} was destroyed")
                got = []
            elif existed:
                notes.append(f"{result.target} keeps its whole snapshots (newest: "
                             f"{got[0].short if got else 'none'})")
            if not any(s.short == short for s in got) and result.source in names:
                await self._zfs(argvmod.zfs_destroy_snapshot_argv(result.source, short))
                notes.append(f"{result.source}@{short} was destroyed again")
        except (JailtuiError, OSError) as exc:
            notes.append(f"cleaning up failed: {describe(exc)}: check {result.target} "
                         f"and {result.source}@{short}")
        return ("; " + "; ".join(notes)) if notes else ""


# -- keep = N: pruning the console's own snapshots and backups ------------------------------

@dataclass
class PrunePlan:
    """What ``[backup] keep = N`` would destroy for one jail: the console's own snapshots
    (``jailtui-...``, never a user's) beyond the newest N of the jail's dataset and of its
    backup, oldest first; and what is kept although beyond N, with why."""

    jail: str
    keep: int
    dataset: str = ""
    target: str = ""
    #: (dataset, short name) to destroy, oldest first.
    doomed: list[tuple[str, str]] = field(default_factory=list)
    #: "DS@NAME (why)".
    held: list[str] = field(default_factory=list)
    #: A UFS root's bsdtar archives (TARGET/jailtui-NAME-UTC.tar) to remove, oldest first.
    archives: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [f"{ds}@{short}" for ds, short in self.doomed] + self.archives

    @property
    def any(self) -> bool:
        """Is anything to prune (a snapshot or an archive)?"""
        return bool(self.doomed or self.archives)

    def text(self) -> str:
        """One paragraph for the question and the CLI."""
        if not self.any:
            head = f"{self.jail}: nothing to prune (keep = {self.keep})"
        elif self.archives:
            head = (f"{self.jail}: keep = {self.keep} removes {len(self.archives)} of the "
                    f"console's own archives: {', '.join(self.archives)}")
        else:
            head = (f"{self.jail}: keep = {self.keep} destroys {len(self.doomed)} of the "
                    f"console's own snapshots: {', '.join(self.names)}")
        return head + (f"; kept: {', '.join(self.held)}" if self.held else "")


def archive_pattern(name: str) -> re.Pattern[str]:
    """``jailtui-NAME-20261202T041500Z.tar`` exactly: the archives _tar_backup names
    for jail ``name`` (never another jail's: ``web`` does not match ``web-2``'s)."""
    return re.compile(rf"jailtui-{re.escape(name)}-(\d{{8}}T\d{{6}}Z)\.tar")


async def archives_of(runner: Runner, name: str, target_dir: str) -> list[str]:
    """The console's own archives of jail ``name`` in ``target_dir``, oldest first
    (the UTC stamp in the name orders them); a missing target holds none."""
    directory = target_dir.rstrip("/") or "/"
    res = await runner.run(argvmod.ls_names_argv(directory), timeout=ZFS_TIMEOUT)
    if res.returncode != 0:
        err = res.stderr.decode("utf-8", "replace")
        if "No such file" in err:
            return []
        raise BackupError(f"cannot list {directory}: {err.strip() or 'ls exit '}"
                          f"{'' if err.strip() else res.returncode}")
    pat = archive_pattern(name)
    found = [n for n in res.stdout.decode("utf-8", "replace").split("\n") if pat.fullmatch(n)]
    return [f"{directory.rstrip('/')}/{n}" for n in sorted(found)]


async def prune_plan(controller: Controller, name: str, keep: int,
                     expect: Jail | None = None,
                     target_dir: str = DEFAULT_TARGET) -> PrunePlan:
    """Which of the console's snapshots -- or, for a UFS root, of its bsdtar archives
    in ``target_dir`` -- ``keep`` would remove (nothing is changed)."""
    if keep <= 0:
        raise BackupError("keep must be 1 or more to prune (0 keeps all: [backup] keep)")
    controller.gate(Action.SNAPSHOT, name)
    controller.gate(Action.BACKUP, name)
    snaps = snapmod.Snapshots(controller)
    jail = await snaps.find(name, expect)
    where = await snaps.locate(name, jail)
    if where is not None and where.dataset is None:
        plan = PrunePlan(name, keep, target=target_dir)
        tars = await archives_of(controller.host.runner, name, target_dir)
        plan.archives = tars[:max(0, len(tars) - keep)]
        return plan
    if where is None or where.dataset is None:
        datasets = (await snapmod.read_tables(controller.host.runner))[0]
        raise BackupError(snapmod.not_on_zfs(name, where, datasets))
    runner = controller.host.runner
    ds = where.dataset.name
    target = backup_dataset(ds, name)
    plan = PrunePlan(name, keep, ds, target)
    datasets = (await snapmod.read_tables(runner))[0]
    copy = (await snapmod.list_of(runner, target)
            if target in {d.name for d in datasets} else [])
    # The backup's newest snapshot is where the next incremental send starts: the
    # jail's copy of it stays whatever keep says (zfs-send(8) -I needs it on both sides).
    base = copy[0].short if copy else ""
    own = [s for s in await snapmod.list_of(runner, ds) if s.short.startswith(snapmod.PREFIX)]
    for s in reversed(own[keep:]):
        if s.short == base:
            plan.held.append(f"{s.name} (the backup's newest: the next backup continues "
                             "from it)")
        else:
            plan.doomed.append((ds, s.short))
    mine = [s for s in copy if s.short.startswith(snapmod.PREFIX)]
    plan.doomed += [(target, s.short) for s in reversed(mine[keep:])]
    return plan


async def prune(controller: Controller, plan: PrunePlan,
                expect: Jail | None = None) -> ActionResult:
    """Destroy what ``plan`` names (the caller asked first), each audited: the jail's
    snapshots as the ``snapshot`` action, the backup's as ``backup``; a snapshot a
    clone depends on (a root restored from it) is refused by zfs and said."""
    snaps = snapmod.Snapshots(controller)
    jail = await snaps.find(plan.jail, expect)
    gone: list[str] = []
    kept: list[str] = []
    for path in plan.archives:
        res = await snaps.run_audited(Action.BACKUP, jail, argvmod.rm_argv(path),
                                      f"removed {path}", f"prune {path} (keep {plan.keep})")
        if res.ok:
            gone.append(path)
        else:
            kept.append(f"{path} ({res.message.splitlines()[0]})")
    for ds, short in plan.doomed:
        action = Action.BACKUP if ds == plan.target else Action.SNAPSHOT
        res = await snaps.destroy_audited(action, jail, ds, short,
                                          f"prune {ds}@{short} (keep {plan.keep})")
        if res.ok:
            gone.append(f"{ds}@{short}")
        else:
            kept.append(f"{ds}@{short} ({res.message.splitlines()[0]})")
    text = (f"{plan.jail}: pruned {len(gone)} (keep = {plan.keep})"
            + (f": {', '.join(gone)}" if gone else ""))
    if kept:
        text += f"; could not prune: {', '.join(kept)}"
    return ActionResult(not kept, text)
