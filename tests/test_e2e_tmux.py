"""End to end in a real terminal: the console in tmux, driven by keys.

This is the test a new user's first minute would be: open the console on the
simulated host, see the jails, select one, see its J-marked processes,
switch to the host-wide list, stop a jail from another terminal and see it
stopped within one interval, quit with a clean exit.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tmux_pane import ROOT, Pane, keep_server, require_tmux
from tmux_pane import tmux as _tmux

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def console(sim_dir: Path, tmp_path: Path) -> Iterator[Pane]:
    require_tmux()
    keep_server()
    session = f"jt-{uuid.uuid4().hex[:8]}"
    status = tmp_path / "status"
    env = {k: v for k, v in os.environ.items() if k.startswith(("XDG_", "PATH", "HOME", "LANG"))}
    cmd = (f"cd {ROOT} && {sys.executable} -m jailtui --sim {sim_dir} --interval 1; "
           f"echo $? > {status}; sleep 30")
    _tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "36",
          *[a for k, v in env.items() for a in ("-e", f"{k}={v}")],
          "-e", "TERM=xterm-256color",
          # A tmux server started from pytest inherits COLUMNS/LINES=80x24 in
          # its global environment and Textual sizes itself from them.
          "-e", "COLUMNS=120", "-e", "LINES=36", cmd)
    pane = Pane(session, status)
    try:
        yield pane
    finally:
        _tmux("kill-session", "-t", session)


def test_console_in_tmux(console: Pane, sim_dir: Path) -> None:
    screen = console.wait(lambda s: "SIMULATED" in s and "web" in s and "db" in s)
    assert "staging" in screen  # the configured-but-stopped jail is listed
    # The jails pane has the focus; the processes pane shows the selected
    # jail's processes, every one of them J-marked.
    console.wait(lambda s: "J " in s or "J\u2502" in s or "SJ" in s or "IJ" in s)

    # Host-wide process list: host processes (jid 0, jail "-") appear too;
    # [idle] (jid 0) leads the %CPU sort, whatever the jails' processes do.
    console.keys("a")
    console.wait(lambda s: any(re.match(r"\s*\d+\s+0\s+-\s", ln.lstrip("J"))
                               for ln in s.splitlines()))
    console.keys("a")

    # Stop a jail from "another terminal"; the console shows it within one interval.
    out = subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "stop", "mail"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr

    def mail_stopped(s: str) -> bool:
        return any("mail" in line and "stopped" in line for line in s.splitlines())

    console.wait(mail_stopped, timeout=15)

    console.keys("q")
    status_file = console.status_file
    assert status_file is not None
    end = time.monotonic() + 15
    while time.monotonic() < end and not status_file.exists():
        time.sleep(0.2)
    assert status_file.read_text().strip() == "0"
