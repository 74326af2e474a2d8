"""A jail's console log (``l``, issue 20): the tail, then what is appended; a
rotated or truncated file read again; the file from the jail's configuration
or its manager's; the same rules locally and on a remote host's sh; shown
literally; a delegate reads only their own jail's."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from tui_fakes import FakeController, make_app, settle, wait_until, widget_text

from jailtui.core import consolelog
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.errors import PolicyDenied
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.scoped import ScopedHost
from jailtui.core.transport.runner import LocalRunner
from jailtui.screens.console_log import ConsoleLogScreen
from jailtui.screens.main import MainScreen
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner
from jailtui.widgets.log_lines import LogLines

# -- reading: locally and with the remote script, the same answers ------------------------


async def read(where: str, path: Path, since: consolelog.LogMark | None,
               max_bytes: int = consolelog.MAX_BYTES) -> consolelog.LogChunk:
    if where == "local":
        return consolelog.read_local(str(path), "/var/log/x.log", since, max_bytes=max_bytes)
    # The script a remote host runs, run here by sh: same rules, same marks' offsets.
    return await consolelog.read_remote(LocalRunner(), str(path), "/var/log/x.log", since,
                                        max_bytes=max_bytes)


WHERE = ["local", "remote"]


@pytest.mark.parametrize("where", WHERE)
async def test_the_tail_then_only_what_was_appended(tmp_path: Path, where: str) -> None:
    log = tmp_path / "console.log"
    log.write_bytes(b"Starting sshd.\n")
    first = await read(where, log, None)
    assert first.ok and first.data == b"Starting sshd.\n" and not first.restarted
    assert first.mark is not None and first.mark.offset == 15
    assert (await read(where, log, first.mark)).data == b""
    with log.open("ab") as f:
        f.write(b"Starting nginx.\n")
    second = await read(where, log, first.mark)
    assert second.data == b"Starting nginx.\n" and not second.restarted and second.skipped == 0


@pytest.mark.parametrize("where", WHERE)
async def test_a_big_log_gives_its_tail_and_says_what_it_skipped(tmp_path: Path,
                                                                 where: str) -> None:
    log = tmp_path / "console.log"
    log.write_bytes(b"a" * 1000 + b"THE END\n")
    chunk = await read(where, log, None, max_bytes=8)
    assert chunk.data == b"THE END\n" and chunk.skipped == 1000
    mark = chunk.mark
    with log.open("ab") as f:
        f.write(b"b" * 100 + b"again\n")
    later = await read(where, log, mark, max_bytes=6)
    assert later.data == b"again\n" and later.skipped == 100


@pytest.mark.parametrize("where", WHERE)
async def test_a_truncated_or_replaced_log_starts_over(tmp_path: Path, where: str) -> None:
    log = tmp_path / "console.log"
    log.write_bytes(b"old line one\nold line two\n")
    mark = (await read(where, log, None)).mark
    log.write_bytes(b"new\n")  # truncated (as `: > file`)
    chunk = await read(where, log, mark)
    assert chunk.restarted and chunk.data == b"new\n"
    mark = chunk.mark
    # newsyslog(8): the old file renamed, a new one made (another inode), already longer.
    os.rename(log, tmp_path / "console.log.0")
    log.write_bytes(b"rotated and longer than before\n")
    chunk = await read(where, log, mark)
    assert chunk.restarted and chunk.data == b"rotated and longer than before\n"


@pytest.mark.parametrize("where", WHERE)
async def test_a_missing_fifo_or_directory_is_a_reason_never_a_hang(tmp_path: Path,
                                                                   where: str) -> None:
    missing = await read(where, tmp_path / "nope.log", None)
    assert not missing.ok and "no such file" in (missing.reason or "")
    fifo = tmp_path / "fifo.log"
    os.mkfifo(fifo)
    chunk = await asyncio.wait_for(read(where, fifo, None), 20)
    assert not chunk.ok and "not a regular file" in (chunk.reason or "")
    assert "not a regular file" in ((await read(where, tmp_path, None)).reason or "")


def test_a_relative_or_missing_consolelog_is_no_path() -> None:
    assert consolelog.configured_path({"exec.consolelog": "/var/log/j.log"}) == "/var/log/j.log"
    assert consolelog.configured_path({}) is None
    assert consolelog.configured_path({"exec.consolelog": ("/a", "/b")}) == "/b"


# -- where the file is: the host's configuration, a manager's -----------------------------


def sim_host(sim_dir: Path) -> Host:
    runner = SimRunner(sim_dir)
    return Host(runner, backend="SIMULATED", paths=runner.paths)


def test_the_log_named_by_jail_conf_and_jail_conf_d_has_the_boot_output(sim_dir: Path) -> None:
    host = sim_host(sim_dir)
    asyncio.run(host.poll())
    web = asyncio.run(host.console_log("web"))
    assert web.ok and web.path == "/var/log/jail_console_web.log"
    assert web.source == "exec.consolelog in /etc/jail.conf"
    text = web.data.decode()
    assert text.startswith("ELF ldconfig path:") and "Starting nginx." in text
    ci = asyncio.run(host.console_log("ci"))
    assert ci.ok and ci.source == "exec.consolelog in /etc/jail.conf.d/ci.conf"


def test_a_managers_log_bastille_and_iocage(sim_dir: Path) -> None:
    host = sim_host(sim_dir)
    snap = asyncio.run(host.poll())
    names = {j.name for j in snap.jails}
    if "shop" not in names or "ioc-media_lan" not in names:
        pytest.skip("this demo host has no Bastille and iocage jails")
    shop = asyncio.run(host.console_log("shop"))
    assert shop.ok and shop.path == "/var/log/bastille/shop_console.log"
    assert shop.source == "exec.consolelog in /usr/local/bastille/jails/shop/jail.conf"
    media = asyncio.run(host.console_log("ioc-media_lan"))
    assert media.ok and media.path == "/zroot/iocage/log/ioc-media_lan-console.log"
    assert b"Starting" in media.data


def test_a_restart_appends_rc_shutdown_and_rc_to_the_log(sim_dir: Path) -> None:
    host = sim_host(sim_dir)
    asyncio.run(host.poll())
    first = asyncio.run(host.console_log("web"))
    rc, _out, err = dispatch(sim_dir, ["service", "jail", "restart", "web"])
    assert rc == 0, err
    more = asyncio.run(host.console_log("web", first.mark))
    text = more.data.decode()
    assert "Stopping nginx." in text and "Starting nginx." in text and not more.restarted


def test_a_delegate_reads_only_their_own_jails_log(sim_dir: Path) -> None:
    runner = SimRunner(sim_dir)
    scoped = ScopedHost(Host(runner, backend="SIMULATED", paths=runner.paths),
                        frozenset({"web"}))
    policy = Policy(Role.DELEGATE, "bob", 1001, frozenset({"web"}),
                    frozenset({Action.START}))
    ctl = Controller(scoped, policy, audit=MemorySink())
    asyncio.run(scoped.poll())
    assert b"Starting nginx." in asyncio.run(ctl.console_log("web")).data
    with pytest.raises(PolicyDenied) as denied:
        asyncio.run(ctl.console_log("db"))
    assert "db" not in str(denied.value)  # other jails' names are never echoed


# -- the console ------------------------------------------------------------------------


def sim_console(sim_dir: Path) -> tuple[object, Host]:
    from jailtui.app import JailtuiApp

    host = sim_host(sim_dir)
    policy = Policy(Role.HOST_ADMIN, "root", os.getuid())
    return JailtuiApp(host, Controller(host, policy, audit=MemorySink()),
                      interval=1000.0), host


async def open_log(pilot: object, jail: str, lines: int = 4) -> ConsoleLogScreen:
    app = pilot.app  # type: ignore[attr-defined]
    await settle(pilot)
    main = app.screen
    assert isinstance(main, MainScreen)
    main.jails.move_to_key(jail)
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press("l")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, ConsoleLogScreen)
                     and len(app.screen.query_one(LogLines).lines) >= lines)
    screen = app.screen
    assert isinstance(screen, ConsoleLogScreen)
    return screen


async def test_l_shows_the_log_follows_a_restart_and_searches(sim_dir: Path) -> None:
    from jailtui.app import JailtuiApp

    app, _host = sim_console(sim_dir)
    assert isinstance(app, JailtuiApp)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_log(pilot, "web")
        title = widget_text(screen.query_one("#console-log-title"))
        assert "Console log of jail web" in title and "/var/log/jail_console_web.log" in title
        lines = screen.query_one(LogLines)
        before = len(lines.lines)
        rc, _out, err = dispatch(sim_dir, ["service", "jail", "restart", "web"])
        assert rc == 0, err
        screen.read_more()
        await wait_until(pilot, lambda: "Stopping nginx." in lines.lines)
        assert len(lines.lines) > before
        assert "following" in widget_text(screen.query_one("#console-log-state"))
        await pilot.press("slash")
        await pilot.press(*"starting nginx")
        await pilot.press("enter")
        await pilot.pause()
        state = widget_text(screen.query_one("#console-log-state"))
        assert "match 1 of 2" in state, state
        await pilot.press("n")
        await pilot.pause()
        assert "match 2 of 2" in widget_text(screen.query_one("#console-log-state"))
        await pilot.press("N")
        await pilot.pause()
        assert "match 1 of 2" in widget_text(screen.query_one("#console-log-state"))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_escape_sequences_in_the_log_are_shown_not_obeyed() -> None:
    ctl = FakeController()
    ctl.console_logs["web"] = bytearray(b"\x1b]52;c;aGVsbG8=\x07owned\n\x1b[2Jclear\n")
    app = make_app(controller=ctl)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_log(pilot, "web", lines=2)
        lines = screen.query_one(LogLines).lines
        assert lines == ["\\x1b]52;c;aGVsbG8=\\x07owned", "\\x1b[2Jclear"]
        ctl.console_logs["web"] += b"half a li"
        screen.read_more()
        await wait_until(pilot, lambda: screen.query_one(LogLines).lines[-1] == "half a li")
        ctl.console_logs["web"] += b"ne\n"
        screen.read_more()
        await wait_until(pilot, lambda: screen.query_one(LogLines).lines[-1] == "half a line")


async def test_a_jail_without_a_console_log_says_so() -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("handmade")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, ConsoleLogScreen)
                         and "nothing to show" in widget_text(
                             app.screen.query_one("#console-log-state")))
        assert "no exec.consolelog" in widget_text(app.screen.query_one("#console-log-state"))
