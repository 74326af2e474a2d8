"""What the main screen's first frame holds, and what waits for its key (issue 18: start).

The first frame carries only what it shows: the filter, search and command
bars are mounted the first time their key opens one, and the responsive
-narrow/-wide classes are the detail screen's alone (app.tcss uses them
there only), so the main screen is not restyled on its first resize.
"""

from __future__ import annotations

from typing import Any

from tui_fakes import make_app, settle, table_lines

from jailtui.screens.main import MainScreen
from jailtui.widgets.command_bar import CommandBar
from jailtui.widgets.filter_bar import FilterBar

SIZE = (120, 36)


def main_of(app: Any) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


def bar_ids(main: MainScreen) -> list[str]:
    return sorted(bar.id or "" for bar in main.query(FilterBar))


async def test_first_frame_mounts_no_bar_and_no_breakpoint_class() -> None:
    app: Any = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert "web" in "\n".join(table_lines(main.jails))  # the data is on screen
        assert bar_ids(main) == []
        assert not main.has_class("-narrow") and not main.has_class("-wide")


async def test_each_bar_is_mounted_by_its_key_and_takes_the_keys_typed_at_once() -> None:
    app: Any = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        # "/" and the letters in one burst: the new bar has the focus at once.
        await pilot.press("slash", "w", "e")
        await pilot.pause()
        assert bar_ids(main) == ["filter"]
        bar = main.filter_bar
        assert bar.display and main.focused is bar and bar.value == "we"
        assert [j.name for j in main.jails.rows] == ["web"]
        await pilot.press("enter")
        await pilot.pause()
        assert not bar.display and main.focused is main.jails
        # The command line: mounted on ":" below the panes, the filter bar hidden.
        await pilot.press("colon")
        await pilot.pause()
        assert bar_ids(main) == ["command", "filter"]
        command = main.command_bar
        assert isinstance(command, CommandBar)
        assert command.display and not bar.display and main.focused is command
        assert command.region.y > main.procs.region.y
        await pilot.press("escape")
        await pilot.pause()
        assert not command.display
        # The same bar again, not a second one.
        await pilot.press("slash")
        await pilot.pause()
        assert bar_ids(main) == ["command", "filter"] and main.filter_bar is bar
        assert bar.value == "we"
