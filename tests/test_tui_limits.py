"""``%`` in the detail view: a jail's rctl limits on the real stack (Host + Controller +
the simulator's rctl and sysctl): add through the form (checked against rctl(8) as it is
typed), change, remove, kept in /etc/rctl.conf; refused with racct off; the detail's
limits and drift sections; SVGs of the screen and the form at 80x24 and wide.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tui_fakes import (
    FakeController,
    FakeHost,
    make_app,
    settle,
    table_lines,
    wait_until,
    widget_text,
)

from jailtui.app import JailtuiApp
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.detail import DetailScreen
from jailtui.screens.limit_form import LimitFormScreen
from jailtui.screens.limits import LimitsScreen
from jailtui.screens.main import MainScreen
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner
from jailtui.sim.state import Store

SIZE = (120, 36)


def console(sim_dir: Path, policy: Policy | None = None) -> tuple[JailtuiApp, MemorySink]:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    sink = MemorySink()
    pol = policy or Policy(Role.HOST_ADMIN, "root", os.getuid())
    return JailtuiApp(host, Controller(host, pol, audit=sink), interval=1000.0), sink


def kernel_rules(sim_dir: Path, jail: str) -> list[str]:
    rc, out, _ = dispatch(sim_dir, ["rctl", f"jail:{jail}"])
    assert rc == 0
    return out.decode().split()


async def open_detail(pilot: Any, jail: str) -> DetailScreen:
    await settle(pilot)
    main = pilot.app.screen
    assert isinstance(main, MainScreen)
    main.jails.move_to_key(jail)
    await pilot.pause()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, DetailScreen))
    screen = pilot.app.screen
    assert isinstance(screen, DetailScreen)
    return screen


async def open_limits(pilot: Any, jail: str) -> LimitsScreen:
    await open_detail(pilot, jail)
    await pilot.press("percent_sign")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LimitsScreen)
                     and "reading" not in widget_text(pilot.app.screen.query_one(
                         "#limits-message")))
    screen = pilot.app.screen
    assert isinstance(screen, LimitsScreen)
    return screen


def message(pilot: Any) -> str:
    return widget_text(pilot.app.screen.query_one("#limits-message"))


async def test_add_change_remove_through_the_form(sim_dir: Path) -> None:
    app, sink = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_limits(pilot, "db")
        lines = table_lines(screen.table)
        assert lines[0].split()[:4] == ["RESOURCE▲", "ACTION", "AMOUNT", "KEPT"]
        assert "memoryuse" in lines[1] and "2G" in lines[1] and "no: until reboot" in lines[1]
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitFormScreen))
        form = app.screen
        # Checked as it is typed: a typo never reaches rctl.
        await pilot.press(*"maxprocs")
        assert "unknown resource 'maxprocs'" in widget_text(form.query_one("#limit-check"))
        await pilot.press("backspace", "tab", "tab", *"150", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitsScreen)
                         and "rctl.conf: saved" in message(pilot))
        assert "jail:db:maxproc:deny=150" in kernel_rules(sim_dir, "db")
        conf = (sim_dir / "root/etc/rctl.conf").read_text()
        assert conf == "# BEGIN jailtui db\njail:db:maxproc:deny=150\n# END jailtui db\n"
        # Enter changes the selected rule: its amount, in the kernel and the block.
        screen.table.move_to_key("jail:db:maxproc:deny=150")
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitFormScreen))
        amount = app.screen.query_one("#limit-amount")
        assert getattr(amount, "value", None) == "150"
        await pilot.press(*(["backspace"] * 3), *"200", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitsScreen)
                         and "deny=200" in message(pilot))
        rules = kernel_rules(sim_dir, "db")
        assert "jail:db:maxproc:deny=200" in rules and "jail:db:maxproc:deny=150" not in rules
        assert "maxproc:deny=200" in (sim_dir / "root/etc/rctl.conf").read_text()
        # d removes it, confirmed, from the kernel and the block.
        screen.table.move_to_key("jail:db:maxproc:deny=200")
        await pilot.pause()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "jail:db:maxproc:deny=200" in widget_text(app.screen.query_one(
            "#confirm-question"))
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitsScreen)
                         and "rctl -r" in message(pilot))
        assert not any("maxproc" in r for r in kernel_rules(sim_dir, "db"))
        assert "jailtui db" not in (sim_dir / "root/etc/rctl.conf").read_text()
    assert [r.result for r in sink.records if r.action == "rctl"] == ["ok", "ok", "ok"]


async def test_racct_off_is_said_and_nothing_is_offered(tmp_path: Path) -> None:
    from jailtui.sim.builder import init_host, reset

    sim_dir = tmp_path / "sim"
    init_host(sim_dir, racct=False)
    reset(sim_dir)  # the build parameter survives a reset
    with Store(sim_dir).read() as st:
        assert st.racct is False
    app, _ = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_limits(pilot, "web")
        text = message(pilot)
        assert "No limits can be set: resource accounting is off on this host" in text
        assert "add kern.racct.enable=1 to /boot/loader.conf and reboot" in text
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, LimitsScreen)  # the form never opens


async def test_a_read_only_session_sees_the_rules_but_changes_none(sim_dir: Path) -> None:
    app, sink = console(sim_dir, Policy(Role.READ_ONLY, "bob", os.getuid()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_limits(pilot, "web")
        assert any("maxproc" in line for line in table_lines(screen.table))
        assert screen.guard_reason("limit_add") == "read-only session"
        assert screen.check_action("limit_remove", ()) is not True  # hidden from the footer
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, LimitsScreen)
    assert not [r for r in sink.records if r.action == "rctl" and r.result == "ok"]


async def test_a_delegate_changes_their_own_jail(sim_dir: Path) -> None:
    policy = Policy(Role.DELEGATE, "alice", os.getuid(), frozenset({"web"}),
                    frozenset({Action.VIEW, Action.RCTL}))
    app, sink = console(sim_dir, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_limits(pilot, "web")
        await pilot.press("a", *"nthr", "tab", "tab", *"400")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "jail:web:nthr:deny=400" in message(pilot))
    assert "jail:web:nthr:deny=400" in kernel_rules(sim_dir, "web")
    assert [(r.user, r.jail, r.result) for r in sink.records if r.action == "rctl"] == [
        ("alice", "web", "ok")]


async def test_detail_shows_limits_and_drift(sim_dir: Path) -> None:
    app, _ = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "mail")
        await wait_until(pilot, lambda: "None: the running parameters" in widget_text(
            screen.section("drift")))
        assert "No rctl rules" in widget_text(screen.section("limits"))
    conf = sim_dir / "root/etc/jail.conf"
    conf.write_text(conf.read_text().replace('"em0|10.0.0.31/24"', '"em0|10.0.0.32/24"'))
    app, _ = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "mail")
        await wait_until(pilot, lambda: "ip4.addr" in widget_text(screen.section("drift")))
        text = widget_text(screen.section("drift"))
        assert "configured 10.0.0.32" in text and "running    10.0.0.31" in text


async def test_history_draws_rctl_usage_of_a_limited_jail(sim_dir: Path) -> None:
    app, _ = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "db")
        # The health check's first evaluation reads rctl -u of the jails with rules.
        await wait_until(pilot, lambda: "memoryuse" in widget_text(screen.section("history")))
        text = widget_text(screen.section("history"))
        assert "openfiles" in text and "writebps" in text


def _limits_before(jail: str, *keys: str) -> Any:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        main = pilot.app.screen
        main.jails.move_to_key(jail)
        await pilot.pause()
        for key in ("enter", "percent_sign", *keys):
            await pilot.press(key)
            await settle(pilot)
        await settle(pilot)
    return run_before


def test_limits_screen_svg(snap_compare: Any) -> None:
    assert snap_compare(make_app(FakeHost(), FakeController(), interval=2.0),
                        terminal_size=(80, 24), run_before=_limits_before("db"))


def test_limits_screen_wide_svg(snap_compare: Any) -> None:
    assert snap_compare(make_app(FakeHost(), FakeController(), interval=2.0),
                        terminal_size=(160, 40), run_before=_limits_before("db"))


def test_limit_form_svg(snap_compare: Any) -> None:
    assert snap_compare(make_app(FakeHost(), FakeController(), interval=2.0),
                        terminal_size=(80, 24),
                        run_before=_limits_before("db", "enter", "backspace"))


def test_limit_form_wide_svg(snap_compare: Any) -> None:
    assert snap_compare(make_app(FakeHost(), FakeController(), interval=2.0),
                        terminal_size=(160, 40), run_before=_limits_before("web", "a"))


def _detail_at_limits(jail: str) -> Any:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        main = pilot.app.screen
        main.jails.move_to_key(jail)
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DetailScreen)
        body = screen.query_one("#detail-body")
        body.scroll_to_widget(screen.section("limits"), animate=False, top=True)
        await settle(pilot)
    return run_before


def test_detail_limits_and_drift_svg(snap_compare: Any) -> None:
    assert snap_compare(make_app(FakeHost(), FakeController(), interval=2.0),
                        terminal_size=(80, 24), run_before=_detail_at_limits("db"))


def test_detail_limits_and_drift_wide_svg(snap_compare: Any) -> None:
    assert snap_compare(make_app(FakeHost(), FakeController(), interval=2.0),
                        terminal_size=(160, 40), run_before=_detail_at_limits("db"))


def test_limits_screen_racct_off_svg(snap_compare: Any) -> None:
    assert snap_compare(make_app(FakeHost(), FakeController(racct=False), interval=2.0),
                        terminal_size=(80, 24), run_before=_limits_before("web"))
