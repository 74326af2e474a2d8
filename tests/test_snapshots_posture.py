"""SVG snapshots of the posture screens (S, F) at 80x24 and 120x36, on fixed data.

As tests/test_snapshots.py: sync tests, frozen clock, the fake host; the
posture comes from tests/posture_fakes.py (the real evaluate() on made-up reads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from posture_fakes import collector
from test_snapshots import steps
from tui_fakes import FakeHost, make_app

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]

SnapCompare = Callable[..., bool]


def app() -> Any:
    return make_app(FakeHost(posture=collector), interval=2.0)


@pytest.mark.parametrize("size", SIZES)
def test_posture(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=steps("S", jail="web"))


@pytest.mark.parametrize("size", SIZES)
def test_fleet_posture(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=steps("F"))


@pytest.mark.parametrize("size", SIZES)
def test_jail_detail_posture(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """The detail view's posture section (issue 17): web is the loosened jail."""
    assert snap_compare(app(), terminal_size=size, run_before=steps("enter", jail="web"))
