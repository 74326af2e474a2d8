"""The line-API table: only visible lines are formatted, whatever the row count."""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual import events
from textual.app import App, ComposeResult
from tui_fakes import make_process, settle, table_lines

from jailtui.core.model import Process
from jailtui.widgets.jail_table import JailTable
from jailtui.widgets.keyed_table import KeyedTable
from jailtui.widgets.process_table import ProcessTable


def many(n: int, tick: int = 0) -> list[Process]:
    out = []
    for i in range(n):
        pid = 100 + i
        out.append(make_process(pid, 1 if i % 10 == 0 else 100 + (i // 10) * 10, 1 + i % 50,
                         f"jail{i % 50}", "www", "SJ", float((i * 7 + tick) % 100), 0.1,
                         1000 + i, "01:00", 60, f"/usr/local/bin/worker --id {i}"))
    return out


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ProcessTable(id="procs")


async def tick_cost(n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, float]:
    """Rows formatted and seconds spent for one refresh of ``n`` processes."""
    formatted = 0
    original = KeyedTable._row_strip

    def counting(self: Any, index: int) -> Any:
        nonlocal formatted
        formatted += 1
        return original(self, index)

    monkeypatch.setattr(KeyedTable, "_row_strip", counting)
    app = TableApp()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(ProcessTable)
        table.show(many(n), host_wide=True, scope=None)
        await pilot.pause()
        formatted = 0
        start = time.perf_counter()
        table.show(many(n, tick=1), host_wide=True, scope=None)
        await pilot.pause()
        return formatted, time.perf_counter() - start


async def test_a_tick_formats_only_the_visible_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost of a tick in lines formatted, not in seconds (a time would be
    the machine's load; benchmarks/tick.py measures the seconds)."""
    small, _ = await tick_cost(500, monkeypatch)
    large, _ = await tick_cost(50_000, monkeypatch)
    assert 0 < small <= 2 * 40
    assert large == small  # the same number of lines drawn at 100x the rows


async def test_cursor_and_scroll_survive_a_refresh_of_many_rows() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(ProcessTable)
        table.show(many(5000), host_wide=True, scope=None)
        table.sort_by("pid", reverse=False)
        await pilot.pause()
        await pilot.press("pagedown", "pagedown", "down")
        key, y = table.cursor_key, table.scroll_offset.y
        assert y > 0
        table.show(many(5000, tick=5), host_wide=True, scope=None)
        await pilot.pause()
        assert table.cursor_key == key
        assert table.scroll_offset.y == y
        await pilot.press("pageup")
        assert table.cursor_index < table.rows.index(
            next(r for r in table.rows if r.pid == key))
        await pilot.press("end")
        assert table.cursor_key == table.rows[-1].pid
        await pilot.press("home")
        assert table.cursor_index == 0 and table.scroll_offset.y == 0


async def test_long_commands_scroll_horizontally() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(ProcessTable)
        long = "/usr/local/bin/python3 " + " ".join(f"--option-{i}=value" for i in range(30))
        table.show([make_process(1, 0, 0, None, "root", "S", 0, 0, 1, "00:01", 1, long)],
                   host_wide=False, scope="x")
        await pilot.pause()
        assert table.virtual_size.width > 60
        table.focus()
        await pilot.press("right", "right")
        assert table.scroll_offset.x == 16
        for _ in range(100):  # as far right as it goes
            table.action_scroll_cols(8)
        await pilot.pause()
        assert table.scroll_offset.x > 0
        assert "--option-29=value" in table_lines(table)[1]


async def test_tree_order_never_drops_rows() -> None:
    procs = [make_process(1, 0, 0, None, "root", "S", 0, 0, 1, "1", 1, "init"),
             make_process(2, 3, 0, None, "root", "S", 0, 0, 1, "1", 1, "a"),  # cycle 2 <-> 3
             make_process(3, 2, 0, None, "root", "S", 0, 0, 1, "1", 1, "b"),
             make_process(4, 1, 0, None, "root", "S", 0, 0, 1, "1", 1, "child"),
             make_process(5, 99, 0, None, "root", "S", 0, 0, 1, "1", 1, "orphan")]
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(ProcessTable)
        table.set_tree(True)
        table.show(procs, host_wide=False, scope="x")
        await pilot.pause()
        assert sorted(p.pid for p in table.rows) == [1, 2, 3, 4, 5]
        pids = [p.pid for p in table.rows]
        assert pids.index(1) < pids.index(4)
        assert any("└─ child" in line for line in table_lines(table))


class JailApp(App[None]):
    def compose(self) -> ComposeResult:
        yield JailTable(id="jails")


async def test_empty_and_filtered_tables_say_why() -> None:
    from tui_fakes import sample_jails

    app = JailApp()
    async with app.run_test(size=(100, 10)) as pilot:
        table = app.query_one(JailTable)
        await pilot.pause()
        assert "loading…" in table_lines(table)[1]
        table.set_rows([])
        await pilot.pause()
        assert "no jails on this host" in table_lines(table)[1]
        table.set_rows(sample_jails())
        table.set_filter("zzz")
        await pilot.pause()
        assert "nothing matches the filter “zzz”" in table_lines(table)[1]
        table.set_filter("10.0.0.5")  # addresses are searched too
        assert [j.name for j in table.rows] == ["mail"]
        await settle(pilot)


async def test_the_wheel_moves_the_cursor() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(ProcessTable)
        table.show(many(200), host_wide=True, scope=None)
        await pilot.pause()
        for _ in range(10):  # Pilot has no wheel: post what the driver would
            table.post_message(events.MouseScrollDown(table, 5, 5, 0, 1, 0, False, False, False))
        await pilot.pause()
        assert table.cursor_index == 30
        top = table.scroll_offset.y
        assert top <= table.cursor_index < top + table.size.height - 1
