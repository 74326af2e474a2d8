"""The session's history (core/history.py, issue 20): buckets, their bound,
the sparklines of the jails pane and the detail view's graphs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tui_fakes import FakeHost, make_app, make_snapshot, settle, table_lines, widget_text

from jailtui.core.config.settings import SettingsError, parse_settings
from jailtui.core.history import BUCKETS, History, Series, span_text, spark
from jailtui.core.model import HostSnapshot, JailState
from jailtui.screens.detail import DetailScreen
from jailtui.screens.main import MainScreen


def snap_with(cpu: float, rss: int = 1000, procs: int = 3) -> HostSnapshot:
    snap = make_snapshot()
    jails = tuple(replace(j, cpu_percent=cpu, rss_kib=rss, processes=procs)
                  if j.name == "web" else j for j in snap.jails)
    return replace(snap, jails=jails)


def test_a_bucket_averages_cpu_and_keeps_the_largest_memory() -> None:
    now = [0.0]
    h = History(3600, clock=lambda: now[0])
    for t, load, rss in ((0.0, 10.0, 100), (5.0, 30.0, 300), (10.0, 20.0, 200)):
        now[0] = t
        h.observe("local", snap_with(load, rss))
    cpu = h.trend("local", "web", "cpu", 1)
    mem = h.trend("local", "web", "mem", 1)
    assert cpu is not None and cpu.points == (20.0,)
    assert mem is not None and mem.points == (300.0,)
    host = h.trend("local", "", "procs", 1)  # the host's own series: its jails' sum
    assert host is not None and host.latest is not None and host.latest >= 3


def test_buckets_skipped_by_a_pause_hold_nothing_and_a_lap_clears_them() -> None:
    now = [0.0]
    h = History(120, clock=lambda: now[0])  # one second a bucket
    h.observe("local", snap_with(50.0))
    now[0] = 5.0
    h.observe("local", snap_with(10.0))
    trend = h.trend("local", "web", "cpu", 6)
    assert trend is not None and trend.points == (50.0, None, None, None, None, 10.0)
    now[0] = 5.0 + BUCKETS  # a whole lap later: the old values are gone, not shown again
    h.observe("local", snap_with(1.0))
    trend = h.trend("local", "web", "cpu", BUCKETS)
    assert trend is not None and trend.known == [1.0]


def test_a_jail_not_seen_for_a_window_is_forgotten_and_memory_stays_bounded() -> None:
    now = [0.0]
    h = History(60, clock=lambda: now[0])
    h.observe("local", snap_with(1.0))
    assert h.trend("local", "web", "cpu", 1) is not None
    gone = replace(make_snapshot(), jails=())
    now[0] = 61.0
    h.observe("local", gone)
    assert h.trend("local", "web", "cpu", 1) is None
    assert len(h) == 1  # the host's own series only
    # A series is fixed-size whatever the number of polls.
    s = Series()
    for b in range(10 * BUCKETS):
        s.add(b, 1.0, 1.0, 1.0, float(b))
    assert len(s.cpu_sum) == len(s.n) == len(s.mem) == len(s.procs) == BUCKETS


def test_the_last_buckets_alone_are_the_window_s_tail() -> None:
    """values(count=N), what the sparkline asks per row, is the last N of the
    whole window's buckets, in every case the window has: gaps, a lap, buckets
    before the first, newest past the last sample, a clock stepped back."""
    s = Series()
    for b in (0, 1, 2, 5, 9, 130, 131, 250, 251, 252, 200, 260):
        s.add(b, float(b), float(b) * 2, 3.0, float(b))
    for newest in (0, 3, 9, 120, 131, 252, 255, 260, 270, 400):
        for metric in ("cpu", "mem", "procs"):
            whole = s.values(metric, newest)
            assert len(whole) == BUCKETS
            for count in (1, 10, 60, BUCKETS):
                assert s.values(metric, newest, count) == whole[-count:], (newest, metric, count)


def test_stopped_jails_get_no_samples() -> None:
    h = History(3600, clock=lambda: 0.0)
    snap = make_snapshot()
    h.observe("local", snap)
    stopped = [j.name for j in snap.jails if j.state is JailState.STOPPED]
    assert stopped and all(h.trend("local", n, "cpu", 1) is None for n in stopped)


def test_resampled_covers_the_window_in_the_width_given() -> None:
    now = [0.0]
    h = History(120, clock=lambda: now[0])
    for t in range(BUCKETS):
        now[0] = float(t)
        h.observe("local", snap_with(float(t % 2) * 10, rss=t))
    cpu = h.resampled("local", "web", "cpu", 60)
    mem = h.resampled("local", "web", "mem", 60)
    assert cpu is not None and len(cpu.points) == 60 and cpu.points[0] == 5.0
    assert mem is not None and mem.points[-1] == float(BUCKETS - 1)  # the largest of two


def test_spark_levels_and_gaps() -> None:
    assert spark([0.0, 50.0, 100.0, None], top=100.0) == "▁▅█ "
    assert spark([0.0, 0.0]) == "▁▁"
    assert spark([0.0, 2.0], levels="ab") == "ab"
    assert span_text(300) == "5m" and span_text(3600) == "1h" and span_text(30) == "30s"


@pytest.mark.parametrize("value", [10, "1h", True, 10 ** 9])
def test_console_history_must_be_seconds_in_range(value: object) -> None:
    with pytest.raises(SettingsError, match=r"\[console\] history"):
        parse_settings({"console": {"history": value}})


def test_console_history_sets_the_window() -> None:
    assert parse_settings({"console": {"history": 600}}).history == 600.0


# -- the console ------------------------------------------------------------------------


async def test_the_jails_pane_has_a_cpu_sparkline_where_it_fits() -> None:
    host = FakeHost(snap_with(5.0))
    app = make_app(host)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        assert "trend" in [c.key for c in main.jails.columns]
        header, *rows = table_lines(main.jails)
        assert "CPU 5m" in header
        web = next(r for r in rows if " web " in r)
        assert any(ch in web for ch in "▁▂▃▄▅▆▇█")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        # At 80 columns there is no room: MEM stays on the pane instead.
        assert "trend" not in [c.key for c in main.jails.columns]


async def test_the_detail_view_draws_the_jails_history() -> None:
    app = make_app(FakeHost(snap_with(5.0)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("web")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = widget_text(app.screen.section("history"))
        assert "CPU%" in text and "now 5.0" in text and "-1h" in text and "now" in text


async def test_the_detail_view_lists_the_jails_own_events() -> None:
    from jailtui.screens.confirm import ConfirmScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("web")
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = widget_text(app.screen.section("events"))
        lines = text.splitlines()
        assert "restart web" in lines[0] and "action" in lines[0]  # newest first
        assert any("seen" in ln for ln in lines)
        assert "db" not in text  # another jail's events are not this one's


def test_rctl_samples_are_kept_apart_and_forgotten() -> None:
    """rctl -u of limited jails (the health check's samples): the largest per bucket,
    None where no sample fell, forgotten after a window without one."""
    from jailtui.core.history import History

    now = [0.0]
    h = History(600, clock=lambda: now[0])
    h.observe_rctl("h", {"db": {"memoryuse": 100, "pcpu": 5}})
    now[0] = 1.0
    h.observe_rctl("h", {"db": {"memoryuse": 300, "pcpu": 2}})
    t = h.rctl_resampled("h", "db", "memoryuse", 120)
    assert t is not None and t.latest == 300.0 and t.peak == 300.0
    pcpu = h.rctl_resampled("h", "db", "pcpu", 120)
    assert pcpu is not None and pcpu.latest == 5.0  # the bucket's largest
    assert h.rctl_resampled("h", "db", "openfiles", 120) is not None
    assert h.rctl_resampled("h", "db", "openfiles", 120).known == []  # type: ignore[union-attr]
    assert h.rctl_resampled("h", "web", "memoryuse", 120) is None
    now[0] = 700.0
    h.observe_rctl("h", {"web": {"memoryuse": 1}})
    assert h.rctl_resampled("h", "db", "memoryuse", 120) is None
