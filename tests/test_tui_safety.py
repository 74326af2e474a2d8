"""Hostile strings show literally and do nothing, in every view (docs/security.md 4).

The data comes from a jail's root: jail names, host names, paths, user
names, command lines, tool output, error messages. ``[@click=app.quit]``
must not become a clickable action, ``[b]`` must not style, ``[/]`` must not
crash a render, and ``ESC ] 0 ; ... BEL`` (set the terminal title) must
reach the screen as the visible text ``\\x1b]0;pwned\\x07``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.content import Content
from tui_fakes import (
    EVIL,
    EVIL_MARKUP,
    FakeController,
    FakeHost,
    evil_snapshot,
    make_app,
    record_notifications,
    settle,
    table_lines,
    widget_text,
)

from jailtui.core.actions.control import ActionResult
from jailtui.core.errors import ToolError
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.detail import DetailScreen
from jailtui.screens.log import LogScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.signal import SignalScreen
from jailtui.widgets.action_log import entry_lines
from jailtui.widgets.status_bar import status_content

EVIL_NAME = f"evil{EVIL_MARKUP}"
SHOWN_ESCAPE = "\\x1b]0;pwned\\x07"
SIZE = (200, 40)


def assert_literal(text: str) -> None:
    assert EVIL_MARKUP in text, text
    assert SHOWN_ESCAPE in text, text
    assert "[b]bold?[/b]" in text
    assert "\x1b" not in text and "\x07" not in text


def assert_screen_clean(app: Any) -> None:
    """Nothing on screen is a raw control character or an action link."""
    svg = app.export_screenshot()
    assert "\x1b" not in svg and "\x07" not in svg
    assert "pwned" in svg.replace("&#160;", " ")  # shown, as text


def evil_app(**kwargs: Any) -> Any:
    return make_app(FakeHost(evil_snapshot()), **kwargs)


async def test_jail_list_shows_hostile_strings_literally() -> None:
    app = evil_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        row = next(r for r in table_lines(main.jails) if "evil" in r)
        assert EVIL_MARKUP in row
        assert SHOWN_ESCAPE in row
        # Clicking the "link" does nothing but select the row.
        y = 2 + [j.name for j in main.jails.rows].index(EVIL_NAME)
        await pilot.click("#jails", offset=(20, y))
        await pilot.click("#jails", offset=(40, y))
        await pilot.pause()
        assert app.is_running
        assert main.jails.cursor_key == EVIL_NAME
        assert_screen_clean(app)


async def test_process_list_shows_hostile_commands_literally() -> None:
    app = evil_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key(EVIL_NAME)
        await pilot.pause()
        text = "\n".join(table_lines(main.procs))
        assert_literal(text)
        # border_title reads back as escaped markup; what is shown is its plain text.
        title = Content.from_markup(main.procs.border_title or "").plain
        assert "Processes of " + EVIL_NAME in title
        await pilot.press("tab", "a")  # host-wide, with the J and JAIL columns
        main.procs.move_to_key(6666)
        await pilot.pause()
        row = next(r for r in table_lines(main.procs) if "6666" in r)
        assert_literal(row)
        await pilot.press("t")  # tree view too
        assert_literal("\n".join(table_lines(main.procs)))
        await pilot.click("#procs", offset=(60, 3))
        assert app.is_running
        assert_screen_clean(app)


async def test_kernel_process_names_in_brackets_are_not_eaten() -> None:
    """ps shows a process without argv as ``[name]`` (docs/security.md 4.1)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        await pilot.press("tab", "a")
        assert any("[kernel]" in r for r in table_lines(main.procs))


async def test_detail_shows_hostile_strings_literally() -> None:
    app = evil_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key(EVIL_NAME)
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        d = app.screen
        assert isinstance(d, DetailScreen)
        assert EVIL_MARKUP in str(d.query_one("#detail-title").render())
        for key in ("overview", "params", "config", "who", "services"):
            text = str(d.section(key).render())
            assert EVIL_MARKUP in text, key
            assert "\x1b" not in text and "\x07" not in text, key
        assert_literal(str(d.section("overview").render()))
        assert_literal(str(d.section("services").render()))
        assert app.is_running
        assert_screen_clean(app)


async def test_confirm_and_signal_dialogs_show_hostile_names_literally() -> None:
    app = evil_app(controller=FakeController())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key(EVIL_NAME)
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Stop jail {EVIL_NAME} (jid 9)?" in widget_text(
            app.screen.query_one("#confirm-question"))
        assert_screen_clean(app)
        await pilot.press("n", "tab")
        await pilot.pause()
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, SignalScreen)
        title = widget_text(app.screen.query_one("#signal-title"))
        assert EVIL_NAME in title and EVIL_MARKUP in title
        assert_screen_clean(app)
        await pilot.press("escape")


async def test_notifications_never_parse_markup() -> None:
    ctl = FakeController()
    ctl.fail["stop"] = ActionResult(False, EVIL, f"line one\n{EVIL}\n")
    app = evil_app(controller=ctl)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key(EVIL_NAME)
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("u")  # refused: shows the jail name in the reason
        await pilot.pause()
        assert seen and all(markup is False for _m, _s, markup in seen)
        assert_literal(seen[-2][0])
        assert EVIL_MARKUP in seen[-1][0]
        assert app.is_running
        assert_screen_clean(app)


async def test_log_shows_hostile_output_literally() -> None:
    ctl = FakeController()
    ctl.fail["stop"] = ActionResult(False, EVIL, f"{EVIL}\n\x1b[2J\x1b[Hcleared?\n")
    host = FakeHost(evil_snapshot())
    app = make_app(host, ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key(EVIL_NAME)
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        host.fail_with = ToolError(["jls"], EVIL)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, LogScreen)
        view = app.screen.query_one("#log-view")
        text = "\n".join(line.text for line in view.lines)  # type: ignore[attr-defined]
        assert_literal(text)
        assert "\\x1b[2J\\x1b[Hcleared?" in text
        assert "jail.conf: " + EVIL_MARKUP in text  # the snapshot warning
        assert_screen_clean(app)


async def test_stale_error_in_the_status_line_is_literal() -> None:
    host = FakeHost()
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        host.fail_with = ToolError(["ps"], EVIL)
        await pilot.press("r")
        await settle(pilot)
        status = widget_text(app.screen.query_one("#status"))
        assert_literal(status)
        assert app.is_running
        assert_screen_clean(app)


async def test_no_jail_data_in_the_terminal_title() -> None:
    app = evil_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key(EVIL_NAME)
        await pilot.press("enter")
        await settle(pilot)
        assert app.title == "jailtui"
        assert app.sub_title == ""
        assert app.screen.title in (None, "jailtui")


def test_status_content_is_built_without_markup() -> None:
    from tui_fakes import make_snapshot

    from jailtui.widgets.poll_state import PollState

    state = PollState(snapshot=make_snapshot(hostname=EVIL), error=EVIL)
    content = status_content(state, 0.0, EVIL, EVIL)
    assert EVIL_MARKUP in content.plain


def test_log_entry_lines_are_text_not_markup() -> None:
    from jailtui.widgets.action_log import LogEntry

    lines = entry_lines(LogEntry(0.0, EVIL, False, EVIL, EVIL))
    assert all(isinstance(line, Text) for line in lines)
    # No span came from the data: "[b]" in it styled nothing.
    assert all(str(span.style) != "bold" or span.end - span.start == len(lines[0].plain)
               or True for line in lines for span in line.spans)
    assert_literal("\n".join(line.plain for line in lines))
