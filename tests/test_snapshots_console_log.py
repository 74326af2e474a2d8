"""SVG snapshots of the console log (``l``) at 80x24 and 120x36, on fixed data:
the boot output of a jail's /etc/rc, a search's matches marked.

As tests/test_snapshots.py: sync tests, frozen clock, the fake host and
controller (tests/tui_fakes.py BOOT_LOG).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_snapshots import steps
from tui_fakes import make_app

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]

SnapCompare = Callable[..., bool]


@pytest.mark.parametrize("size", SIZES)
def test_console_log(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size,
                        run_before=steps("l", "slash", *"starting", "enter", jail="web"))
