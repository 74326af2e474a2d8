"""The controller gate: re-resolution, pid reuse, audit (security.md 2.8, tests 10, 12, 29)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from jailtui.core.actions.audit import AuditRecord, MemorySink
from jailtui.core.actions.control import Controller, StartMethod
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.errors import PolicyDenied
from jailtui.core.hosts.host import Host
from jailtui.sim.runner import SimRunner


def make(sim_dir: Path, role: Role = Role.HOST_ADMIN, **kw: object) -> tuple[Controller, MemorySink]:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    sink = MemorySink()
    policy = Policy(role, "root", 0, **kw)  # type: ignore[arg-type]
    return Controller(host, policy, audit=sink), sink


def test_stop_refuses_a_jail_whose_jid_changed(sim_dir: Path) -> None:
    """Attack test 12: the jail shown is not the jail that exists now."""
    ctl, sink = make(sim_dir)
    shown = asyncio.run(ctl.host.poll()).jail("web")
    assert shown is not None
    assert asyncio.run(ctl.restart("web")).ok  # a new jid
    with pytest.raises(PolicyDenied, match="changed since it was shown"):
        asyncio.run(ctl.stop("web", expect=shown))
    now = asyncio.run(ctl.host.poll()).jail("web")
    assert now is not None and now.running  # untouched
    assert sink.records[-1].result.startswith("failed: web: jail changed")


def test_signal_refuses_a_reused_pid(sim_dir: Path) -> None:
    """Attack test 10: a pid that now belongs to another process is not signalled."""
    ctl, sink = make(sim_dir)
    snap = asyncio.run(ctl.host.poll())
    victim = next(p for p in snap.processes if p.jail == "web" and "worker" in p.command)
    forged = replace(victim, command="/usr/sbin/something-else")
    result = asyncio.run(ctl.signal(victim.pid, "KILL", forged))
    assert not result.ok and "now another process" in result.message
    assert asyncio.run(ctl.host.poll()).process(victim.pid) is not None
    # Shown in another jid than the jail has now: the gate refuses before ps.
    other_jail = replace(victim, jid=victim.jid + 1)
    with pytest.raises(PolicyDenied, match="changed since it was shown"):
        asyncio.run(ctl.signal(victim.pid, "KILL", other_jail))
    ok = asyncio.run(ctl.signal(victim.pid, "TERM", victim))
    assert ok.ok, ok.message
    assert asyncio.run(ctl.host.poll()).process(victim.pid) is None
    assert [r.result for r in sink.records[-3:]][-1] == "ok"


def test_unknown_signal_and_verbs_are_refused(sim_dir: Path) -> None:
    ctl, _ = make(sim_dir)
    proc = asyncio.run(ctl.host.poll()).processes[-1]
    with pytest.raises(PolicyDenied):
        asyncio.run(ctl.signal(proc.pid, "STOP; id", proc))
    with pytest.raises(PolicyDenied):
        asyncio.run(ctl.service("web", "nginx", "rm -rf"))
    with pytest.raises(PolicyDenied):
        asyncio.run(ctl.service("web", "../../bin/sh", "start"))


def test_one_audit_record_per_action_and_denial(sim_dir: Path) -> None:
    """Attack test 29: success, failure and denial each write exactly one record."""
    ctl, sink = make(sim_dir)
    asyncio.run(ctl.stop("mail"))
    asyncio.run(ctl.stop("mail"))  # fails: not running
    ro, ro_sink = make(sim_dir, Role.READ_ONLY)
    with pytest.raises(PolicyDenied):
        asyncio.run(ro.start("mail"))
    assert [r.result.split(":")[0] for r in sink.records] == ["ok", "failed"]
    assert len(ro_sink.records) == 1 and ro_sink.records[0].denied
    assert ro_sink.records[0].action == "start"


def test_audit_fields_are_escaped() -> None:
    """Attack test 28: a name with a newline and a fake syslog prefix stays one record."""
    rec = AuditRecord(user="root", uid=0, role="host admin", action="stop",
                      jail="web\nNov 29 00:00:00 host sudo: root : fake", jid=3, result="ok")
    line = rec.line()
    assert "\n" not in line and "\\x0a" in line


def test_lifecycle_methods(sim_dir: Path) -> None:
    """service(8) where rc.d manages the jails, jail(8) otherwise.

    ci's block is in /etc/jail.conf.d/ci.conf, which /etc/jail.conf
    includes: rc.d/jail's parse_options then picks /etc/jail.conf
    (libexec/rc/rc.d/jail; docs/freebsd.md 8.2), jail(8)'s default, so no
    ``-f``: ``-f /etc/jail.conf.d/ci.conf`` would drop every global.
    """
    ctl, _ = make(sim_dir)
    assert ctl.lifecycle_argv(Action.STOP, "web") == ["service", "jail", "stop", "web"]
    ctl.method = StartMethod.JAIL
    assert ctl.lifecycle_argv(Action.RESTART, "web") == ["jail", "-rc", "web"]
    assert ctl.lifecycle_argv(Action.START, "ci") == ["jail", "-c", "ci"]
    result = asyncio.run(ctl.stop("ci"))
    assert result.ok, result.message
    assert "ci: removed" in result.output
    result = asyncio.run(ctl.start("ci"))
    assert result.ok and "ci: created" in result.output
    ci = asyncio.run(ctl.resolve("ci"))
    assert ci is not None and ci.path == "/usr/local/jails/ci"  # the global path = ...$name


def test_lifecycle_f_names_the_root_file_not_the_included_one(sim_dir: Path) -> None:
    """rc.conf ``jail_conf`` elsewhere: ``-f`` names that root file, which
    includes the block; never the included file itself (issue 11 item 2)."""
    etc = sim_dir / "root" / "etc"
    (etc / "jail.conf").rename(etc / "jails.conf")
    rc = etc / "rc.conf"
    rc.write_text(rc.read_text() + 'jail_conf="/etc/jails.conf"\n')
    ctl, _ = make(sim_dir)
    ctl.method = StartMethod.JAIL
    assert ctl.lifecycle_argv(Action.START, "ci") == ["jail", "-f", "/etc/jails.conf", "-c", "ci"]
    assert ctl.lifecycle_argv(Action.START, "web") == ["jail", "-f", "/etc/jails.conf",
                                                       "-c", "web"]


def test_starting_a_running_jail_is_refused_in_our_words_and_changes_nothing(
        sim_dir: Path) -> None:
    ctl, _ = make(sim_dir)
    before = asyncio.run(ctl.host.poll())
    result = asyncio.run(ctl.start("web"))
    assert not result.ok and result.message == "web is already running (jid 1)"
    after = asyncio.run(ctl.host.poll())
    assert [(j.name, j.jid, j.state) for j in before.jails] == \
        [(j.name, j.jid, j.state) for j in after.jails]


def test_a_hung_command_times_out_with_a_clear_message(sim_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """exec.prestart that never returns: the action fails with a timeout, the
    console is not stuck."""
    import jailtui.core.actions.control as control

    conf = sim_dir / "root" / "etc" / "jail.conf.d" / "staging.conf"
    conf.write_text(conf.read_text().replace(
        "staging {", 'staging {\n    exec.prestart = "sleep 5";', 1))
    monkeypatch.setattr(control, "ACTION_TIMEOUT", 1.0)
    ctl, sink = make(sim_dir)
    ctl.method = StartMethod.JAIL
    result = asyncio.run(ctl.start("staging"))
    assert not result.ok
    assert result.message == "could not start staging: jail: timed out after 1 s (killed)"
    assert sink.records[-1].result.startswith("failed: could not start staging: jail: timed out")


def test_live_jails_are_the_polls_running_jails_without_ps(sim_dir: Path) -> None:
    """Issue 16: a restore's "also stopped" set asks jls alone; it must name the jails
    the full poll calls running, follow a stop, and keep to a delegate's scope."""
    ctl, _ = make(sim_dir)

    def running_by_poll() -> set[str]:
        snap = asyncio.run(ctl.host.poll())
        return {j.name for j in snap.jails if j.running}

    def running_by_jls(c: Controller) -> set[str]:
        return {j.name for j in asyncio.run(c.live_jails()) if j.running}

    before = running_by_poll()
    assert before and running_by_jls(ctl) == before
    assert asyncio.run(ctl.stop("web")).ok
    assert "web" not in running_by_jls(ctl)
    assert running_by_jls(ctl) == running_by_poll()
    delegate, _ = make(sim_dir, Role.DELEGATE, scope=frozenset({"db"}))
    assert {j.name for j in asyncio.run(delegate.live_jails())} <= {"db"}
