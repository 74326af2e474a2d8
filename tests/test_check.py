"""``jailtui check``: each finding produced on the simulated host, through the real CLI.

Monitoring-plugin conventions: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN;
first line ``JAILS <STATE> - ... | perfdata``, then a line per finding.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def jt(sim: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


FIRST_LINE = re.compile(r"^JAILS (OK|WARNING|CRITICAL|UNKNOWN) - .+ \| running=\d+;;; "
                        r"stopped=\d+;;; dying=\d+;;; critical=\d+;;; warning=\d+;;;$")


def test_healthy_host_is_ok(sim_dir: Path) -> None:
    out = jt(sim_dir, "check")
    assert out.returncode == 0, out.stdout + out.stderr
    assert FIRST_LINE.match(out.stdout.splitlines()[0])
    assert out.stdout.startswith("JAILS OK - 10 running")
    assert len(out.stdout.splitlines()) == 1


def test_jail_in_jail_list_down_is_critical(sim_dir: Path) -> None:
    assert jt(sim_dir, "stop", "web").returncode == 0
    out = jt(sim_dir, "check")
    assert out.returncode == 2
    first, *rest = out.stdout.splitlines()
    assert FIRST_LINE.match(first)
    # The stopped web lingers dying beside its stopped row (docs/freebsd.md 5.4).
    assert first.startswith("JAILS CRITICAL - 9 running, 1 down: web, 1 dying |")
    assert "CRITICAL: web: not running (enabled in rc.conf jail_list)" in rest
    data = json.loads(jt(sim_dir, "check", "--json").stdout)
    assert data["status"] == "CRITICAL" and data["exit_code"] == 2
    assert {"severity": "CRITICAL", "kind": "down", "jail": "web",
            "message": "web: not running (enabled in rc.conf jail_list)"} in data["findings"]


def test_stopped_jail_not_in_jail_list_is_fine(sim_dir: Path) -> None:
    """staging is configured but not in jail_list: stopped is its normal state."""
    out = jt(sim_dir, "check", "--json")
    assert json.loads(out.stdout)["jails"]["staging"] == "stopped"
    assert out.returncode == 0


def test_killed_daemon_is_critical(sim_dir: Path) -> None:
    procs = json.loads(jt(sim_dir, "ps", "--jail", "db", "--json").stdout)
    master = next(p for p in procs if p["command"].startswith("/usr/local/bin/postgres"))
    assert jt(sim_dir, "kill", "-s", "KILL", str(master["pid"])).returncode == 0
    out = jt(sim_dir, "check")
    assert out.returncode == 2
    assert "CRITICAL: db: postgresql is enabled in rc.conf but not running" in out.stdout
    # Restarting the daemon clears it.
    assert jt(sim_dir, "service", "db", "postgresql", "start").returncode == 0
    assert jt(sim_dir, "check").returncode == 0


def test_dying_jail_and_jail_without_processes(sim_dir: Path) -> None:
    from jailtui.sim.state import Store

    with Store(sim_dir).write() as st:
        cache = st.jail_by_name("cache")
        assert cache is not None
        cache.dying, cache.dying_since = True, time.time()
        vpn = st.jail_by_name("vpn")
        assert vpn is not None
        st.procs = [p for p in st.procs if p.jid != vpn.jid]
        vpn.params["persist"] = True
    # Dying is normal for a while after a stop: stuck only after [check] dying_after.
    assert "stuck dying" not in jt(sim_dir, "check").stdout
    conf = sim_dir / "config.toml"
    conf.write_text("[check]\ndying_after = 0\n")
    out = jt(sim_dir, "--config", str(conf), "check")
    assert out.returncode == 2  # cache is in jail_list and no longer running: down too
    assert "WARNING: cache: stuck dying" in out.stdout
    assert "WARNING: vpn: running with no process" in out.stdout
    assert "dying=1;;;" in out.stdout


def test_rctl_near_limit(sim_dir: Path) -> None:
    usage = subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "sim", "exec",
                            "--", "rctl", "-u", "jail:db"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60).stdout
    mem = int(dict(ln.split("=", 1) for ln in usage.split())["memoryuse"])
    rule = f"jail:db:memoryuse:deny={int(mem / 0.97)}"
    add = subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "sim", "exec",
                          "--", "rctl", "-a", rule], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert add.returncode == 0, add.stderr
    out = jt(sim_dir, "check", "--rctl-warn", "50", "--rctl-crit", "99.9")
    assert "db: memoryuse at" in out.stdout and "of its limit" in out.stdout
    assert out.returncode in (1, 2)
    crit = jt(sim_dir, "check", "--rctl-crit", "50")
    assert crit.returncode == 2


def test_disk_threshold(sim_dir: Path) -> None:
    out = jt(sim_dir, "check", "--disk-warn", "0", "--disk-crit", "100")
    assert out.returncode == 1
    assert re.search(r"WARNING: web: file system of /usr/local/jails/web \d+% full", out.stdout)


def test_securelevel_minimum_and_flagged_restriction(sim_dir: Path) -> None:
    out = jt(sim_dir, "check", "--min-securelevel", "3", "--flag", "allow.raw_sockets")
    assert out.returncode == 1
    assert re.search(r"WARNING: web: securelevel -?\d+ below the minimum 3", out.stdout)
    assert "WARNING: vpn: allow.raw_sockets is enabled" in out.stdout


def test_jail_conf_that_does_not_parse(sim_dir: Path) -> None:
    conf = sim_dir / "root" / "etc" / "jail.conf"
    conf.write_text(conf.read_text() + "\nbroken {\n  persist;\n")
    out = jt(sim_dir, "check")
    assert out.returncode == 2
    assert "unexpected EOF" in out.stdout


def test_failure_to_poll_is_unknown(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    out = subprocess.run([sys.executable, "-m", "jailtui", "--host", "local", "check"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PATH": str(empty)})
    assert out.returncode == 3
    assert out.stdout.startswith("JAILS UNKNOWN - ")


@pytest.mark.parametrize("flag", ["--json", None])
def test_thresholds_from_config_file(sim_dir: Path, tmp_path: Path, flag: str | None) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[check]\nmin_securelevel = 3\n")
    args = ["--config", str(cfg), "check"] + ([flag] if flag else [])
    out = jt(sim_dir, *args)
    assert out.returncode == 1
    assert "below the minimum 3" in out.stdout
