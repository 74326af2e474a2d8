"""core/text.py visible(): the printable-ASCII shortcut gives exactly what the
character loop gives (issue 18: it exists for speed only)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jailtui.core.text import _visible_chars, visible

_ALPHABET = st.sampled_from(["a", "Z", "0", " ", "\\", "\t", "\x1b", "\x7f", "é", "\u0301",
                             "\u202e", "…", "~", "[", "]"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), st.text(_ALPHABET, max_size=40),
                 st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)),
       st.integers(-2, 45))
def test_shortcut_is_the_loop(text: str, limit: int) -> None:
    assert visible(text, limit) == _visible_chars(text, limit)


def test_shortcut_cases() -> None:
    assert visible("nginx: worker process", 5) == "nginx…"
    assert visible("abc", 3) == "abc"
    assert visible("a\\b") == "a\\\\b"  # a backslash is never taken as is
    assert visible("a\tb") == "a b"
    assert visible("", -1) == _visible_chars("", -1)
