"""A UFS jail root replaced by its standby copy, renamed in (docs/freebsd.md 12.6, 12.9).

Without ZFS only a rename(2) within one file system is as fast as a clone: a
standby copy made beforehand beside the root, on the same file system, swapped
in with two renames. That needs a root that is a *directory* on its file system:
a root that is the mount point itself (the demo's ``staging``) would have its copy
inside the root, in the jail's reach, and is refused with the by-hand way
(core/storage/restore.py ``by_hand_off_zfs``).

Making the standby (``jailtui backup NAME --standby``; the ``backup`` action, one
audit record): the newest of the console's bsdtar archives of the jail in
``[backup] target`` (core/storage/backup.py), else the root itself, is extracted
with ``bsdtar -x --fflags -p --numeric-owner`` into ``ROOT.standby.partial``
(``mkdir -m 0700``: nothing in it is reachable while it is written), which is
then renamed ``ROOT.standby``: a standby cut short is never taken for a whole one.

The swap (``jailtui restore NAME --standby``; the ``restore`` action, a record per
step): stop through the owner, verify it is gone, nothing mounted at or below the
root or the standby, the standby a directory on the root's file system, then
``ROOT -> ROOT.quarantine-UTC`` and ``ROOT.standby -> ROOT``, start, verify running.
Every rename is checked first (``stat -f '%d %i'``: the source, and the target's
directory, on one file system; the target absent) and after (the target is the
source's inode): mv(1) copies across file systems (bin/mv/mv.c), which would be
slow, not atomic and would lose the evidence's inode numbers. A failure in the
second rename puts the compromised root back; after the swap the standby is in
place and the old root is kept, never destroyed. The flow is journaled like the
ZFS one (core/storage/journal.py, mode ``standby``), so a run cut short is said at
the next start with its ways out: finish (``--resume``) or put the old root back
(``--swap-back``, the standby copy set aside as ``ROOT.failed-UTC``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.model import Jail, JailState
from jailtui.core.storage import backup as backupmod
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.storage.journal import Entry, Journal
from jailtui.core.storage.locate import JailStorage
from jailtui.core.storage.mounts import mounts_below, parse_mount_p
from jailtui.core.storage.pipe import Progress, pipe
from jailtui.core.storage.restore import (
    Body,
    Restore,
    RestoreResult,
    StepFailed,
    resume_command,
    swap_back_command,
)

#: stat, mv, mkdir, mount -p: metadata operations.
FS_TIMEOUT = 60.0
#: bsdtar -x of a whole root from an archive on the host.
EXTRACT_TIMEOUT = 3600.0
#: The journal's mode for this flow.
MODE = "standby"
#: The steps, in order, with the words the user sees.
STANDBY_STEPS = ("stop", "verify stopped", "mounts", "standby", "quarantine", "put in place",
                 "start", "verify running")
#: Finishing a swap cut short.
STANDBY_RESUME_STEPS = ("put in place", "start", "verify running")
#: Putting the quarantined root back.
STANDBY_SWAP_BACK_STEPS = ("stop", "verify stopped", "mounts", "set aside", "put back",
                           "start", "verify running")
_JOURNALED = frozenset({"quarantine", "put in place", "start"})


class StandbyError(snapmod.StorageError):
    """The standby copy cannot be made or swapped in (say why, change nothing more)."""


def standby_path(root: str) -> str:
    """``/ufs/jails/legacy.standby``: the standby copy of a root, beside it."""
    return root.rstrip("/") + ".standby"


def partial_path(root: str) -> str:
    return standby_path(root) + ".partial"


def aside_path(root: str, now: float, kind: str) -> str:
    """``ROOT.quarantine-20261202T043500Z`` (or ``.failed-``): a root moved aside."""
    return f"{root.rstrip('/')}.{kind}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}"


def swappable(where: JailStorage | None) -> bool:
    """Is the root a directory on a file system that is no ZFS dataset, not the file
    system's mount point (a standby beside it is then on the same file system)?"""
    if where is None or where.dataset is not None or where.fstype == "zfs":
        return False
    root = where.root.rstrip("/") or "/"
    return root != "/" and (where.mountpoint.rstrip("/") or "/") != root


def no_standby(name: str, where: JailStorage | None) -> str:
    """Why jail ``name`` cannot have a standby copy renamed in (the one wording)."""
    if where is None:
        return f"{name}: its root is on no mounted file system"
    if where.dataset is not None or where.fstype == "zfs":
        return (f"{name}: its root is on ZFS ({where.summary()}): restore it from a snapshot "
                f"(jailtui restore {name} --from SNAPSHOT), no standby copy")
    return (f"{name}: its root is the mount point of {where.device} ({where.summary()}): a "
            "standby copy on that file system would be inside the root, in the jail's "
            "reach, and no rename(2) swap is possible")


def restore_standby_command(name: str) -> str:
    return f"jailtui restore {name} --standby"


def make_standby_command(name: str) -> str:
    return f"jailtui backup {name} --standby"


def no_copy(name: str, standby: str) -> str:
    return f"no standby copy {standby}: make one first ({make_standby_command(name)})"


def use_standby(name: str) -> str:
    """What to type to swap a UFS root's standby in (the CLI's and the console's words)."""
    return f"{restore_standby_command(name)} ({make_standby_command(name)} makes the copy)"


async def dev_ino(controller: Controller, path: str) -> tuple[int, int] | None:
    """``stat -f '%d %i'`` of ``path`` itself; None when it does not exist."""
    res = await controller.host.runner.run(argvmod.stat_dev_ino_argv(path), timeout=FS_TIMEOUT)
    if res.returncode != 0:
        err = res.stderr.decode("utf-8", "replace")
        if "No such file" in err:
            return None
        raise StandbyError(f"stat {path}: {err.strip() or 'exit ' + str(res.returncode)}")
    fields = res.stdout.decode("ascii", "replace").split()
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        raise StandbyError(f"stat {path}: not a device and an inode number: "
                           f"{res.stdout[:80]!r}")
    return int(fields[0]), int(fields[1])


def _parent(path: str) -> str:
    return path.rstrip("/").rpartition("/")[0] or "/"


def cross_fs(source: str, target: str) -> str:
    """The refusal of a move across file systems (mv(1) would copy: bin/mv/mv.c)."""
    return (f"{source} and {_parent(target)} are on different file systems: a move there "
            "is a copy (mv(1)), not a rename(2); nothing was moved")


async def rename(controller: Controller, source: str, target: str) -> str:
    """rename(2) of ``source`` to ``target`` through ``mv -n --``, only after checking
    both are on one file system and ``target`` does not exist; after, ``target`` must
    be ``source``'s inode (else mv copied: said, both left as they are)."""
    before = await dev_ino(controller, source)
    if before is None:
        raise StandbyError(f"{source} does not exist")
    if await dev_ino(controller, target) is not None:
        raise StandbyError(f"{target} exists already: not replaced")
    up = await dev_ino(controller, _parent(target))
    if up is None or up[0] != before[0]:
        raise StandbyError(cross_fs(source, target))
    res = await controller.host.runner.run(argvmod.mv_argv(source, target), timeout=FS_TIMEOUT)
    if res.returncode != 0:
        err = tool_error(res)
        raise StandbyError(err.stderr.strip() or str(err))
    after = await dev_ino(controller, target)
    if after != before:
        raise StandbyError(f"mv {source} {target} did not rename it (the inode is not the "
                           "same): check both")
    return f"{source} -> {target}"


async def mounted_under(controller: Controller, *paths: str) -> list[str]:
    """``DEVICE on POINT (TYPE)`` of each mount at or below ``paths`` (``mount -p``)."""
    res = await controller.host.runner.run(argvmod.mount_p_argv(), timeout=FS_TIMEOUT)
    if res.returncode != 0:
        raise tool_error(res)
    table = parse_mount_p(res.stdout)
    return [f"{m.device} on {m.point} ({m.fstype})" for p in paths
            for m in mounts_below(table, p)]


async def _locate(controller: Controller, name: str, expect: Jail | None
                  ) -> tuple[Jail, JailStorage | None]:
    snaps = snapmod.Snapshots(controller)
    jail = await snaps.find(name, expect)
    if not jail.path:
        raise StandbyError(f"{name}: its root path is not known")
    return jail, await snapmod.where(controller.host.runner, jail.path)


async def existing(controller: Controller, name: str, expect: Jail | None = None
                   ) -> tuple[str, bool] | None:
    """(the standby copy's path, whether it is there) when jail ``name``'s root can have
    one; None otherwise (a VIEW, through the same gate as the snapshots' listing)."""
    where = await snapmod.Snapshots(controller).locate(name, expect)
    if where is None or not swappable(where):
        return None
    path = standby_path(where.root)
    return path, await dev_ino(controller, path) is not None


def make_question(name: str, standby: str, archive: str) -> str:
    """What the console asks after a UFS backup of a root that can have a standby."""
    return (f"Also make the standby copy {standby} of {name} from {archive} (extracted "
            "beside the root, on its file system; B then swaps it in)?")


def swap_question(name: str, root: str) -> str:
    """What the console asks before the swap (the words are the flow's)."""
    return (f"Stop {name} through its owner, rename its root {root} to "
            f"{root.rstrip('/')}.quarantine-UTCTIME (kept, never destroyed) and its standby "
            f"copy {standby_path(root)} to {root} (two rename(2)s on one file system), then "
            "start it and check it runs?")


# -- making the standby copy ----------------------------------------------------------------

async def make(controller: Controller, name: str, expect: Jail | None = None,
               target_dir: str = backupmod.DEFAULT_TARGET,
               on_progress: Callable[[Progress], None] | None = None,
               cancel: asyncio.Event | None = None) -> backupmod.BackupResult:
    """Make ``ROOT.standby`` of jail ``name`` (the ``backup`` action, one audit record);
    a refusal by the gate raises, everything else is said in the result."""
    controller.gate(Action.BACKUP, name)
    result = backupmod.BackupResult(False, name)
    jid = expect.jid if expect is not None else None
    try:
        jail, where = await _locate(controller, name, expect)
        jid = jail.jid
        if not swappable(where):
            raise StandbyError(no_standby(name, where))
        root = jail.path.rstrip("/")
        standby, partial = standby_path(root), partial_path(root)
        result.target = standby
        snap = await controller.host.poll()
        for other in snap.jails:
            r = (other.path or "").rstrip("/")
            if r and standby.startswith(r + "/"):
                raise StandbyError(f"{name}: {standby} would be inside jail {other.name}'s "
                                   "root: in its reach")
        if await dev_ino(controller, standby) is not None:
            raise StandbyError(f"{name}: {standby} exists already: swap it in ("
                               f"{restore_standby_command(name)}) or remove it first "
                               f"(chflags -R noschg {standby}; rm -rf {standby})")
        if await dev_ino(controller, partial) is not None:
            raise StandbyError(f"{name}: {partial} is left from a standby copy cut short: "
                               f"remove it first (chflags -R noschg {partial}; rm -rf "
                               f"{partial})")
        tars = await backupmod.archives_of(controller.host.runner, name, target_dir)
        source = tars[-1] if tars else root
        result.source = source
        res = await controller.host.runner.run(argvmod.mkdir_private_argv(partial),
                                               timeout=FS_TIMEOUT)
        if res.returncode != 0:
            raise StandbyError(tool_error(res).stderr.strip() or f"mkdir {partial} failed")
        ok, why = await _fill(controller, source, root, partial, result, on_progress, cancel)
        if not ok:
            result.message = (f"{name}: standby copy failed: {why}; the partial copy "
                              f"{partial} remains: remove it (chflags -R noschg {partial}; "
                              f"rm -rf {partial})")
        else:
            await rename(controller, partial, standby)
            result.ok = True
            what = (f"the archive {source}" if tars else
                    f"the root itself (no archive of it in {target_dir})")
            result.message = (f"{name}: standby copy {standby} made from {what}, flags, "
                              "modes and owners by number kept, on the root's file system "
                              f"({where.device if where else '?'}); swap it in: "
                              f"{restore_standby_command(name)}")
            result.snapshots = [standby]
    except JailtuiError as exc:
        result.message = result.message or describe(exc)
    outcome = ("ok" if result.ok else "cancelled" if result.cancelled
               else f"failed: {result.message.splitlines()[0] if result.message else '?'}")
    controller.record(Action.BACKUP, name, jid, outcome,
                      f"standby {result.source} -> {result.target}, {result.bytes} bytes")
    return result


async def _fill(controller: Controller, source: str, root: str, partial: str,
                result: backupmod.BackupResult,
                on_progress: Callable[[Progress], None] | None,
                cancel: asyncio.Event | None) -> tuple[bool, str]:
    """Extract ``source`` (an archive, or ``root`` itself through a bsdtar pipe)."""
    runner = controller.host.runner
    if source != root:
        res = await runner.run(argvmod.bsdtar_extract_argv(source, partial),
                               timeout=EXTRACT_TIMEOUT)
        if res.returncode != 0:
            return False, (res.stderr.decode("utf-8", "replace").strip()
                           or f"bsdtar exit {res.returncode}")
        return True, ""

    def progress(p: Progress) -> None:
        result.bytes, result.seconds = p.bytes, p.seconds
        if on_progress is not None:
            on_progress(p)

    out = await pipe(runner, argvmod.bsdtar_create_argv(root),
                     argvmod.bsdtar_extract_argv("-", partial), on_progress=progress,
                     cancel=cancel)
    result.bytes, result.seconds = out.bytes, out.seconds
    if out.ok:
        return True, ""
    result.cancelled = out.cancelled
    if out.cancelled:
        return False, "cancelled"
    return False, (out.sink_err.strip() or out.source_err.strip()
                   or f"bsdtar exit {out.source_rc}/{out.sink_rc}")


# -- the swap --------------------------------------------------------------------------------

class StandbySwap(Restore):
    """The restore flow of a UFS root from its standby copy (a fresh object per run)."""

    async def run_standby(self, name: str, expect: Jail | None = None) -> RestoreResult:
        self.controller.gate(Action.RESTORE, name)
        jail, where = await _locate(self.controller, name, expect)
        if not swappable(where):
            raise StandbyError(no_standby(name, where))
        left = await self.pending(name)
        if left is not None:
            raise StandbyError(left[1])
        root = jail.path.rstrip("/")
        standby = standby_path(root)
        if await dev_ino(self.controller, standby) is None:
            # Before the stop: with no copy to swap in, nothing is changed.
            raise StandbyError(no_copy(name, standby))
        qpath = aside_path(root, self.clock(), "quarantine")
        was_running = jail.state is JailState.RUNNING
        result = RestoreResult(False, name, standby)
        journal = self.journal(name)
        # No dataset; the known-good copy (the journal's "snapshot") is the standby path.
        entry = Entry(self.host_key, name, "", root, standby, MODE, qpath,
                      was_running=was_running, started=self.clock())
        self._note(journal, entry)
        also: list[str] = []
        state = {"swapped": False}
        t0 = self.timer()

        async def do_stop() -> tuple[str, bool]:
            return await self._stop_first(name, jail, was_running, also, entry)

        async def do_verify_stopped() -> str:
            return await self._verify_stopped(name)

        async def do_mounts() -> str:
            found = await mounted_under(self.controller, root, standby)
            if found:
                raise StepFailed(f"mounted under {root} or {standby}: {'; '.join(found)}: "
                                 "unmount first")
            return f"nothing mounted under {root} or {standby}"

        async def do_standby() -> str:
            got = await dev_ino(self.controller, standby)
            if got is None:
                raise StepFailed(no_copy(name, standby))
            mine = await dev_ino(self.controller, root)
            if mine is None or mine[0] != got[0]:
                raise StepFailed(cross_fs(standby, root))
            return f"{standby} is on the root's file system (st_dev {got[0]})"

        async def do_quarantine() -> str:
            done = await rename(self.controller, root, qpath)
            result.quarantine = result.quarantine_path = qpath
            return done + " (kept for forensics)"

        async def do_put_in_place() -> str:
            try:
                done = await rename(self.controller, standby, root)
            except JailtuiError as exc:
                try:
                    await rename(self.controller, qpath, root)
                except JailtuiError as undo:
                    raise StepFailed(f"{describe(exc)}; putting the old root back failed too "
                                     f"({describe(undo)}): it is {qpath}, the standby "
                                     f"{standby}") from None
                result.quarantine = result.quarantine_path = ""
                raise StepFailed(f"{describe(exc)}; the old root is back at {root}") from None
            state["swapped"] = True
            return done

        async def do_start() -> tuple[str, bool]:
            return await self._start_if_was(name, also, was_running)

        async def do_verify() -> tuple[str, bool]:
            return await self._verify_if_was(name, root, was_running)

        bodies: list[tuple[str, Body]] = [
            ("stop", do_stop), ("verify stopped", do_verify_stopped), ("mounts", do_mounts),
            ("standby", do_standby), ("quarantine", do_quarantine),
            ("put in place", do_put_in_place), ("start", do_start),
            ("verify running", do_verify)]
        failed_at = await self._steps(result, name, jail.jid, bodies, journal, entry)
        result.total = self.timer() - t0
        result.ok = not failed_at
        swapped = state["swapped"]
        result.swap_back = swapped and failed_at == "start"
        if result.swap_back:
            entry.status, entry.step = "start failed", ""
            self._note(journal, entry)
        else:
            journal.remove()
        result.summary = self._standby_summary(result, failed_at, root, qpath, standby,
                                               was_running, swapped)
        if self.journal_problem:
            result.summary += f"; {self.journal_problem}"
        return result

    async def _steps(self, result: RestoreResult, name: str, jid: int | None,
                     bodies: list[tuple[str, Body]], journal: Journal | None,
                     entry: Entry | None) -> str:
        """Each step in turn (``journal``: noted around the ones that move a root or
        start the jail); the label of the one that failed, "" when all went."""
        for label, body in bodies:
            noted = journal is not None and entry is not None and label in _JOURNALED
            if noted and journal is not None and entry is not None:
                entry.step = label
                self._note(journal, entry)
            if not await self._step(result, name, jid, label, body):
                return label
            if journal is not None and entry is not None:
                entry.step = ""
                entry.done.append(label)
                if noted:
                    self._note(journal, entry)
        return ""

    def _standby_summary(self, r: RestoreResult, failed_at: str, root: str, qpath: str,
                         standby: str, was_running: bool, swapped: bool) -> str:
        name = r.jail
        if not failed_at:
            runs = f"{name} runs again" if was_running else f"{name} is stopped, as it was"
            return (f"done in {r.total:.2f}s: {runs} from its standby copy (renamed in at "
                    f"{root}); the compromised root is kept as {qpath}; what changed: "
                    f"jailtui diff {name} {qpath}")
        if not swapped:
            moved = bool(r.quarantine)
            where = (f"its root is unchanged at {root}, the standby is {standby}"
                     if not moved else f"the old root is {qpath}")
            state = (f"{name} is stopped" if was_running and failed_at != "stop"
                     else f"{name} is as it was")
            return f"stopped at step '{failed_at}': nothing was swapped; {where}; {state}"
        if r.swap_back:
            return (f"stopped at step 'start': the standby copy is in place at {root} but "
                    f"{name} does not start; the compromised root is kept as {qpath}; to put "
                    f"it back and start it as it was: {swap_back_command(name)} "
                    "(nothing is destroyed: the standby copy is set aside)")
        return (f"stopped at step '{failed_at}': the standby copy is in place at {root} and "
                f"{name} is not running as it should; the compromised root is kept as "
                f"{qpath}; start the jail by hand once the cause is fixed")

    # -- a run cut short ------------------------------------------------------------------

    async def standby_pending_text(self, name: str, e: Entry) -> str:
        """What a journaled standby swap left (read again with stat), and the ways out;
        "" when nothing is half done."""
        root, q, standby = e.root, e.quarantine, e.snapshot
        has_root = await dev_ino(self.controller, root) is not None
        has_q = await dev_ino(self.controller, q) is not None
        has_s = await dev_ino(self.controller, standby) is not None
        now = await self.controller.resolve(name)
        runs = now is not None and now.state is JailState.RUNNING
        when = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(e.started))
        head = (f"{name}: the swap of its standby copy begun {when} "
                + ("put it in place but the jail did not start" if e.status == "start failed"
                   else "was cut short" + (f" in step '{e.step}'" if e.step else "")))
        finish, undo = resume_command(name), swap_back_command(name)
        if not has_q:
            return "" if has_root else (f"{head}: neither {root} nor {q} exists; look at "
                                        f"{_parent(root)}")
        if not has_root:
            if not has_s:
                return (f"{head}: neither {root} nor {standby} exists and {q} holds the old "
                        f"root; to put it back: {undo}")
            return (f"{head}: {root} does not exist, {q} holds the old root and {standby} "
                    f"the standby copy; to finish (rename the standby in, start it): {finish}; "
                    f"to undo (put the old root back, start it): {undo}")
        if runs or not e.was_running:
            return ""
        return (f"{head}: the standby copy is in place at {root} but {name} is not running; "
                f"{q} holds the old root; to finish (start it): {finish}; to put the old root "
                f"back: {undo}")

    async def resume_standby(self, name: str, e: Entry, jid: int | None) -> RestoreResult:
        journal = self.journal(name)
        result = RestoreResult(False, name, e.snapshot, quarantine=e.quarantine,
                               quarantine_path=e.quarantine)
        t0 = self.timer()

        async def do_put() -> tuple[str, bool]:
            if await dev_ino(self.controller, e.root) is not None:
                return "already in place", True
            return await rename(self.controller, e.snapshot, e.root), False

        async def do_start() -> tuple[str, bool]:
            return await self._start_if_was(name, e.also, e.was_running)

        async def do_verify() -> tuple[str, bool]:
            return await self._verify_if_was(name, e.root, e.was_running)

        failed_at = await self._steps(result, name, jid, list(zip(
            STANDBY_RESUME_STEPS, (do_put, do_start, do_verify), strict=True)), None, None)
        result.total = self.timer() - t0
        result.ok = not failed_at
        if result.ok:
            journal.remove()
            result.summary = (f"finished in {result.total:.2f}s: {name} "
                              f"{'runs' if e.was_running else 'is stopped, as it was'} from "
                              f"its standby copy at {e.root}; the compromised root is kept as "
                              f"{e.quarantine}")
        else:
            result.swap_back = True
            result.summary = (f"stopped at step '{failed_at}': "
                              + (await self.standby_pending_text(name, e) or "see "
                                 + _parent(e.root)))
        return result

    async def swap_back_standby(self, name: str, e: Entry, jid: int | None) -> RestoreResult:
        """The old root renamed back; the standby copy in place set aside as
        ``ROOT.failed-UTC`` (kept, never destroyed)."""
        journal = self.journal(name)
        root, q = e.root, e.quarantine
        failed = aside_path(root, self.clock(), "failed")
        result = RestoreResult(False, name, q, quarantine=q, quarantine_path=q)
        t0 = self.timer()

        async def do_stop() -> tuple[str, bool]:
            return await self._stop_if_running(name)

        async def do_verify_stopped() -> str:
            return await self._verify_stopped(name)

        async def do_mounts() -> str:
            found = await mounted_under(self.controller, root, q)
            if found:
                raise StepFailed(f"mounted under {root} or {q}: {'; '.join(found)}: "
                                 "unmount first")
            return f"nothing mounted under {root} or {q}"

        async def do_set_aside() -> tuple[str, bool]:
            if await dev_ino(self.controller, root) is None:
                return f"{root} does not exist (the standby was never put in place)", True
            done = await rename(self.controller, root, failed)
            result.set_aside = failed
            return done + " (the standby copy, kept)", False

        async def do_put_back() -> str:
            return await rename(self.controller, q, root)

        async def do_start() -> tuple[str, bool]:
            return await self._start_if_was(name, e.also, e.was_running)

        async def do_verify() -> tuple[str, bool]:
            return await self._verify_if_was(name, root, e.was_running)

        failed_at = await self._steps(result, name, jid, list(zip(
            STANDBY_SWAP_BACK_STEPS, (do_stop, do_verify_stopped, do_mounts, do_set_aside,
                                      do_put_back, do_start, do_verify), strict=True)),
            None, None)
        result.total = self.timer() - t0
        result.ok = not failed_at
        aside = (f"the standby copy is set aside as {result.set_aside}"
                 if result.set_aside else "nothing was set aside")
        if result.ok:
            journal.remove()
            result.summary = (f"swapped back in {result.total:.2f}s: {name} "
                              f"{'runs again' if e.was_running else 'is stopped, as it was'} "
                              f"on its old root at {root}; {aside}; nothing was destroyed")
        else:
            where = root if failed_at in ("start", "verify running") else q
            result.summary = (f"stopped at step '{failed_at}': the old root is {where}; "
                              f"{aside}; nothing was destroyed")
        return result
