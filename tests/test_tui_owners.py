"""The console on a host with all five jail managers (issue 15), on the real stack.

Host + Controller + the simulator, driven with Pilot: the OWNER column, the owner in
the detail view, filtering by owner, a Bastille jail started through ``bastille start``
(the action log shows the argv), and jail(8) on a jail of unknown ownership only after a
confirmation that says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tui_fakes import settle, table_lines, widget_text

from jailtui.app import JailtuiApp
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.core.model import JailState
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.detail import DetailScreen
from jailtui.screens.main import MainScreen
from jailtui.sim.runner import SimRunner

SIZE = (160, 40)


@pytest.fixture
def msim(tmp_path: Path) -> Path:
    from jailtui.sim.builder import init_host

    return init_host(tmp_path / "sim", managers=("bastille", "iocage", "appjail", "pot",
                                                 "ezjail"))


def console(sim_dir: Path) -> JailtuiApp:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    return JailtuiApp(host, Controller(host, Policy(Role.HOST_ADMIN, "root", os.getuid())),
                      interval=1000.0)


async def wait_for(pilot: Any, predicate: Any, tries: int = 80) -> None:
    for _ in range(tries):
        await settle(pilot)
        if predicate():
            return
        await pilot.pause(0.1)
    raise AssertionError("condition not reached")


def state_of(app: JailtuiApp, name: str) -> JailState | None:
    snap = app.poll_state.snapshot
    jail = snap.jail(name) if snap is not None else None
    return jail.state if jail is not None else None


async def test_owner_column_detail_and_filter(msim: Path) -> None:
    app = console(msim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.poll_state.snapshot is not None)
        main = app.screen
        assert isinstance(main, MainScreen)
        lines = table_lines(main.jails)
        assert "OWN" in lines[0].split()
        shown = {ln.split()[2]: ln.split()[3] for ln in lines[1:] if len(ln.split()) > 3}
        assert shown["cache"] == "j" and shown["batch"] == "p"  # the cells as drawn
        owners = {j.name: j.owner for j in main.jails.rows}
        assert owners["shop"] == owners["wiki"] == "bastille"
        assert owners["ioc-media_lan"] == owners["ioc-backup"] == "iocage"
        assert owners["radio"] == "appjail" and owners["proxy"] == "pot"
        assert owners["forum_example_net"] == owners["old"] == "ezjail"
        main.jails.move_to_key("shop")
        await settle(pilot)
        shop = next(ln for ln in table_lines(main.jails)[1:] if " shop " in ln)
        assert shop.split()[3] == "B"
        await pilot.press("slash", *"iocage", "enter")
        await settle(pilot)
        assert {j.name for j in main.jails.rows} == {"ioc-media_lan", "ioc-backup"}
        main.jails.move_to_key("ioc-backup")
        await pilot.press("enter")
        d = app.screen
        assert isinstance(d, DetailScreen)
        overview = str(d.section("overview").render())
        assert "iocage" in overview and "backup" in overview
        assert "/zroot/iocage/jails/backup/config.json" in overview


async def test_start_a_bastille_jail_through_bastille(msim: Path) -> None:
    app = console(msim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.poll_state.snapshot is not None)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("wiki")
        await pilot.press("u")
        await wait_for(pilot, lambda: state_of(app, "wiki") is JailState.RUNNING)
        entry = next(e for e in app.journal if e.title == "start wiki")
        assert entry.ok and "$ bastille start wiki" in entry.output


async def test_unknown_owner_needs_a_confirmation_that_says_so(msim: Path) -> None:
    (msim / "root/opt/pot/jails/proxy/conf/pot.conf").write_text("")  # half-written
    app = console(msim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.poll_state.snapshot is not None)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("proxy")
        await pilot.press("d")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        question = widget_text(confirm.query_one("#confirm-question"))
        assert "jail(8)" in question and "half-written" in question
        await pilot.press("y")
        await wait_for(pilot, lambda: any(e.title == "stop proxy" for e in app.journal))
        entry = next(e for e in app.journal if e.title == "stop proxy")
        # Gone (or dying a while, docs/freebsd.md 5.4), never "stopped": no manager's
        # file (nor jail.conf) configures it any more.
        await wait_for(pilot, lambda: state_of(app, "proxy") in (None, JailState.DYING))
        assert entry.ok and "$ jail -r proxy" in entry.output
