"""core/transport/capture.py kill_tree: the command line's ``exec`` kills a
timed-out command with everything it started, although it shares our process
group (ctrl+c must reach it), so the group cannot be killed."""

from __future__ import annotations

import subprocess
import time

import psutil

from jailtui.core.transport.capture import kill_tree


def _alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            continue
    return out


def test_kill_tree_kills_the_child_and_what_it_started() -> None:
    # In our process group, as run_exec_streamed starts it: two background
    # sleeps and a nested shell with one more.
    proc = subprocess.Popen(["sh", "-c", "sleep 601 & sh -c 'sleep 602 & wait' & wait"])
    try:
        deadline = time.monotonic() + 30        # a bound on waiting, not a timing
        kids: list[int] = []
        while len([k for k in kids if psutil.Process(k).name() == "sleep"]) < 2:
            assert time.monotonic() < deadline, "the sleeps did not start"
            time.sleep(0.05)
            kids = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        kill_tree(proc.pid)
        assert proc.wait(timeout=30) == -9
        end = time.monotonic() + 30
        while _alive(kids):
            assert time.monotonic() < end, f"still alive: {_alive(kids)}"
            time.sleep(0.05)
    finally:
        for p in psutil.Process().children(recursive=True):
            if p.pid == proc.pid or "sleep 60" in " ".join(p.cmdline()):
                p.kill()


def test_kill_tree_of_a_process_gone_is_nothing() -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()
    kill_tree(proc.pid)                          # no error: already reaped
