"""SVG snapshots of the Network section (detail view) and the process screen at
80x24 and 120x36, on fixed data (tests/tui_fakes.py FakeHost.network,
FakeController.process_detail), as tests/test_snapshots.py: sync tests, frozen
clock. Update with ``--snapshot-update -k network`` / ``-k process`` and read the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from test_snapshots import steps
from tui_fakes import make_app, settle

from jailtui.screens.detail import DetailScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]

SnapCompare = Callable[..., bool]


def to_network(jail: str) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        await steps("enter", jail=jail)(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DetailScreen)
        screen.query_one("#detail-body").scroll_to_widget(screen.section("network"),
                                                          animate=False, top=True)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_network_section(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """web: its addresses, what listens, Bastille-style rdr rules."""
    assert snap_compare(make_app(interval=2.0), terminal_size=size,
                        run_before=to_network("web"))


@pytest.mark.parametrize("size", SIZES)
def test_network_section_vnet(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """db as a VNET jail: its epair and bridge; a host without sockstat, one line."""
    assert snap_compare(make_app(interval=2.0), terminal_size=size,
                        run_before=to_network("db"))


@pytest.mark.parametrize("size", SIZES)
def test_process_detail(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """o on a process of web, then e: files, map and the environment shown literally."""
    assert snap_compare(make_app(interval=2.0), terminal_size=size,
                        run_before=steps("tab", "o", "e", jail="web"))
