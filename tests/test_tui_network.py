"""The console's Network section (detail view) and process screen (o / Enter on a
process row), issue 20: on fixed data (tests/tui_fakes.py) and on the simulated
host through the real Host and Controller."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from test_tui_detail import open_detail, section_text
from tui_fakes import (
    EVIL_MARKUP,
    FakeController,
    FakeHost,
    make_app,
    settle,
    wait_until,
)

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.screens.main import MainScreen
from jailtui.screens.process import ENV_ADMIN_ONLY, ENV_HIDDEN, ProcessScreen
from jailtui.sim.runner import SimRunner

SIZE = (120, 40)


async def open_process(pilot: Any, jail: str, key: str = "o") -> ProcessScreen:
    main = pilot.app.screen
    assert isinstance(main, MainScreen)
    assert main.jails.move_to_key(jail)
    await pilot.pause()
    await pilot.press("tab")
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ProcessScreen), screen
    return screen


def text(screen: Any, key: str) -> str:
    return str(screen.section(key).render())


# -- the Network section ------------------------------------------------------------------


async def test_network_section_lists_addresses_sockets_and_rdr() -> None:
    host = FakeHost()
    async with make_app(host).run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "web")
        net = section_text(d, "network")
        for want in ("10.0.0.3", "10.0.0.13", "2001:db8::3", "tcp4", "*:22", "sshd 1202",
                     "nginx 1210", "*:443", "rdr (pf)", "port = 8080 -> 10.0.0.3 port 80"):
            assert want in net, want
        assert ("network", "web") in host.detail_calls
        # Opening is one read; r reads again (never per tick).
        calls = host.detail_calls.count(("network", "web"))
        await pilot.press("r")
        await settle(pilot)
        assert host.detail_calls.count(("network", "web")) == calls + 1


async def test_a_vnet_jail_shows_its_epair_and_bridge_and_a_missing_tool_in_one_line() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "db")
        net = section_text(d, "network")
        assert "VNET: its own stack" in net
        assert "epair0b  epair, host end epair0a on bridge0 (10.99.0.1)" in net
        assert "sockstat is not installed on this host" in net
        assert d.section("network").load_state == "ok"  # a note, not an error


async def test_a_stopped_jail_shows_only_its_configured_addresses() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "build")
        net = section_text(d, "network")
        assert "10.0.0.6" in net and "configured; not running" in net


async def test_a_hostile_socket_holder_is_shown_literally() -> None:
    from tui_fakes import evil_snapshot

    host = FakeHost(evil_snapshot())
    async with make_app(host).run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = pilot.app.screen
        assert isinstance(main, MainScreen)
        evil = next(j for j in host.snapshot.jails if EVIL_MARKUP in j.name and j.running)
        d = await open_detail(pilot, evil.key)
        net = section_text(d, "network")
        assert "[@click=app.quit]" in net and "\\x1b" in net and "\x1b" not in net
        assert pilot.app.is_running


# -- the process screen -------------------------------------------------------------------


async def test_o_opens_the_process_files_and_map_and_e_reads_the_environment() -> None:
    ctl = FakeController()
    async with make_app(controller=ctl).run_test(size=SIZE) as pilot:
        await settle(pilot)
        p = await open_process(pilot, "web")
        title = str(p.query_one("#detail-title").render())
        assert f"Process {p.proc.pid}" in title and "in jail web" in title
        files = text(p, "files")
        assert "/usr/local/jails/web/usr/sbin/sshd" in files and "0.0.0.0:22" in files
        assert f"/var/log/{EVIL_MARKUP}" in files  # literal, never markup
        vm = text(p, "vm")
        assert "anonymous" in vm and "resident in all" in vm
        assert text(p, "env") == ENV_HIDDEN
        assert ("process_detail", (p.proc.pid, "env")) not in ctl.calls  # not read unasked
        await pilot.press("e")
        await settle(pilot)
        env = text(p, "env")
        assert "API_TOKEN=s3cr3t\\x1b[31m" in env and "\x1b" not in env
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)


async def test_enter_on_a_process_row_opens_it_too() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        p = await open_process(pilot, "web", key="enter")
        assert p.proc.jail == "web"


async def test_a_delegate_has_files_but_no_environment_key() -> None:
    ctl = FakeController(role=Role.DELEGATE, user="bob", scope_names=frozenset({"web"}),
                         actions=frozenset({Action.START}))
    async with make_app(controller=ctl).run_test(size=SIZE) as pilot:
        await settle(pilot)
        p = await open_process(pilot, "web")
        assert text(p, "env") == ENV_ADMIN_ONLY
        assert p.check_action("process_env", ()) is False  # hidden from the footer
        await pilot.press("e")
        await settle(pilot)
        assert text(p, "env") == ENV_ADMIN_ONLY
        assert not any(c == ("process_detail", (p.proc.pid, "env")) for c in ctl.calls)
        assert "/usr/sbin/sshd" in text(p, "files")


async def test_a_process_gone_is_one_line_in_every_section() -> None:
    ctl = FakeController()
    async with make_app(controller=ctl).run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = pilot.app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("tab")
        await settle(pilot)
        proc = main.selected_process()
        assert proc is not None
        ctl.gone_pids.add(proc.pid)
        await pilot.press("o")
        await settle(pilot)
        p = pilot.app.screen
        assert isinstance(p, ProcessScreen)
        for key in ("files", "vm"):
            assert text(p, key) == f"process {proc.pid} has exited (or its pid now belongs " \
                                   "to another process)"


async def test_o_on_the_jails_pane_says_to_pick_a_process() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MainScreen)


async def test_the_process_screen_on_the_simulated_host(sim_dir: Path) -> None:
    from jailtui.app import JailtuiApp

    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    sink = MemorySink()
    ctl = Controller(host, Policy(Role.HOST_ADMIN, "root", os.getuid()), audit=sink)
    app = JailtuiApp(host, ctl, interval=1000.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        d = await open_detail(pilot, "vpn")
        await wait_until(pilot, lambda: "bridge0" in section_text(d, "network"), "vpn's bridge")
        assert "udp4" in section_text(d, "network") and "*:1194" in section_text(d, "network")
        await pilot.press("escape")
        await settle(pilot)
        p = await open_process(pilot, "ci")
        await pilot.press("e")
        await settle(pilot)
        await wait_until(pilot, lambda: "PATH=" in text(p, "env"), "the environment")
        assert any(r.action == "process_env" and r.jail == "ci" for r in sink.records)
