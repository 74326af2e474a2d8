"""The one gate keeps its promise for every action (issue 12, "The one gate").

Every action on a jail passes ``Controller._target`` (policy, re-resolve by
name, jid unchanged) and writes exactly one audit record carrying the jail's
jid, after the outcome is known. Run over the simulator's runner, the real
production path below the shims.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from jailtui.core.actions import control
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.config import confedit
from jailtui.core.errors import PolicyDenied
from jailtui.core.hosts.host import Host
from jailtui.core.model import Jail
from jailtui.sim.runner import SimRunner


def make(sim_dir: Path, **kw: object) -> tuple[Controller, MemorySink]:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    sink = MemorySink()
    return Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=sink, **kw), sink  # type: ignore[arg-type]


def shown(ctl: Controller, name: str) -> Jail:
    jail = asyncio.run(ctl.host.poll()).jail(name)
    assert jail is not None
    return jail


def test_every_action_goes_through_the_target_check(sim_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """start, stop, restart, shell, exec, service, signal and config save all
    call the same ``_target`` with the action and the jail's name."""
    ctl, _ = make(sim_dir)
    seen: list[tuple[Action, str]] = []
    real = Controller._target

    async def spy(self: Controller, action: Action, name: str, expect: Jail | None = None, *,
                  jid: int | None = None, running: bool = False) -> control.Target:
        seen.append((action, name))
        return await real(self, action, name, expect, jid=jid, running=running)

    monkeypatch.setattr(Controller, "_target", spy)
    web = shown(ctl, "web")
    proc = next(p for p in asyncio.run(ctl.host.poll()).processes
                if p.jail == "web" and "worker" in p.command)
    asyncio.run(ctl.exec("web", ["/bin/echo", "hi"], expect=web))
    asyncio.run(ctl.service("web", "nginx", "restart"))
    asyncio.run(ctl.prepare_shell("web", web))
    asyncio.run(ctl.signal(proc.pid, "TERM", proc))
    session = ctl.open_config("web")
    candidate = confedit.candidate_from_params(session, {"host.hostname": "gate.example.org"})
    asyncio.run(ctl.save_config(session, candidate))
    asyncio.run(ctl.stop("web"))
    asyncio.run(ctl.start("web"))
    asyncio.run(ctl.restart("web"))
    assert [a for a, _ in seen] == [Action.EXEC, Action.SERVICES, Action.SHELL, Action.SIGNAL,
                                    Action.EDIT, Action.STOP, Action.START, Action.RESTART]
    assert {n for _, n in seen} == {"web"}


def test_exec_service_and_save_audit_the_jid(sim_dir: Path) -> None:
    """Before the gate, exec/service/save were audited with ``jid=None``."""
    ctl, sink = make(sim_dir)
    web = shown(ctl, "web")
    assert asyncio.run(ctl.exec("web", ["/bin/echo", "hi"])).ok
    asyncio.run(ctl.service("web", "nginx", "restart"))
    session = ctl.open_config("web")
    candidate = confedit.candidate_from_params(session, {"host.hostname": "jid.example.org"})
    assert asyncio.run(ctl.save_config(session, candidate)).ok
    assert [(r.action, r.jid) for r in sink.records] == [
        ("exec", web.jid), ("services", web.jid), ("edit", web.jid)]


def test_exec_refuses_a_jail_whose_jid_changed(sim_dir: Path) -> None:
    ctl, sink = make(sim_dir)
    old = shown(ctl, "web")
    assert asyncio.run(ctl.restart("web")).ok
    with pytest.raises(PolicyDenied, match="changed since it was shown"):
        asyncio.run(ctl.exec("web", ["/bin/echo", "hi"], expect=old))
    assert sink.records[-1].action == "exec"
    assert sink.records[-1].result.startswith("failed: web: jail changed")


def _run_for_real(ctl: Controller) -> list[Sequence[str]]:
    """Replace the pty (no terminal under pytest) by a plain run of the same
    argv, so the simulated jexec really runs the shell command."""
    ran: list[Sequence[str]] = []

    def run(argv: Sequence[str]) -> int:
        ran.append(argv)
        return subprocess.call(list(argv), env=ctl.shell_env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    ctl.run_interactive = run  # type: ignore[method-assign]
    return ran


def test_shell_is_audited_after_it_ends_with_its_status(sim_dir: Path) -> None:
    """The shell was audited "ok" before it ran: now once, after, with the status."""
    ctl, sink = make(sim_dir, shell_command=["/bin/sh", "-c", "exit 3"])
    ran = _run_for_real(ctl)
    web = shown(ctl, "web")
    shell = asyncio.run(ctl.prepare_shell("web", web))
    assert sink.records == []  # nothing is known yet
    assert ctl.run_shell(shell) == 3
    assert len(ran) == 1 and "jexec" in ran[0]
    assert [(r.action, r.jid, r.result) for r in sink.records] == [
        ("shell", web.jid, "failed: exit status 3")]


def test_shell_refuses_a_stale_or_stopped_jail(sim_dir: Path) -> None:
    ctl, sink = make(sim_dir)
    ran = _run_for_real(ctl)
    old = shown(ctl, "web")
    assert asyncio.run(ctl.restart("web")).ok
    with pytest.raises(PolicyDenied, match="changed since it was shown"):
        asyncio.run(ctl.prepare_shell("web", old))
    assert asyncio.run(ctl.stop("web")).ok
    with pytest.raises(PolicyDenied, match="not running"):
        asyncio.run(ctl.prepare_shell("web", replace(old, jid=None)))
    assert ran == []
    assert [r.action for r in sink.records].count("shell") == 2
