"""The ``:`` command line (issue 20): the key table's actions with an argument.

``:stop web`` must do what ``d`` on web's row does (the guard, the
confirmation, the gate); ``:host``, ``:sort``, ``:filter`` set what their keys
cycle through; Tab completes commands, then jail, host and column names.
"""

from __future__ import annotations

import pytest
from tui_fakes import FakeController, make_app, record_notifications, settle

from jailtui.app import JailtuiApp
from jailtui.console.commands import Arg, CommandError, complete, parse
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.events import EventsScreen
from jailtui.screens.main import MainScreen

SIZE = (120, 36)


def main_of(app: JailtuiApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


def test_parse_and_complete() -> None:
    assert parse(":stop web")[0].binding == "stop" and parse("stop web")[1] == "web"
    with pytest.raises(CommandError, match="no such command; did you mean stop"):
        parse("sto")
    with pytest.raises(CommandError, match="needs one jail name"):
        parse("stop")
    with pytest.raises(CommandError, match="takes no argument"):
        parse("quit now")
    pool = {Arg.JAIL: ["web", "db", "dns"], Arg.HOST: ["alpha", "beta", "all"],
            Arg.COLUMN: ["cpu", "mem"]}
    assert complete("st", pool) == "start"
    assert complete("stop d", pool) == "stop db"
    assert complete("stop dn", pool) == "stop dns"
    assert complete("host b", pool) == "host beta"
    assert complete("sort m", pool) == "sort mem"
    assert complete("stop zz", pool) is None
    assert complete("filter x", pool) is None


async def test_stop_web_asks_and_goes_through_the_gate() -> None:
    ctl = FakeController()
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("colon", *"stop web", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # as d asks
        assert main.jails.cursor_key == "web"
        await pilot.press("y")
        await settle(pilot)
        assert ("stop", "web") in ctl.calls


async def test_a_read_only_session_is_refused_with_the_reason() -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = record_notifications(app)
        await pilot.press("colon", *"stop web", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert any("refused" in m and "read-only" in m for m, _s, _k in seen)


async def test_tab_completes_sort_filter_and_errors() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("colon")
        escape = app.screen.active_bindings["escape"].binding
        assert escape.id == "command_cancel" and escape.description == "Leave"
        await pilot.press("escape")
        assert not main.command_bar.display and main.focused is main.jails
        # Tab completes the command, then a column of the focused pane.
        await pilot.press("colon", "s", "o", "tab", "space", "m", "tab")
        assert main.command_bar.value == "sort mem"
        await pilot.press("enter")
        assert main.jails.sort_column.key == "mem"
        await pilot.press("colon", *"filter db", "enter")
        assert main.jails.filter_text == "db"
        await pilot.press("colon", *"filter", "enter")
        assert main.jails.filter_text == ""
        await pilot.press("colon", "d", "e", "tab", "space", "m", "a", "tab", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "DetailScreen"
        await pilot.press("escape")
        await pilot.pause()
        seen = record_notifications(app)
        await pilot.press("colon", *"sort nosuch", "enter")
        await pilot.press("colon", *"host db1", "enter")
        await pilot.press("colon", *"bogus", "enter")
        msgs = [m for m, _s, _k in seen]
        assert any("no column nosuch" in m for m in msgs)
        assert any("One host in this console" in m for m in msgs)
        assert any("bogus: no such command" in m for m in msgs)
        await pilot.press("colon", *"events", "enter")
        await pilot.pause()
        assert isinstance(app.screen, EventsScreen)
