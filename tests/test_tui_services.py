"""The services screen (``D``) and the row's "stopping…", on the real simulator.

Host(SimRunner) + a Controller with the file audit, as ``jailtui --sim``
runs it: the services come from ``service -j NAME -e``, their state from
``service -j NAME SVC status``, the actions go through
``Controller.service`` and land in the action log and SIMDIR/audit.log.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tui_daemon_fakes import (
    HeldRunner,
    audit_lines,
    footer_actions,
    sim_console,
    wait_for,
)
from tui_fakes import record_notifications, settle, table_lines, widget_text

from jailtui.core.actions.policy import Role
from jailtui.core.checks.rcstatus import ServiceState
from jailtui.core.model import JailState
from jailtui.core.transport.runner import CommandResult
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.detail import DetailScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.services import ServicesScreen
from jailtui.sim.runner import SimRunner
from jailtui.widgets.service_table import CHECKING

SIZE = (120, 36)


async def open_services(pilot: Any, jail: str) -> ServicesScreen:
    app = pilot.app
    await settle(pilot)
    main = app.screen
    assert isinstance(main, MainScreen)
    assert main.jails.move_to_key(jail)
    await pilot.pause()
    await pilot.press("D")
    screen = app.screen
    assert isinstance(screen, ServicesScreen)
    await wait_for(pilot, lambda: bool(screen.table.rows)
                   and all(r.state != CHECKING for r in screen.table.rows))
    return screen


def row(screen: ServicesScreen, name: str) -> Any:
    return next(r for r in screen.table.rows if r.name == name)


async def test_lists_db_services_with_their_state(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_services(pilot, "db")
        names = [r.name for r in screen.table.rows]
        assert "postgresql" in names and "cron" in names
        assert names.index("cleanvar") < names.index("postgresql")  # rcorder, as listed
        pg = row(screen, "postgresql")
        assert pg.state == ServiceState.RUNNING and pg.pid is not None
        assert row(screen, "cleanvar").state == ServiceState.NO_STATUS  # one-shot script
        lines = table_lines(screen.table)
        assert any("postgresql" in ln and "running" in ln and str(pg.pid) in ln for ln in lines)
        title = widget_text(screen.query_one("#services-title"))
        assert "Services of jail db" in title
        assert "running" in widget_text(screen.query_one("#services-message"))
        assert {"service_start", "service_stop", "service_restart"} <= footer_actions(app)
        # Nothing of this is audited: reading is not an action.
        assert not any("action=services" in ln for ln in audit_lines(sim_dir))
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_restart_postgresql_is_confirmed_logged_and_audited(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        screen = await open_services(pilot, "db")
        old_pid = row(screen, "postgresql").pid
        assert screen.table.move_to_key("postgresql")
        await pilot.press("R")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        question = widget_text(confirm.query_one("#confirm-question"))
        assert "Restart service postgresql in jail db (jid " in question
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is screen
                       and row(screen, "postgresql").pid not in (None, old_pid)
                       and row(screen, "postgresql").busy is None)
        entry = app.journal.last()
        assert entry.title == "restart postgresql in db" and entry.ok
        assert "Starting postgresql." in entry.output
        assert any(m == "postgresql restarted" for m, _s, _mk in seen)  # not rc.d's last line
        assert all(markup is False for _m, _s, markup in seen)
        audit = [ln for ln in audit_lines(sim_dir) if "action=services" in ln]
        assert len(audit) == 1
        assert "jail=db" in audit[0] and "result=ok" in audit[0]
        assert 'detail="postgresql restart"' in audit[0]
        assert "restart postgresql in db" in widget_text(screen.query_one("#services-message"))


async def test_stop_then_start_a_service(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_services(pilot, "web")
        assert screen.table.move_to_key("nginx")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Stop service nginx in jail web" in widget_text(
            app.screen.query_one("#confirm-question"))
        await pilot.press("n")  # no: nothing happens
        await settle(pilot)
        assert row(screen, "nginx").state == ServiceState.RUNNING
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: row(screen, "nginx").state == ServiceState.STOPPED)
        assert screen.table.cursor_key == "nginx"  # the cursor stays on its service
        assert any("nginx" in ln and "not running" in ln for ln in table_lines(screen.table))
        await pilot.press("u")  # start: no question
        await wait_for(pilot, lambda: row(screen, "nginx").state == ServiceState.RUNNING)
        titles = [e.title for e in app.journal]
        assert "stop nginx in web" in titles and "start nginx in web" in titles
        results = [ln for ln in audit_lines(sim_dir) if "action=services" in ln]
        assert [("nginx stop" in ln, "nginx start" in ln) for ln in results] == \
            [(True, False), (False, True)]


async def test_opens_from_the_detail_screen_and_follows_the_jail(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("mail")
        await pilot.pause()
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        await settle(pilot)
        await pilot.press("D")
        screen = app.screen
        assert isinstance(screen, ServicesScreen)
        await wait_for(pilot, lambda: bool(screen.table.rows))
        assert screen.jail_name == "mail"
        await pilot.press("escape")
        assert isinstance(app.screen, DetailScreen)


async def test_a_failing_list_is_shown_sanitised(sim_dir: Path) -> None:
    """The tool's message is the jail's text: escapes and markup show literally."""

    class Failing(SimRunner):
        async def run(self, argv: Sequence[str], **kw: Any) -> CommandResult:
            if list(argv[-1:]) == ["-e"] and argv[0] == "service":
                return CommandResult(tuple(argv), 1, b"",
                                     b"service: \x1b]0;pwned\x07 [b]boom[/b] [@click=app.quit]x\n")
            return await super().run(argv, **kw)

    app = sim_console(sim_dir, runner=Failing(sim_dir))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("db")
        await pilot.pause()
        await pilot.press("D")
        screen = app.screen
        assert isinstance(screen, ServicesScreen)
        await settle(pilot)
        message = widget_text(screen.query_one("#services-message"))
        assert "Could not list the services" in message
        assert "\\x1b]0;pwned\\x07 [b]boom[/b] [@click=app.quit]x" in message
        assert "\x1b" not in message
        assert app.is_running and not screen.table.rows


async def test_read_only_user_sees_the_daemons_but_cannot_touch_them(sim_dir: Path) -> None:
    """Viewing daemons is reading (issue 13 item 24): ``D`` opens them and asks
    their state; start/stop/restart are neither shown, offered nor done."""
    app = sim_console(sim_dir, Role.READ_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("db")
        await pilot.pause()
        assert "exec" not in footer_actions(app)
        commands = {c.title for c in app.get_system_commands(app.screen)}
        assert "Services of the jail (rc.d)" in commands
        assert "Run a command in the jail" not in commands  # never offered read-only
        screen = await open_services(pilot, "db")
        pg = row(screen, "postgresql")
        assert pg.state == ServiceState.RUNNING and pg.pid is not None
        assert not footer_actions(app) & {"service_start", "service_stop", "service_restart"}
        commands = {c.title for c in app.get_system_commands(app.screen)}
        assert not commands & {"Start the selected service", "Stop the selected service",
                               "Restart the selected service"}
        await pilot.press("?")
        await settle(pilot)
        help_text = widget_text(app.screen.query_one("#help-text"))
        assert "services" in help_text
        assert "service_stop" not in help_text and "service_start" not in help_text
        await pilot.press("escape")
        await settle(pilot)
        assert screen.table.move_to_key("postgresql")
        await pilot.press("d")
        await pilot.pause()
        assert app.screen is screen  # no "Stop service?" question
        assert seen[-1][0] == "service_stop: refused — read-only session"
        assert row(screen, "postgresql").state == ServiceState.RUNNING
        assert not any("action=services" in ln for ln in audit_lines(sim_dir))


async def test_a_stopped_jail_has_no_daemons_to_show(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("staging")
        await pilot.pause()
        assert "services" not in footer_actions(app)
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert seen[-1][0] == "services: refused — staging is not running"


async def test_the_row_shows_a_slow_stop_in_progress(sim_dir: Path) -> None:
    """While the stop runs the STATE cell says "stopping…"; after the result
    and the next poll it says "stopped", with the cursor still on the row."""

    def lifecycle(argv: Sequence[str]) -> bool:
        return (list(argv[:2]) == ["service", "jail"]
                or (argv[0] == "jail" and any(a in ("-r", "-c", "-rc") for a in argv)))

    runner = HeldRunner(SimRunner(sim_dir), lifecycle)
    app = sim_console(sim_dir, runner=runner)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("mail")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")

        def state_of_mail() -> str:
            # The first word of the row (a health mark column may come first).
            # Not the dying row a stop leaves beside it (docs/freebsd.md 5.4).
            line = next(ln for ln in table_lines(main.jails)[1:] if " mail " in ln
                        and " dying " not in ln)
            return next(w for w in line.split() if w.isalpha() or w.endswith("…"))

        await wait_for(pilot, lambda: bool(runner.held), use_settle=False)
        await wait_for(pilot, lambda: state_of_mail() == "stopping…", use_settle=False)
        assert main.jails.cursor_key == "mail"
        # A poll while it is held still says running: the row keeps "stopping…".
        app.poll_now()
        await wait_for(pilot, lambda: app.poll_state.snapshot is not None
                       and not app.polling, use_settle=False)
        assert state_of_mail() == "stopping…"
        assert runner.gate is not None
        runner.gate.set()

        def stopped() -> bool:
            snap = app.poll_state.snapshot
            jail = snap.jail("mail") if snap is not None else None
            return jail is not None and jail.state is JailState.STOPPED

        await wait_for(pilot, lambda: stopped() and not len(app.pending))
        assert state_of_mail() == "stopped"
        assert main.jails.cursor_key == "mail"
        assert app.journal.last().title == "stop mail"


def test_parse_status_answers() -> None:
    from jailtui.core.checks.rcstatus import parse_status, status_argv

    def res(rc: int, out: bytes = b"", err: bytes = b"") -> CommandResult:
        return CommandResult(("service",), rc, out, err)

    ok = parse_status("nginx", res(0, b"nginx is running as pid 38.\n"))
    assert ok.state is ServiceState.RUNNING and ok.pid == 38
    assert parse_status("nginx", res(1, b"nginx is not running.\n")).state is ServiceState.STOPPED
    oneshot = parse_status("motd", res(1, err=b"/etc/rc.d/motd: unknown directive 'status'.\n"))
    assert oneshot.state is ServiceState.NO_STATUS
    odd = parse_status("x", res(1, err=b'jexec: jail "db" not found\n'))
    assert odd.state is ServiceState.UNKNOWN and odd.message == 'jexec: jail "db" not found'
    assert status_argv("db", "postgresql") == ["service", "-j", "db", "postgresql", "status"]
    for bad in ("-e", "../x", ""):
        try:
            status_argv("db", bad)
        except ValueError:
            continue
        raise AssertionError(bad)


async def test_actions_fit_the_state_say_the_outcome_and_recheck_health(sim_dir: Path) -> None:
    """Issue 13 item 46: no ``u`` on a running service; "nginx stopped", not
    rc.d's last line ("Waiting for PIDS: ..."); health at once, not 30 s later."""
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        screen = await open_services(pilot, "web")
        assert screen.table.move_to_key("nginx")
        await pilot.pause()
        assert "service_start" not in footer_actions(app)  # it runs already
        assert "service_stop" in footer_actions(app)
        await pilot.press("u")
        await pilot.pause()
        assert any("already running" in m for m, _s, _mk in seen)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: row(screen, "nginx").state == ServiceState.STOPPED)
        assert any(m == "nginx stopped" for m, _s, _mk in seen)
        entry = next(e for e in app.journal if e.title == "stop nginx in web")
        assert entry.message == "nginx stopped" and entry.output.strip()  # rc.d's lines kept
        assert "service_stop" not in footer_actions(app)

        def health_saw_it() -> bool:
            report = app.health.state.report
            return report is not None and any("nginx" in f.message for f in report.findings)

        assert app.health.interval >= 30  # so only the request can explain a quick finding
        await wait_for(pilot, health_saw_it)
