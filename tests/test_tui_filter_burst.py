"""Keys typed right after ``/`` reach the filter, even in one burst.

A terminal over SSH (or tmux send-keys) delivers ``/shop⏎`` in one read.
Textual hands each key to the widget focused when it reads the key
(textual/app.py ``App.on_event``), so with a non-priority ``/`` the letters
reached the jails pane first: ``s`` sorted, ``h`` explained the hosts key,
``p`` paused and Enter opened the detail view (console/keys.py "filter").
"""

from __future__ import annotations

from textual import events
from tui_fakes import make_app, settle

from jailtui.screens.main import MainScreen


def burst(app: object, text: str) -> None:
    """Post every key at once, as the driver does for one read."""
    from textual.app import App

    assert isinstance(app, App)
    for ch in text:
        key = {"/": "slash", "\r": "enter"}.get(ch, ch)
        app.post_message(events.Key(key, ch if ch != "\r" else None))


async def test_a_burst_after_slash_filters_instead_of_acting() -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        burst(app, "/web\r")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen), "Enter went to the pane (detail view)"
        assert main.jails.filter_text == "web"
        assert not app.poll_state.paused


async def test_a_slash_inside_the_filter_is_text() -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        burst(app, "//usr/local\r")
        await settle(pilot)
        assert main.jails.filter_text == "/usr/local"
