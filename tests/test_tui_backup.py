"""``b``: a jail's backup in the console, on the real stack (Host + Controller + the
simulator's zfs send and receive as real processes): progress while the console
stays live, c cancels leaving no half-received backup, the gate refuses with the
reason; an SVG of the screen while it copies."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from tui_fakes import (
    FakeController,
    FakeHost,
    make_app,
    settle,
    shows,
    wait_until,
    widget_text,
)

from jailtui.app import JailtuiApp
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.screens.backup import BackupScreen
from jailtui.screens.main import MainScreen
from jailtui.sim import zfs_model as zm
from jailtui.sim.commands import dispatch

SIZE = (120, 36)


def console(sim_dir: Path, policy: Policy | None = None) -> tuple[JailtuiApp, MemorySink]:
    from jailtui.sim.runner import SimRunner

    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    sink = MemorySink()
    policy = policy or Policy(Role.HOST_ADMIN, "root", os.getuid())
    return JailtuiApp(host, Controller(host, policy, audit=sink), interval=1000.0), sink


def backups(sim_dir: Path) -> list[str]:
    rc, out, _ = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name", "-t", "all", "-r",
                                    "zroot/jailtui-backups"])
    return out.decode().split() if rc == 0 else []


async def press_b_on(pilot: Any, jail: str) -> None:
    await settle(pilot)
    main = pilot.app.screen
    assert isinstance(main, MainScreen)
    main.jails.move_to_key(jail)
    await pilot.pause()
    await pilot.press("b")


async def test_b_backs_up_and_escape_closes(sim_dir: Path) -> None:
    app, sink = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await press_b_on(pilot, "web")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupScreen) and app.screen.done)
        screen = app.screen
        assert isinstance(screen, BackupScreen) and screen.result is not None
        assert screen.result.ok, screen.result.message
        assert "✓ done: " in widget_text(screen.query_one("#backup-progress"))
        assert "web: backed up zroot/jails/web@jailtui-" in widget_text(
            screen.query_one("#backup-summary"))
        assert "zfs send -R" in widget_text(screen.query_one("#backup-title"))
        assert [r.result for r in sink.records if r.action == Action.BACKUP] == ["ok"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
    assert f"zroot/jailtui-backups/web@{screen.result.snapshot}" in backups(sim_dir)


async def test_progress_while_live_then_c_cancels(sim_dir: Path) -> None:
    with zm.PoolStore(sim_dir).write() as pool:
        pool.send_rate = 2048  # a copy of ~17 KB takes about eight seconds
    app, sink = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await press_b_on(pilot, "web")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupScreen)
                         and app.screen.last is not None and app.screen.last.bytes > 0,
                         settling=False)
        screen = app.screen
        assert isinstance(screen, BackupScreen)
        assert "copying: " in widget_text(screen.query_one("#backup-progress"))
        # The console stays live: keys are answered while the copy goes on; Escape
        # while it runs is said, not done.
        await pilot.press("escape")
        await pilot.pause()
        assert shows(app, screen) and not screen.done
        await pilot.press("c")
        await wait_until(pilot, lambda: screen.done)
        assert screen.result is not None and screen.result.cancelled
        assert "✗ cancelled" in widget_text(screen.query_one("#backup-progress"))
        assert [r.result for r in sink.records if r.action == Action.BACKUP] == ["cancelled"]
    assert backups(sim_dir) == ["zroot/jailtui-backups"]


async def test_the_gate_refuses_with_the_reason(sim_dir: Path) -> None:
    app, _ = console(sim_dir, Policy(Role.READ_ONLY, "bob", os.getuid()))
    async with app.run_test(size=SIZE) as pilot:
        await press_b_on(pilot, "web")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
    assert backups(sim_dir) == []


async def test_a_delegate_backs_up_only_their_own_jail() -> None:
    ctl = FakeController(role=Role.DELEGATE, user="alice", scope_names=frozenset({"web"}),
                         actions=frozenset({Action.BACKUP}))
    app = make_app(FakeHost(), ctl, interval=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        await press_b_on(pilot, "web")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupScreen) and app.screen.done)
        assert ("backup", "web") in ctl.calls
    refused = FakeController(role=Role.DELEGATE, user="alice", scope_names=frozenset({"web"}),
                             actions=frozenset({Action.SNAPSHOT}))
    app = make_app(FakeHost(), refused, interval=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        await press_b_on(pilot, "web")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert not [c for c in refused.calls if c[0] == "backup"]


def test_backup_screen_svg(snap_compare: Any) -> None:
    ctl = FakeController(backup_hold=asyncio.Event())

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        main = pilot.app.screen
        main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("b")
        # The copy stays held (not settled: settle would wait for it).
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, BackupScreen)
                         and pilot.app.screen.last is not None, settling=False)
        for _ in range(3):
            await pilot.pause()

    assert snap_compare(make_app(FakeHost(), ctl, interval=2.0), terminal_size=(80, 24),
                        run_before=run_before)


class CountingSimRunner:
    """The simulator's runner, with the argv of every command it ran."""

    @staticmethod
    def make(sim_dir: Path) -> tuple[Any, list[list[str]]]:
        from collections.abc import Sequence

        from jailtui.core.transport.runner import CommandResult
        from jailtui.sim.runner import SimRunner

        ran: list[list[str]] = []

        class Counting(SimRunner):
            async def run(self, argv: Sequence[str], *, timeout: float = 30.0,  # noqa: ASYNC109
                          input: bytes | None = None) -> CommandResult:
                ran.append(list(argv))
                return await super().run(argv, timeout=timeout, input=input)

        return Counting(sim_dir), ran


@pytest.mark.parametrize(("jail", "fs"), [("web", "zfs"), ("staging", "ufs")])
async def test_b_locates_the_root_once_for_the_screen_and_the_copy(
        sim_dir: Path, jail: str, fs: str) -> None:
    """The screen reads where the root lives for its subtitle and hands it to the backup:
    on UFS neither mount -p nor zfs list runs again; on ZFS the flow reads them once
    (the names decide what it makes), not twice."""
    from jailtui.core.actions.audit import AuditRecord
    from jailtui.core.freebsd import argv as argvmod

    runner, ran = CountingSimRunner.make(sim_dir)
    #: The commands run when the backup's audit record was written (its end; a UFS
    #: root's standby offer reads the location afterwards, for its own question).
    at_end: list[int] = []

    class Sink(MemorySink):
        def write(self, record: AuditRecord) -> None:
            if record.action == Action.BACKUP.value:
                at_end.append(len(ran))
            super().write(record)

    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    policy = Policy(Role.HOST_ADMIN, "root", os.getuid())
    app = JailtuiApp(host, Controller(host, policy, audit=Sink()), interval=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ran.clear()
        await press_b_on(pilot, jail)
        await wait_until(pilot, lambda: isinstance(app.screen, BackupScreen) and app.screen.done)
        screen = app.screen
        assert isinstance(screen, BackupScreen) and screen.result is not None
        assert screen.result.ok, screen.result.message
        assert ("zfs send -R" if fs == "zfs" else "bsdtar -c") in widget_text(
            screen.query_one("#backup-title"))
    (end,) = at_end
    located = [a for a in ran[:end] if a in (argvmod.mount_p_argv(), argvmod.zfs_list_argv())]
    # The screen's mount -p and zfs list, then (ZFS only) the flow's own.
    assert len(located) == (4 if fs == "zfs" else 2), located
