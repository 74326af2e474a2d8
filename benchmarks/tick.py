"""Cost of one console tick at three host sizes: parse + diff + render, headless.

    python benchmarks/tick.py            # 10/200, 200/5,000, 1,000/50,000 jails/processes
    python benchmarks/tick.py --quick    # fewer repetitions

A tick is what the console does every interval once jls and ps have answered:

- parse:  bytes of ``jls --libxo json -v -d`` and ``ps --libxo json ...`` into
          a HostSnapshot (the production Host.poll(), fed recorded bytes, so
          the simulator's own cost is not counted: on FreeBSD that is the kernel);
- diff:   the snapshot into the two keyed tables (rows keyed, sorted,
          filtered, cursor kept) -- the console's _poll_ok();
- render: the tables drawing their lines (only the visible lines are
          formatted: both tables are line-API widgets); "lines" is how many
          were drawn.

Results are printed as milliseconds and as ratios to the smallest host; the
point is the ratios (the render part should stay flat), not the absolute
numbers of this machine. Nothing here asserts a time.
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
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jailtui.core.freebsd import jls as jlsmod  # noqa: E402
from jailtui.core.freebsd import ps as psmod  # noqa: E402
from jailtui.core.hosts.host import Host  # noqa: E402
from jailtui.core.transport.runner import CommandResult, LinklessRunner  # noqa: E402
from jailtui.sim.builder import init_host  # noqa: E402
from jailtui.sim.commands import dispatch  # noqa: E402
from jailtui.sim.runner import SimRunner  # noqa: E402

if TYPE_CHECKING:
    from textual.strip import Strip

SIZES = ((10, 200), (200, 5_000), (1_000, 50_000))


class RecordedRunner(LinklessRunner):
    """Answers jls and ps with recorded bytes (two samples, alternating)."""

    label = "recorded"

    def __init__(self, samples: dict[str, list[bytes]], simdir: Path) -> None:
        self.samples = samples
        self.simdir = simdir
        self.calls = 0

    async def run(self, argv: Sequence[str], *, timeout: float = 10.0,
                  input: bytes | None = None) -> CommandResult:
        tool = argv[0]
        if tool not in ("jls", "ps"):
            # Asked once per host (the system, hw.physmem): the simulator answers.
            rc, out, err = dispatch(self.simdir, list(argv))
            return CommandResult(tuple(argv), rc, out, err)
        data = self.samples[tool][self.calls // 2 % len(self.samples[tool])]
        self.calls += 1
        return CommandResult(tuple(argv), 0, data, b"")

    def interactive_argv(self, argv: Sequence[str]) -> list[str]:
        return list(argv)

    def interactive_env(self) -> dict[str, str]:
        return {}

    def pipe_argv(self, argv: Sequence[str]) -> list[str]:
        return list(argv)


def record(simdir: Path) -> tuple[dict[str, list[bytes]], float]:
    """Two samples of jls and ps output, 5 s apart (CPU and memory moved)."""
    samples: dict[str, list[bytes]] = {"jls": [], "ps": []}
    t0 = time.perf_counter()
    now = time.time()
    for i in range(2):
        env = {"JAILTUI_SIM_NOW": str(now + 5 * i), "TZ": "UTC"}
        for tool, argv in (("jls", list(jlsmod.JLS_POLL_ARGV)), ("ps", psmod.ps_argv())):
            rc, out, err = dispatch(simdir, argv, env=env)
            assert rc == 0, err
            samples[tool].append(out)
    return samples, (time.perf_counter() - t0) / 2


class RenderMeter:
    """Time spent drawing the tables' lines (KeyedTable.render_line), and how many.

    Timing ``pilot.pause()`` alone would count idle waiting in the event
    loop; this counts only the drawing work the data size could affect.
    """

    def __init__(self) -> None:
        from jailtui.widgets.keyed_table import KeyedTable

        self.seconds = 0.0
        self.lines = 0
        original = KeyedTable.render_line
        meter = self

        def timed(table: KeyedTable[Any, Any], y: int) -> Strip:
            t0 = time.perf_counter()
            try:
                return original(table, y)
            finally:
                meter.seconds += time.perf_counter() - t0
                meter.lines += 1

        KeyedTable.render_line = timed  # type: ignore[method-assign,assignment]

    def reset(self) -> None:
        self.seconds = 0.0
        self.lines = 0


#: Ticks drawn before the counted ones: the first renders of a new app cost
#: two to three times the later ones (first use of the styles' and the
#: segments' caches; measured 4 December 2026: 7.7, 6.4, then 2.1 to 3.0 ms
#: at 200 processes), which, counted, made the ratio between hosts swing.
WARMUP = 2


async def measure(simdir: Path, reps: int, warmup: int = WARMUP) -> dict[str, float]:
    from jailtui.app import JailtuiApp

    samples, sim_cost = record(simdir)
    paths = SimRunner(simdir).paths
    host = Host(RecordedRunner(samples, simdir), backend="SIMULATED", paths=paths,
                hostname="bench")
    app = JailtuiApp(host, None, interval=3600.0)
    parse: list[float] = []
    diff: list[float] = []
    render: list[float] = []
    lines: list[int] = []
    meter = RenderMeter()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for i in range(warmup + reps):
            t0 = time.perf_counter()
            snap = await host.poll()
            t1 = time.perf_counter()
            app.fleet.poller(app.fleet.focus).took(snap)
            t2 = time.perf_counter()
            meter.reset()
            await pilot.pause()
            if i < warmup:
                continue
            parse.append(t1 - t0)
            diff.append(t2 - t1)
            # A tick whose visible rows did not change draws no line (the
            # console repaints only what changed): it says nothing of the
            # cost of drawing, so only the ticks that drew count.
            if meter.lines:
                render.append(meter.seconds)
                lines.append(meter.lines)
    # The least render too: timeit's reading (its docs: higher values are
    # "typically not caused by variability in Python's speed, but by other
    # processes interfering"), for figures.py's interleaved rounds.
    return {"sim answer": sim_cost, "parse": statistics.median(parse),
            "diff": statistics.median(diff),
            "render": statistics.median(render) if render else 0.0,
            "render min": min(render, default=0.0),
            "lines": float(statistics.median(lines)) if lines else 0.0,
            "idle ticks": float(reps - len(render)),
            "bytes": float(sum(len(s[0]) for s in samples.values()))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="3 repetitions instead of 9")
    args = ap.parse_args()
    reps = 3 if args.quick else 9
    rows = []
    with tempfile.TemporaryDirectory(prefix="jailtui-bench-") as tmp:
        for jails, procs in SIZES:
            simdir = Path(tmp) / f"h{jails}"
            init_host(simdir, jails=jails, processes=procs)
            print(f"measuring {jails} jails / {procs} processes ...", file=sys.stderr)
            rows.append((jails, procs, asyncio.run(measure(simdir, reps))))
    base = rows[0][2]
    print(f"{'jails/procs':>14}  {'parse ms':>9} {'x':>6}  {'diff ms':>8} {'x':>6}  "
          f"{'render ms':>9} {'x':>6}  {'lines':>5}  {'tick ms':>8} {'x':>6}  {'sim ms':>7}  {'bytes':>10}")
    for jails, procs, r in rows:
        tick = r["parse"] + r["diff"] + r["render"]
        btick = base["parse"] + base["diff"] + base["render"]
        print(f"{jails:>6}/{procs:<7}  {r['parse'] * 1e3:9.1f} {r['parse'] / base['parse']:6.1f}  "
              f"{r['diff'] * 1e3:8.1f} {r['diff'] / base['diff']:6.1f}  "
              f"{r['render'] * 1e3:9.1f} {r['render'] / base['render']:6.2f}  "
              f"{int(r['lines']):>5}  "
              f"{tick * 1e3:8.1f} {tick / btick:6.1f}  {r['sim answer'] * 1e3:7.0f}  "
              f"{int(r['bytes']):>10}")
    print("x: ratio to the smallest host. render should stay near 1.0 at every size; "
          "parse and diff grow with the data (linear).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
