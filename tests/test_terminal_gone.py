"""The console exits when its terminal goes away (issue 14 item 4), for real.

The console runs on a pty that is not its controlling terminal (as under
``su``, which keeps the SIGHUP to itself); the master is closed once it has
drawn. It must exit by itself; before, Textual's input thread spun on EOF
and the console polled forever. Also SIGHUP alone ends it.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start_console(sim: Path) -> tuple[subprocess.Popen[bytes], int]:
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-m", "jailtui", "--sim", str(sim),
                             "--interval", "0.5"], stdin=slave, stdout=slave, stderr=slave,
                            cwd=ROOT, env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    return proc, master


def wait_drawn(master: int, amount: int = 20000) -> None:
    """Until the console has drawn a screenful (cells come one escape each)."""
    seen = b""
    deadline = time.monotonic() + 60
    while len(seen) < amount:
        left = deadline - time.monotonic()
        assert left > 0, f"the console never drew: {seen[-500:]!r}"
        r, _, _ = select.select([master], [], [], left)
        if r:
            seen += os.read(master, 65536)


def finished(proc: subprocess.Popen[bytes], limit: float = 20) -> int | None:
    try:
        return proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def test_closing_the_terminal_ends_the_console(sim_dir: Path) -> None:
    proc, master = start_console(sim_dir)
    try:
        wait_drawn(master)
    finally:
        os.close(master)  # the terminal emulator is gone
    rc = finished(proc)
    assert rc is not None, "the console outlived its terminal"


def test_sighup_ends_the_console(sim_dir: Path) -> None:
    proc, master = start_console(sim_dir)
    try:
        wait_drawn(master)
        proc.send_signal(signal.SIGHUP)
        rc = finished(proc)
    finally:
        os.close(master)
    assert rc is not None


@pytest.mark.parametrize("fd_kind", ["pipe-closed"])
def test_terminal_gone_detects_a_hung_up_descriptor(fd_kind: str) -> None:
    from jailtui.console.hangup import terminal_gone

    master, slave = os.openpty()
    try:
        assert not terminal_gone(slave)
        os.close(master)
        assert terminal_gone(slave)
    finally:
        os.close(slave)
