"""Cell formatting that must fit its column."""

from __future__ import annotations

import pytest

from jailtui.widgets.cells import percent


@pytest.mark.parametrize("value,text", [(0.0, "0.0"), (0.74, "0.7"), (99.5, "99.5"),
                                        (999.9, "999.9"), (1186.2, "1186"), (12000.0, "12000")])
def test_percent_fits_five_columns(value: float, text: str) -> None:
    assert percent(value) == text
    assert len(percent(value)) <= 5
