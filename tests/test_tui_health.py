"""The console's health checks: marks on the jail rows, the status line, the ``H`` view.

Most tests run the real stack (core.host.Host + core.control.Controller on
the simulator, as tests/test_tui_sim.py) so the findings are exactly
``jailtui check``'s; the cadence, the one-at-a-time rule, failures and
hostile text use the fakes (tests/health_fakes.py) for exact control.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from health_fakes import FixedEvaluator
from rich.style import Style
from tui_fakes import (
    EVIL_ESCAPE,
    EVIL_MARKUP,
    NOW,
    FakeHost,
    evil_snapshot,
    let_intervals_pass,
    make_app,
    record_notifications,
    settle,
    table_lines,
    wait_until,
    widget_text,
)

from jailtui.app import JailtuiApp
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.checks.health import Finding, Severity
from jailtui.core.config.settings import Settings, SettingsError, parse_settings
from jailtui.core.errors import UNEXPECTED
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.scoped import ScopedHost
from jailtui.screens.health import HealthScreen
from jailtui.screens.main import MainScreen
from jailtui.sim.runner import SimRunner
from jailtui.widgets.health_state import HealthState, health_parts, ordered_findings

SIZE = (140, 40)


def sim_host(sim_dir: Path) -> Host:
    runner = SimRunner(sim_dir)
    return Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")


def console(sim_dir: Path) -> JailtuiApp:
    host = sim_host(sim_dir)
    policy = Policy(Role.HOST_ADMIN, "root", os.getuid())
    return JailtuiApp(host, Controller(host, policy), interval=1000.0, clock=lambda: NOW)


async def wait_for(pilot: Any, predicate: Callable[[], bool]) -> None:
    await wait_until(pilot, predicate)


def main_of(app: JailtuiApp) -> MainScreen:
    main = app.screen_stack[0]
    assert isinstance(main, MainScreen)
    return main


def jail_line(main: MainScreen, hostname: str) -> str:
    """The jails pane's line of the jail whose HOSTNAME is ``hostname``."""
    # A stopped jail's dying predecessor has a row of its own: not that one.
    lines = [line for line in table_lines(main.jails)[1:] if f" {hostname} " in line
             and " dying " not in line]
    assert len(lines) == 1, table_lines(main.jails)
    return lines[0]


def first_style(main: MainScreen, index: int) -> Style:
    """The style of the first cell (the mark) of data row ``index``."""
    style = list(main.jails.render_line(1 + index))[0].style
    assert style is not None
    return style


def status(app: JailtuiApp) -> str:
    return widget_text(app.screen.query_one("#status"))


async def open_health(pilot: Any) -> HealthScreen:
    await pilot.press("H")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HealthScreen)
    return screen


# -- on the simulated host ------------------------------------------------------------


async def test_healthy_host_has_no_marks_and_an_ok_view(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.health.state.report is not None)
        main = main_of(app)
        assert app.health.state.marks == {}
        # The marks column is there (first, one cell) but empty on every row.
        assert main.jails.columns[0].key == "health"
        assert all(line[0] == " " for line in table_lines(main.jails)[1:])
        assert "health ✓ ok" in status(app)

        view = await open_health(pilot)
        assert view.findings.row_count == 0
        assert "no findings: every jail is healthy" in table_lines(view.findings)[1]
        title = widget_text(view.query_one("#health-title"))
        assert "JAILS OK - 10 running" in title
        assert "evaluated " in title and "every 30s" in title
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is main


async def test_stopped_jail_is_marked_critical_and_enter_leads_to_it(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.health.state.report is not None)
        main = main_of(app)
        main.jails.move_to_key("cache")
        assert app.controller is not None
        result = await app.controller.stop("web")
        assert result.ok, result.message

        view = await open_health(pilot)
        before = app.health.started
        await pilot.press("r")  # a fresh poll, then a re-evaluation of it
        await wait_for(pilot, lambda: app.health.state.marks == {"web": Severity.CRITICAL})
        assert app.health.started == before + 1
        # The stopped row, not the dying one it left beside it (docs/freebsd.md 5.4).
        assert main.jails.health_of(next(j for j in main.jails.rows
                                         if j.name == "web" and not j.dying)) \
            is Severity.CRITICAL
        rows = view.findings.rows
        assert [(f.severity, f.kind, f.jail) for f in rows] == \
            [(Severity.CRITICAL, "down", "web")]
        lines = table_lines(view.findings)
        assert lines[1].startswith("✗ CRITICAL web")
        assert "down not running (enabled in rc.conf jail_list)" in lines[1]  # web said once
        title = widget_text(view.query_one("#health-title"))
        assert "JAILS CRITICAL - 9 running, 1 down: web" in title
        assert "health ✗ 1 critical" in status(app)

        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is main
        assert main.jails.cursor_key == "web" and main.focused is main.jails
        assert jail_line(main, "web.example.org").startswith("✗ stopped")
        assert jail_line(main, "db.example.org").startswith("  running")


async def test_a_jail_changing_state_is_evaluated_again_at_once(sim_dir: Path) -> None:
    """No 30 s wait: a poll that shows a stopped or started jail re-evaluates."""
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.health.state.report is not None)
        main = main_of(app)
        assert app.controller is not None
        assert (await app.controller.stop("web")).ok
        app.poll_now()
        await wait_for(pilot, lambda: app.health.state.marks == {"web": Severity.CRITICAL})
        assert jail_line(main, "web.example.org").startswith("✗")
        assert (await app.controller.start("web")).ok
        app.poll_now()
        await wait_for(pilot, lambda: app.health.state.marks == {})
        assert jail_line(main, "web.example.org").startswith("  running")


async def test_killed_daemon_marks_its_jail(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.health.state.report is not None)
        snap = app.poll_state.snapshot
        assert snap is not None
        master = next(p for p in snap.processes
                      if p.jail == "db" and p.command.startswith("/usr/local/bin/postgres"))
        assert app.controller is not None
        assert (await app.controller.signal(master.pid, "KILL", master)).ok

        view = await open_health(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: "db" in (app.health.state.marks or {}))
        assert app.health.state.marks == {"db": Severity.CRITICAL}
        assert [f.message for f in view.findings.rows] == \
            ["db: postgresql is enabled in rc.conf but not running"]
        await pilot.press("enter")
        await settle(pilot)
        main = main_of(app)
        assert app.screen is main and main.jails.cursor_key == "db"
        assert jail_line(main, "db.example.org").startswith("✗ running")


async def test_a_delegate_sees_only_their_jail(sim_dir: Path) -> None:
    admin_host = sim_host(sim_dir)
    admin = Controller(admin_host, Policy(Role.HOST_ADMIN, "root", os.getuid()))
    assert (await admin.stop("web")).ok  # a finding the delegate must not see
    snap = await admin_host.poll()
    master = next(p for p in snap.processes
                  if p.jail == "db" and p.command.startswith("/usr/local/bin/postgres"))
    assert (await admin.signal(master.pid, "KILL", master)).ok

    scope = frozenset({"db"})
    host = ScopedHost(sim_host(sim_dir), scope)
    policy = Policy(Role.DELEGATE, "bob", os.getuid(), scope,
                    frozenset({Action.START, Action.STOP, Action.RESTART}))
    app = JailtuiApp(host, Controller(host, policy), interval=1000.0, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.health.state.report is not None)
        assert app.health.state.scope == scope
        assert app.health.state.marks == {"db": Severity.CRITICAL}
        view = await open_health(pilot)
        assert [(f.jail, f.kind) for f in view.findings.rows] == [("db", "daemon-missing")]
        shown = "\n".join([widget_text(view.query_one("#health-title")),
                           *table_lines(view.findings), status(app)])
        assert "web" not in shown
        assert "JAILS CRITICAL - 1 running" in shown and "covers only db" in shown


# -- cadence, one at a time, failures (fakes) -------------------------------------------


async def test_no_health_without_a_jail_host() -> None:
    """The tests' FakeHost has no runner: no column, no status piece, a clear view."""
    app: Any = make_app(FakeHost())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert app.health.state.available is False
        assert all(c.key != "health" for c in main.jails.columns)
        assert "health" not in status(app)
        view = await open_health(pilot)
        assert "not available here" in table_lines(view.findings)[1]
        await pilot.press("H")  # H closes the view again
        await settle(pilot)
        assert app.screen is main


async def test_view_order_and_the_marks_of_every_severity() -> None:
    app: Any = make_app(FakeHost())
    evaluator = FixedEvaluator()
    app.health.set_evaluator(evaluator)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert evaluator.calls == 1
        assert [f.severity for f in app.health.state.report.findings] == \
            [Severity.WARNING, Severity.UNKNOWN, Severity.CRITICAL, Severity.WARNING,
             Severity.CRITICAL]
        # CRITICAL, then WARNING, then UNKNOWN; host-wide before jails, then by jail.
        view = await open_health(pilot)
        assert [(f.severity, f.jail) for f in view.findings.rows] == [
            (Severity.CRITICAL, "build"), (Severity.CRITICAL, "db"),
            (Severity.WARNING, "legacy"), (Severity.WARNING, "web"),
            (Severity.UNKNOWN, None)]
        assert "health ✗ 2 critical, ! 2 warning, ? 1 unknown" in status(app)
        await pilot.press("escape")
        await settle(pilot)
        marks = {line.split()[-1].rsplit("/", 1)[-1]: line[0]
                 for line in table_lines(main.jails)[1:]}
        assert marks["db"] == "✗" and marks["build"] == "✗"
        assert marks["web"] == "!" and marks["legacy"] == "!"
        assert marks["mail"] == " "
        # The mark is coloured: error for CRITICAL, warning for WARNING (off the cursor row).
        main.jails.move_to_key("mail")
        await pilot.pause()
        db = main.jails.rows.index(next(j for j in main.jails.rows if j.name == "db"))
        web = main.jails.rows.index(next(j for j in main.jails.rows if j.name == "web"))
        error = main.jails._role("bad").color
        warning = main.jails._role("warn").color
        assert error is not None and warning is not None and error != warning
        assert first_style(main, db).color == error
        assert first_style(main, web).color == warning
        # Sorting by the marks column puts the worst first.
        main.jails.sort_by("health")
        assert {j.name for j in main.jails.rows[:2]} == {"build", "db"}


async def test_enter_on_a_host_finding_stays_and_says_why() -> None:
    app: Any = make_app(FakeHost())
    app.health.set_evaluator(FixedEvaluator(
        [Finding(Severity.UNKNOWN, "unknown", None, "jail parameters unavailable: x")]))
    seen = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await open_health(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is view
        assert any("about the host" in m for m, _s, _markup in seen)


async def test_enter_clears_a_filter_that_hides_the_jail() -> None:
    app: Any = make_app(FakeHost())
    app.health.set_evaluator(FixedEvaluator())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.jails.set_filter("mail")
        view = await open_health(pilot)
        view.findings.move_to_key(next(f for f in view.findings.rows if f.jail == "db"))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is main and main.jails.cursor_key == "db"
        assert main.jails.filter_text == ""


#: A bug in an evaluation, worded (issue 13 item 37): never the bare type name.
BOOM = UNEXPECTED.format(kind="RuntimeError", text="boom")


async def test_a_failed_evaluation_is_unknown_and_the_console_lives() -> None:
    app: Any = make_app(FakeHost())
    evaluator = FixedEvaluator()
    evaluator.fail_with = RuntimeError("boom")
    app.health.set_evaluator(evaluator)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        state = app.health.state
        assert state.report is not None and state.marks == {}
        assert [(f.severity, f.kind, f.jail, f.message) for f in state.report.findings] == \
            [(Severity.UNKNOWN, "unknown", None, BOOM)]
        assert state.summary == f"JAILS UNKNOWN - {BOOM}"
        assert "health ? 1 unknown" in status(app)
        assert any(e.title == "health check failed" for e in app.journal)
        view = await open_health(pilot)
        assert table_lines(view.findings)[1].startswith("? UNKNOWN  host")
        # It works again as soon as the host answers.
        evaluator.fail_with = None
        await pilot.press("r")
        await wait_for(pilot, lambda: app.health.state.marks == {
            "db": Severity.CRITICAL, "build": Severity.CRITICAL,
            "legacy": Severity.WARNING, "web": Severity.WARNING})
        assert app.is_running


async def test_a_failed_poll_makes_the_requested_evaluation_unknown() -> None:
    host = FakeHost()
    app: Any = make_app(host)
    evaluator = FixedEvaluator()
    app.health.set_evaluator(evaluator)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        host.fail_with = OSError("network is down")
        await open_health(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.health.state.summary.startswith("JAILS UNKNOWN"))
        assert "no fresh data from the host" in app.health.state.summary
        assert evaluator.calls == 1  # nothing run on stale data


async def test_never_more_than_one_evaluation_at_a_time() -> None:
    host = FakeHost()
    app: Any = make_app(host)
    evaluator = FixedEvaluator()
    evaluator.gate = asyncio.Event()
    app.health.set_evaluator(evaluator)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: evaluator.in_flight > 0, "an evaluation running",
                         settling=False)
        assert evaluator.in_flight == 1 and app.health.state.running
        for _ in range(4):  # asked again and again while one runs
            app.health.request()
            await pilot.pause(0.05)
        assert evaluator.calls == 1 and evaluator.most_in_flight == 1
        evaluator.gate.set()
        await settle(pilot)
        await settle(pilot)
        # The requests are served once, after the running one: not four times.
        assert evaluator.calls == 2 and evaluator.most_in_flight == 1
        assert not app.health.state.running


async def test_periodic_evaluation_reuses_the_latest_snapshot() -> None:
    host = FakeHost()
    app: Any = make_app(host, settings=Settings(health_interval=0.2))
    evaluator = FixedEvaluator()
    app.health.set_evaluator(evaluator)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        polls = host.polls
        await wait_until(pilot, lambda: evaluator.calls >= 3, "three evaluations")
        assert host.polls == polls  # no poll of its own
        assert all(s is host.snapshot for s in evaluator.snapshots)
        # Paused polling: no periodic evaluation either.
        await pilot.press("p")
        await settle(pilot)
        calls = evaluator.calls
        await let_intervals_pass(pilot, 0.2, 4)  # four health intervals
        assert evaluator.calls <= calls + 1


async def test_hostile_finding_text_shows_literally() -> None:
    snap = evil_snapshot()
    evil_name = next(j.name for j in snap.jails if EVIL_MARKUP in j.name)
    app: Any = make_app(FakeHost(snap))
    app.health.set_evaluator(FixedEvaluator([
        Finding(Severity.CRITICAL, "daemon-missing", evil_name,
                f"{evil_name}: {EVIL_MARKUP} {EVIL_ESCAPE} is enabled in rc.conf but not "
                "running")]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = await open_health(pilot)
        lines = table_lines(view.findings)
        assert EVIL_MARKUP in lines[1]
        assert "\x1b" not in "".join(lines) and "\x07" not in "".join(lines)
        assert app.is_running  # the [@click=app.quit] did nothing
        await pilot.press("enter")
        await settle(pilot)
        main = main_of(app)
        assert app.screen is main and main.jails.cursor_key == evil_name


# -- pieces ---------------------------------------------------------------------------------


def test_order_and_status_parts() -> None:
    f = [Finding(Severity.UNKNOWN, "unknown", None, "u"),
         Finding(Severity.WARNING, "dying", "b", "w"),
         Finding(Severity.CRITICAL, "down", "a", "c")]
    assert [x.severity for x in ordered_findings(f)] == \
        [Severity.CRITICAL, Severity.WARNING, Severity.UNKNOWN]
    assert health_parts(HealthState()) == []
    assert health_parts(HealthState(available=True, running=True)) == \
        [("health …", "$foreground-muted")]


def test_health_interval_setting() -> None:
    assert Settings().health_interval == 30.0
    assert parse_settings({"console": {"health_interval": 60}}).health_interval == 60.0
    assert parse_settings({"console": {"health_interval": 0}}).health_interval == 0.0
    for bad in (1, -5, True, "30", 10**6):
        with pytest.raises(SettingsError, match="health_interval"):
            parse_settings({"console": {"health_interval": bad}})


async def test_at_80_columns_the_selected_finding_shows_whole_and_no_perfdata(
        sim_dir: Path) -> None:
    """Issue 13 item 36: the finding text was cut in its row and the header
    showed Nagios performance data (``| jails=...``), which is for monitors."""
    app = console(sim_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.health.state.report is not None)
        assert app.controller is not None
        result = await app.controller.stop("web")
        assert result.ok, result.message
        view = await open_health(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.health.state.marks == {"web": Severity.CRITICAL})
        await settle(pilot)
        title = widget_text(view.query_one("#health-title"))
        assert "JAILS CRITICAL" in title and " | " not in title
        assert app.health.state.summary is not None and " | " in app.health.state.summary
        finding = view.findings.cursor_row
        assert finding is not None
        full = widget_text(view.query_one("#finding-text"))
        assert finding.message.startswith("web: ")  # check's own line names the jail
        # ... the view names it once, beside the text (it said "web: web: not running")
        assert full.startswith("web: not running") and "web: web:" not in full
        row = "".join(view.findings.render_line(y).text
                      for y in range(view.findings.size.height))
        assert "web: not running" not in row and "not running" in row


async def test_a_killed_daemon_is_an_event_in_e_and_the_detail(sim_dir: Path) -> None:
    """The console's evaluations feed the timeline (core/events.py checked):
    ``daemon_down`` in E, found by ``kind:daemon_down``."""
    from jailtui.core.events import Kind
    from jailtui.screens.events import EventsScreen

    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.health.state.report is not None)
        snap = app.poll_state.snapshot
        assert snap is not None
        master = next(p for p in snap.processes
                      if p.jail == "db" and p.command.startswith("/usr/local/bin/postgres"))
        assert app.controller is not None
        assert (await app.controller.signal(master.pid, "KILL", master)).ok
        await open_health(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(app.fleet.timeline.events(kinds=[Kind.DAEMON_DOWN])))
        (down,) = app.fleet.timeline.events(kinds=[Kind.DAEMON_DOWN])
        assert (down.jail, down.text) == \
            ("db", "postgresql is enabled in rc.conf but no longer running")
        await pilot.press("escape", "E")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EventsScreen)
        await pilot.press("slash", *"kind:daemon_down", "enter")
        await settle(pilot)
        assert [e.kind for e in screen.table.rows] == [Kind.DAEMON_DOWN]
