"""Restore benchmark: each step's time and the console's own share of the flow.

    python benchmarks/restore.py               # db (a /var child, git depends on it)
    python benchmarks/restore.py --jail web --runs 5

On a fresh simulated host: ``zfs snapshot -r`` of the jail, ``sim compromise``,
then the real flow (core/storage/restore.py through the real Controller and
Host) replacing its root with the snapshot. The host's runner is wrapped so the
time spent in commands (the simulated FreeBSD tools: zfs, mount, jls, ps,
service, jail) is told apart from the console's own work (parsing, policy,
audit, deciding). Printed per step: wall time, time in commands, own time; then
the totals and the console's own share (the issue's goal: under 5 %).

Nothing here asserts; the numbers are for reading. With ``--runs`` the flow is
repeated on new hosts and the median share is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
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


def one_run(jail: str, quiet: bool) -> tuple[float, float]:
    """One flow on a new host: (wall-own share, CPU-own share), percent."""
    with tempfile.TemporaryDirectory(prefix="jailtui-restore-bench-") as tmp:
        simdir = Path(tmp) / "sim"
        init_host(simdir)
        rc, out, err = dispatch(simdir, ["zfs", "list", "-H", "-o", "name,mountpoint"])
        ds = next(line.split("\t")[0] for line in out.decode().splitlines()
                  if line.split("\t")[1] == f"/usr/local/jails/{jail}")
        dispatch(simdir, ["zfs", "snapshot", "-r", f"{ds}@known-good"])
        plant(simdir, jail)
        runner = TimedRunner(SimRunner(simdir))
        host = Host(runner, backend="SIMULATED", paths=runner.inner.paths)
        controller = Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())
        rows: list[StepResult] = []
        t0, c0 = time.perf_counter(), time.process_time()
        # perf_counter as both clocks: step starts line up with the command spans.
        result = asyncio.run(Restore(controller, on_step=rows.append, clock=time.perf_counter,
                                     timer=time.perf_counter).run(jail, "known-good"))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        own = wall - runner.seconds
        share = own / wall * 100 if wall else 0.0
        cpu_own = cpu - runner.cpu
        cpu_share = cpu_own / wall * 100 if wall else 0.0
        if not quiet:
            print(f"restore {jail} from {result.snapshot}: {'ok' if result.ok else 'FAILED'}")
            print(f"  {'step':<15} {'wall':>8} {'commands':>9} {'own':>8}")
            first = rows[0].started if rows else t0 + wall
            prep = runner.within(t0, first)
            print(f"  {'(prepare)':<15} {first - t0:8.3f} {prep:9.3f} {first - t0 - prep:8.3f}"
                  "   locate, snapshot checks")
            for r in rows:
                tools = runner.within(r.started, r.started + r.seconds)
                print(f"  {r.step:<15} {r.seconds:8.3f} {tools:9.3f} {r.seconds - tools:8.3f}")
            print(f"  {'total':<15} {wall:8.3f} {runner.seconds:9.3f} {own:8.3f}"
                  f"   ({runner.commands} commands)")
            print(f"console's own share: {share:.1f}% of the wall time (goal: under 5%)")
            print(f"console's own CPU: {cpu_own:.3f} s of {cpu:.3f} s CPU, "
                  f"{cpu_share:.1f}% of the wall time")
        return share, cpu_share


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jail", default="db")
    p.add_argument("--runs", type=int, default=1)
    ns = p.parse_args()
    runs = [one_run(ns.jail, quiet=i > 0) for i in range(max(1, ns.runs))]
    if len(runs) > 1:
        walls, cpus = sorted(r[0] for r in runs), sorted(r[1] for r in runs)
        print(f"median own share over {len(runs)} runs: {statistics.median(walls):.1f}% wall "
              f"({walls[0]:.1f} to {walls[-1]:.1f}), {statistics.median(cpus):.1f}% CPU-own "
              f"({cpus[0]:.1f} to {cpus[-1]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
