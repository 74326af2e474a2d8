"""The main console: live data, keys, cursors that stay on their rows, stale data."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from tui_fakes import (
    NOW,
    FakeHost,
    let_intervals_pass,
    make_app,
    make_snapshot,
    record_notifications,
    sample_jails,
    sample_processes,
    settle,
    table_lines,
    wait_until,
    widget_text,
)

from jailtui.core.config.settings import Settings
from jailtui.core.errors import CommandTimeout, ToolError
from jailtui.core.model import Jail, JailState
from jailtui.screens.help import HelpScreen
from jailtui.screens.log import LogScreen
from jailtui.screens.main import MainScreen
from jailtui.widgets.jail_table import JailTable

SIZE = (120, 36)


def shows_focus(main: MainScreen, widget: object) -> bool:
    """``main.focused is widget`` as a call (an ``is`` would narrow for mypy)."""
    return main.focused is widget


def screen(app: object) -> MainScreen:
    s = app.screen  # type: ignore[attr-defined]
    assert isinstance(s, MainScreen)
    return s


def shown_names(table: JailTable) -> list[str]:
    return [j.name for j in table.rows]


async def test_first_poll_fills_both_panes_and_the_status_line() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        lines = table_lines(main.jails)
        assert lines[0].split()[:3] == ["STATE", "JID", "NAME▲"]
        text = "\n".join(lines)
        for name in ("web", "db", "mail", "build", "legacy", "handmade"):
            assert name in text
        assert "10.0.0.3 +2" in text  # first address and how many more
        assert "stopped" in text and "dying" in text and "running" in text
        # The cursor starts on the first running jail (by name): db.
        assert main.jails.cursor_key == "db"
        assert {p.pid for p in main.procs.rows} == {1401, 1402, 1403}
        status = widget_text(main.query_one("#status"))
        assert "SIMULATED" in status
        assert "jailhost.example.org" in status
        assert "root · host admin" in status
        assert "every 1000s" in status
        assert "updated 1s ago" in status


async def test_every_jail_column_is_shown() -> None:
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        header, *rows = table_lines(screen(app).jails)
        assert header.split() == ["STATE", "JID", "NAME▲", "OWN", "HOSTNAME", "ADDRESS",
                                  "PROCS", "CPU%", "MEM", "CPU", "5m", "PATH"]
        web = next(r for r in rows if " web " in r)
        # The fake host decides no owner: "-" (a real Host always does, core/owners).
        assert web.split()[:6] == ["running", "3", "web", "-", "web.example.org", "10.0.0.3"]
        assert "/usr/local/jails/web" in web
        assert "358M" in web  # RSS sum of web's processes, human units


async def test_jail_cursor_stays_on_its_jail_across_refresh() -> None:
    host = FakeHost()
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        assert main.jails.move_to_key("web")
        index_before = main.jails.cursor_index
        # Two jails appear before "web" in name order, one disappears.
        jails = [*sample_jails(), Jail("aaa", 11, JailState.RUNNING), Jail("bbb", None,
                                                                             JailState.STOPPED)]
        jails = [j for j in jails if j.name != "mail"]
        host.snapshot = make_snapshot(jails)
        await pilot.press("r")
        await settle(pilot)
        assert main.jails.cursor_key == "web"
        assert main.jails.cursor_index == index_before + 1  # moved with its row
        assert "bbb" in shown_names(main.jails)
        assert {p.jail for p in main.procs.rows} == {"web"}


async def test_jail_cursor_stays_across_sort_and_filter() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        main.jails.move_to_key("mail")
        for key in ("s", "s", "greater_than_sign", "less_than_sign", "I", "P", "M", "number_sign"):
            await pilot.press(key)
            assert main.jails.cursor_key == "mail", key
        await pilot.press("slash", *"mai")
        assert shown_names(main.jails) == ["mail"]
        assert main.jails.cursor_key == "mail"
        await pilot.press("escape")  # clears the filter
        assert len(main.jails.rows) == 6
        assert main.jails.cursor_key == "mail"
        assert main.focused is main.jails


async def test_process_cursor_stays_on_its_pid_across_refresh_sort_and_filter() -> None:
    host = FakeHost()
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("tab")
        assert main.focused is main.procs
        # Sorted by %CPU, highest first: 1261 (55.2), 1241 (12.5), 1242, ...
        assert [p.pid for p in main.procs.rows][:2] == [1261, 1241]
        await pilot.press("down")
        assert main.procs.cursor_key == 1241
        # New tick: 1242 becomes the busiest, 1241 moves down.
        procs = [replace(p, cpu_percent=90.0) if p.pid == 1242 else p
                 for p in sample_processes()]
        host.snapshot = make_snapshot(processes=procs)
        await pilot.press("r")
        await settle(pilot)
        assert [p.pid for p in main.procs.rows][0] == 1242
        assert main.procs.cursor_key == 1241
        for key in ("N", "M", "T", "s", "I", "P"):
            await pilot.press(key)
            assert main.procs.cursor_key == 1241, key
        await pilot.press("slash", *"worker")
        assert {p.pid for p in main.procs.rows} == {1241, 1242}
        assert main.procs.cursor_key == 1241
        await pilot.press("enter")  # keeps the filter
        assert main.focused is main.procs
        assert main.procs.filter_text == "worker"
        await pilot.press("escape")  # clears it
        assert main.procs.filter_text == ""
        assert main.procs.cursor_key == 1241


async def test_process_that_exits_leaves_the_cursor_in_place() -> None:
    host = FakeHost()
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        main.jails.move_to_key("web")
        await pilot.press("tab", "down", "down")
        index = main.procs.cursor_index
        gone = main.procs.cursor_key
        host.snapshot = make_snapshot(processes=[p for p in sample_processes() if p.pid != gone])
        await pilot.press("r")
        await settle(pilot)
        assert main.procs.cursor_index == index
        assert main.procs.cursor_key != gone


async def test_host_wide_processes_mark_jailed_ones() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        await pilot.press("tab")
        pid = main.procs.cursor_key
        await pilot.press("a")
        assert main.procs.host_wide
        assert len(main.procs.rows) == len(sample_processes())
        assert main.procs.cursor_key == pid  # same process, now among all
        header, *rows = table_lines(main.procs)
        assert header.split()[:4] == ["J", "PID", "JID", "JAIL"]
        by_pid = {r.split()[1] if r.startswith("J") else r.split()[0]: r for r in rows if r.strip()}
        php = next(r for r in rows if "php-fpm: pool www" in r)
        assert php.split()[:4] == ["J", "1261", "3", "web"]
        init = next(r for r in rows if "/sbin/init" in r)
        assert init.split()[:3] == ["1", "0", "-"]  # no J: a host process
        assert by_pid
        assert "All processes" in str(main.procs.border_title)
        await pilot.press("a")
        assert not main.procs.host_wide
        assert {p.jail for p in main.procs.rows} == {"db"}


async def test_tree_view_orders_by_parent() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("t")
        assert main.procs.tree_view
        pids = [p.pid for p in main.procs.rows]
        assert pids.index(1240) < pids.index(1241) and pids.index(1240) < pids.index(1242)
        assert pids.index(1260) < pids.index(1261)
        text = "\n".join(table_lines(main.procs))
        assert "└─ nginx: worker process" in text or "├─ nginx: worker process" in text
        await pilot.press("t")
        assert "─ nginx" not in "\n".join(table_lines(main.procs))


async def test_tab_switches_panes_and_enter_opens_detail() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        assert main.focused is main.jails
        await pilot.press("tab")
        assert shows_focus(main, main.procs)
        await pilot.press("tab")
        assert shows_focus(main, main.jails)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "DetailScreen"
        await pilot.press("escape")
        assert app.screen is main


async def test_refresh_keys_poll_at_once() -> None:
    host = FakeHost()
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert host.polls == 1
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert host.polls == 3


async def test_polls_never_overlap_and_refresh_during_a_poll_polls_again_after() -> None:
    host = FakeHost()
    host.gate = asyncio.Event()  # the first poll hangs until released
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert host.in_flight == 1
        await pilot.press("r", "r", "r", "ctrl+r")  # all while the first poll runs
        assert host.polls == 1
        host.gate.set()
        await settle(pilot)
        await settle(pilot)
        assert host.most_in_flight == 1
        assert host.polls == 2  # the first one, then exactly one more


async def test_poller_rearms_after_each_poll() -> None:
    host = FakeHost()
    app = make_app(host, interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: host.polls >= 4, "four polls")


async def test_pause_stops_polling_and_says_so() -> None:
    host = FakeHost()
    app = make_app(host, interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        assert app.poll_state.paused
        assert "PAUSED" in widget_text(screen(app).query_one("#status"))
        await settle(pilot)
        polls = host.polls
        await let_intervals_pass(pilot, 0.05, 6)  # six poll intervals
        assert host.polls == polls
        await pilot.press("r")  # one poll while paused
        await settle(pilot)
        assert host.polls == polls + 1
        await pilot.press("p")  # resume
        assert not app.poll_state.paused
        await wait_until(pilot, lambda: host.polls > polls + 2, "polls after resuming")


async def test_interval_keys_change_the_interval() -> None:
    app = make_app(interval=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("plus")
        assert app.poll_state.interval == 3.0
        await pilot.press("equals_sign")
        assert app.poll_state.interval == 5.0
        await pilot.press("minus", "minus", "minus")
        assert app.poll_state.interval == 1.0
        assert "every 1s" in widget_text(screen(app).query_one("#status"))


async def test_interval_keys_reach_both_ends_of_the_interval_range() -> None:
    """One range for --interval and +/- (issue 13 item 14): from 0.2 ``-`` stays
    at 0.2 (it jumped to 0.5), from 3600 ``+`` stays and ``-`` comes back."""
    from jailtui.core.config.settings import MAX_INTERVAL, MIN_INTERVAL

    for start, key, expect in ((MIN_INTERVAL, "minus", MIN_INTERVAL),
                               (MIN_INTERVAL, "plus", 0.5),
                               (MAX_INTERVAL, "plus", MAX_INTERVAL),
                               (MAX_INTERVAL, "minus", 1800.0)):
        app = make_app(interval=start)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press(key)
            assert app.poll_state.interval == expect, (start, key)


async def test_failed_poll_keeps_the_data_marks_it_stale_and_recovers() -> None:
    host = FakeHost()
    app = make_app(host, interval=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        main.jails.move_to_key("web")
        host.fail_with = CommandTimeout(["jls", "--libxo", "json", "-v", "-d"], 8)
        await pilot.press("r")
        await settle(pilot)
        state = app.poll_state
        assert state.stale and state.failures == 1
        assert state.retry_in == 4.0  # doubled interval
        status = widget_text(main.query_one("#status"))
        assert "STALE" in status
        assert "jls: timed out after 8 s (killed)" in status
        assert "retry in 4s" in status
        assert main.query_one("#status").has_class("-stale")
        # The last good data is still on screen, cursor and all.
        assert len(main.jails.rows) == 6 and main.jails.cursor_key == "web"
        host.fail_with = ToolError(["ps"], "ps: \x1b[2Jboom", returncode=1)
        await pilot.press("r")
        await settle(pilot)
        status = widget_text(main.query_one("#status"))
        assert "\x1b" not in status and "ps: \\x1b[2Jboom" in status
        assert app.poll_state.retry_in == 8.0
        titles = [e.title for e in app.journal]
        assert titles.count("poll failed") == 2
        host.fail_with = None
        await pilot.press("r")
        await settle(pilot)
        assert not app.poll_state.stale
        assert "STALE" not in widget_text(main.query_one("#status"))


async def test_any_exception_in_poll_is_stale_not_a_crash() -> None:
    host = FakeHost()
    host.fail_with = KeyError("jail-information")
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        status = widget_text(screen(app).query_one("#status"))
        assert "waiting for the first poll" in status
        assert "KeyError" in status


async def test_quick_sorts_and_sort_cycling() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        await pilot.press("tab", "a")
        procs = main.procs
        await pilot.press("number_sign")
        assert procs.sort_column.key == "pid" and not procs.sort_reverse
        assert [p.pid for p in procs.rows][:3] == [0, 1, 512]
        await pilot.press("number_sign")  # again: reversed
        assert procs.sort_reverse
        await pilot.press("M")
        assert procs.sort_column.key == "mem" and procs.sort_reverse
        assert procs.rows[0].pid == 1401
        await pilot.press("T")
        assert procs.sort_column.key == "time"
        await pilot.press("P")
        assert procs.sort_column.key == "cpu" and procs.rows[0].pid == 1261
        await pilot.press("I")
        assert not procs.sort_reverse
        before = procs.sort_column.key
        await pilot.press("greater_than_sign")
        assert procs.sort_column.key != before
        await pilot.press("less_than_sign")
        assert procs.sort_column.key == before
        # In the jails pane # sorts by jid; T (no time column) sorts the processes.
        await pilot.press("tab", "number_sign")
        assert main.jails.sort_column.key == "jid"
        assert [j.jid for j in main.jails.rows][:2] == [2, 3]


async def test_clicking_a_header_sorts_by_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        header = table_lines(main.jails)[0]
        x = header.index("CPU%")
        # Row 0 of the widget is its top border (the pane title), then the header.
        await pilot.click("#jails", offset=(x + 1, 1))
        assert main.jails.sort_column.key == "cpu"
        assert main.jails.rows[0].name == "web"


async def test_mouse_click_selects_a_row() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = screen(app)
        await pilot.click("#jails", offset=(12, 7))  # border, header, then rows 0..5
        assert main.jails.cursor_key == main.jails.rows[5].name


async def test_help_lists_every_key_with_its_id() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = widget_text(app.screen.query_one("#help-text"))
        for binding_id in ("start", "stop", "restart", "shell", "edit", "signal", "filter",
                           "host_wide", "tree", "pause", "interval_up", "refresh", "sort_cpu",
                           "quit", "log", "detail", "switch_pane"):
            assert f" {binding_id}" in text, binding_id
        assert "f9, ^k" in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_log_screen_opens_and_closes() -> None:
    host = FakeHost()
    host.snapshot = make_snapshot(warnings=("jail.conf line 3: syntax error",))
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "1 warning" in widget_text(screen(app).query_one("#status"))
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, LogScreen)
        view = app.screen.query_one("#log-view")
        text = "\n".join(line.text for line in view.lines)  # type: ignore[attr-defined]
        assert "jail.conf line 3: syntax error" in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_q_quits() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_q_typed_in_the_filter_is_text() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "q", "d", "p")
        assert app.is_running
        assert screen(app).filter_bar.value == "qdp"
        assert not app.poll_state.paused


async def test_keymap_from_the_config_file_remaps_keys() -> None:
    settings = Settings(keys={"stop": "ctrl+d", "host_wide": "w"})
    app = make_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        main = screen(app)
        await pilot.press("w")
        assert main.procs.host_wide
        await pilot.press("d")  # no longer stop
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        assert seen is not None


async def test_status_line_shows_role_and_real_backend() -> None:
    from tui_fakes import FakeController

    from jailtui.core.actions.policy import Action, Role

    host = FakeHost(label="FreeBSD")
    ctl = FakeController(role=Role.DELEGATE, user="alice", scope_names=frozenset({"web"}),
                         actions=frozenset({Action.START, Action.STOP}))
    app = make_app(host, ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = widget_text(screen(app).query_one("#status"))
        assert "FreeBSD" in status and "SIMULATED" not in status
        assert "alice · delegate of web" in status
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "read-only" in widget_text(screen(app).query_one("#status"))


async def test_age_of_the_data_is_shown() -> None:
    host = FakeHost()
    host.snapshot = make_snapshot(taken_at=NOW - 125)
    app = make_app(host)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "updated 2m05s ago" in widget_text(screen(app).query_one("#status"))


async def test_fits_80x24() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = screen(app)
        assert main.jails.size.height >= 4
        assert main.procs.size.height >= 5
        assert len(table_lines(main.jails)[0]) == main.jails.size.width
