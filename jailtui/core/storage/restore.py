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

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.model import Jail, JailState
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.storage.backup import backup_dataset
from jailtui.core.storage.mounts import mounts_below, parse_mount_p
from jailtui.core.storage.zfs import ZfsDataset

ZFS_TIMEOUT = 120.0

#: A step's work: its message, or (message, skipped).
Body = Callable[[], Awaitable[str | tuple[str, bool]]]

#: The steps, in order, with the words the user sees.
STEPS = ("stop", "verify stopped", "mounts", "quarantine", "clone", "start", "verify running")


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

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "jail": self.jail, "snapshot": self.snapshot,
                "total_seconds": round(self.total, 3), "quarantine": self.quarantine or None,
                "quarantine_path": self.quarantine_path or None, "summary": self.summary,
                "steps": [{"step": s.step, "ok": s.ok, "skipped": s.skipped,
                           "started": s.started, "seconds": round(s.seconds, 3),
                           "message": s.message} for s in self.steps]}


class StepFailed(JailtuiError):
    """A step could not be carried out; the flow stops there."""


def quarantine_name(dataset: str, now: float) -> str:
    """``zroot/jails/web.quarantine-20261202T043500Z``."""
    return f"{dataset}.quarantine-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}"


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

    async def _zfs(self, argv: list[str]) -> str:
        res = await self.runner.run(argv, timeout=ZFS_TIMEOUT)
        if res.returncode != 0:
            err = tool_error(res)
            raise StepFailed(err.stderr.strip() or str(err))
        return res.stdout.decode("utf-8", "replace")

    async def run(self, name: str, snapshot: str, expect: Jail | None = None) -> RestoreResult:
        self.controller.gate(Action.RESTORE, name)
        snaps = snapmod.Snapshots(self.controller)
        jail = await snaps.find(name, expect)
        result = RestoreResult(False, name, snapshot)
        t0 = self.timer()
        state: dict[str, object] = {}

        async def step(label: str, body: Body) -> bool:
            started, s0 = self.clock(), self.timer()
            try:
                out = await body()
                message, skipped = out if isinstance(out, tuple) else (out, False)
                ok = True
            except Exception as exc:  # every failure is this step's, in words
                message, skipped, ok = describe(exc), False, False
            r = StepResult(label, ok, started, self.timer() - s0, message, skipped)
            result.steps.append(r)
            self.controller.record(Action.RESTORE, name, jail.jid,
                                   "ok" if ok else f"failed: {message.splitlines()[0][:300]}",
                                   f"step={label} snapshot={snapshot}")
            if self.on_step is not None:
                self.on_step(r)
            return ok

        # -- what we work on (before anything changes) ----------------------------------
        where = await snaps.locate(name, jail)
        if where is None or where.dataset is None:
            datasets = (await snapmod.read_tables(self.runner))[0]
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
        have = {s.short for s in await snapmod.list_of(self.runner, source)}
        if short not in have:
            raise snapmod.StorageError(f"{source}@{short}: no such snapshot of {name}")
        for child in where.children:
            copy = source + child.name[len(ds.name):]
            if short not in {s.short for s in await snapmod.list_of(self.runner, copy)}:
                raise snapmod.StorageError(
                    f"{copy}@{short} does not exist: {name}'s child datasets need the "
                    "same snapshot (take snapshots with zfs snapshot -r)")
        result.snapshot = f"{source}@{short}"
        was_running = jail.state is JailState.RUNNING
        root = where.root
        qname = quarantine_name(ds.name, self.clock())
        state["swapped"] = False

        also: list[str] = []

        async def running_names() -> set[str]:
            snap = await self.controller.host.poll()
            return {j.name for j in snap.jails if j.state is JailState.RUNNING}

        async def do_stop() -> tuple[str, bool]:
            if not was_running:
                return f"{name} is not running", True
            before = await running_names()
            res = await self.controller.stop(name, jail)
            if not res.ok:
                raise StepFailed(res.message)
            # jail(8) removes the jails that depend on this one first (jail(8) "depend"):
            # they are started again after it.
            also.extend(sorted(before - await running_names() - {name}))
            return res.message + (f"; also stopped: {', '.join(also)} (they depend on it)"
                                  if also else ""), False

        async def do_verify_stopped() -> str:
            now = await self.controller.resolve(name)
            if now is not None and now.state is JailState.RUNNING:
                raise StepFailed(f"{name} still runs (jid {now.jid})")
            return "gone" if now is None else f"dying (jid {now.jid}): no processes left"

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
                                                         for d in tree], root)
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
                                                         for d in tree], root)
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
            if not was_running:
                return "not started", True
            now = await self.controller.resolve(name)
            if now is None or now.state is not JailState.RUNNING or now.jid is None:
                raise StepFailed(f"{name} is not running after the start")
            # The daemons its own rc.conf enables are up (the health check's rule:
            # core/checks/health.py; the file read through core/transport/jailfs.py).
            from jailtui.core.checks.health import NOT_DAEMONS, missing_daemons
            from jailtui.core.freebsd import rcconf

            host = self.controller.host
            (got,) = await host.read_jail_files(root, ["etc/rc.conf"])
            text = got.text()
            if text is None:
                return f"running, jid {now.jid}; daemons not checked: {got.why()}", False
            services = [s for s in rcconf.enabled_services(rcconf.parse(text))
                        if s not in NOT_DAEMONS]
            snap = await host.poll()
            missing = missing_daemons(services, snap.processes_of(now.jid))
            if missing:
                state["daemons_missing"] = True
                raise StepFailed(f"{name} runs (jid {now.jid}) but these daemons enabled in "
                                 f"its rc.conf are not: {', '.join(missing)}")
            up = [s for s in services if s not in missing and s not in NOT_DAEMONS]
            return (f"running, jid {now.jid}; daemons up: {', '.join(up) or 'none enabled'}",
                    False)

        bodies: list[tuple[str, Body]] = [
            ("stop", do_stop), ("verify stopped", do_verify_stopped), ("mounts", do_mounts),
            ("quarantine", do_quarantine), ("clone", do_clone), ("start", do_start),
            ("verify running", do_verify_running)]
        failed_at = ""
        for label, body in bodies:
            if not await step(label, body):
                failed_at = label
                break
        result.total = self.timer() - t0
        result.ok = not failed_at
        result.summary = self._summary(result, failed_at, ds.name, root, was_running,
                                       bool(state["swapped"]))
        return result

    async def _undo_rename(self, qname: str, original: str, names: list[str],
                           root: str) -> None:
        """Put the compromised root back where it was (a failure in steps 4-5)."""
        for n in names:
            try:
                await self._zfs(argvmod.zfs_set_argv("readonly", "off", n))
            except JailtuiError:
                pass
        await self._zfs(argvmod.zfs_rename_argv(qname, original))

    def _summary(self, r: RestoreResult, failed_at: str, ds: str, root: str,
                 was_running: bool, swapped: bool) -> str:
        name = r.jail
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
