"""SVG snapshots of the column picker (C) and the notes (m) at 80x24 and 120x36.

As tests/test_snapshots.py: sync tests, frozen clock, the fake host and
controller; the state is in memory (the picker says "this session only").
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_snapshots import steps
from tui_fakes import make_app

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]

SnapCompare = Callable[..., bool]


@pytest.mark.parametrize("size", SIZES)
def test_columns_picker(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """C on the jails pane: HOSTNAME hidden, MEM moved up, the highlight on MEM."""
    keys = ["C", *["down"] * 4, "space", *["down"] * 4, "K", "K"]
    assert snap_compare(make_app(interval=2.0), terminal_size=size,
                        run_before=steps(*keys, jail="web"))


@pytest.mark.parametrize("size", SIZES)
def test_note_dialog(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """m on web: the dialog with a note being typed."""
    assert snap_compare(make_app(interval=2.0), terminal_size=size,
                        run_before=steps("m", *"ask ops before a restart", jail="web"))


@pytest.mark.parametrize("size", SIZES)
def test_note_marked(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """After Enter: the mark after web's NAME, the others unmarked."""
    assert snap_compare(make_app(interval=2.0), terminal_size=size,
                        run_before=steps("m", *"ask ops", "enter", jail="web"))
