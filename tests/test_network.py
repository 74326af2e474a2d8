"""A jail's network from the host side (issue 20): the simulated host's sockstat,
ifconfig and pfctl (argv and output as FreeBSD's), and core/network.py reading
them through the shims on PATH (``--host local``) and in-process (``--sim``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jailtui.core import network
from jailtui.core.freebsd import net
from jailtui.core.hosts.host import Host
from jailtui.core.model import Jail
from jailtui.core.transport.runner import LocalRunner
from jailtui.sim import faults
from jailtui.sim.builder import init_host
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner
from jailtui.sim.shims import HOST_TOOLS, write_shims


def run(sim: Path, *argv: str) -> tuple[int, str, str]:
    rc, out, err = dispatch(sim, list(argv))
    return rc, out.decode(), err.decode()


def sim_host(sim: Path) -> Host:
    runner = SimRunner(sim)
    return Host(runner, backend="SIMULATED", paths=runner.paths)


def local_host(sim: Path, bindir: Path, tools: tuple[str, ...] | None = None) -> Host:
    """The production path of ``--host local``: LocalRunner, real subprocesses of
    the shims first on PATH, as on a FreeBSD host."""
    write_shims(sim, bindir, tools)
    runner = LocalRunner(path=f"{bindir}{os.pathsep}/usr/bin:/bin")
    from jailtui.core.transport.hostfs import PathMap
    return Host(runner, backend="FreeBSD", paths=PathMap(root=str(sim / "root")))


async def jail_of(host: Host, name: str) -> Jail:
    snap = await host.poll()
    jail = snap.jail(name)
    assert jail is not None, name
    return jail


async def info_of(host: Host, name: str) -> network.NetworkInfo:
    return await host.network(await jail_of(host, name))


# -- the simulated tools ----------------------------------------------------------------------


def test_sockstat_of_a_jail_binds_wildcards_to_its_only_address(sim_dir: Path) -> None:
    """prison_local_ip4/ip6: one address of a family, the wildcard becomes it;
    several (web's two IPv4 addresses), it stays ``*``."""
    rc, out, err = run(sim_dir, "sockstat", "-j", "db", "-l", "-4", "-6")
    assert rc == 0, err
    rows = net.parse_sockstat_text(out.encode())
    assert [(s.command, s.proto, s.local) for s in rows] == [
        ("postgres", "tcp4", "10.0.0.21:5432")]
    web = net.parse_sockstat_text(run(sim_dir, "sockstat", "-j", "web", "-l")[1].encode())
    assert ("sshd", "tcp4", "*:22") in [(s.command, s.proto, s.local) for s in web]
    assert ("nginx", "tcp6", "fd00:10::11:443") in [(s.command, s.proto, s.local) for s in web]
    assert out.splitlines()[0].split() == ["USER", "COMMAND", "PID", "FD", "PROTO", "LOCAL",
                                           "ADDRESS", "FOREIGN", "ADDRESS"]


def test_sockstat_libxo_on_15_and_getopts_refusal_on_14(tmp_path: Path) -> None:
    sim15 = init_host(tmp_path / "15", freebsd=15)
    rc, out, _ = run(sim15, "sockstat", "--libxo", "json", "-j", "db", "-l", "-4", "-6")
    doc = json.loads(out)
    assert rc == 0 and doc["__version"] == "1"
    sock = doc["sockstat"]["socket"][0]
    assert sock["pid"] > 0 and sock["local"] == {"address": "10.0.0.21", "port": 5432}
    assert net.parse_sockstat_json(out.encode())[0].local == "10.0.0.21:5432"
    sim14 = init_host(tmp_path / "14", freebsd=14)
    rc, out, err = run(sim14, "sockstat", "--libxo", "json", "-j", "db", "-l")
    assert rc == 1 and out == ""
    assert err.startswith("sockstat: illegal option -- -\nusage: sockstat [-46")
    assert net.sockstat_lacks_libxo(err.encode())


def test_sockstat_of_a_vnet_jail_is_its_own_stack_and_the_host_does_not_see_it(
        sim_dir: Path) -> None:
    vpn = net.parse_sockstat_text(run(sim_dir, "sockstat", "-j", "vpn", "-l")[1].encode())
    assert [(s.command, s.proto, s.local) for s in vpn] == [("openvpn", "udp4", "*:1194")]
    host = net.parse_sockstat_text(run(sim_dir, "sockstat", "-l")[1].encode())
    assert "openvpn" not in {s.command for s in host}
    assert run(sim_dir, "sockstat", "-j", "nosuch", "-l")[2] == \
        'sockstat: jail_getid: jail "nosuch" not found\n'


def test_ifconfig_epair_end_lives_in_the_vnet_jail_while_it_runs(sim_dir: Path) -> None:
    assert run(sim_dir, "ifconfig", "-g", "epair")[1] == "epair0a\n"
    bridge = net.parse_ifconfig(run(sim_dir, "ifconfig", "bridge0")[1].encode())
    assert bridge[0].members == ("epair0a",) and bridge[0].inet == ("10.99.0.1",)
    rc, _out, err = run(sim_dir, "ifconfig", "epair0b")
    assert rc == 1 and err == "ifconfig: interface epair0b does not exist\n"
    rc, _out, err = run(sim_dir, "jail", "-r", "vpn")
    assert rc == 0, err
    assert run(sim_dir, "ifconfig", "-g", "epair")[1] == "epair0a\nepair0b\n"
    rc, _out, err = run(sim_dir, "jail", "-c", "vpn")
    assert rc == 0, err
    # jail(8)'s vnet.interface step moved it into the new jail again.
    assert run(sim_dir, "ifconfig", "-g", "epair")[1] == "epair0a\n"
    em0 = net.parse_ifconfig(run(sim_dir, "ifconfig", "em0")[1].encode())[0]
    assert em0.up and "10.0.0.2" in em0.inet and "10.0.0.21" in em0.inet  # db's alias
    assert run(sim_dir, "ifconfig", "em0", "down")[0] == 1  # read-only


def test_pfctl_lists_bastilles_rdr_anchor_and_fails_like_pfctl(sim_dir: Path) -> None:
    rc, out, _ = run(sim_dir, "pfctl", "-a", "rdr/shop", "-sn")
    assert rc == 0 and net.parse_pf_rules(out.encode()) == [
        "rdr on em0 inet proto tcp from any to any port = 8080 -> 10.0.1.11 port 80",
        "rdr on em0 inet proto tcp from any to any port = 8443 -> 10.0.1.11 port 443"]
    assert run(sim_dir, "pfctl", "-a", "rdr/web", "-sn")[2] == \
        "pfctl: DIOCGETRULES: Invalid argument\n"
    faults.add(sim_dir, "nopf", "")
    assert run(sim_dir, "pfctl", "-a", "rdr/shop", "-sn")[2] == \
        "pfctl: /dev/pf: No such file or directory\n"


# -- core/network.py through the production paths ------------------------------------------


@pytest.mark.parametrize("path", ["local", "sim"])
def test_network_of_jails_through_the_shims_and_in_process(sim_dir: Path, tmp_path: Path,
                                                           path: str) -> None:
    host = local_host(sim_dir, tmp_path / "bin") if path == "local" else sim_host(sim_dir)
    db = asyncio.run(info_of(host, "db"))
    assert not db.vnet and db.ip4 == ("10.0.0.21",) and db.rdr is None
    assert [(s.command, s.local) for s in db.sockets.data or []] == [
        ("postgres", "10.0.0.21:5432")]
    vpn = asyncio.run(info_of(host, "vpn"))
    assert vpn.vnet and vpn.interfaces.data == [network.VnetInterface(
        "epair0b", "epair0a", True, "bridge0", ("10.99.0.1",))]
    assert [s.local for s in vpn.sockets.data or []] == ["*:1194"]
    shop = asyncio.run(info_of(host, "shop"))
    assert shop.rdr is not None and len(shop.rdr.data or []) == 2


def test_a_14_host_falls_back_to_sockstats_table_once(tmp_path: Path) -> None:
    sim = init_host(tmp_path / "sim", freebsd=14)
    calls: list[list[str]] = []
    runner = SimRunner(sim)
    real = runner.run

    async def spy(argv: list[str], **kw: object) -> object:
        calls.append(list(argv))
        return await real(argv, **kw)  # type: ignore[arg-type]

    runner.run = spy  # type: ignore[assignment,method-assign]
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    first = asyncio.run(info_of(host, "db"))
    assert [s.local for s in first.sockets.data or []] == ["10.0.0.21:5432"]
    asyncio.run(info_of(host, "db"))
    socks = [c for c in calls if c[0] == "sockstat"]
    # --libxo asked once; afterwards the table straight away.
    assert [("--libxo" in c) for c in socks] == [True, False, False]


def test_a_missing_tool_and_pf_off_are_one_line_each(sim_dir: Path, tmp_path: Path) -> None:
    tools = tuple(t for t in HOST_TOOLS if t not in ("sockstat", "ifconfig"))
    host = local_host(sim_dir, tmp_path / "bin", tools)
    vpn = asyncio.run(info_of(host, "vpn"))
    assert vpn.sockets.note == "sockstat is not installed on this host"
    assert vpn.interfaces.note == "ifconfig is not installed on this host"
    faults.add(sim_dir, "nopf", "")
    shop = asyncio.run(info_of(sim_host(sim_dir), "shop"))
    assert shop.rdr is not None and shop.rdr.note == "pf is not running on this host (no /dev/pf)"
    assert shop.sockets.data  # the other parts still answer


def test_an_epair_by_name_and_a_vnet_interface_list() -> None:
    assert network.peer_of("epair12b") == "epair12a"
    assert network.peer_of("epair0a") == "epair0b"
    assert network.peer_of("e0b_web") == "" and network.peer_of("em0") == ""
    assert network.vnet_interfaces("epair0b, epair1b") == ["epair0b", "epair1b"]
    assert network.vnet_interfaces(("epair0b",)) == ["epair0b"]
    assert network.vnet_interfaces(None) == []


def test_sockstat_text_keeps_a_command_with_spaces_and_rows_without_a_process() -> None:
    text = (b"USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS\n"
            b"www      php fpm    812    5 tcp4   10.0.0.3:9000         *:*\n"
            b"??       ??         ??    ?? udp4   *:5353                *:*\n")
    rows = net.parse_sockstat_text(text)
    assert rows[0] == net.Socket("www", "php fpm", 812, 5, "tcp4", "10.0.0.3:9000", "*:*")
    assert rows[1].pid is None and rows[1].fd is None and rows[1].local == "*:5353"


# -- the command line: jailtui net / jailtui proc -------------------------------------------


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], capture_output=True,
                          text=True, timeout=180,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def test_jailtui_net_on_the_host_local_path_and_on_sim(sim_dir: Path, shim_path: str) -> None:
    """``--host local`` runs the shims found on PATH as a FreeBSD host's tools."""
    local = cli("--host", "local", "--root", str(sim_dir / "root"), "net", "vpn",
                env={"PATH": shim_path})
    assert local.returncode == 0, local.stderr
    assert "interface   epair0b  epair, host end epair0a on bridge0" in local.stdout
    assert "udp4   *:1194" in local.stdout
    sim = cli("--sim", str(sim_dir), "net", "shop", "--json")
    assert sim.returncode == 0, sim.stderr
    doc = json.loads(sim.stdout)
    assert doc["jail"] == "shop" and len(doc["rdr"]["data"]) == 2
    stopped = cli("--sim", str(sim_dir), "net", "staging")
    assert stopped.returncode == 1 and 'jail "staging" is not running' in stopped.stderr


def test_jailtui_proc_files_map_env_and_a_gone_pid(sim_dir: Path, shim_path: str) -> None:
    _rc, out, _ = run(sim_dir, "ps", "-ax", "-o", "pid,comm")
    pid = next(line.split()[0] for line in out.splitlines() if line.endswith("gitlab-runner"))
    got = cli("--host", "local", "--root", str(sim_dir / "root"), "proc", pid, "--env",
              env={"PATH": shim_path})
    assert got.returncode == 0, got.stderr
    assert "-- open files (procstat -f)" in got.stdout
    assert "/usr/local/jails/ci/usr/local/bin/gitlab-runner" in got.stdout
    assert "RUNNER_TOKEN=" in got.stdout and "guard pages" in got.stdout
    # The simulated host's audit log (syslog stand-in) has the reading.
    sim = cli("--sim", str(sim_dir), "proc", pid, "--env", "--json")
    assert sim.returncode == 0, sim.stderr
    assert any(v.startswith("RUNNER_TOKEN=") for v in json.loads(sim.stdout)["env"]["env"])
    audit = (sim_dir / "audit.log").read_text()
    assert "action=process_env jail=ci" in audit and f'detail="pid {pid}"' in audit
    gone = cli("--sim", str(sim_dir), "proc", "99997")
    assert gone.returncode == 1 and "99997: No such process" in gone.stderr
