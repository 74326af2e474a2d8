"""``list --json`` and ``ps --json``: indented_json writes json.dumps(indent=2)'s bytes.

cli/output.py encodes the rows' keys and leaves with json's C encoder in one
call and lays the indentation around them itself (issue 18: the output of
1,000 jails ran json's pure-Python encoder). Each check compares it with
json.dumps(rows, indent=2) itself, on the rows the commands print and on
random rows of every JSON leaf type, and sees that the own path is the one
taken where it should be (a fallback to json.dumps would pass any equality).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jailtui.cli import output
from jailtui.cli.output import indented_json, jail_json, process_json
from jailtui.core.events import Kind

# Strings of every kind: control characters, the separator itself, quotes,
# backslashes, non-ASCII, astral and lone surrogates (escaped by ensure_ascii).
TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()))
LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-2**80,
                                                                      max_value=2**80),
                 st.floats(allow_nan=True, allow_infinity=True), TEXT)
VALUE = st.one_of(LEAF, st.lists(LEAF, max_size=4), st.lists(LEAF, max_size=3).map(tuple))
ROW = st.dictionaries(TEXT, VALUE, max_size=6)


def _own(rows: Any) -> bool:
    """The own path takes ``rows`` (not json.dumps's fallback)."""
    return output._uniform(rows) is not None


@st.composite
def uniform_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Rows as ``list`` and ``ps`` make them: one set of keys, each a leaf or
    a list of leaves in every row (tuples too)."""
    keys = draw(st.lists(TEXT, min_size=1, max_size=6, unique=True))
    kinds = draw(st.lists(st.booleans(), min_size=len(keys), max_size=len(keys)))
    short = st.one_of(st.lists(LEAF, max_size=4), st.lists(LEAF, max_size=3).map(tuple))
    n = draw(st.integers(min_value=1, max_value=5))
    return [{k: draw(short if is_list else LEAF) for k, is_list in zip(keys, kinds, strict=True)}
            for _ in range(n)]


@settings(max_examples=500, deadline=None)
@given(uniform_rows())
def test_uniform_rows_match_json_dumps(rows: list[dict[str, Any]]) -> None:
    assert _own(rows)
    assert indented_json(rows) == json.dumps(rows, indent=2)
    assert indented_json(tuple(rows)) == json.dumps(tuple(rows), indent=2)


@settings(max_examples=300, deadline=None)
@given(st.lists(ROW, max_size=5))
def test_any_rows_match_json_dumps(rows: list[dict[str, Any]]) -> None:
    assert indented_json(rows) == json.dumps(rows, indent=2)


@pytest.mark.parametrize("rows", [
    [{"a": []}], [{"a": ()}], [{"a": [1, 2]}], [{"a": ["[]", "]", "["]}],
    [{"a": ["", ""], "b": []}, {"a": [], "b": [None, 1.5, True]}], [{"%s": [1], "%": "%d"}],
    [{"a": [None]}, {"a": []}], [{"a": ["x"], "b": [1]}],
    [{"a": [1], "b": 2}, {"a": [], "b": 3}], [{"b": 0, "a": ["]"]}, {"b": 1, "a": ["}"]}],
    [{"n": math.nan, "i": math.inf, "m": -math.inf, "z": -0.0, "e": 1e300, "t": 1e-7}],
    [{"s": "a\nb\x00\x01", "q": '"\\', "u": "é\u2028\U0001f600\ud800"}],
    [{"x": True, "y": False, "z": None, "big": 10**30}],
    # Values that look like the text around them: brackets, braces, keys.
    [{"a": '"b": [', "b": ["]"], "c": '}{"a": ['}, {"a": "[]", "b": ['"c": '], "c": "]}"}],
    [{"[": "[", "]": ["]"], "{": "}"}],
])
def test_edges_match_json_dumps(rows: list[dict[str, Any]]) -> None:
    assert _own(rows)
    assert indented_json(rows) == json.dumps(rows, indent=2)


@pytest.mark.parametrize("rows", [
    [], [{}], [{}, {}],
    [{"a": {"b": 1}}],            # a nested dict
    [{"a": [[1]]}],               # a nested list
    [{"a": 1}, {"a": [1]}],       # a leaf, then a list, under one key
    [{"a": [1]}, {"a": 1}],
    [{"a": 1}, {"b": 1}],         # other keys
    [{"a": 1, "b": 2}, {"b": 2, "a": 1}],
    [{"a": 1}, {"a": 1, "b": 2}],
    [{1: "int key"}],             # json.dumps turns the key into "1"
    [[1, 2]],                     # a row that is not a dict
    [{"a": 1}, 3],
    [{"a": Kind.ACTION}],         # a str subclass: json.dumps's own
])
def test_other_shapes_fall_back_to_json_dumps(rows: list[Any]) -> None:
    assert not _own(rows)
    assert indented_json(rows) == json.dumps(rows, indent=2)


def test_unencodable_still_raises() -> None:
    with pytest.raises(TypeError):
        indented_json([{"a": object()}])
    with pytest.raises(TypeError):
        indented_json([{"a": [object()]}])


def test_the_commands_rows_take_the_own_path(sim_dir: Path) -> None:
    """The rows of ``list`` and ``ps`` on a simulated host: the own path, the same text."""
    from jailtui.cli.main import build_parser
    from jailtui.cli.session import make_session
    from jailtui.cli.views import Targets, poll
    from jailtui.core.hosts.fleet import Fleet

    args = build_parser().parse_args(["--sim", str(sim_dir), "ps"])
    snaps, status = poll(Targets(Fleet([make_session(args).host])))
    assert status == 0
    snap = snaps[0][1]
    assert snap.jails and snap.processes
    for rows in ([jail_json(j, snap) for j in snap.jails],
                 [process_json(p, snap) for p in snap.processes],
                 [{**jail_json(j, snap), "host": "h"} for j in snap.jails]):
        assert _own(rows)
        assert indented_json(rows) == json.dumps(rows, indent=2)
