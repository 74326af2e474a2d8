"""SVG snapshots of the posture screens (S, F) at 80x24 and 120x36, on fixed data.

As tests/test_snapshots.py: sync tests, frozen clock, the fake host; the
posture comes from tests/posture_fakes.py (the real evaluate() on made-up reads).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from posture_fakes import collector
from tui_fakes import make_app, settle

from jailtui.screens.main import MainScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]

SnapCompare = Callable[..., bool]


def app() -> Any:
    a = make_app(interval=2.0)
    a.posture_collector = collector
    return a


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
def test_posture(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=steps("S", jail="web"))


@pytest.mark.parametrize("size", SIZES)
def test_fleet_posture(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=steps("F"))
