"""A delegate's console on the real stack: nothing of other jails or of the host
anywhere, forbidden actions absent and refused when forced (issue 6, attack test 9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_fakes import record_notifications, settle, table_lines, widget_text

from jailtui.app import JailtuiApp
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.delegation import DEFAULT_EDITABLE
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.scoped import ScopedHost
from jailtui.screens.main import MainScreen
from jailtui.sim.runner import SimRunner

SIZE = (140, 40)
OTHERS = ("web", "db", "mail", "dns", "vpn", "git", "cache", "staging")


def delegate_console(sim_dir: Path, actions: frozenset[Action]) -> tuple[JailtuiApp, MemorySink]:
    runner = SimRunner(sim_dir)
    inner = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    host = ScopedHost(inner, frozenset({"ci"}))
    policy = Policy(Role.DELEGATE, "alice", 1001, scope=frozenset({"ci"}),
                    actions=actions | {Action.VIEW})
    sink = MemorySink()
    ctl = Controller(host, policy, audit=sink, editable_params=DEFAULT_EDITABLE)
    return JailtuiApp(host, ctl, interval=1000.0), sink


def footer_actions(app: Any) -> set[str]:
    bindings = app.screen.active_bindings
    return {ab.binding.action for ab in bindings.values() if ab.enabled and ab.binding.show}


async def test_delegate_sees_only_their_jail_everywhere(sim_dir: Path) -> None:
    app, _ = delegate_console(sim_dir, frozenset({Action.RESTART}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        assert [j.name for j in main.jails.rows] == ["ci"]
        await pilot.press("tab", "a")  # the whole host's process list ...
        await settle(pilot)
        assert main.procs.rows and all(p.jail == "ci" and p.jid != 0 for p in main.procs.rows)
        screen_text = "\n".join(table_lines(main.jails) + table_lines(main.procs))
        screen_text += widget_text(main.query_one("#status"))
        for other in OTHERS:
            assert f" {other} " not in screen_text and f"{other}.example.org" not in screen_text
        assert "/sbin/init" not in screen_text and "[idle]" not in screen_text
        assert "delegate of ci" in widget_text(main.query_one("#status"))


async def test_forbidden_actions_absent_and_refused_when_forced(sim_dir: Path) -> None:
    app, sink = delegate_console(sim_dir, frozenset({Action.RESTART}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        offered = footer_actions(app)
        assert "restart" in offered
        assert not {"stop", "shell", "edit"} & offered
        seen = record_notifications(app)
        # Forced by key (a keymap) and through the palette: refused, with a reason.
        for key in ("d", "x", "e"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen), key
        # The palette does not offer what the delegate may never do.
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Stop jail" not in commands and "Restart jail" in commands
        refusals = [m for m, _sev, _mk in seen if "refused" in m]
        assert len(refusals) == 3, seen
        assert all("ci" not in m or "web" not in m for m in refusals)
        jail = next(iter(main.jails.rows))
        assert jail.running
        assert not any(r.action == "stop" and r.result == "ok" for r in sink.records)


async def test_status_bar_names_the_host_but_shows_a_delegate_no_load(sim_dir: Path) -> None:
    """docs/security.md 2.9: the host name, not
    the load average (the other tenants' activity). The admin's console on the
    same host, at the same width, shows the load: there is one to hide."""
    runner = SimRunner(sim_dir)
    admin_host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    admin = JailtuiApp(admin_host, Controller(admin_host, Policy(Role.HOST_ADMIN, "root", 0)),
                       interval=1000.0)
    delegate, _ = delegate_console(sim_dir, frozenset({Action.RESTART}))
    shown: dict[str, str] = {}
    for who, app in (("admin", admin), ("delegate", delegate)):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            shown[who] = widget_text(app.screen.query_one("#status"))
    assert "simhost" in shown["admin"] and "load " in shown["admin"], shown["admin"]
    assert "simhost" in shown["delegate"] and "load " not in shown["delegate"], shown["delegate"]
