"""SVG snapshots of the key screens at 80x24 and 120x36 (pytest-textual-snapshot).

Sync tests on purpose: ``snap_compare`` runs its own event loop and fails
inside an async test (docs/textual.md 2.10). The data is fixed
(``tests/tui_fakes.py``) and the clock frozen, so the age on the status
line is always "1s". Update after an intended change with
``pytest tests/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from health_fakes import FixedEvaluator
from tui_fakes import FakeController, FakeHost, make_app, settle

from jailtui.core.errors import CommandTimeout
from jailtui.screens.main import MainScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]

SnapCompare = Callable[..., bool]


def app(host: FakeHost | None = None) -> Any:
    """The console on fixed data. A real-looking 2 s interval: a poll that
    fires during a shot returns the same fixed snapshot."""
    return make_app(host, interval=2.0)


def steps(*keys: str, jail: str | None = None) -> Callable[[Any], Awaitable[None]]:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        if jail is not None:
            main = pilot.app.screen
            assert isinstance(main, MainScreen)
            main.jails.move_to_key(jail)
            await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_main(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=steps(jail="web"))


@pytest.mark.parametrize("size", SIZES)
def test_host_processes(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size,
                        run_before=steps("tab", "a", jail="web"))


@pytest.mark.parametrize("size", SIZES)
def test_jail_detail(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=steps("enter", jail="web"))


@pytest.mark.parametrize("size", SIZES)
def test_users_picker(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """U: the users of the host's processes, most processes first (issue 20)."""
    assert snap_compare(app(), terminal_size=size,
                        run_before=steps("tab", "a", "U", jail="web"))


@pytest.mark.parametrize("size", SIZES)
def test_search_marks(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """F3: every row stays, the matches marked, the title counts them (issue 20)."""
    assert snap_compare(app(), terminal_size=size,
                        run_before=steps("tab", "f3", "n", "g", "i", "n", "x", "enter",
                                         jail="web"))


@pytest.mark.parametrize("size", SIZES)
def test_events(snap_compare: SnapCompare, size: tuple[int, int],
                monkeypatch: pytest.MonkeyPatch) -> None:
    """E: the timeline, newest first: seen, an action, a restart (issue 20)."""
    import time

    from tui_fakes import make_snapshot, sample_jails

    from jailtui.core.model import Jail, JailState

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    host = FakeHost()

    async def run_before(pilot: Any) -> None:
        await steps("d", "y", jail="db")(pilot)
        host.snapshot = make_snapshot([
            Jail("web", 21, JailState.RUNNING, path="/usr/local/jails/web", configured=True)
            if j.name == "web" else j for j in sample_jails()])
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)

    try:
        assert snap_compare(app(host), terminal_size=size, run_before=run_before)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_stale(snap_compare: SnapCompare) -> None:
    host = FakeHost()

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        host.fail_with = CommandTimeout(["jls", "--libxo", "json", "-v", "-d"], 8)
        await pilot.press("r")
        await settle(pilot)

    assert snap_compare(app(host), terminal_size=(120, 36),
                        run_before=run_before)


def test_confirm_stop(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), terminal_size=(80, 24), run_before=steps("d", jail="web"))


def test_help(snap_compare: SnapCompare) -> None:
    assert snap_compare(app(), terminal_size=(120, 36), run_before=steps("question_mark"))


# -- editing the configuration: the real controller on a fresh simulated host -----------


def sim_app(sim_dir: Path) -> Any:
    """Host admin on the simulator (the editor needs a real file to edit)."""
    from jailtui.app import JailtuiApp
    from jailtui.core.actions.control import Controller
    from jailtui.core.actions.policy import Policy, Role
    from jailtui.core.hosts.host import Host
    from jailtui.sim.runner import SimRunner

    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    return JailtuiApp(host, Controller(host, Policy(Role.HOST_ADMIN, "root", 0)),
                      interval=1000.0)


def edit_web(*, save: bool) -> Callable[[Any], Awaitable[None]]:
    """Open web's block, add a hostname line, and (``save``) press ctrl+s.

    No ``settle`` once ctrl+s is pressed: the save flow's worker waits on
    the diff screen, and settle waits for every worker.
    """
    async def run_before(pilot: Any) -> None:
        from jailtui.screens.config_editor import ConfigEditorScreen
        from jailtui.screens.diff import DiffScreen

        await settle(pilot)
        main = pilot.app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key("web")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        editor = pilot.app.screen
        assert isinstance(editor, ConfigEditorScreen)
        area = editor.area
        area.cursor_blink = False  # a blinking cursor is not deterministic
        area.move_cursor((2, len(area.document.get_line(2))))
        area.insert('\n    host.hostname = "www.example.org";')
        await pilot.pause()
        if save:
            await pilot.press("ctrl+s")
            for _ in range(100):
                if isinstance(pilot.app.screen, DiffScreen):
                    break
                await pilot.pause(0.05)
            await pilot.pause()

    return run_before


def test_config_editor(snap_compare: SnapCompare, sim_dir: Path) -> None:
    assert snap_compare(sim_app(sim_dir), terminal_size=(100, 24),
                        run_before=edit_web(save=False))


def test_config_diff(snap_compare: SnapCompare, sim_dir: Path) -> None:
    assert snap_compare(sim_app(sim_dir), terminal_size=(100, 30),
                        run_before=edit_web(save=True))


def test_health_view(snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch) -> None:
    """``H`` with one finding of each severity; the clock time in UTC."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        shot = app()
        shot.health.set_evaluator(FixedEvaluator())
        assert snap_compare(shot, terminal_size=(120, 36), run_before=steps("H"))
    finally:
        monkeypatch.undo()
        time.tzset()


# -- daemons (D) and one command (!) on fixed data ---------------------------------------


def daemon_app() -> Any:

    return make_app(FakeHost(), FakeController(), interval=2.0)


def test_services(snap_compare: SnapCompare) -> None:
    """web's daemons: running, not running (bold red), one-shot, cursor on nginx."""

    async def run_before(pilot: Any) -> None:
        await steps("D", jail="web")(pilot)
        pilot.app.screen.table.move_to_key("nginx")
        await settle(pilot)

    assert snap_compare(daemon_app(), terminal_size=(100, 24), run_before=run_before)


def test_exec(snap_compare: SnapCompare) -> None:
    """``!`` in web after two commands; the input's cursor does not blink in the shot."""
    from textual.widgets import Input

    async def run_before(pilot: Any) -> None:
        await steps("exclamation_mark", jail="web")(pilot)
        field = pilot.app.screen.query_one("#exec-input", Input)
        field.cursor_blink = False
        for line in ("hostname", "ps -o 'pid command'"):
            field.value = line
            await pilot.press("enter")
            await settle(pilot)

    assert snap_compare(daemon_app(), terminal_size=(100, 24), run_before=run_before)
