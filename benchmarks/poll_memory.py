"""Where a poll's memory peak comes from: tracemalloc per phase, and VmHWM of polls.

    python benchmarks/poll_memory.py --keep /tmp/bench                 # this tree
    python benchmarks/poll_memory.py --keep /tmp/bench --tree /tmp/before

The production ``Host.poll()`` of ``--host local`` against recorded jls/ps bytes
(benchmarks/recorded.py), with its real threads (the parse thread, asyncio's
pool), the previous snapshot kept alive while the next poll runs, as the
console keeps it on screen. Printed:

- ``phases``: with tracemalloc on for one poll, what is traced above the
  resting state (one snapshot alive) at each phase's end, and the highest
  point within the phase: the reading of ps's output (``capture.collect``),
  its decode to text, the parse into the new snapshot, the rest of the poll;
- ``VmHWM``: a fresh process running ``--polls`` polls without tracemalloc,
  its VmHWM and VmRSS (/proc/self/status, proc(5)) after each. The console
  calls ``core.memory.map_big_blocks()`` before its first poll
  (terminal.run_console); so does this, where the tree has it.

Not the console's figure (``figures.py``'s rss row adds Textual and the
screens): the poll's own share of it, in one process, quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
MIB = 2 ** 20


def status() -> str:
    """VmHWM and VmRSS of this process, in MiB."""
    got = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                got[key] = int(value.split()[0]) // 1024
    return f"VmHWM {got['VmHWM']} MiB, VmRSS {got['VmRSS']} MiB"


def host_of(tree: Path, keep: Path, jails: int, processes: int) -> Any:
    sys.path.insert(0, str(tree / "benchmarks"))
    sys.path.insert(0, str(tree))
    import recorded  # the tree's own

    import jailtui
    if not jailtui.__file__ or not jailtui.__file__.startswith(str(tree)):
        raise SystemExit(f"jailtui imported from {jailtui.__file__}, not {tree}")
    from jailtui.core.hosts.host import Host
    from jailtui.core.transport.hostfs import PathMap
    from jailtui.core.transport.runner import LocalRunner

    rec = recorded.record(keep, jails, processes)
    (keep / "home").mkdir(exist_ok=True)
    os.environ.update(rec.env(keep / "home"))
    return Host(LocalRunner(), backend="FreeBSD", paths=PathMap(root=str(rec.root)))


def wrap(module: ModuleType, name: str, make: Callable[[Any], Any]) -> None:
    """Replace ``module.name`` by ``make(module.name)`` (this process only)."""
    setattr(module, name, make(getattr(module, name)))


def phases(host: Any) -> None:
    from jailtui.core.hosts import host as host_module
    from jailtui.core.transport import runner

    base = [0]

    def mark(label: str) -> None:
        if not tracemalloc.is_tracing():
            return
        cur, peak = tracemalloc.get_traced_memory()
        print(f"  {label:34s} {(cur - base[0]) / MIB:6.1f} MiB   highest within "
              f"{(peak - base[0]) / MIB:6.1f} MiB")
        tracemalloc.reset_peak()

    def collect_marked(collect: Any) -> Any:
        async def marked(*args: Any, **kwargs: Any) -> Any:
            got = await collect(*args, **kwargs)
            if len(got.stdout) > 1 << 20:
                mark(f"ps read ({len(got.stdout) // 1024} KiB)")
            return got
        return marked

    def parse_marked(parse_poll: Any) -> Any:
        def marked(*args: Any, **kwargs: Any) -> Any:
            mark("until the parse starts")
            got = parse_poll(*args, **kwargs)
            mark("parsed")
            return got
        return marked

    def decode_marked(decode: Any) -> Any:
        def marked(data: bytes) -> str:
            text: str = decode(data)
            mark("decoded (bytes and text)")
            return text
        return marked

    wrap(runner, "collect", collect_marked)
    wrap(host_module, "_parse_poll", parse_marked)
    wrap(host_module, "psdecode", decode_marked)

    async def run() -> None:
        last = None
        for i in range(3):
            os.environ["JAILTUI_BENCH_SAMPLE"] = str(i % 2)
            if i == 2:
                gc.collect()
                tracemalloc.start(1)
                base[0] = tracemalloc.get_traced_memory()[0]
                print("phases of one poll (traced above the resting state, "
                      "the previous snapshot alive):")
            snap = await host.poll()
            mark("rest of the poll")
            last = snap
        del last
        tracemalloc.stop()

    asyncio.run(run())


def polls(host: Any, n: int) -> None:
    try:
        from jailtui.core.memory import map_big_blocks
    except ImportError:  # a tree from before round 7
        print("  (this tree has no map_big_blocks)")
    else:
        print(f"  map_big_blocks(): {map_big_blocks()}")

    async def run() -> None:
        last = None
        for i in range(n):
            os.environ["JAILTUI_BENCH_SAMPLE"] = str(i % 2)
            snap = await host.poll()
            last = snap
            print(f"  poll {i + 1}: {status()}")
        del last

    asyncio.run(run())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--tree", type=Path, default=HERE.parent, help="the source tree to measure")
    ap.add_argument("--keep", type=Path, required=True, help="where the recorded hosts are kept")
    ap.add_argument("--jails", type=int, default=1000)
    ap.add_argument("--processes", type=int, default=50000)
    ap.add_argument("--polls", type=int, default=8)
    ap.add_argument("--mode", choices=("both", "phases", "polls"), default="both")
    args = ap.parse_args()
    tree = args.tree.resolve()
    if args.mode == "both":  # each in a fresh process: tracemalloc must not touch VmHWM
        for mode in ("phases", "polls"):
            subprocess.run([sys.executable, __file__, "--tree", str(tree), "--keep",
                            str(args.keep), "--jails", str(args.jails), "--processes",
                            str(args.processes), "--polls", str(args.polls), "--mode", mode],
                           check=True)
        return 0
    host = host_of(tree, args.keep, args.jails, args.processes)
    if args.mode == "phases":
        phases(host)
    else:
        print(f"VmHWM of {args.polls} polls, {tree}:")
        polls(host, args.polls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
