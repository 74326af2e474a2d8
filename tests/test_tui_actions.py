"""Actions through the controller: confirmations, results, refusals, the palette."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from textual.widgets import Button, Input, OptionList
from tui_fakes import (
    FakeController,
    FakeHost,
    make_app,
    record_notifications,
    settle,
    widget_text,
)

from jailtui.core.actions.control import ActionResult
from jailtui.core.actions.policy import Action, Role
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.signal import SignalScreen

SIZE = (120, 36)


def main_screen(app: object) -> MainScreen:
    s = app.screen  # type: ignore[attr-defined]
    assert isinstance(s, MainScreen)
    return s


def footer_actions(app: object) -> set[str]:
    """Actions the footer offers now (check_action True)."""
    bindings = app.screen.active_bindings  # type: ignore[attr-defined]
    return {ab.binding.action for ab in bindings.values() if ab.enabled and ab.binding.show}


async def select(pilot: object, name: str) -> MainScreen:
    main = main_screen(pilot.app)  # type: ignore[attr-defined]
    # A dying row's key is its jid (model.Jail.key); the others' their name.
    key = next((j.key for j in main.jails.rows if j.name == name), name)
    assert main.jails.move_to_key(key)
    await pilot.pause()  # type: ignore[attr-defined]
    return main


async def test_start_a_stopped_jail() -> None:
    ctl = FakeController()
    host = FakeHost()
    app = make_app(host, ctl)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        await select(pilot, "build")
        assert "start" in footer_actions(app)
        assert "stop" not in footer_actions(app)  # state-aware: it is stopped
        polls = host.polls
        await pilot.press("u")
        await settle(pilot)
        assert ctl.calls == [("start", "build")]
        assert any("build: started" in m for m, _sev, _mk in seen)
        assert all(markup is False for _m, _s, markup in seen)
        assert host.polls > polls  # refreshed after the action
        entry = app.journal.last()
        assert entry is not None
        assert entry.title == "start build" and entry.ok


async def test_stop_asks_first_naming_jail_and_jid() -> None:
    ctl = FakeController()
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, "web")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        question = widget_text(app.screen.query_one("#confirm-question"))
        assert "Stop jail web (jid 3)?" in question
        assert app.screen.focused is app.screen.query_one("#no", Button)  # safe default
        await pilot.press("enter")  # Enter on the default: Cancel
        await settle(pilot)
        assert ctl.calls == []
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        assert ctl.calls == []
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert ctl.calls == [("stop", "web")]


async def test_restart_asks_first_and_logs_the_output() -> None:
    ctl = FakeController()
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, "db")
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Restart jail db (jid 4)?" in widget_text(app.screen.query_one("#confirm-question"))
        await pilot.click("#yes")
        await settle(pilot)
        assert ctl.calls == [("restart", "db")]
        entry = app.journal.last()
        assert entry is not None
        assert "db: created" in entry.output


async def test_failed_action_is_an_error_with_the_tools_message() -> None:
    ctl = FakeController()
    ctl.fail["stop"] = ActionResult(False, 'jail: "web" not found', "jail: web: something\n")
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        await select(pilot, "web")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        msg, severity, markup = seen[-1]
        assert severity == "error" and markup is False
        assert 'jail: "web" not found' in msg and "L: full output" in msg


async def test_signal_a_process_with_ctrl_k_and_f9() -> None:
    ctl = FakeController()
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = await select(pilot, "web")
        assert "signal" not in footer_actions(app)  # the jails pane is focused
        await pilot.press("tab")
        assert "signal" in footer_actions(app)
        pid = main.procs.cursor_key
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, SignalScreen)
        assert f"pid {pid} in jail web" in widget_text(app.screen.query_one("#signal-title"))
        await pilot.press("enter")  # the first: TERM
        await settle(pilot)
        assert ctl.calls == [("signal", (pid, "TERM"))]
        await pilot.press("f9")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        kill = next(i for i in range(options.option_count)
                    if options.get_option_at_index(i).id == "KILL")
        options.highlighted = kill
        await pilot.press("enter")
        await settle(pilot)
        assert ctl.calls[-1] == ("signal", (pid, "KILL"))
        await pilot.press("ctrl+k")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert len(ctl.calls) == 2


@contextlib.contextmanager
def fake_suspend() -> Iterator[None]:
    yield


async def test_shell_runs_jexec_in_the_suspended_terminal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = FakeController()
    host = FakeHost()
    app = make_app(host, ctl)
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app, "suspend", fake_suspend)
        await settle(pilot)
        await select(pilot, "web")
        polls = host.polls
        await pilot.press("x")
        await settle(pilot)
        # The controller's own pty runner, never a subprocess of the app's.
        assert ctl.interactive == [["jexec", "-l", "web"]]
        assert host.polls > polls
        assert (last := app.journal.last()) is not None and last.title == "shell web"


async def test_shell_without_a_real_terminal_says_so() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        await select(pilot, "web")
        await pilot.press("x")  # run_test cannot suspend
        await settle(pilot)
        assert any("cannot be suspended" in m for m, _s, _mk in seen)
        assert app.is_running


async def test_edit_is_not_offered_without_configuration_files() -> None:
    """The fake has no files to edit: no ``e`` in the footer, and ``e``
    says why instead of doing nothing (screens/guard.py)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        await select(pilot, "web")
        assert "edit" not in footer_actions(app)
        await pilot.press("e")
        await pilot.pause()
        assert any("edit: refused" in m for m, _s, _mk in seen)


async def test_edit_reports_what_the_controller_refuses() -> None:
    """``e`` allowed, but the configuration cannot be opened: the
    controller's message in the log, the console still up."""
    app = make_app(controller=FakeController(editable=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, "web")
        assert "edit" in footer_actions(app)
        await pilot.press("e")
        await settle(pilot)
        entry = app.journal.last()
        assert entry is not None and entry.title == "edit web" and entry.ok is False
        assert "no configuration files" in entry.message
        assert isinstance(app.screen, MainScreen)
        await select(pilot, "handmade")  # not in jail.conf
        assert "edit" not in footer_actions(app)


@pytest.mark.parametrize("read_only", ["no controller", "read-only role"])
async def test_read_only_hides_every_action_and_refuses_keys(read_only: str) -> None:
    ctl = FakeController(role=Role.READ_ONLY, user="bob")
    app = make_app(controller=ctl) if read_only == "read-only role" else make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        await select(pilot, "web")
        offered = footer_actions(app)
        assert not offered & {"start", "stop", "restart", "shell", "edit", "signal"}
        for key in ("d", "R", "x", "u"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen), key  # no confirmation opened
        refusals = [m for m, sev, _mk in seen if "refused" in m]
        assert len(refusals) == 4
        assert all("read-only" in m for m in refusals)
        await pilot.press("tab", "ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert ctl.calls == []


@pytest.mark.parametrize("read_only", ["no controller", "read-only role"])
async def test_the_palette_offers_only_our_commands_and_what_the_role_may_do(
        read_only: str) -> None:
    """Issue 13 items 24 and 25: read-only, no Start/Stop/Shell/... at all;
    none of Textual's own entries (Screenshot, a second Quit, Keys,
    Maximize, Theme), through the palette's provider as the user opens it."""
    ctl = FakeController(role=Role.READ_ONLY, user="bob")
    app = make_app(controller=ctl) if read_only == "read-only role" else make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, "web")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Toggle process tree" in titles and "Refresh now" in titles
        assert titles.count("Quit") == 1
        for gone in ("Stop jail", "Start jail", "Shell in jail (jexec)", "Run a command in the jail",
                     "Send a signal to the process", "Screenshot", "Keys", "Maximize", "Theme"):
            assert gone not in titles, gone
        # What the palette lists when opened: the same (our provider, not Textual's).
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Screenshot")
        await pilot.pause(0.3)
        palette = app.screen
        from textual.command import CommandPalette
        assert isinstance(palette, CommandPalette)
        from textual.widgets import OptionList as Options
        shown = [str(o.prompt) for o in palette.query_one(Options).options]
        assert not any("Screenshot" in o for o in shown), shown


async def test_palette_runs_an_allowed_action() -> None:
    ctl = FakeController()
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, "web")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Stop jail")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert ctl.calls == [("stop", "web")]


async def test_delegate_acts_only_on_its_jail() -> None:
    ctl = FakeController(role=Role.DELEGATE, user="alice", scope_names=frozenset({"web"}),
                         actions=frozenset({Action.STOP, Action.RESTART, Action.SHELL}))
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        await select(pilot, "db")
        assert not footer_actions(app) & {"stop", "restart", "shell"}
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "not permitted" in seen[-1][0]
        await select(pilot, "web")
        assert {"stop", "restart", "shell"} <= footer_actions(app)
        assert "start" not in footer_actions(app)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)


async def test_state_aware_refusal_names_the_reason() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        seen = record_notifications(app)
        await settle(pilot)
        await select(pilot, "web")
        await pilot.press("u")
        await pilot.pause()
        assert seen[-1][0] == "start: refused — web is already running"
        # A dying jail cannot be shelled into nor started; a stopped one
        # offers to start first (tests/test_tui_exec.py).
        await select(pilot, "legacy")
        await pilot.press("x")
        await pilot.pause()
        assert seen[-1][0] == ("shell: refused — legacy (jid 2) is dying: no action until "
                               "the kernel lets it go")


async def test_enter_typed_ahead_never_confirms_a_stop() -> None:
    """`d` then Enter in one burst (a paste, tmux send-keys): Cancel has the
    focus from the dialog's first frame, so nothing is stopped."""
    ctl = FakeController()
    app = make_app(FakeHost(), ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, "web")
        await pilot.press("d", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert not any(c[0] == "stop" for c in ctl.calls)


async def test_help_lists_only_what_a_read_only_session_may_do() -> None:
    """Issue 13 item 24: no Start/Stop/Shell... in the read-only help."""
    from jailtui.screens.help import HelpScreen

    app = make_app(read_only=True)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = widget_text(app.screen.query_one("#help-text"))
        assert "tree" in text and "refresh" in text
        for gone in ("start the selected jail", "open a shell in the jail", "send a signal",
                     "Jail actions"):
            assert gone not in text, gone
async def test_a_missing_jexec_is_said_not_an_exit_status(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13 item 38: the shell runs on a fresh pty, where a missing jexec
    was only "exit status 1"; a failed program that is not on PATH is said so."""
    ctl = FakeController()
    ctl.shell = ["no-such-jexec-here", "-l"]
    ctl.interactive_status = 1
    app = make_app(FakeHost(), ctl)
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app, "suspend", fake_suspend)
        await settle(pilot)
        seen = record_notifications(app)
        await select(pilot, "web")
        await pilot.press("x")
        await settle(pilot)
        assert any("no-such-jexec-here: not found on PATH" in m for m, _s, _mk in seen)


async def test_signal_menu_offers_more_and_takes_a_number() -> None:
    """Issue 13 item 45: 6 signals and no number entry; the footer said "Kill"."""
    ctl = FakeController()
    app = make_app(controller=ctl)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot)
        main = await select(pilot, "web")
        await pilot.press("tab")
        assert any(ab.binding.description == "Signal" for ab in app.screen.active_bindings.values()
                   if ab.binding.action == "signal")
        pid = main.procs.cursor_key
        await pilot.press("f9")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SignalScreen)
        offered = {screen.query_one(OptionList).get_option_at_index(i).id
                   for i in range(screen.query_one(OptionList).option_count)}
        assert {"STOP", "CONT", "QUIT", "INFO"} <= offered
        await pilot.press("tab", *"nosuch", "enter")
        await pilot.pause()
        assert app.screen is screen  # refused, said, still open
        assert "not one of these signals" in widget_text(screen.query_one("#signal-help"))
        entry = screen.query_one("#signal-entry", Input)
        entry.value = ""
        await pilot.press("1", "7", "enter")  # FreeBSD's SIGSTOP (Linux's is 19)
        await settle(pilot)
        assert ctl.calls == [("signal", (pid, "STOP"))]


async def test_signal_menu_at_80x24_shows_the_number_entry() -> None:
    """At 24 rows the 13 signals pushed the number entry and the help line
    out of the box (the list took all its height): the list scrolls instead."""
    app = make_app(controller=FakeController())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await select(pilot, "web")
        await pilot.press("tab", "f9")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SignalScreen)
        box = screen.query_one("#signal-box").region
        for part in ("#signal-list", "#signal-entry", "#signal-help"):
            region = screen.query_one(part).region
            assert region.height and box.contains_region(region), (part, region, box)
        assert screen.query_one("#signal-entry", Input).region.height == 3
