"""Cell formatting that must fit its column."""

from __future__ import annotations

import pytest

from jailtui.widgets.cells import percent


@pytest.mark.parametrize("value,text", [(0.0, "0.0"), (0.74, "0.7"), (99.5, "99.5"),
                                        (999.9, "999.9"), (1186.2, "1186"), (12000.0, "12000")])
def test_percent_fits_five_columns(value: float, text: str) -> None:
    assert percent(value) == text
    assert len(percent(value)) <= 5


def test_detail_rows_wrap_under_their_explanation() -> None:
    """Long explanations in the detail screen wrap under themselves, not under the label."""
    from jailtui.screens.detail import _rows

    text = _rows([("ip4", [("disable     ", "bold"),
                           ("IPv4: restricted to the jail's own addresses (or none)", "dim")])],
                 width=10, total=60).plain
    first, second = text.split("\n")
    lead = len("ip4".ljust(10)) + len("disable     ")
    assert len(first) <= 59
    assert second.startswith(" " * lead) and second.strip() in "addresses (or none)"
