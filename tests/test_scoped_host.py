"""A delegate's view by composition (issue 12): ScopedHost forwards only what
is in scope, for jail names and for paths, and covers every member of the
host protocol (a member added and not decided here fails this file)."""

from __future__ import annotations

import asyncio
import inspect
import os
from pathlib import Path

import pytest

from jailtui.core.checks import health
from jailtui.core.errors import PolicyDenied
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.protocol import JailHost
from jailtui.core.hosts.scoped import NOT_YOUR_JAIL, NOT_YOUR_PATH, ScopedHost
from jailtui.sim.runner import SimRunner

JAILS = "/usr/local/jails"

#: How ScopedHost treats each member of the protocol. A new member of
#: JailHost (or a public member of Host) must be added here, with a test
#: below for its kind.
FILTERED = {"poll", "configured", "files", "info", "posture", "manager_alias"}
BY_NAME = {"jail_params", "rctl_usage", "rctl_rules", "who", "services", "service_status",
           "console_log",
           "config_block", "ownership", "owner_of", "drift", "managed_jail"}
BY_PATH = {"read_text", "glob", "disk_usage", "read_jail_files"}
#: Members that take a Jail (its name decides).
BY_JAIL = {"network"}
#: Host facts and the controller's capabilities (it is the gate for actions).
FORWARDED = {"label", "name", "hostname", "link", "retry_now", "runner", "paths",
             "conf", "ps_argv", "os_release"}
#: Members that return the scoped host itself, never the host it wraps.
SELF = {"checkable"}


def protocol_members(proto: type) -> set[str]:
    return {n for n in vars(proto) if not n.startswith("_")} | set(
        getattr(proto, "__annotations__", {}))


def scoped(sim_dir: Path, scope: str = "ci") -> tuple[ScopedHost, Host]:
    runner = SimRunner(sim_dir)
    inner = Host(runner, backend="SIMULATED", paths=runner.paths)
    return ScopedHost(inner, frozenset({scope})), inner


def test_every_protocol_member_is_decided() -> None:
    members = protocol_members(JailHost)
    decided = FILTERED | BY_NAME | BY_PATH | BY_JAIL | FORWARDED | SELF
    assert members == decided, f"undecided: {members - decided}, gone: {decided - members}"
    # ScopedHost defines each itself: nothing is inherited from Host.
    assert ScopedHost.__mro__ == (ScopedHost, object)
    missing = {m for m in members if m not in vars(ScopedHost)}
    assert not missing, f"ScopedHost does not cover {missing}"


def test_every_public_member_of_host_is_in_the_protocol() -> None:
    """A method added to Host is in the protocol (and so decided above), or a
    delegate's session could not reach it through the scoped view."""
    public = {n for n, _ in inspect.getmembers(Host) if not n.startswith("_")}
    instance_attrs = {"runner", "label", "name", "paths", "files", "conf"}
    assert public | instance_attrs <= protocol_members(JailHost), (
        public | instance_attrs) - protocol_members(JailHost)


@pytest.mark.parametrize("member", sorted(SELF))
def test_members_that_return_a_host_return_the_scoped_one(sim_dir: Path, member: str) -> None:
    """Health checks a delegate's console runs see the scoped host, never the
    host it wraps (widgets/health_state.py evaluates ``checkable()``)."""
    host, inner = scoped(sim_dir)
    assert getattr(host, member)() is host


@pytest.mark.parametrize("member", sorted(BY_NAME))
def test_another_jails_name_is_refused(sim_dir: Path, member: str) -> None:
    host, _ = scoped(sim_dir)
    extra = {"service_status": ("nginx",), "ownership": (None,)}
    args: tuple[str | None, ...] = ("web", *extra.get(member, ()))
    with pytest.raises(PolicyDenied, match=NOT_YOUR_JAIL):
        out = getattr(host, member)(*args)
        if inspect.isawaitable(out):
            asyncio.run(out)  # type: ignore[arg-type]


def test_a_jails_network_only_for_the_delegates_jail(sim_dir: Path) -> None:
    host, inner = scoped(sim_dir)
    snap = asyncio.run(inner.poll())
    web, ci = snap.jail("web"), snap.jail("ci")
    assert web is not None and ci is not None
    with pytest.raises(PolicyDenied, match=NOT_YOUR_JAIL):
        asyncio.run(host.network(web))
    assert asyncio.run(host.network(ci)).ip4 == ci.ip4


def test_own_jail_by_name_is_forwarded(sim_dir: Path) -> None:
    host, _ = scoped(sim_dir)
    asyncio.run(host.poll())
    assert asyncio.run(host.jail_params("ci"))["name"] == "ci"
    assert host.config_block("ci") is not None


def test_paths_outside_the_delegates_jails_are_refused(sim_dir: Path) -> None:
    """disk_usage and read_text were inherited unscoped from Host."""
    host, inner = scoped(sim_dir)
    asyncio.run(host.poll())
    assert "sshd_enable" in host.read_text(f"{JAILS}/ci/etc/rc.conf")
    for path in (f"{JAILS}/web/etc/rc.conf", "/etc/rc.conf", "/etc/master.passwd",
                 f"{JAILS}/ci/../web/etc/rc.conf", "etc/rc.conf", f"{JAILS}/cix/etc/rc.conf"):
        with pytest.raises(PermissionError, match=NOT_YOUR_PATH):
            host.read_text(path)
        with pytest.raises(PermissionError):
            host.files.read_text(path)
        assert host.files.stat(path) is None
    assert inner.read_text("/etc/rc.conf")  # the host itself reads it
    assert asyncio.run(host.disk_usage(f"{JAILS}/ci")) is not None
    for path in (f"{JAILS}/web", "/", "/etc"):
        with pytest.raises(PolicyDenied, match=NOT_YOUR_PATH):
            asyncio.run(host.disk_usage(path))
    assert host.glob(f"{JAILS}/*/etc/rc.conf") == [f"{JAILS}/ci/etc/rc.conf"]
    # The jail configuration: the controller reads it through ``files`` for
    # an edit's context; nothing else asking for a delegate gets it
    # (another jail's block is in it).
    assert "web {" in host.files.read_text("/etc/jail.conf")
    for conf in ("/etc/jail.conf", "/etc/jail.conf.d/ci.conf", "/etc/jail.conf.d/git.conf"):
        with pytest.raises(PermissionError, match=NOT_YOUR_PATH):
            host.read_text(conf)
    assert host.glob("/etc/jail.conf.d/*.conf") == []


def test_a_symlink_out_of_the_jail_is_refused(sim_dir: Path) -> None:
    """Issue 14: a delegate's rc.conf symlinked to another jail's (or the
    host's) showed that file's daemons in their check."""
    host, _ = scoped(sim_dir)
    rc = sim_dir / "root" / JAILS.lstrip("/") / "ci" / "etc" / "rc.conf"
    rc.unlink()
    os.symlink("../../db/etc/rc.conf", rc)
    snap = asyncio.run(host.poll())
    with pytest.raises(PermissionError, match=NOT_YOUR_PATH):
        host.read_text(f"{JAILS}/ci/etc/rc.conf")
    report = asyncio.run(health.evaluate(host, health.Thresholds(), snapshot=snap))
    assert not any("postgresql" in f.message for f in report.findings)
    assert {f.jail for f in report.findings} <= {"ci", None}


def test_poll_and_configuration_are_filtered(sim_dir: Path) -> None:
    host, inner = scoped(sim_dir)
    snap = asyncio.run(host.poll())
    assert [j.name for j in snap.jails] == ["ci"]
    assert snap.processes and all(p.jail == "ci" for p in snap.processes)
    conf = host.configured()
    assert list(conf.jails) == ["ci"] and set(inner.configured().jails) > {"ci", "web"}
    assert all("web" not in f for f in conf.files)
    assert host.label == inner.label and host.hostname() == inner.hostname()


def test_a_delegate_sees_the_host_name_but_not_its_activity(sim_dir: Path) -> None:
    """docs/security.md 2.9: the name and the
    fixed facts; not the load average nor the memory in use (other tenants'
    activity), neither in info() nor in the poll's snapshot."""
    host, inner = scoped(sim_dir)
    full, seen = inner.info(), host.info()
    assert full.load is not None and full.mem_used_kib is not None  # there to hide
    assert seen.load is None and seen.mem_used_kib is None
    assert (seen.hostname, seen.os_release, seen.ncpu, seen.mem_total_kib) == (
        full.hostname, full.os_release, full.ncpu, full.mem_total_kib)
    snap = asyncio.run(host.poll())
    assert snap.info.load is None and snap.info.mem_used_kib is None
    assert snap.info.hostname == full.hostname


def test_the_posture_covers_only_the_delegates_jails(sim_dir: Path) -> None:
    """Asked with every jail of the host, a scoped host measures its own only."""
    from jailtui.core.posture.baseline import Baseline

    host, inner = scoped(sim_dir)
    every = list(asyncio.run(inner.poll()).jails)
    assert len({j.name for j in every}) > 1
    got = asyncio.run(host.posture(every, Baseline()))
    assert [p.name for p in got] == ["ci"]
