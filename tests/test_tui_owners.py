"""The console on a host with all five jail managers (issue 15), on the real stack.

Host + Controller + the simulator, driven with Pilot: the OWNER column, the owner in
the detail view, filtering by owner, a Bastille jail started through ``bastille start``
(the action log shows the argv), and jail(8) on a jail of unknown ownership only after a
confirmation that says so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input
from tui_fakes import settle, table_lines, wait_until, widget_text

from jailtui.app import JailtuiApp
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.core.model import JailState
from jailtui.screens.config_editor import ConfigEditorScreen
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.detail import DetailScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.owner_config import OwnerFileScreen, PropertyFormScreen
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


async def wait_for(pilot: Any, predicate: Any) -> None:
    await wait_until(pilot, lambda: bool(predicate()))


async def until(pilot: Any, predicate: Any) -> None:
    """Pump without waiting on workers (a flow's worker may wait on a dialog)."""
    await wait_until(pilot, lambda: bool(predicate()), settling=False)


async def press_e_on(pilot: Any, name: str) -> Any:
    app = pilot.app
    await wait_for(pilot, lambda: app.poll_state.snapshot is not None)
    main = app.screen
    assert isinstance(main, MainScreen)
    assert main.jails.move_to_key(name)
    await pilot.pause()
    await pilot.press("e")
    await until(pilot, lambda: not isinstance(app.screen, MainScreen))
    return app.screen


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
        # Stopped: its half-written pot.conf keeps it a row, owner unknown with the
        # reason (issue 15 "Bad input"), not a pot jail and not gone from the list.
        await wait_for(pilot, lambda: state_of(app, "proxy") is JailState.STOPPED)
        assert entry.ok and "$ jail -r proxy" in entry.output
        snap = app.poll_state.snapshot
        row = snap.jail("proxy") if snap is not None else None
        assert row is not None and row.owner == "unknown" and "half-written" in row.owner_reason


async def test_editor_opens_bastilles_own_jail_conf(msim: Path) -> None:
    app = console(msim)
    async with app.run_test(size=SIZE) as pilot:
        editor = await press_e_on(pilot, "wiki")
        assert isinstance(editor, ConfigEditorScreen)
        assert editor.session.path == "/usr/local/bastille/jails/wiki/jail.conf"


@pytest.mark.parametrize(("name", "file", "command"), [
    ("proxy", "/opt/pot/jails/proxy/conf/pot.conf", "pot set-attr -p proxy"),
    ("radio", "/usr/local/appjail/jails/radio/conf/template.conf", "appjail-config set"),
    ("old", "/usr/local/etc/ezjail/old.norun", "ezjail-admin config"),  # not at boot (1.5)
])
async def test_other_managers_files_are_shown_read_only_with_their_command(
        msim: Path, name: str, file: str, command: str) -> None:
    before = (msim / "root" / file.lstrip("/")).read_bytes()
    app = console(msim)
    async with app.run_test(size=SIZE) as pilot:
        shown = await press_e_on(pilot, name)
        assert isinstance(shown, OwnerFileScreen)
        assert shown.file == file
        note = widget_text(shown.query_one("#config-message"))
        assert "Read-only" in note and command in note
        assert shown.text == before.decode()  # the whole file, as it is
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    assert (msim / "root" / file.lstrip("/")).read_bytes() == before  # never written


async def test_iocage_properties_go_through_iocage_get_and_set(msim: Path) -> None:
    config = msim / "root/zroot/iocage/jails/media.lan/config.json"
    app = console(msim)
    async with app.run_test(size=SIZE) as pilot:
        form = await press_e_on(pilot, "ioc-media_lan")
        assert isinstance(form, PropertyFormScreen)
        assert form.props.owner_name == "media.lan"
        assert form.props.values["notes"] == "none" and "boot" in form.props.values
        row = form.names.index("notes")
        box = form.query_one(f"#param-{row}", Input)
        box.value = "moved to rack 4"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = widget_text(app.screen.query_one("#confirm-question"))
        assert "iocage set notes=moved to rack 4 media.lan" in question
        await pilot.press("y")
        await until(pilot, lambda: any(e.title == "edit ioc-media_lan" for e in app.journal))
        entry = next(e for e in app.journal if e.title == "edit ioc-media_lan")
        assert entry.ok, entry.message
        assert "$ iocage set 'notes=moved to rack 4' media.lan" in entry.output
    # iocage stored it in the jail's config.json (and nothing else wrote it).
    assert json.loads(config.read_text())["notes"] == "moved to rack 4"
    controller = app.controller
    assert isinstance(controller, Controller)
    sink = controller.audit
    assert isinstance(sink, MemorySink)
    last = sink.records[-1].line()
    assert "action=edit" in last and "result=ok" in last and "owner=iocage" in last
    assert "iocage set" in last


async def test_a_bad_iocage_value_is_refused_on_its_row(msim: Path) -> None:
    config = msim / "root/zroot/iocage/jails/media.lan/config.json"
    before = config.read_bytes()
    app = console(msim)
    async with app.run_test(size=SIZE) as pilot:
        form = await press_e_on(pilot, "ioc-media_lan")
        assert isinstance(form, PropertyFormScreen)
        row = form.names.index("notes")
        form.query_one(f"#param-{row}", Input).value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PropertyFormScreen)  # no confirmation: refused
        assert "empty" in widget_text(form.query_one(f"#reason-{row}"))
    assert config.read_bytes() == before


async def test_owner_column_sorts_with_s_and_a_header_click(msim: Path) -> None:
    app = console(msim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.poll_state.snapshot is not None)
        main = app.screen
        assert isinstance(main, MainScreen)
        assert main.jails.sort_column.key == "name"
        await pilot.press("s")  # name -> the next column, OWN
        assert main.jails.sort_column.key == "owner"
        # Grouped by owner (its name, A..Z: appjail ... jail.conf, pot, unknown), by
        # name within a group; the cells drawn follow.
        order = [j.owner for j in main.jails.rows]
        assert order == sorted(order) and order[0] == "appjail" and order[-1] == "pot"
        drawn = [ln.split()[3] for ln in table_lines(main.jails)[1:len(order) + 1]]
        assert drawn[:2] == ["A", "A"] and drawn[2:4] == ["B", "B"]
        assert [j.name for j in main.jails.rows][:2] == ["builder", "radio"]
        await pilot.press("I")  # reversed
        assert main.jails.rows[0].owner == "pot"
        await pilot.press("s")
        assert main.jails.sort_column.key != "owner"
        header = table_lines(main.jails)[0]
        await pilot.click("#jails", offset=(header.index("OWN") + 1, 1))
        assert main.jails.sort_column.key == "owner"
        assert main.jails.rows[0].owner == "appjail"


@pytest.mark.parametrize(("text", "expected"), [
    ("owner:i", {"ioc-media_lan", "ioc-backup"}),
    ("owner:B", {"shop", "wiki"}),
    ("owner:bastille", {"shop", "wiki"}),
    ("owner:A", {"radio", "builder"}),
    ("owner:p|owner:e", {"proxy", "batch", "forum_example_net", "old"}),
    ("owner:jail.conf", {"web", "db", "mail", "dns", "vpn", "git", "cache", "ci", "staging"}),
    ("bastille", {"shop", "wiki"}),
    ("ezjail", {"forum_example_net", "old"}),
    ("appjail", {"radio", "builder"}),
])
async def test_filter_by_owner_letter_and_name(msim: Path, text: str,
                                              expected: set[str]) -> None:
    app = console(msim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.poll_state.snapshot is not None)
        main = app.screen
        assert isinstance(main, MainScreen)
        await pilot.press("slash", *text, "enter")
        await settle(pilot)
        assert {j.name for j in main.jails.rows} == expected
        drawn = {ln.split()[2] for ln in table_lines(main.jails)[1:] if len(ln.split()) > 3}
        assert drawn == expected


async def test_filter_owner_unknown_by_its_letter(msim: Path) -> None:
    (msim / "root/opt/pot/jails/batch/conf/pot.conf").write_text("")  # half-written
    app = console(msim)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.poll_state.snapshot is not None)
        main = app.screen
        assert isinstance(main, MainScreen)
        await pilot.press("slash", *"owner:?", "enter")
        await settle(pilot)
        assert {j.name for j in main.jails.rows} == {"batch"}
