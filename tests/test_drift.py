"""Drift (issue 20): a running jail's parameters against its effective jail.conf and its
manager's view. No drift on a fresh demo host (jls spells addresses, booleans and the
jailsys values differently from jail.conf: docs/freebsd.md 4.6); a drift once jail.conf
of a running jail is edited, shown as an INFO finding of ``check`` (exit code unchanged).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from jailtui.core import drift
from jailtui.core.hosts.host import Host
from jailtui.core.model import JailState, ParamValue
from jailtui.sim.runner import SimRunner


def host(sim_dir: Path) -> Host:
    runner = SimRunner(sim_dir)
    return Host(runner, backend="SIMULATED", paths=runner.paths)


def all_drift(sim_dir: Path) -> dict[str, list[str]]:
    async def go() -> dict[str, list[str]]:
        h = host(sim_dir)
        snap = await h.poll()
        out = {}
        for j in snap.jails:
            if j.state is JailState.RUNNING:
                out[j.name] = [d.text() for d in (await drift.jail_drift(h, j.name)).drifts]
        return out
    return asyncio.run(go())


def check(sim_dir: Path, shim_path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--host", "local", "--root",
                           str(sim_dir / "root"), "check", "--json"], capture_output=True,
                          text=True, timeout=180,
                          env={**os.environ, "PATH": shim_path, "COLUMNS": "200"})


def test_how_jls_spells_what_jail_conf_says() -> None:
    n = drift.normalize
    assert n("ip4.addr", ("em0|10.0.0.12/24", "em0|10.0.0.11/24")) == "10.0.0.11,10.0.0.12"
    assert n("ip4.addr", ("10.0.0.11", "10.0.0.12")) == "10.0.0.11,10.0.0.12"
    assert n("ip6.addr", "em0|FD00:10:0::11/64") == n("ip6.addr", ("fd00:10::11",))
    assert n("vnet", True) == "new" and n("vnet", False) == "inherit"
    assert n("sysvshm", True) == "new" and n("sysvshm", False) == "disable"
    assert n("ip4", "new") == n("ip4", "disable") == "disable"  # one flag (freebsd.md 1.4)
    assert n("allow.raw_sockets", True) == n("allow.raw_sockets", "true") == "true"
    assert n("path", "/usr/local/jails/web/") == "/usr/local/jails/web"
    assert n("devfs_ruleset", "05") == "5"
    running: dict[str, ParamValue] = {"path": "/j/web", "persist": False, "securelevel": "3", "ip4.addr": (),
               "host.hostname": "web"}
    conf: dict[str, ParamValue] = {"path": "/j/web/", "persist": True, "securelevel": "1", "exec.start": "x",
            "mount.devfs": True, "interface": "em0", "unknown.param": "1",
            "host.hostname": "www"}
    # persist and securelevel change at run time by design; pseudo-parameters and
    # parameters this kernel does not know are not compared.
    assert [d.param for d in drift.compare(conf, running, "/etc/jail.conf")] == \
        ["host.hostname"]


def test_no_drift_on_a_fresh_demo_host(sim_dir: Path, shim_path: str) -> None:
    found = all_drift(sim_dir)
    assert {"web", "vpn", "db", "shop", "ioc-media_lan"} <= set(found)
    assert {k: v for k, v in found.items() if v} == {}
    r = check(sim_dir, shim_path)
    assert r.returncode == 0, r.stderr
    assert [f for f in json.loads(r.stdout)["findings"] if f["kind"] == "drift"] == []


def test_editing_jail_conf_of_a_running_jail_is_a_drift(sim_dir: Path, shim_path: str
                                                       ) -> None:
    conf = sim_dir / "root/etc/jail.conf"
    conf.write_text(conf.read_text().replace('"em0|10.0.0.31/24"', '"em0|10.0.0.32/24"'))
    assert all_drift(sim_dir)["mail"] == [
        "ip4.addr: /etc/jail.conf says 10.0.0.32, running 10.0.0.31"]
    r = check(sim_dir, shim_path)
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["status"] == "OK"
    assert [f for f in doc["findings"] if f["kind"] == "drift"] == [{
        "severity": "INFO", "kind": "drift", "jail": "mail",
        "message": "mail: drift: ip4.addr: /etc/jail.conf says 10.0.0.32, running 10.0.0.31"}]
    assert "1 info" in doc["summary"]


def test_a_managers_view_that_differs_is_a_drift(sim_dir: Path) -> None:
    bastille = sim_dir / "root/usr/local/bastille/jails/shop/jail.conf"
    bastille.write_text(bastille.read_text().replace("host.hostname = shop.example.org",
                                                     "host.hostname = shop2.example.org"))
    cfg = sim_dir / "root/zroot/iocage/jails/media.lan/config.json"
    data = json.loads(cfg.read_text())
    data["ip4_addr"] = data["ip4_addr"].replace("10.0.2.11", "10.0.2.99")
    cfg.write_text(json.dumps(data))
    found = all_drift(sim_dir)
    assert found["shop"] == ["host.hostname: bastille says shop2.example.org, "
                             "running shop.example.org"]
    assert found["ioc-media_lan"] == ["ip4.addr: iocage says 10.0.2.99, running 10.0.2.11"]
