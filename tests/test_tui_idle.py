"""An idle console: nothing mounted, nothing redrawn that did not change
(issue 13 items 8 and 43), and an 80-column status line and footer that keep
what matters (item 13).

The memory growth of item 8 came from Textual's Footer recomposing (one
widget mounted per key) on every poll; benchmarks/soak.py measures RSS and
the bytes sent to a real terminal over minutes. These tests pin the causes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual import events
from textual.message import Message
from tui_fakes import FakeHost, make_app, settle, widget_text

from jailtui.screens.main import MainScreen
from jailtui.widgets.jail_table import JailTable
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.process_table import ProcessTable


async def poll_once(pilot: Any, host: FakeHost, *, same_data: bool = True) -> None:
    """One poll answering equal (but new) data, as a quiet host does."""
    if same_data:
        host.snapshot = replace(host.snapshot)
    await pilot.press("r")
    await settle(pilot)


async def test_idle_polls_mount_no_widget() -> None:
    mounts: list[Message] = []

    def hook(message: Message) -> None:
        if isinstance(message, events.Mount):
            mounts.append(message)

    host = FakeHost()
    app: Any = make_app(host)
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await settle(pilot)
        await poll_once(pilot, host)
        mounts.clear()
        for _ in range(10):
            await poll_once(pilot, host)
        # Textual's Footer mounted one FooterKey per key on every poll.
        assert mounts == []


async def test_idle_poll_redraws_no_table_line(monkeypatch: Any) -> None:
    drawn: list[tuple[str, int]] = []
    for cls in (JailTable, ProcessTable):
        original = cls.render_line

        def counting(self: Any, y: int, _original: Any = original) -> Any:
            drawn.append((self.id, y))
            return _original(self, y)

        monkeypatch.setattr(cls, "render_line", counting)
    host = FakeHost()
    app: Any = make_app(host)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await poll_once(pilot, host)
        drawn.clear()
        await poll_once(pilot, host)
        assert drawn == []  # the whole of both panes was drawn again on every tick

        # One process's CPU changes: only lines of the processes pane are drawn.
        snap = host.snapshot
        main = app.screen
        assert isinstance(main, MainScreen)
        shown = main.procs.rows[0]
        procs = tuple(replace(p, cpu_percent=p.cpu_percent + 50.0) if p.pid == shown.pid else p
                      for p in snap.processes)
        host.snapshot = replace(snap, processes=procs)
        drawn.clear()
        await poll_once(pilot, host, same_data=False)
        assert drawn and {table for table, _y in drawn} <= {"procs", "jails"}
        assert len(drawn) < main.procs.size.height + main.jails.size.height


async def test_status_line_at_80_columns_keeps_the_badges() -> None:
    host = FakeHost()
    app: Any = make_app(host)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        host.fail_with = OSError("link down")
        await pilot.press("r")
        await settle(pilot)
        line = widget_text(app.screen.query_one("#status")).splitlines()[0]
        assert "PAUSED" in line and "STALE" in line and "data" in line
        assert "jails up" in line  # the summary before who you are and the interval
        assert len(line) <= 80


async def test_footer_at_80_columns_keeps_help_pause_quit() -> None:
    app: Any = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        text = str(footer.render())
        assert len(text) <= 80
        for key in ("?", "p Pause", "q Quit"):
            assert key in text
        assert "All keys" in text  # some keys did not fit: ? says there are more
        await pilot.resize_terminal(200, 50)
        await settle(pilot)
        wide = str(footer.render())
        assert "? Help" in wide and "R Restart" in wide


async def test_footer_click_runs_the_key() -> None:
    app: Any = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        text = str(footer.render())
        x = text.index("? ")
        await pilot.click(KeyFooter, offset=(x, 0))
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpScreen"


async def test_status_age_repaints_the_bar_without_a_relayout(monkeypatch: Any) -> None:
    """The age ("updated 5s ago") changes every second, paused too: only the
    bar is repainted; a relayout of the whole screen each second was most of
    what a paused console cost (issue 18: idle)."""
    from textual.widgets import Static

    from jailtui.widgets.status_bar import StatusBar

    layouts: list[bool] = []
    original = Static.update

    def spy(self: Any, content: Any = "", *, layout: bool = True) -> None:
        if isinstance(self, StatusBar):
            layouts.append(layout)
        original(self, content, layout=layout)

    monkeypatch.setattr(Static, "update", spy)
    from tui_fakes import NOW

    now = [NOW]
    host = FakeHost()
    app: Any = make_app(host)
    app._clock = lambda: now[0]
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        await poll_once(pilot, host)
        await pilot.press("p")
        await settle(pilot)
        bar = app.screen.query_one(StatusBar)
        layouts.clear()
        for _ in range(3):
            now[0] += 7.0
            bar.redraw()
            await settle(pilot)
        assert layouts and not any(layouts)  # the age moved, the lines stayed
        assert "ago" in str(bar.render())
