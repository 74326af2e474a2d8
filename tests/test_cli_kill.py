"""``jailtui kill`` takes signals as kill(1) does: -s NAME, -s NUMBER, -NAME, -NUMBER
(issue 13 item 22; FreeBSD's numbers, core/freebsd/signals.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jailtui.core.freebsd.signals import parse_signal

ROOT = Path(__file__).resolve().parent.parent


def jailtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=dict(os.environ))


def _worker(sim_dir: Path) -> int:
    procs = json.loads(jailtui("--sim", str(sim_dir), "ps", "--jail", "web", "--json").stdout)
    return int(next(p["pid"] for p in procs if p["command"].startswith("nginx: worker")))


@pytest.mark.parametrize(("form", "sent"), [
    (["-s", "1"], "SIGHUP"), (["-s", "hup"], "SIGHUP"), (["-HUP"], "SIGHUP"),
    (["-1"], "SIGHUP"), (["-s", "30"], "SIGUSR1"), (["-9"], "SIGKILL"),
])
def test_kill_accepts_numbers_and_dash_names(sim_dir: Path, form: list[str], sent: str) -> None:
    pid = _worker(sim_dir)
    out = jailtui("--sim", str(sim_dir), "kill", *form, str(pid))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"sent {sent} to {pid}"


def test_kill_unknown_signal_is_one_clear_line(sim_dir: Path) -> None:
    pid = _worker(sim_dir)
    out = jailtui("--sim", str(sim_dir), "kill", "-s", "42", str(pid))
    assert out.returncode == 1 and "unknown signal 42" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_freebsd_numbers_not_linux_ones() -> None:
    assert parse_signal("30") == "USR1" and parse_signal("10") == "BUS"
    assert parse_signal("SIGTERM") == "TERM" and parse_signal("nosuch") is None
