"""The lexer's fast path and the parser's look-ahead list (issue 18) give what
the old algorithm gave: the same tokens, the same parse, the same errors (line
and message), on both dialects, for every jail.conf the tests, the simulator and
docs/freebsd.md hold, and on generated input (tests/jailconf_lex_reference.py
is the old algorithm)."""

from __future__ import annotations

from pathlib import Path

import jailconf_lex_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jailconf_corpus import TESTS, _doc_examples, _sim_files, _test_strings

from jailtui.core.freebsd.jailconf import JailConfError, lex, parse
from jailtui.core.freebsd.jailconf.syntax import ConfFile

DIALECTS = (None, 13, 14)


def _outcome(conf: ConfFile | JailConfError) -> object:
    if isinstance(conf, JailConfError):
        return ("error", str(conf), conf.line, conf.hint)
    return (conf.tokens, conf.items)


def _parse(parser: object, text: str, freebsd: int | None) -> ConfFile | JailConfError:
    try:
        return parser(text, freebsd=freebsd)  # type: ignore[operator, no-any-return]
    except JailConfError as e:
        return e


def _same(text: str, freebsd: int | None) -> None:
    new = lex.tokenize(text, freebsd=freebsd)
    assert new == ref.tokenize(text, freebsd=freebsd)
    assert "".join(t.text for t in new) == text
    assert _outcome(_parse(parse, text, freebsd)) == _outcome(_parse(ref.parse, text, freebsd))


def test_corpus_is_there(tmp_path: Path) -> None:
    # The comparisons below must not pass on an empty corpus.
    assert len(_test_strings()) > 100
    assert len(_doc_examples()) >= 2
    assert sum(t.count("{") for t in _sim_files(tmp_path)) > 1000


@pytest.mark.parametrize("freebsd", DIALECTS)
def test_same_on_the_tests_strings_and_the_docs(freebsd: int | None) -> None:
    for text in [*_test_strings(), *_doc_examples(),
                 (TESTS / "samples" / "commands.jail.conf").read_text(encoding="utf-8")]:
        _same(text, freebsd)


@pytest.mark.parametrize("freebsd", DIALECTS)
def test_same_on_the_simulators_files(tmp_path: Path, freebsd: int | None) -> None:
    for text in _sim_files(tmp_path):
        _same(text, freebsd)
        # With CRLF line endings too (a stray CR for 13.x: the error's line and hint).
        _same(text.replace("\n", "\r\n"), freebsd)


def test_errors_are_where_they_were() -> None:
    # A lexer error after a syntax error, a syntax error after a lexer error,
    # errors on later lines: the first one the parser reaches, on its line.
    for text in ['a { b = "x;\n}\n', "a { b = 1 }\n c;", "a;\n\n/* open", "x = ${y\n;",
                 "a {\n\tb;\n}\n}\n", "a = 'q\n", "$v = 1;\n} = 2;", "a;\r\nb { c; }\r\n"]:
        for freebsd in DIALECTS if "\r" not in text else (13,):
            out = _parse(parse, text, freebsd)
            assert isinstance(out, JailConfError), text
            assert _outcome(out) == _outcome(_parse(ref.parse, text, freebsd))


_PIECES = st.sampled_from(
    list("ab1_.-=;,{}+$\"'\\/*#\n\r\t x\x00é[]") + ["${", "/*", "*/", "//", "+=", "\\x4",
                                                   "\\\n", "$a", "\"$b\"", "'c'", "web {",
                                                   "ip4.addr = ", "\"em0|10.0.0.1/24\";"])
_TEXT = st.lists(_PIECES, max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(_TEXT, st.sampled_from(DIALECTS))
def test_same_on_generated_input(text: str, freebsd: int | None) -> None:
    _same(text, freebsd)


@pytest.mark.parametrize("text", [
    'a = "em0|10.0.0.1/24";', 'a = "x\x00y";', 'a = "two\nlines";\nb;', 'a = "";',
    'a = x"y"z;', 'a = "y""z";', 'a = "$v";', 'a = "p$v";', 'a = "q\\"r";', 'a = "s\\\nt";',
    'a = "open', 'a = "open\n;', 'a = "x" "y";', 'a = "a\r\nb";', "a = \"it's\";",
])
@pytest.mark.parametrize("freebsd", DIALECTS)
def test_double_quoted_strings(text: str, freebsd: int | None) -> None:
    """The fast path's double-quoted strings (lex._PLAIN_DQ) against the rule-by-rule lexer:
    NULs, newlines, pieces joined before and after, and the strings it must leave to
    the rules (a variable, an escape, no closing quote)."""
    _same(text, freebsd)


def test_the_fast_path_takes_plain_double_quoted_strings() -> None:
    fast = lex._FAST[id(lex._RULES)]
    m = fast('"em0|10.0.0.1/24";', 0)
    assert m is not None and lex._FAST_KINDS[m.lastindex or 0] == "dq"
    for text in ('"a$b"', '"a\\"b"', '"open'):
        assert fast(text, 0) is None
