"""Controller.jail_processes: one jail's processes without a poll (issue 16), and the
restore's verify steps reading only those (docs/freebsd.md 2.2: ``ps -J``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.errors import JailtuiError, ParseError
from jailtui.core.freebsd import ps as psmod
from jailtui.core.hosts.host import Host
from jailtui.core.model import Jail, JailState
from jailtui.core.storage import restore as restoremod
from jailtui.core.transport.runner import CommandResult
from jailtui.sim import faults
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner


class Recording(SimRunner):
    """The simulator's runner, keeping every argv it runs."""

    def __init__(self, simdir: Path) -> None:
        super().__init__(simdir)
        self.argvs: list[list[str]] = []

    async def run(self, argv: Sequence[str], **kw: Any) -> CommandResult:
        self.argvs.append(list(argv))
        return await super().run(argv, **kw)


def controller(sim_dir: Path, policy: Policy | None = None) -> tuple[Controller, Recording]:
    runner = Recording(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    return Controller(host, policy or Policy(Role.HOST_ADMIN, "root", 0),
                      audit=MemorySink()), runner


def resolved(ctl: Controller, name: str) -> Jail:
    j = asyncio.run(ctl.resolve(name))
    assert j is not None
    return j


def test_a_live_jails_processes_are_ps_J_alone(sim_dir: Path) -> None:
    ctl, runner = controller(sim_dir)
    web = resolved(ctl, "web")
    polled = asyncio.run(ctl.host.poll()).processes_of(web.jid or 0)
    runner.argvs.clear()
    procs = asyncio.run(ctl.jail_processes(web))
    assert runner.argvs == [["ps", "--libxo", "json", "-ax", "-ww", "-o",
                             psmod.PS_KEYWORDS_NO_JAIL, "-J", str(web.jid)]]
    assert procs and [(p.pid, p.command) for p in procs] == [
        (p.pid, p.command) for p in polled]
    assert {p.jid for p in procs} == {web.jid}


def dying_web(sim_dir: Path) -> tuple[Controller, Recording, Jail]:
    """web removed with a process that will not go (fault ``nostop``): dying."""
    faults.add(sim_dir, "nostop", "web")
    ctl, runner = controller(sim_dir)
    jid = resolved(ctl, "web").jid
    rc, _, err = dispatch(sim_dir, ["jail", "-r", "web"])
    assert rc == 0, err
    dying = resolved(ctl, "web")
    assert dying.state is JailState.DYING and dying.jid == jid
    return ctl, runner, dying


def test_a_dying_jail_is_no_J_argument_so_the_host_wide_ps_is_kept_to_its_jid(
        sim_dir: Path) -> None:
    ctl, runner, dying = dying_web(sim_dir)
    jid = dying.jid
    # ps(1) refuses the dying jid (jail_getid looks up live jails only).
    rc, _, err = dispatch(sim_dir, ["ps", "-ax", "-J", str(jid)])
    assert rc == 1 and b"Invalid jail id" in err
    runner.argvs.clear()
    procs = asyncio.run(ctl.jail_processes(dying))
    assert runner.argvs == [["ps", "--libxo", "json", "-ax", "-ww", "-o",
                             psmod.PS_KEYWORDS_NO_JAIL]]
    assert len(procs) == 3 and {p.jid for p in procs} == {jid}


@pytest.mark.parametrize("read", ["jail_processes", "jail_pids"])
def test_none_for_a_jail_without_processes_gone_or_out_of_scope(sim_dir: Path,
                                                                read: str) -> None:
    ctl, runner = controller(sim_dir)
    web = resolved(ctl, "web")
    gone = Jail(name="web", jid=999, state=JailState.RUNNING)
    assert asyncio.run(getattr(ctl, read)(gone)) == ()  # ps: Invalid jail id: 999
    alice, runner = controller(sim_dir, Policy(Role.DELEGATE, "alice", 1001,
                                               scope=frozenset({"db"})))
    assert asyncio.run(getattr(alice, read)(web)) == ()
    assert runner.argvs == []


def test_the_restore_verifies_with_the_jails_own_processes_not_a_poll(
        sim_dir: Path) -> None:
    rc, _, err = dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/db@good"])
    assert rc == 0, err
    ctl, runner = controller(sim_dir)
    row = asyncio.run(ctl.host.poll()).jail("db")
    poll_ps = ctl.host.ps_argv()
    runner.argvs.clear()
    result = asyncio.run(restoremod.Restore(ctl).run("db", "good", row))
    assert result.ok, result.summary
    assert [s.message for s in result.steps if s.step.startswith("verify")] == [
        "dying (jid 2): no processes left",
        f"running, jid {resolved(ctl, 'db').jid}; daemons up: postgresql"]
    ps_runs = [a for a in runner.argvs if a[0] == "ps"]
    assert poll_ps not in ps_runs
    assert ps_runs[-1][-2:] == ["-J", str(resolved(ctl, "db").jid)]
    # verify stopped reads the dying jail's pids alone: two columns of every process.
    assert ps_runs[0] == psmod.pids_argv(None)


def test_a_jails_pids_are_its_processes_pids(sim_dir: Path) -> None:
    """Controller.jail_pids: the pids jail_processes gives, from ps -o pid,jid."""
    ctl, runner = controller(sim_dir)
    web = resolved(ctl, "web")
    runner.argvs.clear()
    pids = asyncio.run(ctl.jail_pids(web))
    assert runner.argvs == [["ps", "--libxo", "json", "-ax", "-o", "pid,jid", "-J",
                             str(web.jid)]]
    assert pids and pids == tuple(p.pid for p in asyncio.run(ctl.jail_processes(web)))


def test_a_dying_jails_pids_come_from_the_host_wide_ps_kept_to_its_jid(
        sim_dir: Path) -> None:
    ctl, runner, dying = dying_web(sim_dir)
    runner.argvs.clear()
    pids = asyncio.run(ctl.jail_pids(dying))
    assert runner.argvs == [["ps", "--libxo", "json", "-ax", "-o", "pid,jid"]]
    assert len(pids) == 3
    assert pids == tuple(p.pid for p in asyncio.run(ctl.jail_processes(dying)))


def _ps(rc: int, out: bytes, err: bytes = b"") -> CommandResult:
    return CommandResult(tuple(psmod.pids_argv(None)), rc, out, err)


def test_parse_jail_pids_reads_nothing_matched_and_words_what_is_wrong() -> None:
    doc = (b'{"process-information": {"process": [{"pid":"7","jail-id":"2"},'
           b'{"pid":"8","jail-id":"3"},{"pid":"9","jail-id":"2"}]}}')
    assert psmod.parse_jail_pids(_ps(0, doc), 2) == (7, 9)
    assert psmod.parse_jail_pids(_ps(0, doc), 4) == ()
    assert psmod.parse_jail_pids(_ps(1, b""), 2) == ()
    assert psmod.parse_jail_pids(_ps(1, b"{ }"), 2) == ()
    with pytest.raises(JailtuiError, match="Invalid jail id"):
        psmod.parse_jail_pids(_ps(1, b"", b"ps: Invalid jail id: 2\n"), 2)
    with pytest.raises(ParseError, match="no \"pid\""):
        psmod.parse_jail_pids(_ps(0, b'{"process-information": {"process": '
                                     b'[{"jail-id":"2"}]}}'), 2)
    with pytest.raises(ParseError, match="not a number"):
        psmod.parse_jail_pids(_ps(0, b'{"process-information": {"process": '
                                     b'[{"pid":"x1","jail-id":"2"}]}}'), 2)
    with pytest.raises(ParseError):
        psmod.parse_jail_pids(_ps(0, b'{"process-information": '), 2)


class FailingPs(Recording):
    """ps fails outright (not "nothing matched"): a broken ps, or one killed."""

    async def run(self, argv: Sequence[str], **kw: Any) -> CommandResult:
        if argv[0] == "ps":
            self.argvs.append(list(argv))
            return CommandResult(tuple(argv), 2, b"", b"ps: broken\n")
        return await super().run(argv, **kw)


def _failing_ps(sim_dir: Path) -> Controller:
    runner = FailingPs(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    return Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())


def test_verify_running_reads_rc_conf_and_ps_at_once_and_says_what_it_did_before(
        sim_dir: Path) -> None:
    """rc.conf and ps -J are read together (benchmarks/README.md "restore", round 6);
    the step says what it said when ps came after the read: a failed ps fails it,
    and an rc.conf that cannot be read says the daemons were not checked, whatever
    ps did."""
    ctl = _failing_ps(sim_dir)
    web = resolved(ctl, "web")
    flow = restoremod.Restore(ctl)
    with pytest.raises(JailtuiError, match="ps: broken"):
        asyncio.run(flow._verify_up("web", web.path))
    rc_conf = sim_dir / "root/usr/local/jails/web/etc/rc.conf"
    rc_conf.unlink()
    os.mkfifo(rc_conf)
    said = asyncio.run(flow._verify_up("web", web.path))
    assert said.startswith(f"running, jid {web.jid}; daemons not checked: ")
    assert "FIFO" in said
    ok, _ = controller(sim_dir)
    assert asyncio.run(restoremod.Restore(ok)._verify_up("web", web.path)) == said
