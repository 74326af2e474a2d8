"""Process detail (issue 20): procstat -f/-v/-e of the simulated process table, read
through the gate (Controller.process_detail): files and map for every role in
scope, the environment for host admins only (audited), a vanished or reused pid
said in one line; over the shims on PATH and in-process."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.errors import PolicyDenied
from jailtui.core.freebsd import procstat
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.scoped import ScopedHost
from jailtui.core.model import Process
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import LocalRunner
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner
from jailtui.sim.shims import write_shims

ADMIN = Policy(Role.HOST_ADMIN, "root", 0)


def host_of(sim: Path, tmp: Path, path: str) -> Host:
    if path == "sim":
        runner = SimRunner(sim)
        return Host(runner, backend="SIMULATED", paths=runner.paths)
    bindir = tmp / "bin"
    write_shims(sim, bindir)
    return Host(LocalRunner(path=f"{bindir}{os.pathsep}/usr/bin:/bin"), backend="FreeBSD",
                paths=PathMap(root=str(sim / "root")))


def proc_of(host: Host, jail: str | None, comm: str) -> Process:
    snap = asyncio.run(host.poll())
    return next(p for p in snap.processes if p.jail == jail and comm in p.command)


def test_procstat_formats_and_a_missing_pid(sim_dir: Path) -> None:
    rc, out, err = dispatch(sim_dir, ["procstat", "-f", "1"])
    assert rc == 0, err
    assert out.decode().splitlines()[0].split() == [
        "PID", "COMM", "FD", "T", "V", "FLAGS", "REF", "OFFSET", "PRO", "NAME"]
    rc, out, err = dispatch(sim_dir, ["procstat", "-f", "99998"])
    assert (rc, out) == (1, b"")
    assert err == b"procstat: sysctl(kern.proc): No such process\nprocstat: procstat_getprocs()\n"
    assert procstat.vanished(err)
    rc, _out, err = dispatch(sim_dir, ["procstat", "-f"])
    assert rc == 1 and err.startswith(b"usage: procstat")


@pytest.mark.parametrize("path", ["local", "sim"])
def test_open_files_and_the_map_of_a_jailed_daemon(sim_dir: Path, tmp_path: Path,
                                                   path: str) -> None:
    host = host_of(sim_dir, tmp_path, path)
    nginx = proc_of(host, "web", "nginx: master")
    ctl = Controller(host, ADMIN, audit=MemorySink())
    files = asyncio.run(ctl.process_detail(nginx, "files"))
    assert not files.note and not files.gone
    by_fd = {f.fd: f for f in files.files}
    assert by_fd["text"].name == "/usr/local/jails/web/usr/local/sbin/nginx"
    assert by_fd["jail"].name == "/usr/local/jails/web"
    sockets = [f for f in files.files if f.type == "s"]
    assert {f.proto for f in sockets} == {"TCP"} and "0.0.0.0:80 0.0.0.0:0" in \
        [f.name for f in sockets]
    vm = asyncio.run(ctl.process_detail(nginx, "vm"))
    names = [v[0] for v in vm.vm]
    assert "anonymous" in names and "/usr/local/jails/web/lib/libc.so.7" in names
    assert all(resident <= mapped for _w, _n, mapped, resident in vm.vm)


def test_the_environment_is_a_host_admins_read_and_audited(sim_dir: Path, tmp_path: Path) -> None:
    host = host_of(sim_dir, tmp_path, "sim")
    runner_proc = proc_of(host, "ci", "gitlab-runner run")
    sink = MemorySink()
    env = asyncio.run(Controller(host, ADMIN, audit=sink).process_detail(runner_proc, "env"))
    assert "RUNNER_TOKEN=glrt-3x4mpl3T0k3nN0tR34l" in env.env
    assert [(r.action, r.jail, r.result, r.detail) for r in sink.records] == [
        ("process_env", "ci", "ok", f"pid {runner_proc.pid}")]
    # The libxo document keeps each string whole (the table joins them with spaces).
    rc, out, _ = dispatch(sim_dir, ["procstat", "--libxo", "json", "-e", str(runner_proc.pid)])
    doc = json.loads(out)
    assert rc == 0 and doc["procstat"]["environment"][str(runner_proc.pid)]["environment"] \
        == env.env

    scoped = ScopedHost(host, frozenset({"ci"}))
    delegate = Policy(Role.DELEGATE, "bob", 1001, frozenset({"ci"}),
                      frozenset({Action.START, Action.PROCESS_ENV}))
    dsink = MemorySink()
    ctl = Controller(scoped, delegate, audit=dsink)
    files = asyncio.run(ctl.process_detail(runner_proc, "files"))
    assert files.files  # its own jail's process: files and map, yes
    with pytest.raises(PolicyDenied) as denied:
        asyncio.run(ctl.process_detail(runner_proc, "env"))
    assert "process_env: refused" in str(denied.value)
    assert dsink.records[-1].action == "process_env" and \
        dsink.records[-1].result.startswith("denied")
    readonly = Controller(host, Policy(Role.READ_ONLY, "eve", 1002), audit=MemorySink())
    with pytest.raises(PolicyDenied):
        asyncio.run(readonly.process_detail(runner_proc, "env"))
    assert asyncio.run(readonly.process_detail(runner_proc, "vm")).vm


def test_a_delegate_never_reads_another_jails_or_the_hosts_process(sim_dir: Path,
                                                                  tmp_path: Path) -> None:
    host = host_of(sim_dir, tmp_path, "sim")
    sshd_db = proc_of(host, "web", "sshd")
    init = proc_of(host, None, "init")
    delegate = Policy(Role.DELEGATE, "bob", 1001, frozenset({"ci"}), frozenset())
    ctl = Controller(ScopedHost(host, frozenset({"ci"})), delegate, audit=MemorySink())
    for p in (sshd_db, init):
        with pytest.raises(PolicyDenied) as denied:
            asyncio.run(ctl.process_detail(p, "files"))
        assert "web" not in str(denied.value)


def test_a_vanished_or_reused_pid_is_one_line_and_nothing_else(sim_dir: Path,
                                                              tmp_path: Path) -> None:
    host = host_of(sim_dir, tmp_path, "sim")
    nginx = proc_of(host, "web", "nginx: master")
    ctl = Controller(host, ADMIN, audit=MemorySink())
    reused = replace(nginx, command="/usr/sbin/other")
    got = asyncio.run(ctl.process_detail(reused, "env"))
    assert got.gone and not got.env
    assert got.note == f"process {nginx.pid} has exited (or its pid now belongs to another " \
                       "process)"
    rc, _out, err = dispatch(sim_dir, ["service", "-j", "web", "nginx", "stop"])
    assert rc == 0, err
    gone = asyncio.run(ctl.process_detail(nginx, "files"))
    assert gone.gone and gone.files == []


def test_policy_env_is_never_a_delegates() -> None:
    delegate = Policy(Role.DELEGATE, "bob", 1001, frozenset({"web"}),
                      frozenset({Action.PROCESS_ENV}))
    assert not delegate.may(Action.PROCESS_ENV)
    assert not delegate.permits(Action.PROCESS_ENV, "web")
    assert delegate.permits(Action.PROCESS, "web") and not delegate.permits(Action.PROCESS, "db")
    assert ADMIN.may(Action.PROCESS_ENV) and ADMIN.permits(Action.PROCESS_ENV, None)
    assert not Policy(Role.READ_ONLY, "eve", 1).may(Action.PROCESS_ENV)
