"""The console on the real stack: core.host.Host + core.control.Controller + the simulator.

The other console tests use fakes for speed and exact data; these check the
wiring with the production host and controller (jls and ps through the
SimRunner, the policy, the audit), on the simulated demo host.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tui_fakes import settle, table_lines, wait_until, widget_text

from jailtui.app import JailtuiApp
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.core.model import JailState
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.detail import DetailScreen
from jailtui.screens.main import MainScreen
from jailtui.sim.runner import SimRunner

SIZE = (140, 40)


def console(sim_dir: Path, role: Role = Role.HOST_ADMIN) -> JailtuiApp:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    policy = Policy(role, "root" if role is Role.HOST_ADMIN else "bob", os.getuid())
    return JailtuiApp(host, Controller(host, policy), interval=1000.0)


async def wait_for(pilot: Any, predicate: Any) -> None:
    await wait_until(pilot, predicate)


async def test_simulated_host_in_the_console(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        names = {j.name for j in main.jails.rows}
        assert {"web", "db", "staging"} <= names
        assert main.jails.rows and app.poll_state.error is None
        staging = next(j for j in main.jails.rows if j.name == "staging")
        assert staging.state is JailState.STOPPED  # configured but not running
        status = widget_text(main.query_one("#status"))
        assert "SIMULATED" in status and "simhost" in status and "host admin" in status
        main.jails.move_to_key("web")
        await pilot.pause()
        assert main.procs.rows and all(p.jail == "web" for p in main.procs.rows)
        assert all(p.state.endswith("J") for p in main.procs.rows)
        await pilot.press("tab", "a")
        assert any(p.jid == 0 for p in main.procs.rows)
        assert any(line.startswith("J") for line in table_lines(main.procs)[1:])


async def test_detail_of_a_simulated_jail(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("ci")
        await pilot.pause()
        await pilot.press("enter")
        d = app.screen
        assert isinstance(d, DetailScreen)
        await wait_for(pilot, lambda: all(
            d.section(k).load_state != "loading" for k in ("restrictions", "rctl", "who",
                                                           "services", "config", "disk")))
        restrictions = str(d.section("restrictions").render())
        assert "securelevel" in restrictions and "children.max" in restrictions
        for key in ("restrictions", "services", "config", "who"):
            assert d.section(key).load_state == "ok", (key, str(d.section(key).render()))
        assert "ci {" in str(d.section("config").render())
        # rctl: data, or the racct note on a host where it is off; never an error.
        assert d.section("rctl").load_state in ("ok", "note")


async def test_stop_and_start_through_the_real_controller(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("mail")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")

        def mail_state() -> JailState | None:
            snap = app.poll_state.snapshot
            jail = snap.jail("mail") if snap is not None else None
            return jail.state if jail is not None else None

        await wait_for(pilot, lambda: mail_state() is JailState.STOPPED)
        assert main.jails.cursor_key == "mail"
        await pilot.press("u")
        await wait_for(pilot, lambda: mail_state() is JailState.RUNNING)
        titles = [e.title for e in app.journal]
        assert "stop mail" in titles and "start mail" in titles


@pytest.mark.parametrize("role", [Role.READ_ONLY])
async def test_read_only_policy_on_the_simulated_host(sim_dir: Path, role: Role) -> None:
    app = console(sim_dir, role)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "read-only" in widget_text(main.query_one("#status"))
