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


def _cut_columns(table: Any) -> list[str]:
    """Every column shown in part on any line of ``table`` (its label, the
    line and what shows of it): a column is whole or left out, blank."""
    cut = []
    scroll_x = table.scroll_offset.x
    seen = table.scrollable_content_region.width
    rows = [None, *table.rows[table.scroll_offset.y:]]
    for line, row in zip(table_lines(table), rows, strict=False):
        for col, (left, right) in zip(table.columns, table._spans(), strict=True):
            if col.last or right <= scroll_x or left >= scroll_x + seen:
                continue
            # The last cell seen holds the "more to the right" ellipsis.
            part = line[max(left, scroll_x) - scroll_x:min(right, scroll_x + seen - 1) - scroll_x]
            whole = col.label if row is None else "".join(
                c if isinstance(c, str) else "".join(t for t, _ in c) for c in [col.cell(row)])
            shown, whole = part.strip(" ▲▼^v"), whole.strip()
            # A value longer than its column ends in an ellipsis (NAME is 20 at most).
            if shown.endswith("…") and whole.startswith(shown[:-1]):
                continue
            if shown and shown != whole:
                cut.append(f"{col.label}: {shown!r} of {whole!r} in {line!r}")
    return cut


async def test_a_column_is_shown_whole_or_not_at_all_at_80x24(sim_dir: Path) -> None:
    """At 80 columns the jails pane cut MEM to its first digit ("27.6M" read
    as "2") under the scrollbar, which hid the line's ellipsis too."""
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        jails = main_of(app).jails
        assert jails.scrollbar_size_vertical == 1  # 13 jails: the pane scrolls
        seen = jails.scrollable_content_region.width
        shown = [ln for ln in table_lines(jails) if ln.strip()]
        # More to the right is said in a cell the scrollbar does not cover.
        assert shown and all(ln[seen - 1] == "…" for ln in shown), shown
        assert "MEM" not in shown[0]  # it does not fit whole: left out, not cut
        # The left-out cells keep the cursor row's colour up to the ellipsis.
        cells = [seg for seg in jails.render_line(1 + jails.cursor_index) if seg.text]
        seen_cells, x = [], 0
        for seg in cells:
            if x < seen:
                seen_cells.append(seg.style.bgcolor if seg.style else None)
            x += len(seg.text)
        assert len(set(seen_cells)) == 1, seen_cells
        for _ in range(4):
            assert _cut_columns(jails) == []
            await pilot.press("right")  # 8 cells: NAME is cut on the left
            await pilot.pause()
        assert jails.scroll_offset.x > 0
        assert "MEM" in table_lines(jails)[0]
