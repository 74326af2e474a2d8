"""Replace a jail's root with a known-good snapshot, keeping the old root aside.

The flow (docs/freebsd.md 12.6), each step timed and reported as it ends:

1. ``stop``: through the jail's owner (Controller.stop: the manager's own
   command, so its hooks run); skipped when the jail is not running;
2. ``verify stopped``: ``jls`` has it no more, or only dying;
3. ``mounts``: nothing mounted at or below the root but the jail's own
   datasets (a nullfs mount of a host directory would be swapped away with
   it), else refused listing what;
4. ``quarantine``: ``zfs rename DS DS.quarantine-UTC``, ``readonly=on`` on it
   and its children (a local mountpoint would keep it mounted on the root:
   it is moved to ``ROOT.quarantine-UTC``);
5. ``clone``: ``zfs clone -o mountpoint=ROOT QUARANTINE@SNAP DS``, then each
   child the same way;
6. ``start``: through the owner, when it ran before;
7. ``verify running``: it runs, and the daemons its own rc.conf enables are
   up (the health check's rule).

Only the root dataset (and its children) moves: name, path, hostname,
addresses and jail.conf stay the original's (a manager's configuration in
the dataset above the root is untouched). A failure before the rename changes
nothing but the stop; a failure in steps 4-5 undoes what they did (the fresh
clones are destroyed, the quarantine renamed back: the compromised root is
where it was); a failure after the swap leaves the known-good root in place.
The quarantined copy is never destroyed by the flow. Every step writes an audit
record (action ``restore``), and every outcome says where everything is.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jailtui.core.actions.control import Controller, dependents_note
from jailtui.core.actions.policy import Action

# The daemon rule and rc.conf's parser, with this module, not on the way in "verify
# running": this module is imported when the restore screen opens or ``jailtui
# restore`` starts (screens/restore.py, cli/restore_cmd.py), before the flow, and a
# running console has both loaded already (the health check). Small, no Textual
# (benchmarks/README.md "restore", round 6: a cold flow's import).
from jailtui.core.checks.daemons import NOT_DAEMONS, missing_daemons
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd import rcconf
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.model import Jail, JailState
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.storage.backup import backup_dataset
from jailtui.core.storage.journal import Entry, Journal, journal_jails, key_of
from jailtui.core.storage.locate import JailStorage
from jailtui.core.storage.mounts import mounts_below, parse_mount_p
from jailtui.core.storage.zfs import ZfsDataset
from jailtui.core.text import visible

if TYPE_CHECKING:
    from jailtui.core.storage.standby import StandbySwap

ZFS_TIMEOUT = 120.0

#: A step's work: its message, or (message, skipped).
Body = Callable[[], Awaitable[str | tuple[str, bool]]]

#: The steps, in order, with the words the user sees.
STEPS = ("stop", "verify stopped", "mounts", "quarantine", "clone", "start", "verify running")
#: The steps when the user chose to discard the current root (zfs rollback -r).
DISCARD_STEPS = ("stop", "verify stopped", "mounts", "rollback", "start", "verify running")
#: Putting the quarantined root back (after a start that failed, or a flow cut short).
SWAP_BACK_STEPS = ("stop", "verify stopped", "mounts", "set aside", "put back", "start",
                   "verify running")
#: Finishing a run cut short (``resume``): what is left of the flow.
RESUME_STEPS = ("clone", "start", "verify running")
#: The steps the journal is written around: the ones that change datasets or start the
#: jail (a run cut short in one of them leaves something to finish or undo).
JOURNALED = frozenset({"quarantine", "clone", "rollback", "start"})
#: The journaled steps whose write-ahead the step makes itself, after a read that
#: changes nothing and before its first change: the quarantine's ``zfs get`` of the
#: mountpoint's source, which the record must carry (an undo of the rename needs it).
#: Noted before the read too, it was two durable writes where one says it all
#: (benchmarks/README.md "restore", round 5); cut short in the read, the journal says
#: the flow had begun and nothing moved, which is what zfs list says then too.
NOTED_IN_STEP = frozenset({"quarantine"})
#: The steps after a flow's last change (the start): they change nothing (``verify
#: running`` reads jls, rc.conf and ps), so no note is written between the start and
#: them. Cut short in one, the journal says the start was begun (its write-ahead) and
#: what is left is read again as ever (``pending()``: zfs list, jls): a jail that runs
#: on the restored root is a flow that ended; one that does not is offered the same
#: ways out (start it, or put the old root back) as had the note said the start was
#: done; only the words differ ("cut short in step 'start'", not "after step
#: 'start'"). One durable write a flow less (benchmarks/README.md "restore", round 5).
AFTER_LAST_CHANGE = frozenset({"verify running"})


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step as it ended: when it started (epoch), how long it took, what it says."""

    step: str
    ok: bool
    started: float
    seconds: float
    message: str
    skipped: bool = False


@dataclass
class RestoreResult:
    """How the whole flow ended, and where everything is now."""

    ok: bool
    jail: str
    snapshot: str
    steps: list[StepResult] = field(default_factory=list)
    total: float = 0.0
    #: The compromised root's dataset and mount point, once moved aside.
    quarantine: str = ""
    quarantine_path: str = ""
    #: One paragraph: where the jail's root, the quarantine and the jail are now.
    summary: str = ""
    #: The swap was made and the jail does not run: "swap back" is offered.
    swap_back: bool = False
    #: The known-good root set aside by a swap back (DATASET.failed-UTC).
    set_aside: str = ""

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "jail": self.jail, "snapshot": self.snapshot,
                "total_seconds": round(self.total, 3), "quarantine": self.quarantine or None,
                "quarantine_path": self.quarantine_path or None, "summary": self.summary,
                "swap_back_offered": self.swap_back, "set_aside": self.set_aside or None,
                "steps": [{"step": s.step, "ok": s.ok, "skipped": s.skipped,
                           "started": s.started, "seconds": round(s.seconds, 3),
                           "message": s.message} for s in self.steps]}


class StepFailed(JailtuiError):
    """A step could not be carried out; the flow stops there."""


def quarantine_name(dataset: str, now: float, kind: str = "quarantine") -> str:
    """``zroot/jails/web.quarantine-20261202T043500Z``."""
    return f"{dataset}.{kind}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}"


def discard_loss(name: str, snapshot: str, newer: list[str]) -> str:
    """What ``zfs rollback -r`` to ``snapshot`` destroys (zfs-rollback(8): the newer
    snapshots go with it), in the words the CLI and the console both ask with."""
    return (f"everything written to {visible(name)} since {visible(snapshot)}"
            + (f", and the newer snapshots {visible(', '.join(newer), 1000)}" if newer else "")
            + ", is destroyed; no quarantined copy is kept")


def by_hand_off_zfs(name: str, where: JailStorage) -> str:
    """A root on UFS (or another file system): no snapshot to clone, and the console
    does not swap it yet; what to type instead, from its bsdtar backup (jailtui backup
    NAME: docs/freebsd.md 12.8), keeping the compromised root (docs/freebsd.md 12.6)."""
    root = where.root.rstrip("/") or "/"
    archive = f"TARGET/jailtui-{name}-UTCTIME.tar"
    head = (f"{name}: its root is not a ZFS dataset of its own ({where.summary()}): no "
            "snapshot to clone, and the console does not replace a UFS root yet. By hand, "
            f"from its backup {archive} ([backup] target; jailtui backup {name} makes one), "
            f"after stopping it through its owner:")
    extract = f"bsdtar -x -p --fflags --numeric-owner -f {archive} -C {root}"
    from jailtui.core.storage.standby import swappable, use_standby

    if swappable(where):
        # A directory on its file system: the console swaps a standby copy in.
        return (f"{name}: its root is a directory on {where.fstype.upper()} "
                f"({where.summary()}): no snapshot to clone; replace it by its standby "
                f"copy, renamed in: {use_standby(name)}")
    if (where.mountpoint.rstrip("/") or "/") == root:
        # A copy on the same file system would be inside the root, in the jail's reach
        # (docs/freebsd.md 12.6): no rename swap; the evidence is kept as an archive.
        return (f"{head} its root is the mount point of {where.device}, so a standby copy "
                "on that file system would be inside the root (in the jail's reach) and "
                "no rename(2) swap is possible: keep the compromised root as an archive "
                f"first (bsdtar -c --one-file-system --numeric-owner -f "
                f"{root}.quarantine-UTCTIME.tar -C {root} .), empty it (chflags -R noschg "
                f"{root}; find {root} -mindepth 1 -delete; at kern.securelevel 0), then "
                f"{extract}")
    return f"{head} {extract}"


def swap_back_command(name: str) -> str:
    """What the user types to put the quarantined root back."""
    return f"jailtui restore {name} --swap-back"


def resume_command(name: str) -> str:
    """What the user types to finish a restore cut short."""
    return f"jailtui restore {name} --resume"


class Restore:
    """One run of the flow for one jail (a fresh object per run)."""

    def __init__(self, controller: Controller,
                 on_step: Callable[[StepResult], None] | None = None,
                 clock: Callable[[], float] = time.time,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self.controller = controller
        self.on_step = on_step
        self.clock = clock
        self.timer = timer
        self.runner = controller.host.runner
        self.host_key = key_of(controller.host)
        #: Why the journal could not be written, once (the flow goes on without it).
        self.journal_problem = ""

    def journal(self, name: str) -> Journal:
        return Journal(self.host_key, name)

    def _note(self, journal: Journal, entry: Entry) -> None:
        try:
            journal.write(entry)
        except (OSError, JailtuiError) as exc:
            self.journal_problem = f"the restore journal {journal.path} cannot be written " \
                                   f"({describe(exc)})"

    async def _zfs(self, argv: list[str]) -> str:
        res = await self.runner.run(argv, timeout=ZFS_TIMEOUT)
        if res.returncode != 0:
            err = tool_error(res)
            raise StepFailed(err.stderr.strip() or str(err))
        return res.stdout.decode("utf-8", "replace")

    async def run(self, name: str, snapshot: str, expect: Jail | None = None, *,
                  discard: bool = False) -> RestoreResult:
        """The flow; ``discard``: ``zfs rollback -r`` in place of quarantine + clone (the
        current root and the newer snapshots are destroyed: the caller confirmed)."""
        self.controller.gate(Action.RESTORE, name)
        snaps = snapmod.Snapshots(self.controller)
        jail = await snaps.find(name, expect)
        journal = self.journal(name)
        # A journal whose flow in fact ended is dropped (pending()); one half done is
        # said, with the ways out, before anything changes.
        left = await self.pending(name)
        if left is not None:
            raise snapmod.StorageError(left[1])
        result = RestoreResult(False, name, snapshot)
        t0 = self.timer()
        state: dict[str, object] = {}
        entry: Entry | None = None

        async def step(label: str, body: Body, then: str | None) -> bool:
            """One timed, audited step (``_step``), noted in the journal around it when
            it changes the host's datasets or starts the jail (:data:`JOURNALED`): the
            checks between them leave nothing to finish or undo, and each write costs
            (benchmarks/README.md "restore"). The note after it is left to the next
            step (``then``) when that one is journaled too: its own note, written
            before it runs anything, says the same and the step begun; and there is
            none before the steps after the flow's last change (:data:`AFTER_LAST_CHANGE`)."""
            noted = entry is not None and label in JOURNALED
            if entry is not None and noted:
                entry.step = label
                if label not in NOTED_IN_STEP:
                    self._note(journal, entry)
            ok = await self._step(result, name, jail.jid, label, body)
            if entry is not None and ok:
                entry.step = ""
                entry.done.append(label)
                if noted and then not in JOURNALED and then not in AFTER_LAST_CHANGE:
                    self._note(journal, entry)
            return ok

        # -- what we work on (before anything changes) ----------------------------------
        where = await snaps.locate(name, jail)
        if where is None or where.dataset is None:
            datasets = (await snapmod.read_tables(self.runner))[0]
            cut = None if where is None else snapmod.half_done(name, where.root, datasets,
                                                                where)
            if where is not None and where.fstype != "zfs" and cut is None:
                raise snapmod.StorageError(by_hand_off_zfs(name, where))
            raise snapmod.StorageError(snapmod.not_on_zfs(name, where, datasets))
        ds = where.dataset
        short = snapshot.split("@", 1)[1] if "@" in snapshot else snapshot
        # The known-good copy: the jail's own snapshot, or its backup's
        # (POOL/jailtui-backups/NAME@S, core/storage/backup.py): cloned from there.
        source = ds.name
        if "@" in snapshot and snapshot.split("@", 1)[0] == backup_dataset(ds.name, name):
            source = snapshot.split("@", 1)[0]
        elif "@" in snapshot and snapshot.split("@", 1)[0] != ds.name:
            raise snapmod.StorageError(f"{snapshot} is not a snapshot of {name} ({ds.name})")
        tree: list[ZfsDataset] = [ds, *where.children]
        result.snapshot = f"{source}@{short}"
        was_running = jail.state is JailState.RUNNING
        root = where.root
        qname = quarantine_name(ds.name, self.clock())
        state["swapped"] = False
        entry = Entry(self.host_key, name, ds.name, root, result.snapshot,
                      "rollback" if discard else "clone", "" if discard else qname,
                      was_running=was_running, started=self.clock())
        # The first record's durable write (a file made, two fsyncs: the flow's longest
        # disk wait) runs in a worker thread while the snapshot checks' zfs list runs,
        # and is awaited before the stop, the first change: on disk before it, as ever
        # (the module docstring of core/storage/journal.py), without the flow waiting
        # for the disk and then for zfs one after the other (benchmarks/README.md
        # "restore", round 6). Nothing touches ``entry`` until it is awaited.
        first = asyncio.ensure_future(asyncio.to_thread(self._note, journal, entry))
        try:
            await self._check_snapshots(name, source, short, ds, where.children)
        except BaseException:
            # Nothing began: the record goes (a crash before this removal leaves a
            # journal of a flow that changed nothing, which pending() drops).
            try:
                await first
            finally:
                journal.remove()
            raise
        await first

        also: list[str] = []

        async def do_stop() -> tuple[str, bool]:
            return await self._stop_first(name, jail, was_running, also, entry)

        async def do_verify_stopped() -> str:
            return await self._verify_stopped(name)

        async def do_mounts() -> str:
            res = await self.runner.run(argvmod.mount_p_argv(), timeout=ZFS_TIMEOUT)
            if res.returncode != 0:
                raise tool_error(res)
            own = {d.name for d in tree}
            foreign = [m for m in mounts_below(parse_mount_p(res.stdout), root)
                       if not (m.fstype == "zfs" and m.device in own)]
            if foreign:
                listed = "; ".join(f"{m.device} on {m.point} ({m.fstype})" for m in foreign)
                raise StepFailed(f"mounted under {root}: {listed}: unmount first")
            return f"nothing mounted under {root} but its own datasets"

        async def do_quarantine() -> str:
            src = await self._zfs(["zfs", "get", "-H", "-o", "source", "mountpoint", ds.name])
            if entry is not None:
                # The step's write-ahead (NOTED_IN_STEP), with what the rename needs undone.
                entry.quarantine_local = src.strip() == "local"
                self._note(journal, entry)
            await self._zfs(argvmod.zfs_rename_argv(ds.name, qname))
            state["renamed"] = True
            try:
                if src.strip() == "local":
                    await self._zfs(argvmod.zfs_set_argv("mountpoint",
                                                         root.rstrip("/") + qname[len(ds.name):],
                                                         qname))
                for d in tree:
                    await self._zfs(argvmod.zfs_set_argv("readonly", "on",
                                                         qname + d.name[len(ds.name):]))
            except JailtuiError:
                await self._undo_rename(qname, ds.name, [qname + d.name[len(ds.name):]
                                                         for d in tree], root,
                                        local=src.strip() == "local")
                state["renamed"] = False
                raise
            path = await self._zfs(["zfs", "get", "-H", "-o", "value", "mountpoint", qname])
            result.quarantine, result.quarantine_path = qname, path.strip()
            return f"{ds.name} -> {qname} (read-only, at {path.strip()})"

        async def do_clone() -> str:
            made: list[str] = []
            parents = {d.name: d.mountpoint for d in tree}
            try:
                for d in tree:
                    up = d.name.rsplit("/", 1)[0]
                    inherited = up in parents and d.mountpoint == (
                        parents[up].rstrip("/") + "/" + d.name.rsplit("/", 1)[1])
                    await self._zfs(argvmod.zfs_clone_argv(
                        f"{qname if source == ds.name else source}{d.name[len(ds.name):]}"
                        f"@{short}", d.name,
                        None if inherited else d.mountpoint))
                    made.append(d.name)
            except JailtuiError:
                for fresh in reversed(made):
                    # A fresh clone of the known-good snapshot, not the evidence.
                    await self._zfs(["zfs", "destroy", "--", fresh])
                await self._undo_rename(qname, ds.name, [qname + d.name[len(ds.name):]
                                                         for d in tree], root,
                                        local=entry is not None and entry.quarantine_local)
                result.quarantine = result.quarantine_path = ""
                raise
            state["swapped"] = True
            return f"{qname if source == ds.name else source}@{short} -> {ds.name} at {root}" + (
                f" (and {len(tree) - 1} child dataset{'s' if len(tree) > 2 else ''})"
                if len(tree) > 1 else "")

        async def do_start() -> tuple[str, bool]:
            if not was_running:
                return f"{name} was not running before: not started", True
            res = await self.controller.start(name)
            if not res.ok:
                raise StepFailed(res.message)
            again = []
            for other in also:
                r2 = await self.controller.start(other)
                again.append(other if r2.ok else f"{other} (failed: {r2.message})")
            return res.message + (f"; started again: {', '.join(again)}" if again else ""), False

        async def do_verify_running() -> tuple[str, bool]:
            return await self._verify_if_was(name, root, was_running)

        async def do_rollback() -> str:
            # zfs-rollback(8): -r destroys the newer snapshots; each child the same way.
            listed = [s.short for s in await snapmod.list_of(self.runner, ds.name)]
            newer = listed[:listed.index(short)] if short in listed else []
            for d in tree:
                await self._zfs(argvmod.zfs_rollback_argv(f"{d.name}@{short}"))
            state["swapped"] = True
            return (f"{ds.name} rolled back to @{short}" + (
                f" (and {len(tree) - 1} child dataset{'s' if len(tree) > 2 else ''})"
                if len(tree) > 1 else "") + ("; destroyed the newer snapshots: "
                                             + ", ".join(newer) if newer else ""))

        middle: list[tuple[str, Body]] = ([("rollback", do_rollback)] if discard else
                                          [("quarantine", do_quarantine), ("clone", do_clone)])
        bodies: list[tuple[str, Body]] = [
            ("stop", do_stop), ("verify stopped", do_verify_stopped), ("mounts", do_mounts),
            *middle, ("start", do_start), ("verify running", do_verify_running)]
        failed_at = ""
        for i, (label, body) in enumerate(bodies):
            if not await step(label, body, bodies[i + 1][0] if i + 1 < len(bodies) else None):
                failed_at = label
                break
        result.total = self.timer() - t0
        result.ok = not failed_at
        swapped = bool(state["swapped"])
        result.swap_back = (swapped and not discard and failed_at == "start"
                            and bool(result.quarantine))
        if result.swap_back:
            entry.status, entry.step = "start failed", ""
            self._note(journal, entry)
        else:
            journal.remove()
        result.summary = self._summary(result, failed_at, ds.name, root, was_running, swapped,
                                       discard)
        if self.journal_problem:
            result.summary += f"; {self.journal_problem}"
        return result

    # -- what a run cut short left, and the ways out -----------------------------------

    async def pending(self, name: str) -> tuple[Entry, str] | None:
        """The journal of a run cut short (or a swap whose start failed) and what it
        means now, read again from zfs list; a journal whose flow in fact ended (the
        jail runs on the restored root, or nothing was moved) is removed: None."""
        journal = self.journal(name)
        entry = journal.read()
        if entry is None:
            return None
        text = await self.pending_text(name, entry)
        if not text:
            journal.remove()
            return None
        return entry, text

    async def pending_all(self) -> list[tuple[str, Entry, str]]:
        """Every jail of this host with a restore half done (its journal, read again
        from zfs list), the ones this user may restore only (a delegate: their own):
        (jail, journal entry, what it means and the ways out), by jail name."""
        found: list[tuple[str, Entry, str]] = []
        for name in journal_jails(self.host_key):
            try:
                self.controller.gate(Action.RESTORE, name)
            except JailtuiError:
                continue
            got = await self.pending(name)
            if got is not None:
                found.append((name, *got))
        return found

    async def pending_text(self, name: str, e: Entry) -> str:
        if e.mode == "standby":
            return await self._standby().standby_pending_text(name, e)
        datasets = (await snapmod.read_tables(self.runner))[0]
        by = {d.name: d for d in datasets}
        now = await self.controller.resolve(name)
        runs = now is not None and now.state is JailState.RUNNING
        when = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(e.started))
        head = (f"{name}: the restore from {e.snapshot} begun {when} swapped the root but "
                "the jail did not start" if e.status == "start failed" else
                f"{name}: the restore from {e.snapshot} begun {when} was cut short"
                + (f" in step '{e.step}'" if e.step else
                   f" after step '{e.done[-1]}'" if e.done else ""))
        finish, undo = resume_command(name), swap_back_command(name)
        if e.mode == "rollback":
            if runs:
                return ""
            return (f"{head}: {e.dataset} may be rolled back (a rollback cannot be undone) and "
                    f"{name} is not running; to finish (start it and check it): {finish}")
        has_ds, has_q = e.dataset in by, bool(e.quarantine) and e.quarantine in by
        cloned = has_ds and by[e.dataset].origin.startswith(e.quarantine + "@")
        if cloned and runs:
            return ""
        if not has_q:
            return "" if has_ds else (f"{head}: neither {e.dataset} nor {e.quarantine} "
                                      "exists; see zfs list")
        if not has_ds:
            return (f"{head}: its root dataset {e.dataset} does not exist and {e.quarantine} "
                    f"holds the old root (read-only); to finish (clone {e.snapshot} in "
                    f"place, start it): {finish}; to undo (put the old root back, start it): "
                    f"{undo}")
        if cloned:
            return (f"{head}: the known-good copy is in place ({e.dataset} from "
                    f"{e.quarantine}@{e.snapshot.split('@', 1)[1]}) but {name} is not "
                    f"running; {e.quarantine} holds the old root (read-only); to "
                    f"finish (start it): {finish}; to put the old root back: {undo}")
        return ""

    def _standby(self) -> StandbySwap:
        """The UFS standby swap's flow (core/storage/standby.py) on the same controller."""
        from jailtui.core.storage.standby import StandbySwap

        return StandbySwap(self.controller, self.on_step, self.clock, self.timer)

    async def _check_snapshots(self, name: str, source: str, short: str, ds: ZfsDataset,
                               children: Sequence[ZfsDataset]) -> None:
        """The known-good snapshot exists, of the root and of each child dataset
        (``zfs list -t snapshot`` of each): StorageError naming the one missing."""
        have = {s.short for s in await snapmod.list_of(self.runner, source)}
        if short not in have:
            raise snapmod.StorageError(f"{source}@{short}: no such snapshot of {name}")
        for child in children:
            copy = source + child.name[len(ds.name):]
            if short not in {s.short for s in await snapmod.list_of(self.runner, copy)}:
                raise snapmod.StorageError(
                    f"{copy}@{short} does not exist: {name}'s child datasets need the "
                    "same snapshot (take snapshots with zfs snapshot -r)")

    async def _step(self, result: RestoreResult, name: str, jid: int | None, label: str,
                    body: Body) -> bool:
        started, s0 = self.clock(), self.timer()
        try:
            out = await body()
            message, skipped = out if isinstance(out, tuple) else (out, False)
            ok = True
        except Exception as exc:  # every failure is this step's, in words
            message, skipped, ok = describe(exc), False, False
        r = StepResult(label, ok, started, self.timer() - s0, message, skipped)
        result.steps.append(r)
        self.controller.record(Action.RESTORE, name, jid,
                               "ok" if ok else f"failed: {message.splitlines()[0][:300]}",
                               f"step={label} snapshot={result.snapshot}")
        if self.on_step is not None:
            self.on_step(r)
        return ok

    async def _start_all(self, name: str, also: list[str]) -> str:
        res = await self.controller.start(name)
        if not res.ok:
            raise StepFailed(res.message)
        again = []
        for other in also:
            r2 = await self.controller.start(other)
            again.append(other if r2.ok else f"{other} (failed: {r2.message})")
        return res.message + (f"; started again: {', '.join(again)}" if again else "")

    async def _verify_up(self, name: str, root: str) -> str:
        """It runs, and the daemons its own rc.conf enables are up (the health check's
        rule: core/checks/daemons.py; rc.conf read through core/transport/jailfs.py; the
        processes: Controller.jail_processes, ps -J JID)."""
        now = await self.controller.resolve(name)
        if now is None or now.state is not JailState.RUNNING or now.jid is None:
            raise StepFailed(f"{name} is not running after the start")
        # rc.conf (read in a worker thread) and the jail's own processes (ps -J JID, not
        # a poll of every jail) at once: two reads, neither waits for the other
        # (benchmarks/README.md "restore", round 6). What is said is as when the ps
        # followed the read: an unreadable rc.conf says so whatever ps did, and a
        # failed ps is this step's failure otherwise.
        files, procs = await asyncio.gather(
            self.controller.host.read_jail_files(root, ["etc/rc.conf"]),
            self.controller.jail_processes(now), return_exceptions=True)
        if isinstance(files, BaseException):
            raise files
        (got,) = files
        text = got.text()
        if text is None:
            return f"running, jid {now.jid}; daemons not checked: {got.why()}"
        if isinstance(procs, BaseException):
            raise procs
        services = [s for s in rcconf.enabled_services(rcconf.parse(text))
                    if s not in NOT_DAEMONS]
        missing = missing_daemons(services, procs)
        if missing:
            raise StepFailed(f"{name} runs (jid {now.jid}) but these daemons enabled in "
                             f"its rc.conf are not: {', '.join(missing)}")
        up = [s for s in services if s not in missing]
        return f"running, jid {now.jid}; daemons up: {', '.join(up) or 'none enabled'}"

    async def resume(self, name: str, expect: Jail | None = None) -> RestoreResult:
        """Finish a run cut short: clone the snapshot in place when only the rename was
        done, then start the jail (when it ran before) and check it runs."""
        self.controller.gate(Action.RESTORE, name)
        jail = await snapmod.Snapshots(self.controller).find(name, expect)
        journal = self.journal(name)
        found = await self.pending(name)
        if found is None:
            raise snapmod.StorageError(f"{name}: no restore to finish (no journal of one cut "
                                       "short, or it has ended)")
        e = found[0]
        if e.mode == "standby":
            return await self._standby().resume_standby(name, e, jail.jid)
        result = RestoreResult(False, name, e.snapshot, quarantine=e.quarantine)
        t0 = self.timer()
        short = e.snapshot.split("@", 1)[1]
        datasets = (await snapmod.read_tables(self.runner))[0]
        names = {d.name for d in datasets}

        async def do_clone() -> tuple[str, bool]:
            if e.mode == "rollback" or e.dataset in names:
                return "already in place", True
            tree = sorted(n for n in names if n == e.quarantine
                          or n.startswith(e.quarantine + "/"))
            for q in tree:
                target = e.dataset + q[len(e.quarantine):]
                await self._zfs(argvmod.zfs_clone_argv(f"{q}@{short}", target,
                                                       e.root if q == e.quarantine else None))
            return f"{e.quarantine}@{short} -> {e.dataset} at {e.root}", False

        async def do_start() -> tuple[str, bool]:
            return await self._start_if_was(name, e.also, e.was_running)

        async def do_verify() -> tuple[str, bool]:
            return await self._verify_if_was(name, e.root, e.was_running)

        failed_at = ""
        for label, body in zip(RESUME_STEPS, (do_clone, do_start, do_verify), strict=True):
            if not await self._step(result, name, jail.jid, label, body):
                failed_at = label
                break
        result.total = self.timer() - t0
        result.ok = not failed_at
        if result.ok:
            journal.remove()
            result.summary = (f"finished in {result.total:.2f}s: {name} "
                              f"{'runs' if e.was_running else 'is stopped, as it was'} from "
                              f"{e.snapshot}" + (f"; the compromised root is kept read-only "
                                                 f"as {e.quarantine}" if e.quarantine else ""))
        else:
            result.swap_back = e.mode == "clone"
            result.summary = (f"stopped at step '{failed_at}': " + await self.pending_text(
                name, e) if e.mode == "clone" else f"stopped at step '{failed_at}'")
        return result

    async def swap_back(self, name: str, expect: Jail | None = None) -> RestoreResult:
        """Put the quarantined root back in place of the known-good copy (a start that
        failed after the swap, or a run cut short): the known-good copy is renamed aside
        (``DATASET.failed-UTC``), never destroyed; the old root made writable again,
        renamed back and the jail started as it was."""
        self.controller.gate(Action.RESTORE, name)
        jail = await snapmod.Snapshots(self.controller).find(name, expect)
        journal = self.journal(name)
        e = journal.read()
        if e is not None and e.mode == "standby":
            return await self._standby().swap_back_standby(name, e, jail.jid)
        datasets, mounts = await snapmod.read_tables(self.runner)
        by = {d.name: d for d in datasets}
        root = jail.path
        if e is not None and e.mode == "clone" and e.quarantine:
            dsname, qname, was_running, also = e.dataset, e.quarantine, e.was_running, e.also
            qlocal = e.quarantine_local
        else:
            from jailtui.core.storage.locate import locate

            where = locate(root, datasets, mounts)
            origin = where.dataset.origin if where is not None and where.dataset else ""
            if where is None or where.dataset is None or not origin.startswith(
                    f"{where.dataset.name}.quarantine-"):
                raise snapmod.StorageError(
                    f"{name}: nothing to swap back: its root is not a copy restored from a "
                    "quarantined root (no journal of a restore either)")
            dsname, qname, was_running, also = where.dataset.name, origin.split("@")[0], True, []
            src = await self._zfs(["zfs", "get", "-H", "-o", "source", "mountpoint", qname])
            qlocal = src.strip() == "local"
        if qname not in by:
            raise snapmod.StorageError(f"{name}: the quarantined root {qname} does not exist")
        result = RestoreResult(False, name, qname, quarantine=qname)
        t0 = self.timer()
        failed = quarantine_name(dsname, self.clock(), "failed")
        qtree = [n for n in sorted(by) if n == qname or n.startswith(qname + "/")]
        own = set(qtree) | {n for n in by if n == dsname or n.startswith(dsname + "/")}

        async def do_stop() -> tuple[str, bool]:
            return await self._stop_if_running(name)

        async def do_mounts() -> str:
            res = await self.runner.run(argvmod.mount_p_argv(), timeout=ZFS_TIMEOUT)
            if res.returncode != 0:
                raise tool_error(res)
            foreign = [m for m in mounts_below(parse_mount_p(res.stdout), root)
                       if not (m.fstype == "zfs" and m.device in own)]
            if foreign:
                listed = "; ".join(f"{m.device} on {m.point} ({m.fstype})" for m in foreign)
                raise StepFailed(f"mounted under {root}: {listed}: unmount first")
            return f"nothing mounted under {root} but its own datasets"

        async def do_set_aside() -> tuple[str, bool]:
            if dsname not in by:
                return f"{dsname} does not exist (the clone was never made)", True
            path = root.rstrip("/") + failed[len(dsname):]
            await self._zfs(argvmod.zfs_set_argv("mountpoint", path, dsname))
            await self._zfs(argvmod.zfs_rename_argv(dsname, failed))
            result.set_aside = failed
            return f"{dsname} -> {failed} (kept, at {path})", False

        async def do_put_back() -> str:
            for n in qtree:
                await self._zfs(argvmod.zfs_set_argv("readonly", "off", n))
            await self._zfs(argvmod.zfs_rename_argv(qname, dsname))
            if qlocal:
                await self._zfs(argvmod.zfs_set_argv("mountpoint", root, dsname))
            return f"{qname} -> {dsname} at {root} (writable again)"

        async def do_start() -> tuple[str, bool]:
            return await self._start_if_was(name, also, was_running)

        async def do_verify() -> tuple[str, bool]:
            return await self._verify_if_was(name, root, was_running)

        async def do_verify_stopped() -> str:
            return await self._verify_stopped(name)

        bodies: list[tuple[str, Body]] = [
            ("stop", do_stop), ("verify stopped", do_verify_stopped), ("mounts", do_mounts),
            ("set aside", do_set_aside),
            ("put back", do_put_back), ("start", do_start), ("verify running", do_verify)]
        failed_at = ""
        for label, body in bodies:
            if not await self._step(result, name, jail.jid, label, body):
                failed_at = label
                break
        result.total = self.timer() - t0
        result.ok = not failed_at
        aside = (f"the known-good copy is set aside as {result.set_aside}"
                 if result.set_aside else "")
        if result.ok:
            journal.remove()
            result.summary = (f"swapped back in {result.total:.2f}s: {name} "
                              f"{'runs again' if was_running else 'is stopped, as it was'} on "
                              f"its old root ({dsname} at {root}), writable again; "
                              + (aside or "nothing was set aside") + "; nothing was destroyed")
        else:
            where_q = dsname if failed_at in ("start", "verify running") else qname
            result.summary = (f"stopped at step '{failed_at}': the old root is {where_q}"
                              + (f"; {aside}" if aside else "")
                              + "; nothing was destroyed (zfs list -r "
                              + dsname.rsplit('/', 1)[0] + " shows all)")
        return result

    async def _undo_rename(self, qname: str, original: str, names: list[str],
                           root: str, *, local: bool) -> None:
        """Put the compromised root back where it was (a failure in steps 4-5).

        ``local``: its mountpoint property was its own (``zfs get -o source``), so the
        quarantine step moved it to ``ROOT.quarantine-UTC``; zfs-rename(8) keeps a local
        property, so it is set back to ``root`` here, or the jail's root would stay an
        empty directory with the old root mounted beside it."""
        for n in names:
            try:
                await self._zfs(argvmod.zfs_set_argv("readonly", "off", n))
            except JailtuiError:
                pass
        await self._zfs(argvmod.zfs_rename_argv(qname, original))
        if local:
            await self._zfs(argvmod.zfs_set_argv("mountpoint", root, original))

    async def _start_if_was(self, name: str, also: list[str], was_running: bool
                            ) -> tuple[str, bool]:
        """A swap's start step: the jail and those jail(8) stopped with it, started again
        only when it ran before the flow (skipped otherwise)."""
        if not was_running:
            return f"{name} was not running before: not started", True
        return await self._start_all(name, also), False

    async def _verify_if_was(self, name: str, root: str, was_running: bool
                             ) -> tuple[str, bool]:
        """A swap's last step: it runs, with its rc.conf daemons, when it was started."""
        if not was_running:
            return "not started", True
        return await self._verify_up(name, root), False

    async def _running_names(self) -> set[str]:
        # jls alone: the set needs no processes, configuration or owners.
        return {j.name for j in await self.controller.live_jails()
                if j.state is JailState.RUNNING}

    async def _stop_first(self, name: str, jail: Jail, was_running: bool, also: list[str],
                          entry: Entry | None) -> tuple[str, bool]:
        """A swap's first step: stop the jail through its owner; the jails jail(8)
        stopped with it are added to ``also`` (and the journal's entry)."""
        if not was_running:
            return f"{name} is not running", True
        before = await self._running_names()
        res = await self.controller.stop(name, jail)
        if not res.ok:
            raise StepFailed(res.message)
        # jail(8) removes the jails that depend on this one first (jail(8) "depend"):
        # they are started again after it.
        also.extend(sorted(before - await self._running_names() - {name}))
        if entry is not None:
            entry.also = list(also)
        # The stop's own message names the dependents jail.conf gave it; only the
        # others are added here (they were said twice: "also stopped git (depends
        # on it); also stopped: git (they depend on it)").
        unsaid = [n for n in also if n not in res.stopped_too]
        return res.message + (dependents_note(unsaid) if unsaid else ""), False

    async def _stop_if_running(self, name: str) -> tuple[str, bool]:
        """A swap back's first step: the jail as it is now, stopped if it runs."""
        now = await self.controller.resolve(name)
        if now is None or now.state is not JailState.RUNNING:
            return f"{name} is not running", True
        res = await self.controller.stop(name, now)
        if not res.ok:
            raise StepFailed(res.message)
        return res.message, False

    async def _verify_stopped(self, name: str) -> str:
        """Gone, or dying with no process left: a process that does not exit (stuck in
        an uninterruptible wait) keeps files open in the root, so nothing may move."""
        now = await self.controller.resolve(name)
        if now is not None and now.state is JailState.RUNNING:
            raise StepFailed(f"{name} still runs (jid {now.jid})")
        if now is None:
            return "gone"
        # Its own pids only (Controller.jail_pids), not a poll of every jail, nor every
        # process's thirteen columns.
        left = list(await self.controller.jail_pids(now))
        if left:
            shown = " ".join(str(p) for p in left[:10]) + (" ..." if len(left) > 10 else "")
            raise StepFailed(f"{name} is dying (jid {now.jid}) but {len(left)} of its "
                             f"processes have not exited (pid {shown}): its root is still "
                             "in use; see what they wait for (procstat -kk PID) and try "
                             "again once they are gone")
        return f"dying (jid {now.jid}): no processes left"

    def _summary(self, r: RestoreResult, failed_at: str, ds: str, root: str,
                 was_running: bool, swapped: bool, discard: bool = False) -> str:
        name = r.jail
        if discard:
            if not failed_at:
                runs = f"{name} runs again" if was_running else f"{name} is stopped, as it was"
                return (f"done in {r.total:.2f}s: {runs} from {r.snapshot} ({ds} rolled back "
                        f"at {root}); the discarded root was not kept")
            if not swapped:
                return (f"stopped at step '{failed_at}': nothing was rolled back; its root is "
                        f"unchanged: {ds} at {root}; {name} is "
                        f"{'stopped' if was_running and failed_at != 'stop' else 'as it was'}")
            return (f"stopped at step '{failed_at}': {ds} is rolled back to {r.snapshot} (at "
                    f"{root}) and {name} is not running as it should; start the jail by hand "
                    "once the cause is fixed")
        if r.swap_back:
            return (f"stopped at step 'start': the known-good copy is in place ({ds} from "
                    f"{r.snapshot}, at {root}) but {name} does not start; the compromised "
                    f"root is kept read-only as {r.quarantine} ({r.quarantine_path}); to put "
                    f"it back and start it as it was: {swap_back_command(name)} (nothing is "
                    "destroyed: the known-good copy is set aside)")
        if not failed_at:
            kept = f"the compromised root is kept read-only as {r.quarantine} " \
                   f"({r.quarantine_path})"
            runs = f"{name} runs again" if was_running else f"{name} is stopped, as it was"
            return (f"done in {r.total:.2f}s: {runs} from {r.snapshot} ({ds} at {root}); "
                    f"{kept}")
        if not swapped:
            where = (f"its root is unchanged: {ds} at {root}")
            jail_state = f"{name} is stopped" if was_running and failed_at != "stop" else (
                f"{name} is as it was")
            return f"stopped at step '{failed_at}': nothing was swapped; {where}; {jail_state}"
        if failed_at == "verify running" and r.steps and "runs (jid" in r.steps[-1].message:
            return (f"the known-good copy is in place ({ds} from {r.snapshot}, at {root}) and "
                    f"{name} runs, but not all its daemons: {r.steps[-1].message}; the "
                    f"compromised root is kept read-only as {r.quarantine} "
                    f"({r.quarantine_path})")
        return (f"stopped at step '{failed_at}': the known-good copy is in place ({ds} from "
                f"{r.snapshot}, at {root}) and {name} is not running; the compromised root is "
                f"kept read-only as {r.quarantine} ({r.quarantine_path}); start the jail by "
                "hand once the cause is fixed")
