"""names.equal_names is config.c equalopts as a set (issue 18: the merge's hot spot)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jailtui.core.freebsd.jailconf.names import equal_names, equalopts

# Names built from pieces that make equalopts' cases: "no" prefixes at any
# component, shared and different prefixes, empty components.
_PIECE = st.sampled_from(["no", "nono", "allow", "mount", "noallow", "nomount", "persist",
                          "o", "n", "", "x.no", "a"])
_NAME = st.lists(_PIECE, min_size=1, max_size=4).map(".".join) | st.text("no.ab", max_size=8)


@settings(max_examples=1000, deadline=None)
@given(_NAME, _NAME)
def test_equal_names_is_equalopts(a: str, b: str) -> None:
    assert (a in equal_names(b)) == equalopts(a, b)
    assert (b in equal_names(a)) == equalopts(a, b)   # symmetric, as the merge relies on


@pytest.mark.parametrize(("a", "b", "same"), [
    ("persist", "nopersist", True), ("allow.mount", "allow.nomount", True),
    ("allow.mount.zfs", "allow.nomount.zfs", True), ("noallow.mount", "allow.mount", True),
    ("nonopersist", "persist", False), ("allow.mount", "nallow.mount", False),
    ("ip4.addr", "ip4.addr", True), ("mount", "mount.devfs", False),
])
def test_cases(a: str, b: str, same: bool) -> None:
    assert equalopts(a, b) is same
    assert (a in equal_names(b)) is same
