"""``jailtui check`` refuses thresholds it cannot judge by: UNKNOWN (3) with the reason
(issue 13 item 23), before any host is asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def check(sim: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim), "check", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ))


@pytest.mark.parametrize(("args", "why"), [
    # The option typed is named, not --disk-crit (which followed warn to 500).
    (["--disk-warn", "500"], "thresholds: --disk-warn 500: a percentage from 0 to 100\n"),
    (["--rctl-crit", "-5"], "thresholds: --rctl-crit -5: a percentage from 0 to 100\n"),
    (["--disk-warn", "-1"], "--disk-warn -1: a percentage"),
    (["--rctl-crit", "nan"], "--rctl-crit nan"),
    (["--disk-warn", "95", "--disk-crit", "90"], "--disk-warn 95 is above --disk-crit 90"),
    (["--min-securelevel", "5"], "securelevels are -1 to 3"),
    (["--flag", "nosuch.param"], "--flag nosuch.param: not a jail parameter"),
])
def test_bad_thresholds_are_unknown(sim_dir: Path, args: list[str], why: str) -> None:
    out = check(sim_dir, *args)
    assert out.returncode == 3, out.stdout
    assert out.stdout.startswith("JAILS UNKNOWN - bad thresholds:") and why in out.stdout
    js = check(sim_dir, "--json", *args)
    assert js.returncode == 3 and why.strip() in json.loads(js.stdout)["error"]


def test_good_thresholds_still_check(sim_dir: Path) -> None:
    out = check(sim_dir, "--disk-warn", "0", "--disk-crit", "100", "--min-securelevel", "-1",
                "--flag", "allow.raw_sockets", "--flag", "allow.mount.zfs")
    assert out.returncode in (0, 1, 2) and "bad thresholds" not in out.stdout
    assert "vpn: allow.raw_sockets is enabled" in out.stdout


def test_disk_percent_is_dfs_used_over_used_plus_avail(sim_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A UFS with 8 % minfree: 10 G used, 29 G available of 100 G. df (and
    psutil) say 26 %; used/total said 10 % (issue 13 item 12)."""
    from collections import namedtuple

    import psutil

    from jailtui.cli.main import main

    usage = namedtuple("usage", "total used free percent")
    gib = 1024 ** 3
    monkeypatch.setattr(psutil, "disk_usage",
                        lambda path: usage(100 * gib, 10 * gib, 29 * gib, 25.6))
    code = main(["--sim", str(sim_dir), "check", "--no-daemons", "--disk-warn", "20",
                 "--disk-crit", "30"])
    out = capsys.readouterr().out
    assert "web: file system of /usr/local/jails/web 26% full" in out
    assert code == 1 and "WARNING" in out.splitlines()[0]
