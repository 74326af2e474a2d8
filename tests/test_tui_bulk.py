"""Multi-select (space) and bulk start / stop / restart (issue 20): one question
naming every marked jail and each one left out with why, then each through
the gate in turn; Escape clears the marks first."""

from __future__ import annotations

from tui_fakes import FakeController, make_app, settle, table_lines, wait_until, widget_text

from jailtui.core.actions.policy import Action, Role
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.main import MainScreen

SIZE = (120, 36)


async def mark(pilot: object, *names: str) -> MainScreen:
    main = pilot.app.screen  # type: ignore[attr-defined]
    assert isinstance(main, MainScreen)
    for name in names:
        key = next(j.key for j in main.jails.rows if j.name == name)
        assert main.jails.move_to_key(key)
        await pilot.press("space")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    return main


async def test_space_marks_and_stop_asks_once_naming_every_jail() -> None:
    ctl = FakeController()
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = await mark(pilot, "web", "db", "build")
        assert [j.name for j in main.jails.marked_rows()] == ["build", "db", "web"]
        assert "3 marked" in str(main.jails.border_title)
        lines = table_lines(main.jails)
        assert any(line.startswith("* ") and " web " in line for line in lines)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = widget_text(app.screen.query_one("#confirm-question"))
        assert "Stop 2 jails?" in question
        assert "db (jid 4)" in question and "web (jid 3)" in question
        assert "left out: build" in question and "not running" in question
        await pilot.press("y")
        await wait_until(pilot, lambda: len(ctl.calls) == 2)
        assert ctl.calls == [("stop", "db"), ("stop", "web")]
        assert main.jails.marked_rows() == []  # done: the marks go


async def test_no_is_nothing_and_escape_clears_the_marks_first() -> None:
    ctl = FakeController()
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = await mark(pilot, "web", "db")
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await settle(pilot)
        assert ctl.calls == [] and len(main.jails.marked_rows()) == 2
        main.filter_bar.value = ""
        await pilot.press("escape")
        await pilot.pause()
        assert main.jails.marked_rows() == []
        assert "marked" not in str(main.jails.border_title)


async def test_a_bulk_action_none_may_take_is_refused_with_the_reason() -> None:
    ctl = FakeController(role=Role.DELEGATE, scope_names=frozenset({"web", "db"}),
                         actions=frozenset({Action.START}))
    app = make_app(controller=ctl)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await mark(pilot, "web", "db")
        await pilot.press("d")  # a delegate who may only start
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert ctl.calls == []
