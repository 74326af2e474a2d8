"""Idle soak: the console's memory and the bytes it sends to the terminal while nothing happens.

    python benchmarks/soak.py                          # 5 minutes at --interval 0.2, 80x24
    python benchmarks/soak.py --minutes 60 --interval 2   # the hour at the default interval
    python benchmarks/soak.py --minutes 2 --size 200x50

The console runs on a fresh simulated host in a real terminal (a tmux pane,
so Textual's own driver and output path are measured), untouched. Every
``--sample`` seconds the RSS of the console process is read, and the
pane's output (``tmux pipe-pane``) is counted. Printed:

- RSS first / last / max and the ratio last/first (issue 13 item 8: an hour
  idle must not grow RSS by more than 10 %; the first sample is taken after
  ``--warmup`` seconds, when the first polls and health checks have run);
- bytes written to the terminal per poll while idle (issue 13 item 43: only
  what changed is sent; the first frame is not counted).

A short interval makes more polls per minute: 0.2 s for 5 minutes is 1,500
polls, as many as 50 minutes at the default 2 s. Needs tmux. Nothing here
asserts; the numbers are for reading (and for the report of a change).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=20,
                          check=False).stdout


def console_pid(session: str, timeout: float = 30.0) -> int:
    """The python process of the console (a child of the pane's shell)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pane = tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip()
        if pane.isdigit():
            top = psutil.Process(int(pane))
            for proc in [top, *top.children(recursive=True)]:
                cmdline = proc.cmdline()
                if "jailtui" in cmdline and cmdline[0] != "env":
                    return proc.pid
        time.sleep(0.2)
    raise SystemExit("the console did not start")


def wait_screen(session: str, text: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if text in tmux("capture-pane", "-p", "-t", session):
            return
        time.sleep(0.2)
    raise SystemExit(f"the console never showed {text!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--interval", type=float, default=0.2, help="the console's --interval")
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples")
    ap.add_argument("--warmup", type=float, default=20.0)
    ap.add_argument("--size", default="80x24", help="COLSxROWS of the terminal")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="an environment variable for the console (e.g. MALLOC_ARENA_MAX=2)")
    args = ap.parse_args(argv)
    if shutil.which("tmux") is None:
        print("needs tmux (install the tmux package)", file=sys.stderr)
        return 2
    cols, rows = (int(x) for x in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="jailtui-soak-"))
    sim = work / "sim"
    subprocess.run([sys.executable, "-m", "jailtui", "sim", "init", str(sim)], check=True,
                   cwd=ROOT, capture_output=True, timeout=120)
    out = work / "pane.out"
    session = f"soak-{uuid.uuid4().hex[:8]}"
    cmd = " ".join(shlex.quote(a) for a in
                   ["env", "TERM=xterm-256color", *args.env, sys.executable, "-m", "jailtui",
                    "--sim", str(sim), "--interval", str(args.interval)])
    env = [a for k, v in os.environ.items() if k.startswith(("PATH", "HOME", "LANG", "XDG_"))
           for a in ("-e", f"{k}={v}")]
    tmux("new-session", "-d", "-s", session, "-x", str(cols), "-y", str(rows), *env,
         "-e", f"COLUMNS={cols}", "-e", f"LINES={rows}", f"cd {shlex.quote(str(ROOT))} && {cmd}")
    try:
        pid = console_pid(session)
        wait_screen(session, "SIMULATED")
        tmux("pipe-pane", "-o", "-t", session, f"cat >> {shlex.quote(str(out))}")
        time.sleep(args.warmup)
        proc = psutil.Process(pid)
        samples: list[tuple[float, int]] = []
        start = time.monotonic()
        start_bytes = out.stat().st_size if out.exists() else 0
        end = start + args.minutes * 60
        while True:
            now = time.monotonic()
            samples.append((now - start, proc.memory_info().rss))
            print(f"{samples[-1][0]:7.0f}s  rss {samples[-1][1] / 2**20:7.1f} MiB", flush=True)
            if now >= end:
                break
            time.sleep(min(args.sample, max(0.0, end - now)))
        elapsed = time.monotonic() - start
        sent = (out.stat().st_size if out.exists() else 0) - start_bytes
    finally:
        tmux("kill-session", "-t", session)
    first, last = samples[0][1], samples[-1][1]
    peak = max(r for _t, r in samples)
    polls = elapsed / args.interval
    print()
    print(f"terminal {cols}x{rows}, interval {args.interval} s, {elapsed / 60:.1f} min idle "
          f"(~{polls:.0f} polls)")
    print(f"RSS first {first / 2**20:.1f} MiB, last {last / 2**20:.1f} MiB, "
          f"max {peak / 2**20:.1f} MiB: last/first = {last / first:.3f}")
    print(f"sent to the terminal: {sent} bytes, {sent / max(polls, 1):.0f} bytes per poll, "
          f"{sent / max(elapsed, 1e-9):.0f} bytes/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
