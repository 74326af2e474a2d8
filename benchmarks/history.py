"""The history's cost (core/history.py, issue 20): memory at 1,000 jails for an
hour, and one poll's sampling beside the poll's own parse, as a ratio.

    .venv/bin/python benchmarks/history.py [--jails 1000] [--interval 2] [--reps 5]

An hour of polls at ``--interval`` is fed through History.observe on a made-up
snapshot of ``--jails`` running jails (the values move every poll); tracemalloc
counts what the history holds afterwards. The sampling's time is put beside
``json.loads`` of the same host's jls output (what every poll does anyway),
median of ``--reps``, both measured in this process one after the other.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc
from dataclasses import replace

from jailtui.core.history import History
from jailtui.core.model import HostInfo, HostSnapshot, Jail, JailState


def snapshot(n: int) -> HostSnapshot:
    jails = tuple(Jail(f"jail{i:04d}", i + 1, JailState.RUNNING, hostname=f"j{i}.example.org",
                  path=f"/usr/local/jails/jail{i:04d}", processes=5, cpu_percent=1.0,
                  rss_kib=50_000) for i in range(n))
    return HostSnapshot(jails=jails, processes=(), info=HostInfo(hostname="bench"),
                        taken_at=0.0)


def jls_bytes(n: int) -> bytes:
    rows = [{"jid": i + 1, "name": f"jail{i:04d}", "hostname": f"j{i}.example.org",
             "path": f"/usr/local/jails/jail{i:04d}", "ipv4_addrs": ["10.0.0.1"],
             "ipv6_addrs": [], "dying": False} for i in range(n)]
    return json.dumps({"__version": "2", "jail-information": {"jail": rows}}).encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jails", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--limited", type=int, default=1000, metavar="N",
                    help="jails with rctl rules, sampled with rctl -u on the health "
                         "check's cadence (--health, default 30 s): the rctl history")
    ap.add_argument("--health", type=float, default=30.0)
    args = ap.parse_args()
    base = snapshot(args.jails)
    moving = [replace(base, jails=tuple(replace(j, cpu_percent=(k + i) % 50 / 10)
                                        for i, j in enumerate(base.jails))) for k in range(4)]
    polls = int(3600 / args.interval)
    now = [0.0]
    usage = [{f"jail{i:04d}": {"memoryuse": 50_000_000 + k, "pcpu": k % 7, "openfiles": 180,
                               "nthr": 11, "swapuse": 0, "readbps": 19_000 * k,
                               "writebps": 8_000 * k}
              for i in range(min(args.limited, args.jails))} for k in range(4)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    history = History(3600, clock=lambda: now[0])
    every = max(1, round(args.health / args.interval))
    mid = before
    for p in range(polls):
        now[0] = p * args.interval
        history.observe("bench", moving[p % 4])
        if p == 0:
            mid = tracemalloc.get_traced_memory()[0]
        if args.limited and p % every == 0:
            history.observe_rctl("bench", usage[p % 4])
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(f"{args.jails} jails, one poll every {args.interval:g} s for an hour ({polls} polls), "
          f"{min(args.limited, args.jails)} with rctl rules sampled every {args.health:g} s:")
    print(f"  history holds {held / 1024 / 1024:.2f} MiB "
          f"({held / max(1, args.jails):.0f} bytes a jail; the first poll's series "
          f"{(mid - before) / 1024 / 1024:.2f} MiB)")

    data = jls_bytes(args.jails)
    sample: list[float] = []
    parse: list[float] = []
    for r in range(args.reps):
        t0 = time.perf_counter()
        json.loads(data)
        parse.append(time.perf_counter() - t0)
        now[0] += args.interval
        t0 = time.perf_counter()
        history.observe("bench", moving[r % 4])
        sample.append(time.perf_counter() - t0)
    ratio = statistics.median(sample) / statistics.median(parse)
    print(f"  one poll's sampling / json.loads of its jls output: {ratio:.2f}x "
          f"(median of {args.reps})")


if __name__ == "__main__":
    main()
