"""One command in a jail (``!``) and ``x`` on a stopped jail, on the real simulator.

The command runs through ``Controller.exec`` (``jexec -l NAME ARGV...``) on
the simulated host: ``hostname`` answers as the jail, other commands run
for real in the jail's root, captured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tui_daemon_fakes import audit_lines, footer_actions, log_text, sim_console, wait_for
from tui_fakes import record_notifications, settle, widget_text

from jailtui.core.actions.policy import Role
from jailtui.core.model import JailState
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.exec import CommandHistory, ExecScreen, parse_command
from jailtui.screens.main import MainScreen

SIZE = (120, 36)


async def open_exec(pilot: Any, jail: str) -> ExecScreen:
    app = pilot.app
    await settle(pilot)
    main = app.screen
    assert isinstance(main, MainScreen)
    assert main.jails.move_to_key(jail)
    await pilot.pause()
    await pilot.press("exclamation_mark")
    screen = app.screen
    assert isinstance(screen, ExecScreen)
    await pilot.pause()
    assert screen.focused is screen.input
    return screen


async def run(pilot: Any, screen: ExecScreen, line: str) -> None:
    screen.input.value = line
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.running_command is None)


def state_text(screen: ExecScreen) -> str:
    return widget_text(screen.query_one("#exec-state"))


async def test_hostname_in_web(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exec(pilot, "web")
        await pilot.press(*"hostname")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.running_command is None)
        lines = log_text(screen.output)
        assert lines[0] == "web$ hostname"
        assert "web.example.org" in lines
        assert "exit status 0" in state_text(screen)
        assert screen.input.value == ""
        entry = app.journal.last()
        assert entry.title == "exec web: hostname" and entry.ok
        audit = [ln for ln in audit_lines(sim_dir) if "action=exec" in ln]
        assert len(audit) == 1 and "jail=web" in audit[0] and "result=ok" in audit[0]
        assert "detail=hostname" in audit[0]


async def test_hostile_output_shows_literally(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        screen = await open_exec(pilot, "web")
        await run(pilot, screen,
                  r"printf '\033]0;pwned\007[b]bold?[/b] [@click=app.quit]x[/] [red]r\n'")
        lines = log_text(screen.output)
        assert "\\x1b]0;pwned\\x07[b]bold?[/b] [@click=app.quit]x[/] [red]r" in lines
        assert not any("\x1b" in ln or "\x07" in ln for ln in lines)
        assert app.is_running and isinstance(app.screen, ExecScreen)
        assert all(markup is False for _m, _s, markup in seen)


async def test_failure_parse_error_and_history(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exec(pilot, "web")
        await run(pilot, screen, "false")
        assert "✗" in state_text(screen) and "status 1" in state_text(screen)
        assert app.journal.last().ok is False
        # Unbalanced quotes: said under the input, nothing run, nothing audited.
        audited = len(audit_lines(sim_dir))
        screen.input.value = "echo 'unbalanced"
        await pilot.press("enter")
        await settle(pilot)
        assert "Cannot parse the command: No closing quotation" in state_text(screen)
        assert len(audit_lines(sim_dir)) == audited
        assert screen.input.value == "echo 'unbalanced"  # kept, to fix it
        # The argv is the user's own words: no shell expands anything.
        await run(pilot, screen, "echo '$HOME;' \"a  b\" *")
        assert "$HOME; a  b *" in log_text(screen.output)
        # ↑ walks back through this session's commands, ↓ returns to the draft.
        screen.input.value = "draft"
        await pilot.press("up")
        assert screen.input.value == "echo '$HOME;' \"a  b\" *"
        await pilot.press("up")
        assert screen.input.value == "false"
        await pilot.press("up")  # the oldest stays
        assert screen.input.value == "false"
        await pilot.press("down", "down")
        assert screen.input.value == "draft"
        await pilot.press("ctrl+l")
        assert log_text(screen.output) == []
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        # The history is the session's: it is there when the screen opens again.
        await pilot.press("exclamation_mark")
        again = app.screen
        assert isinstance(again, ExecScreen)
        await pilot.pause()
        await pilot.press("up")
        assert again.input.value == "echo '$HOME;' \"a  b\" *"


async def test_read_only_user_cannot_run_commands(sim_dir: Path) -> None:
    app = sim_console(sim_dir, Role.READ_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("web")
        await pilot.pause()
        assert "exec" not in footer_actions(app)
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert seen[-1][0] == "exec: refused — read-only session"
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Run a command in the jail" not in commands  # never offered read-only
        assert not any("action=exec" in ln and "result=ok" in ln for ln in audit_lines(sim_dir))


async def test_x_on_a_stopped_jail_offers_to_start_it(sim_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    app = sim_console(sim_dir)
    shells: list[list[str]] = []
    async with app.run_test(size=SIZE) as pilot:
        # No real terminal here: record the shell instead of suspending.
        def record(argv: list[str]) -> int:
            shells.append(list(argv))
            return 0

        monkeypatch.setattr(app.controller, "run_interactive", record)
        monkeypatch.setattr(app, "suspend", _no_suspend)
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("staging")
        await pilot.pause()
        assert "shell" in footer_actions(app)
        await pilot.press("x")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "staging is not running. Start it?" in widget_text(
            confirm.query_one("#confirm-question"))
        await pilot.press("y")
        await wait_for(pilot, lambda: bool(shells))
        snap = app.poll_state.snapshot
        staging = snap.jail("staging") if snap is not None else None
        assert staging is not None and staging.state is JailState.RUNNING
        assert "jexec" in shells[0] and shells[0][-1] == "staging"
        titles = [e.title for e in app.journal]
        assert "start staging" in titles and "shell staging" in titles
        audit = audit_lines(sim_dir)
        start = next(ln for ln in audit if "action=start" in ln)
        shell = next(ln for ln in audit if "action=shell" in ln)
        assert "result=ok" in start and f"jid={staging.jid}" in shell


async def test_x_on_a_stopped_jail_no_thanks(sim_dir: Path) -> None:
    app = sim_console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("staging")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert not any("action=start" in ln for ln in audit_lines(sim_dir))


async def test_x_on_a_stopped_jail_is_still_refused_read_only(sim_dir: Path) -> None:
    app = sim_console(sim_dir, Role.READ_ONLY)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("staging")
        await pilot.pause()
        assert "shell" not in footer_actions(app)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert seen[-1][0] == "shell: refused — read-only session"


def test_parse_and_history_units() -> None:
    assert parse_command("ls -l 'a b' \"c\\\"d\"") == ["ls", "-l", "a b", 'c"d']
    with pytest.raises(ValueError):
        parse_command('echo "x')
    h = CommandHistory()
    assert h.step(-1, "now") is None
    h.add("a")
    h.add("a")  # not twice in a row
    h.add("b")
    assert h.items == ("a", "b")
    assert h.step(-1, "typing") == "b"
    assert h.step(-1, "b") == "a"
    assert h.step(1, "a") == "b"
    assert h.step(1, "b") == "typing"
    assert h.step(1, "typing") is None


class _NoSuspend:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _no_suspend() -> _NoSuspend:
    return _NoSuspend()


async def test_title_names_the_argv_that_runs(sim_dir: Path) -> None:
    """The title shows ``jexec -l -U root web``, the argv the gate runs (issue 13)."""
    app = sim_console(sim_dir)
    async with app.run_test(size=(160, 36)) as pilot:
        screen = await open_exec(pilot, "web")
        title = widget_text(screen.query_one("#exec-title"))
        assert "jexec -l -U root web …" in title
        await run(pilot, screen, "id -un")
        assert "root" in log_text(screen.output)
