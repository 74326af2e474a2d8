"""Sorting and filtering say what they do (issue 13 items 27, 30, 31).

- the sort arrow shows on every sort column, %MEM and JID included, though
  their labels fill the column (the arrow takes the gap between columns);
- ``s`` cycles through named columns only (not the health mark column);
- ``T`` in the jails pane (jails have no elapsed time) sorts the processes
  and says so; ``h``/``c`` with one host say why they do nothing;
- the filter matches part of a state (``run``), a process's STAT, and
  alternatives (``web|db``).
"""

from __future__ import annotations

from typing import Any

from tui_fakes import make_app, record_notifications, settle, table_lines

from jailtui.screens.main import ONE_HOST, MainScreen


def main_of(app: Any) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def test_arrow_on_columns_whose_label_fills_them() -> None:
    app: Any = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.jails.sort_by("jid", reverse=False)
        await pilot.pause()
        header = table_lines(main.jails)[0]
        assert "▲JID" in header or "JID▲" in header
        await pilot.press("tab")
        before = table_lines(main.procs)[0]
        await pilot.press("M")
        await pilot.pause()
        header = table_lines(main.procs)[0]
        assert "▼%MEM" in header or "%MEM▼" in header
        # The column did not move or widen to make room for the arrow.
        assert header.index("%MEM") == before.index("%MEM")
        assert header.index("RSS") == before.index("RSS")


async def test_sort_cycle_skips_unnamed_columns() -> None:
    app: Any = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        jails = main_of(app).jails
        labels = {c.key: c.label for c in jails.columns}
        seen = []
        for _ in range(len(jails.columns) + 1):
            await pilot.press("s")
            seen.append(jails.sort_column.key)
        assert all(labels[k].strip() for k in seen)


async def test_time_sort_in_the_jails_pane_says_what_it_did() -> None:
    app: Any = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        seen = record_notifications(app)
        await pilot.press("T")
        await pilot.pause()
        assert main_of(app).procs.sort_column.key == "time"
        assert any("sorted the processes" in m for m, _s, _mk in seen)


async def test_hosts_keys_with_one_host_say_why() -> None:
    app: Any = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        seen = record_notifications(app)
        await pilot.press("h")
        await pilot.pause()
        assert [m for m, _s, _mk in seen] == [ONE_HOST]
        await pilot.press("c")
        await pilot.pause()
        assert [m for m, _s, _mk in seen] == [ONE_HOST, ONE_HOST]
        # Typed into the filter, h and c are just letters.
        await pilot.press("slash", "c", "h")
        await pilot.pause()
        assert len(seen) == 2 and main_of(app).jails.filter_text == "ch"


async def test_filter_part_of_a_state_stat_and_alternatives() -> None:
    app: Any = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        jails = main_of(app).jails
        jails.set_filter("run")
        await pilot.pause()
        assert jails.row_count and all(j.state.value == "running" for j in jails.rows)
        jails.set_filter("web|db")
        await pilot.pause()
        assert {j.name for j in jails.rows} == {"web", "db"}
        procs = main_of(app).procs
        await pilot.press("a")  # every process
        await pilot.pause()
        stats = {p.state for p in procs.rows}
        target = next(s for s in stats if "J" not in s)  # a host process's STAT
        procs.set_filter(target)
        await pilot.pause()
        assert procs.row_count and all(target.lower() in p.state.lower() or
                                       target.lower() in p.command.lower() for p in procs.rows)
