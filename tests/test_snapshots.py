"""SVG snapshots of the key screens at 80x24 and 120x36 (pytest-textual-snapshot).

Sync tests on purpose: ``snap_compare`` runs its own event loop and fails
inside an async test (notes/textual.md 2.10). The data is fixed
(``tests/tui_fakes.py``) and the clock frozen, so the age on the status
line is always "1s". Update after an intended change with
``pytest tests/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tui_fakes import FakeHost, make_app, settle

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
