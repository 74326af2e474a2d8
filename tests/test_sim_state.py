"""The simulator's state: persistence, locking, scale, the runner and the CLI."""

from __future__ import annotations

import asyncio
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sim_fixtures import SimHost, make_host

from jailtui.core.errors import CommandNotFound, CommandTimeout
from jailtui.core.transport.runner import Runner
from jailtui.sim.builder import init_host, reset
from jailtui.sim.cli import main as sim_cli
from jailtui.sim.runner import SimRunner
from jailtui.sim.state import Store


@pytest.fixture
def sim(tmp_path: Path) -> SimHost:
    """A fresh demo host (8 running jails + staging) with its shims."""
    return make_host(tmp_path)


def test_layout_on_disk(sim: SimHost) -> None:
    root = sim.root
    conf = (root / "etc/jail.conf").read_text()
    assert 'exec.start = "/bin/sh /etc/rc";' in conf
    assert 'exec.stop = "/bin/sh /etc/rc.shutdown jail";' in conf
    assert 'path = "/usr/local/jails/$name";' in conf and "exec.clean;" in conf
    assert "vnet.interface" in conf and '.include "/etc/jail.conf.d/*.conf";' in conf
    assert "staging {" in (root / "etc/jail.conf.d/staging.conf").read_text()
    assert (root / "etc/jail.conf.d/ci.conf").exists()
    rc_conf = (root / "etc/rc.conf").read_text()
    assert 'jail_enable="YES"' in rc_conf
    assert 'jail_parallel_start="NO"' in (root / "etc/rc.conf.local").read_text()
    assert 'jail_list="web db mail dns vpn git cache ci"' in (
        root / "etc/rc.conf.d/jail").read_text()
    web_rc = (root / "usr/local/jails/web/etc/rc.conf").read_text()
    assert 'nginx_enable="YES"' in web_rc and 'syslogd_flags="-ss"' in web_rc
    state = json.loads((sim.simdir / "state.json").read_text())
    assert state["format"] == 1 and state["racct"] is True
    assert (sim.simdir / "state.lock").exists()


def test_state_persists_between_runs(sim: SimHost) -> None:
    sim.out("jail", "-r", "mail")
    # a new process (a new "run") still sees it stopped
    assert sim.run("jls", "-j", "mail").returncode == 1
    assert sim.out("service", "jail", "start", "mail") == "Starting jails: mail.\n"
    assert sim.run("jls", "-j", "mail").returncode == 0


def test_reset_rebuilds_with_the_same_parameters(tmp_path: Path) -> None:
    host = make_host(tmp_path, jails=5, processes=200, seed=3)
    host.out("jail", "-R", "*")
    assert host.out("jls", "name") == ""
    reset(host.simdir)
    names = host.out("jls", "name").split()
    assert len(names) == 5
    with Store(host.simdir).read() as st:
        assert st.build == {"jails": 5, "processes": 200, "seed": 3, "freebsd": 15,
                            "dying_seconds": 30.0, "ps_jail_keyword": True, "racct": True,
                            "managers": []}
        assert len(st.procs) == 200


def test_concurrent_shims_keep_state_valid(sim: SimHost) -> None:
    jails = ["web", "db", "mail", "dns", "vpn", "cache", "ci", "git"]
    # git depends on db: use -R for a plain removal.
    def cycle(name: str) -> list[int]:
        codes = []
        for _ in range(2):
            codes.append(sim.run("jail", "-R", name).returncode)
            codes.append(sim.run("service", "jail", "start", name).returncode)
        return codes

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(cycle, jails))
    assert all(c == 0 for codes in results for c in codes), list(zip(jails, results, strict=True))
    state = json.loads((sim.simdir / "state.json").read_text())
    names = sorted(j["name"] for j in state["jails"])
    # The demo host's Bastille and iocage jails ran on untouched (sim.builder).
    assert names == sorted([*jails, "shop", "ioc-media_lan"])
    jids = [j["jid"] for j in state["jails"]]
    assert len(set(jids)) == len(jids)
    pids = [p[0] for p in state["procs"]]
    assert len(set(pids)) == len(pids)
    assert not list(sim.simdir.glob(".state.*"))  # no temp file left behind


@pytest.mark.slow
def test_big_host_builds_and_answers(tmp_path: Path) -> None:
    """1,000 jails and 50,000 processes build and answer jls and ps (how fast:
    benchmarks/tick.py; a time here would measure the machine's load)."""
    host = make_host(tmp_path, jails=1000, processes=50_000)
    jls = json.loads(host.out("jls", "--libxo", "json", "-v", "-d"))
    assert len(jls["jail-information"]["jail"]) == 1000
    ps = json.loads(host.out("ps", "--libxo", "json", "-ax", "-ww", "-o",
                             "pid,ppid,jid,jail,user,state,%cpu,%mem,vsz,rss,etime,lstart,"
                             "command"))
    assert len(ps["process-information"]["process"]) >= 50_000


def test_sim_runner(sim: SimHost) -> None:
    runner = SimRunner(sim.simdir, env={"JAILTUI_SIM_NOW": sim.env["JAILTUI_SIM_NOW"]})
    assert isinstance(runner, Runner)
    assert runner.label == "simulated"
    res = asyncio.run(runner.run(["jls", "--libxo", "json", "-v"]))
    assert res.returncode == 0 and json.loads(res.stdout)["__version"] == "2"
    res = asyncio.run(runner.run(["/usr/sbin/jail", "-c", "web"]))
    assert (res.returncode, res.stderr) == (1, b'jail: "web" already exists\n')
    with pytest.raises(CommandNotFound):
        asyncio.run(runner.run(["bhyvectl", "--vm=web"]))
    slow = SimRunner(sim.simdir)
    conf = sim.root / "tmp/slow.conf"
    conf.write_text('path = "/tmp"; persist;\ns { exec.prestart = "sleep 3"; }\n')
    with pytest.raises(CommandTimeout):
        asyncio.run(slow.run(["jail", "-f", "/tmp/slow.conf", "-c", "s"], timeout=0.5))
    argv = runner.interactive_argv(["jexec", "web"])
    assert argv == [sys.executable, "-m", "jailtui", "--sim", str(sim.simdir), "sim", "exec",
                    "--", "jexec", "web"]
    assert runner.paths.real("/etc/jail.conf") == str(sim.root / "etc/jail.conf")


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "h"
    assert sim_cli(None, ["init", str(d), "--jails", "3", "--seed", "1"]) == 0
    bindir = tmp_path / "b"
    assert sim_cli(str(d), ["shims", str(bindir)]) == 0
    assert (bindir / "jls").exists() and (bindir / "kill").exists()
    text = (bindir / "jls").read_text()
    assert text.startswith(f"#!{sys.executable}\n") and repr(str(d.resolve())) in text
    assert sim_cli(str(d), ["reset"]) == 0
    assert sim_cli(None, ["reset"]) == 2
    assert sim_cli(str(tmp_path / "nothing"), ["reset"]) == 1


def test_builder_is_deterministic(tmp_path: Path) -> None:
    a = init_host(tmp_path / "a", seed=7, now=1_700_000_000.0)
    b = init_host(tmp_path / "b", seed=7, now=1_700_000_000.0)
    sa = json.loads((a / "state.json").read_text())
    sb = json.loads((b / "state.json").read_text())
    assert sa == sb
