"""Restore benchmark: each step's time and the console's own share of the flow.

    python benchmarks/restore.py               # db (a /var child, git depends on it)
    python benchmarks/restore.py --jail dns --runs 5
    python benchmarks/restore.py --runs 5 --before /tmp/before   # two trees, alternately

On a fresh simulated host: ``zfs snapshot -r`` of the jail, ``sim compromise``,
then the real flow (core/storage/restore.py through the real Controller and
Host) replacing its root with the snapshot, given the jail's row from a poll
taken before the clock starts (the console's restore screen passes the row the
user chose). The host's runner is wrapped so the time spent in commands (the
simulated FreeBSD tools: zfs, mount, jls, ps, service, jail) is told apart from
the console's own work (parsing, policy, audit, deciding). Printed per step:
wall time, time in commands, own time; then the totals and the console's own
share (the issue's goal: under 5 %).

Two measures, each run in a fresh interpreter (benchmarks/README.md "restore"):
``cold``, the first flow of the process (the modules it needs imported on the
way), and ``warm``, on another new host after a first flow of ``--warm-jail``
there (a console that has been running). Nothing here asserts; the numbers are
for reading. With ``--runs`` the medians are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jailtui.core.actions.audit import MemorySink  # noqa: E402
from jailtui.core.actions.control import Controller  # noqa: E402
from jailtui.core.actions.policy import Policy, Role  # noqa: E402
from jailtui.core.hosts.host import Host  # noqa: E402
from jailtui.core.storage.journal import Entry, Journal  # noqa: E402
from jailtui.core.storage.restore import Restore, StepResult  # noqa: E402
from jailtui.core.transport.runner import CommandResult  # noqa: E402
from jailtui.sim.builder import init_host  # noqa: E402
from jailtui.sim.commands import dispatch  # noqa: E402
from jailtui.sim.compromise import plant  # noqa: E402
from jailtui.sim.runner import SimRunner  # noqa: E402


class TimedRunner:
    """The simulator's runner, counting the time spent in commands.

    Commands can overlap (``run_many``, a poll's jls and ps): the time counted is
    the union of the spans, never the sum, so overlap cannot hide our own work.
    Both clocks: wall (perf_counter) and CPU (process_time, every thread of
    the process: the simulated tools run in it).
    """

    def __init__(self, inner: SimRunner) -> None:
        self.inner = inner
        self.label = inner.label
        self.seconds = 0.0
        self.cpu = 0.0
        self.commands = 0
        self._depth = 0
        self._since = (0.0, 0.0)
        #: (start, end) of every span with a command running, perf_counter seconds.
        self.spans: list[tuple[float, float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _enter(self) -> None:
        if self._depth == 0:
            self._since = (time.perf_counter(), time.process_time())
        self._depth += 1

    def _leave(self, n: int) -> None:
        self._depth -= 1
        self.commands += n
        if self._depth == 0:
            t, c = time.perf_counter(), time.process_time()
            self.seconds += t - self._since[0]
            self.cpu += c - self._since[1]
            self.spans.append((self._since[0], t))

    async def run(self, argv: Sequence[str], **kw: Any) -> CommandResult:
        self._enter()
        try:
            return await self.inner.run(argv, **kw)
        finally:
            self._leave(1)

    async def run_many(self, argvs: Sequence[Sequence[str]], **kw: Any) -> list[CommandResult]:
        self._enter()
        try:
            return await self.inner.run_many(argvs, **kw)
        finally:
            self._leave(len(argvs))

    def within(self, start: float, end: float) -> float:
        """Seconds of commands inside [start, end]."""
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.spans)


class JournalClock:
    """The wall time inside ``Journal.write`` (the restore journal, written durably:
    the first record made new or replaced, the file and its directory fsync'd, each
    later one appended and fdatasync'd: core/storage/journal.py), span by span: part
    of the console's own time, told apart because it is the disk's latency, not work."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []
        self._real = Journal.write

    def __enter__(self) -> JournalClock:
        real, spans = self._real, self.spans

        def timed(journal: Journal, entry: Entry) -> None:
            t = time.perf_counter()
            try:
                real(journal, entry)
            finally:
                spans.append((t, time.perf_counter()))

        setattr(Journal, "write", timed)  # noqa: B010 - the class, for this flow only
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(Journal, "write", self._real)  # noqa: B010

    @property
    def seconds(self) -> float:
        return sum(b - a for a, b in self.spans)

    def within(self, start: float, end: float) -> float:
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.spans)

    def outside(self, runner: TimedRunner) -> float:
        """Seconds of the writes while no command ran: the part of the own time that is
        the journal's. A write made in a worker thread while a command runs (the first
        record, beside the snapshot checks' zfs list) is not own time, so it is not
        taken from the own time either: subtracting all of it would understate "own
        without the journal's writes"."""
        return sum((b - a) - runner.within(a, b) for a, b in self.spans)


def _host(simdir: Path, jails: Sequence[str]) -> tuple[TimedRunner, Controller]:
    """A fresh simulated host with a ``known-good`` snapshot of each of ``jails``
    (``zfs snapshot -r``), the first of them compromised (``sim compromise``)."""
    init_host(simdir)
    rc, out, err = dispatch(simdir, ["zfs", "list", "-H", "-o", "name,mountpoint"])
    for jail in jails:
        ds = next(line.split("\t")[0] for line in out.decode().splitlines()
                  if line.split("\t")[1] == f"/usr/local/jails/{jail}")
        dispatch(simdir, ["zfs", "snapshot", "-r", f"{ds}@known-good"])
    plant(simdir, jails[0])
    runner = TimedRunner(SimRunner(simdir))
    host = Host(runner, backend="SIMULATED", paths=runner.inner.paths)
    return runner, Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())


async def _flow(runner: TimedRunner, controller: Controller, jail: str, label: str,
                quiet: bool) -> dict[str, float]:
    """One timed flow of ``jail`` on this host, as the console runs it: inside the
    running event loop (a console's loop exists before and after; ``asyncio.run``'s
    own start and end, 1 to 12 ms here with the executor's threads joined, are no part
    of a restore), with the row the user saw (the console's last poll, taken before
    the clock starts; the restore screen passes it as ``expect``). Its shares,
    percent, and its own seconds."""
    row = (await controller.host.poll()).jail(jail)
    runner.spans.clear()
    runner.seconds = runner.cpu = 0.0
    runner.commands = 0
    rows: list[StepResult] = []
    t0, c0 = time.perf_counter(), time.process_time()
    # perf_counter as both clocks: step starts line up with the command spans.
    with JournalClock() as journal:
        result = await Restore(controller, on_step=rows.append, clock=time.perf_counter,
                               timer=time.perf_counter).run(jail, "known-good", row)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    own = wall - runner.seconds
    share = own / wall * 100 if wall else 0.0
    cpu_own = cpu - runner.cpu
    cpu_share = cpu_own / wall * 100 if wall else 0.0
    journal_own = journal.outside(runner)
    bare_share = (own - journal_own) / wall * 100 if wall else 0.0
    if not quiet:
        print(f"{label}: restore {jail} from {result.snapshot}: "
              f"{'ok' if result.ok else 'FAILED'}")
        print(f"  {'step':<15} {'wall':>8} {'commands':>9} {'own':>8} {'journal':>8}")
        first = rows[0].started if rows else t0 + wall
        prep, pj = runner.within(t0, first), journal.within(t0, first)
        print(f"  {'(prepare)':<15} {first - t0:8.3f} {prep:9.3f} {first - t0 - prep:8.3f}"
              f" {pj:8.3f}   locate, snapshot checks")
        for r in rows:
            end = r.started + r.seconds
            tools = runner.within(r.started, end)
            print(f"  {r.step:<15} {r.seconds:8.3f} {tools:9.3f} {r.seconds - tools:8.3f}"
                  f" {journal.within(r.started, end):8.3f}")
        # The journal's writes around a step (JOURNALED) fall between the rows.
        gap = wall - (first - t0) - sum(r.seconds for r in rows)
        gap_tools = runner.seconds - prep - sum(runner.within(r.started, r.started + r.seconds)
                                                for r in rows)
        gap_journal = journal.seconds - pj - sum(journal.within(r.started,
                                                                r.started + r.seconds)
                                                 for r in rows)
        print(f"  {'(between)':<15} {gap:8.3f} {gap_tools:9.3f} {gap - gap_tools:8.3f}"
              f" {gap_journal:8.3f}   journal writes around the steps, audit")
        print(f"  {'total':<15} {wall:8.3f} {runner.seconds:9.3f} {own:8.3f}"
              f" {journal.seconds:8.3f}   ({runner.commands} commands, "
              f"{len(journal.spans)} journal writes, {journal_own:.3f} s of them while "
              "no command ran)")
        print(f"  console's own share: {share:.1f}% of the wall time (goal: under 5%); "
              f"own CPU {cpu_own:.3f} s of {cpu:.3f} s, {cpu_share:.1f}% of the wall time; "
              f"own without the journal's writes {bare_share:.1f}%")
    if not result.ok:
        raise SystemExit(f"{label}: the flow failed: {result.summary}")
    return {"wall": share, "cpu": cpu_share, "own": own, "journal": journal.seconds,
            "journal_own": journal_own, "bare": bare_share}


def one_process(jail: str, warm_jail: str, quiet: bool) -> dict[str, dict[str, float]]:
    """Both measures in this (fresh) process: ``cold``, the first flow of the
    process (every module the flow needs imported on the way, as in a console
    whose first action is this restore); ``warm``, on another new host, after a
    first flow of ``warm_jail`` on it (a console that has been running: its
    modules loaded, its host's caches filled), then ``jail`` timed."""
    with tempfile.TemporaryDirectory(prefix="jailtui-restore-bench-") as tmp:
        runner, controller = _host(Path(tmp) / "cold", [jail])
        cold = asyncio.run(_flow(runner, controller, jail, "cold", quiet))
        runner, controller = _host(Path(tmp) / "warm", [jail, warm_jail])

        async def warmed() -> dict[str, float]:
            # One loop for both, as a console's: its executor's threads already there.
            await _flow(runner, controller, warm_jail, "warm-up", True)
            return await _flow(runner, controller, jail, "warm", quiet)

        warm = asyncio.run(warmed())
    return {"cold": cold, "warm": warm}


def _medians(label: str, runs: list[dict[str, dict[str, float]]]) -> None:
    for kind in ("cold", "warm"):
        walls = sorted(r[kind]["wall"] for r in runs)
        cpus = sorted(r[kind]["cpu"] for r in runs)
        bares = sorted(r[kind]["bare"] for r in runs)
        owns = statistics.median(r[kind]["own"] for r in runs)
        journals = statistics.median(r[kind]["journal"] for r in runs)
        # An earlier tree's benchmark has no "journal_own": its writes were all made
        # while no command ran.
        journal_own = statistics.median(r[kind].get("journal_own", r[kind]["journal"])
                                        for r in runs)
        print(f"{label}{kind}: median own share over {len(runs)} runs: "
              f"{statistics.median(walls):.1f}% wall ({walls[0]:.1f} to {walls[-1]:.1f}), "
              f"{statistics.median(cpus):.1f}% CPU-own ({cpus[0]:.1f} to {cpus[-1]:.1f}), "
              f"{statistics.median(bares):.1f}% wall without the journal's writes "
              f"({bares[0]:.1f} to {bares[-1]:.1f}); own {owns * 1000:.1f} ms, "
              f"journal {journals * 1000:.1f} ms ({journal_own * 1000:.1f} while no "
              "command ran)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jail", default="db")
    p.add_argument("--warm-jail", default="web",
                   help="the jail restored first for the warm measure (default web)")
    p.add_argument("--runs", type=int, default=1, help="fresh processes, one cold and "
                   "one warm flow each (default 1)")
    p.add_argument("--before", metavar="TREE", type=Path,
                   help="an earlier tree (git archive COMMIT jailtui benchmarks | tar -x -C "
                   "TREE): its benchmarks/restore.py, on its own jailtui, runs alternately "
                   "with this one, run for run, and both medians are printed")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    ns = p.parse_args()
    if ns.jail == ns.warm_jail:
        p.error("--warm-jail must be another jail than --jail")
    if ns.child:
        print(json.dumps(one_process(ns.jail, ns.warm_jail, ns.quiet)))
        return 0
    scripts = {"": Path(__file__).resolve()}
    if ns.before is not None:
        before = (ns.before / "benchmarks" / "restore.py").resolve()
        if not before.is_file():
            p.error(f"--before: {before} does not exist")
        scripts = {"before: ": before, "after: ": scripts[""]}
    runs: dict[str, list[dict[str, dict[str, float]]]] = {label: [] for label in scripts}
    for i in range(max(1, ns.runs)):
        for label, script in scripts.items():
            # A fresh interpreter per run: "cold" is only cold in a new process.
            argv = [sys.executable, str(script), "--child", "--jail", ns.jail,
                    "--warm-jail", ns.warm_jail, *(["--quiet"] if i else [])]
            done = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                                  check=False)
            if done.returncode != 0:
                print(done.stdout + done.stderr, end="", file=sys.stderr)
                return 1
            *table, last = done.stdout.splitlines()
            if table:
                print("\n".join(f"{label}{line}" for line in table))
            runs[label].append(json.loads(last))
    if max(1, ns.runs) > 1 or len(scripts) > 1:
        for label, got in runs.items():
            _medians(label, got)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
