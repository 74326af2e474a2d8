"""The console at 80x24 on the simulated demo host: whole rows, nothing stray
(issue 13 items 34 and 35).

- every jail of the demo host (9) shows in the jails pane, no horizontal
  scrollbar row and no stray scrollbar glyphs in empty lines;
- a line cut at the right edge ends in an ellipsis (left/right scroll);
- ELAPSED past a day is ``12d04h``, leaving room for COMMAND;
- help keeps each binding id with its text, never alone on a line;
- the detail's restrictions put explanations under their row when narrow,
  every allow.* flag has one, rctl times are durations, not raw seconds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from test_tui_sim import console, wait_for
from tui_fakes import settle, table_lines, widget_text

from jailtui.screens.detail import DetailScreen
from jailtui.screens.help import HelpScreen
from jailtui.screens.main import MainScreen
from jailtui.widgets.param_docs import ALLOW

SIZE = (80, 24)


def main_of(app: Any) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def test_all_jails_whole_rows_at_80x24(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        jails = main.jails
        # The demo host: 9 jail.conf jails, 2 of Bastille, 2 of iocage.
        assert jails.source_count == 13
        lines = table_lines(jails)
        shown = [ln for ln in lines[1:] if ln.strip()]
        # As many whole rows as the pane holds (not a row cut short); the rest scroll.
        assert len(shown) == min(13, jails.size.height - 1)
        assert jails.scrollbar_size_horizontal == 0 == main.procs.scrollbar_size_horizontal
        assert all(ln.rstrip().endswith("…") for ln in shown)  # PATH cut: said so
        procs = table_lines(main.procs)
        assert any(re.search(r"\b\d+d\d\dh\b", ln) for ln in procs[1:])
        assert not any(re.search(r"\d+-\d\d:\d\d:\d\d", ln) for ln in procs[1:])
        # ELAPSED is no wider than its header (it was 11 cells, "12-04:13:44",
        # taken from COMMAND in the host-wide view).
        await pilot.press("a")
        await pilot.pause()
        header = table_lines(main.procs)[0]
        assert header.index("COMMAND") - header.index("ELAPSED") <= len("ELAPSED") + 1


async def test_help_at_80_columns_keeps_ids_with_their_text(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        text = widget_text(screen.query_one("#help-text"))
        keys = [ln for ln in text.splitlines() if ln.startswith("  ")]
        # Pre-wrapped to the box (no line for Textual to wrap to column 0)...
        assert keys and all(len(ln) <= 74 for ln in keys)
        # ...and an id never alone on a line: it follows its text.
        assert not any(re.fullmatch(r"\s*[a-z_]+\s*", ln) for ln in keys)
        assert "[switch_pane]" in text


async def test_detail_at_80_columns(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main_of(app).jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("enter")
        d = app.screen
        assert isinstance(d, DetailScreen)
        await wait_for(pilot, lambda: all(
            d.section(k).load_state != "loading" for k in ("restrictions", "rctl")))
        restrictions = widget_text(d.section("restrictions")).splitlines()
        # Explanations under their row, not squeezed into a 20-cell column.
        assert any(ln.startswith("    ") and len(ln.strip()) > 30 for ln in restrictions)
        flags = [ln.split()[0] for ln in restrictions if ln.startswith("allow.")]
        assert flags and all(f in ALLOW for f in flags)
        rctl = widget_text(d.section("rctl"))
        assert not re.search(r"wallclock\s+\d{4,}s", rctl)
