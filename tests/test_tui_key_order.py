"""Keys typed in one burst are handled in order, each where the focus is then.

A terminal over SSH (or tmux send-keys, or a paste) delivers ``/shop⏎`` in
one read: before console/key_order.py every letter reached the jails pane
before ``/`` had opened the filter (``s`` sorted, ``p`` paused, Enter opened
the detail view); a priority ``/`` fixed that but overtook a Tab typed just
before it. Both orders are tested here, with the keys posted at once as the
driver does for one read, and with Pilot's ``press``.
"""

from __future__ import annotations

from textual import events
from tui_fakes import make_app, settle

from jailtui.app import JailtuiApp
from jailtui.screens.detail import DetailScreen
from jailtui.screens.main import MainScreen

SIZE = (120, 36)
NAMES = {"/": "slash", "\r": "enter", "\t": "tab", "\x1b": "escape"}


def burst(app: JailtuiApp, text: str) -> None:
    """Every key of ``text`` at once, before any is handled (one read)."""
    for ch in text:
        key = NAMES.get(ch, ch)
        app.post_message(events.Key(key, ch if ch not in "\r\t\x1b" else None))


def main_of(app: JailtuiApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def test_a_burst_after_slash_filters_instead_of_acting() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        burst(app, "/web\r")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen), "Enter went to the pane (detail view)"
        assert main.jails.filter_text == "web"
        assert main.focused is main.jails  # back on the pane after Enter
        assert not app.poll_state.paused


async def test_tab_then_slash_in_one_burst_filters_the_other_pane() -> None:
    """The order the priority binding broke: Tab first, then /."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        burst(app, "\t/nginx\r")
        await settle(pilot)
        assert main.procs.filter_text == "nginx"
        assert main.jails.filter_text == ""
        assert main.focused is main.procs


async def test_slash_then_tab_in_one_burst() -> None:
    """/ first: the filter opens on the jails pane; Tab there is the Input's
    (it has no binding for it in the bar), nothing switches under the filter."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        burst(app, "/db\r\t")
        await settle(pilot)
        assert main.jails.filter_text == "db"
        assert main.procs.filter_text == ""
        # Enter gave the focus back to the jails pane; the Tab after it switched.
        assert main.focused is main.procs


async def test_a_slash_inside_the_filter_is_text() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        burst(app, "//usr/local\r")
        await settle(pilot)
        assert main.jails.filter_text == "/usr/local"


async def test_keys_after_enter_reach_the_pane() -> None:
    """Enter leaves the filter; the next keys of the burst are the pane's."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        burst(app, "/a\rGg\r")
        await settle(pilot)
        assert main.jails.filter_text == "a"
        assert isinstance(app.screen, DetailScreen)  # the last Enter: the detail view


async def test_both_orders_with_pilot_press() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("tab", "slash", *"nginx", "enter")
        assert main.procs.filter_text == "nginx" and main.jails.filter_text == ""
        await pilot.press("escape", "tab", "slash", *"db", "enter", "tab")
        assert main.jails.filter_text == "db"
        assert main.focused is main.procs
