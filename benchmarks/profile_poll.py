"""Where the time and the memory of one poll go: cProfile and tracemalloc.

    python benchmarks/profile_poll.py                  # 1,000 jails / 50,000 processes
    python benchmarks/profile_poll.py --jails 10 --processes 200 --top 15
    python benchmarks/profile_poll.py --console        # the console's tick too (headless)

The production ``Host.poll()`` of ``--host local`` runs against recorded
jls/ps bytes (benchmarks/recorded.py; ``cat`` on PATH), with
``asyncio.to_thread`` and the parse thread (``host._PARSER``) run inline so
cProfile sees the parse (it profiles one thread). Printed: the top functions by own time, then tracemalloc's view of
what one snapshot keeps alive (the retained size, by line) and the peak
during the poll. ``--console`` also feeds two snapshots to the main screen
(``app.run_test``) and profiles the diff and the render of the second.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import cProfile
import gc
import io
import os
import pstats
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import recorded  # noqa: E402


async def _inline(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


class _InlineExecutor(concurrent.futures.Executor):
    """Runs the parse (host._PARSER's work) in this thread, where cProfile sees it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any,
               **kwargs: Any) -> concurrent.futures.Future[Any]:
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting poll
            fut.set_exception(exc)
        return fut


def make_host(rec: recorded.Recorded, home: Path) -> Any:
    from jailtui.core.hosts.host import Host
    from jailtui.core.transport.hostfs import PathMap
    from jailtui.core.transport.runner import LocalRunner

    os.environ.update(rec.env(home, sample=0))
    return Host(LocalRunner(), backend="FreeBSD", paths=PathMap(root=str(rec.root)))


def top(prof: cProfile.Profile, n: int, key: str) -> str:
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(n)
    return "\n".join(ln for ln in buf.getvalue().splitlines() if ln.strip())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--jails", type=int, default=1000)
    ap.add_argument("--processes", type=int, default=50000)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--keep", type=Path, help="where the recorded hosts are kept")
    ap.add_argument("--console", action="store_true", help="profile the console's tick too")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="jailtui-profile-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "home").mkdir(exist_ok=True)
    rec = recorded.record(work, args.jails, args.processes)
    asyncio.to_thread = _inline
    from jailtui.core.hosts import host as host_module

    host_module._PARSER = _InlineExecutor()  # type: ignore[assignment]
    host = make_host(rec, work / "home")
    asyncio.run(host.poll())  # first poll: the slow facts, config caches

    prof = cProfile.Profile()
    prof.enable()
    snap = asyncio.run(host.poll())
    prof.disable()
    print(f"== poll: {len(snap.jails)} jails, {len(snap.processes)} processes: by own time")
    print(top(prof, args.top, "tottime"))
    print("== by cumulative time")
    print(top(prof, args.top, "cumulative"))

    del snap
    gc.collect()
    tracemalloc.start(4)
    before = tracemalloc.take_snapshot()
    snap = asyncio.run(host.poll())
    gc.collect()
    after = tracemalloc.take_snapshot()
    _cur, peak = tracemalloc.get_traced_memory()
    kept = sum(s.size_diff for s in after.compare_to(before, "filename"))
    print(f"== memory: one snapshot keeps {kept / 2**20:.1f} MiB; peak during the poll "
          f"{peak / 2**20:.1f} MiB")
    for stat in after.compare_to(before, "lineno")[: args.top // 2]:
        print(f"  {stat.size_diff / 2**20:8.2f} MiB {stat.count_diff:>9} blocks  "
              f"{stat.traceback[0]}")
    tracemalloc.stop()

    if args.console:
        asyncio.run(profile_console(host, snap, args.top))
    return 0


async def profile_console(host: Any, first: Any, n: int) -> None:
    from jailtui.app import JailtuiApp

    app = JailtuiApp(host, None, interval=3600.0)
    async with app.run_test(size=(120, 40)) as pilot:
        poller = app.fleet.poller(app.fleet.focus)
        poller.took(first)
        await pilot.pause()
        os.environ["JAILTUI_BENCH_SAMPLE"] = "1"
        second = await host.poll()
        prof = cProfile.Profile()
        prof.enable()
        poller.took(second)
        await pilot.pause()
        await pilot.pause()
        prof.disable()
        print("== console: diff + render of a changed snapshot, by own time")
        print(top(prof, n, "tottime"))
        print("== by cumulative time")
        print(top(prof, n, "cumulative"))


if __name__ == "__main__":
    sys.exit(main())
