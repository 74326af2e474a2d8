"""The lexer tries only the rules a token's first character allows (issue 18):
the same tokens as trying every rule, on both dialects."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jailtui.core.freebsd.jailconf import lex

_ALPHABET = st.sampled_from(list("ab1_.-=;,{}+$\"'\\/*#\n\r\t x\x00é[]") + ["${", "/*", "*/",
                                                                           "//", "+=", "\\x4"])
_TEXT = st.lists(_ALPHABET, max_size=40).map("".join)


def _every_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lexer as it was: every rule of the state tried at every position."""
    monkeypatch.setattr(lex, "_candidates",
                        lambda firsts, ch: tuple(r for r, _first in firsts))
    for table in lex._BY_CHAR.values():
        table.clear()


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.sampled_from([None, 13, 14]))
def test_same_tokens_as_every_rule(text: str, freebsd: int | None) -> None:
    fast = lex.tokenize(text, freebsd=freebsd)
    with pytest.MonkeyPatch.context() as mp:
        _every_rule(mp)
        slow = lex.tokenize(text, freebsd=freebsd)
    for table in lex._BY_CHAR.values():
        table.clear()  # the monkeypatched run's tables must not stay
    assert fast == slow
    assert "".join(t.text for t in fast) == text


@pytest.mark.parametrize("rules", [lex._RULES, lex._RULES_LEGACY])
@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_first_char_is_sound(rules: lex._Rules, text: str) -> None:
    # Wherever a rule matches, its first character is one first_char allows.
    for rs in rules.values():
        for _prio, rx, _act in rs:
            first = lex.first_char(rx.pattern)
            for pos in range(len(text)):
                m = rx.match(text, pos)
                if m is not None and m.end() > pos:
                    assert first is None or first.match(text[pos]), (rx.pattern, text[pos:])


def test_first_char_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError):
        lex.first_char("(?:a|b)")
    assert lex.first_char("[^\"$\\\\]x") == re.compile("[^\"$\\\\]")
