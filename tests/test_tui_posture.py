"""The posture screens: ``S`` (one jail) and ``F`` (the fleet table), issue 17.

On the real stack (core Host + Controller + the simulator's demo host, whose
cache jail is loosened and mail unpatched) and on fixed data (posture_fakes).
"""

from __future__ import annotations

import re
from pathlib import Path

from posture_fakes import collector
from test_tui_actions import footer_actions
from test_tui_sim import console, wait_for
from tui_fakes import FakeHost, make_app, settle, table_lines, widget_text

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.posture.model import Verdict
from jailtui.screens.detail import DetailScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.posture import FleetPostureScreen, PostureScreen

SIZE = (140, 40)


async def test_s_shows_the_loosened_jail_with_its_reasons(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("cache")
        await pilot.pause()
        await pilot.press("S")
        screen = app.screen
        assert isinstance(screen, PostureScreen)
        await wait_for(pilot, lambda: screen.result is not None)
        assert screen.result is not None and screen.result.mark is Verdict.DEVIATES
        lines = table_lines(screen.items)
        assert any(ln.startswith("DEVIATES") and "allow.raw_sockets" in ln for ln in lines)
        assert any(ln.startswith("DEVIATES") and "enforce_statfs" in ln for ln in lines)
        title = widget_text(screen.query_one("#posture-title"))
        assert "cache" in title and "DEVIATES" in title
        screen.items.move_to_key(("restrictions", "allow.raw_sockets"))
        await pilot.pause()
        text = widget_text(screen.query_one("#item-text"))
        assert "the baseline says it must be off" in text and "forge packets" in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_s_shows_odd_log_names_literally_with_reasons_inline(sim_dir: Path) -> None:
    """A jail's log named with an escape sequence, a newline or invalid UTF-8:
    its row is shown with the characters visible, the other logs keep their
    flags, and each deviation's reason stands beside its value."""
    import os

    logs = sim_dir / "root/usr/local/jails/db/var/log"
    for name in (b"evil\nname", b"\x1b[31mred", b"\xff\x01bad"):
        (logs / os.fsdecode(name)).write_bytes(b"")
    app = console(sim_dir)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("db")
        await pilot.pause()
        await pilot.press("S")
        screen = app.screen
        assert isinstance(screen, PostureScreen)
        await wait_for(pilot, lambda: screen.result is not None)
        lines = [ln.rstrip() for ln in table_lines(screen.items)]
        for shown in ("flags /var/log/evil\\x0aname", "flags /var/log/\\x1b[31mred",
                      "flags /var/log/\\xff\\x01bad"):
            row = next(ln for ln in lines if shown in ln)
            assert row.startswith("DEVIATES") and row.endswith("-  lacks sappnd"), row
        assert not any("\x1b" in ln or "\n" in ln for ln in lines)
        messages = next(ln for ln in lines if "flags /var/log/messages" in ln)
        assert messages.startswith("ok") and messages.endswith("sappnd")


async def test_s_from_the_detail_and_the_unpatched_jail(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("mail")
        await pilot.pause()
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("S")
        screen = app.screen
        assert isinstance(screen, PostureScreen)
        await wait_for(pilot, lambda: screen.result is not None)
        assert screen.result is not None
        assert screen.result.package_vulnerable == 3 and screen.result.base_vulnerable == 1
        lines = table_lines(screen.items)
        assert any("packages" in ln and "3 vulnerable" in ln for ln in lines)


async def test_f_sorts_filters_and_opens_a_row(sim_dir: Path) -> None:
    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("F")
        screen = app.screen
        assert isinstance(screen, FleetPostureScreen)
        await wait_for(pilot, lambda: screen.table.source_count > 0)
        rows = {r.name: r for r in screen.table.rows}
        assert rows["cache"].loosened == ("allow.chflags", "allow.raw_sockets",
                                          "enforce_statfs=0")
        assert rows["mail"].userland == "14.1-RELEASE-p3"
        # Sorted by the mark, worst first: deviating jails lead.
        assert screen.table.rows[0].mark is Verdict.DEVIATES
        await pilot.press("s")
        assert screen.table.sort_column.key == "loosened"
        await pilot.press("slash", "c", "a", "c", "h", "e", "enter")
        await pilot.pause()
        assert [r.name for r in screen.table.rows] == ["cache"]
        await pilot.press("enter")
        opened = app.screen
        assert isinstance(opened, PostureScreen) and opened.jail.name == "cache"
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("F")
        assert isinstance(app.screen, MainScreen)


async def test_fixed_data_and_a_host_without_commands() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("F")
        screen = app.screen
        assert isinstance(screen, FleetPostureScreen)
        await settle(pilot)
        # FakeHost has no commands to run: said so, no rows, no crash.
        assert "not available here" in " ".join(table_lines(screen.table))
    app = make_app(FakeHost(posture=collector))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("F")
        screen = app.screen
        assert isinstance(screen, FleetPostureScreen)
        await wait_for(pilot, lambda: screen.table.source_count > 0)
        web = next(r for r in screen.table.rows if r.name == "web")
        assert web.loosened == ("allow.raw_sockets", "enforce_statfs=0")
        assert web.missing_flags == 5


async def test_f_in_the_posture_screen_sets_what_it_showed(sim_dir: Path) -> None:
    from jailtui.screens.confirm import ConfirmScreen
    from jailtui.sim.state import Store

    app = console(sim_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("cache")
        await pilot.pause()
        await pilot.press("S")
        screen = app.screen
        assert isinstance(screen, PostureScreen)
        await wait_for(pilot, lambda: screen.result is not None)
        assert screen.result is not None
        planned = {c.path for c in screen.result.flag_changes}
        assert len(planned) == 11
        await pilot.press("f")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "+schg /usr/local/jails/cache/bin" in widget_text(
            confirm.query_one("#confirm-question"))
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.result is not None
                       and screen.result.missing_flags == 0)
        with Store(sim_dir).read() as st:
            assert {p for p in st.flags if p.startswith("/usr/local/jails/cache/")} == planned
        controller = app.controller
        assert isinstance(controller, Controller)
        audit = controller.audit  # the console's sink (core/actions/audit.py)
        assert isinstance(audit, MemorySink)
        assert [(r.action, r.jail, r.result) for r in audit.records
                if r.action == "flags"] == [("flags", "cache", "ok")]


async def test_f_is_refused_without_a_host_admin() -> None:
    from jailtui.screens.confirm import ConfirmScreen

    app = make_app(FakeHost(posture=collector), read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("S")
        screen = app.screen
        assert isinstance(screen, PostureScreen)
        await wait_for(pilot, lambda: screen.result is not None)
        assert screen.result is not None and screen.result.flag_changes
        assert "posture_flags" not in footer_actions(app)
        await pilot.press("f")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)


async def test_health_view_reports_deviations_with_in_check(sim_dir: Path) -> None:
    """``[posture] in_check = true``: the health view (as ``check``) lists the
    baseline's deviations; without it the demo host stays healthy."""
    import os

    from test_tui_health import open_health, sim_host

    from jailtui.app import JailtuiApp
    from jailtui.core.actions.policy import Policy, Role
    from jailtui.core.config.settings import parse_settings

    host = sim_host(sim_dir)
    settings = parse_settings({"posture": {"in_check": True}})
    app = JailtuiApp(host, Controller(host, Policy(Role.HOST_ADMIN, "root", os.getuid())),
                     interval=1000.0, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.health.state.report is not None)
        view = await open_health(pilot)
        lines = table_lines(view.findings)
        # the JAIL column names the jail; the finding's text does not repeat it
        assert any(re.search(r"\bcache\s.*\sallow\.raw_sockets on: the baseline says it must "
                             r"be off", ln) and "cache: allow" not in ln for ln in lines), lines
        assert any(re.search(r"\bmail\s.*\spackages 3 vulnerable", ln) for ln in lines), lines
