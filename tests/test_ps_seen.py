"""ps rows decoded by the short path (``ps._process_seen``: one itemgetter call and
the parse's tables) give what the general path gives (issue 18): the same
Processes, or the same ParseError, on the samples, simulated polls and odd,
missing and fuzzed fields placed after plain rows (so the tables are warm
when the odd row comes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ps_totals import _FULL, _KEYS, _VALUE

from jailtui.core.errors import ParseError
from jailtui.core.freebsd import ps
from jailtui.core.model import Process
from jailtui.sim.builder import init_host
from jailtui.sim.commands import dispatch

SAMPLES = Path(__file__).parent / "samples"


def _parse(data: bytes) -> tuple[Process, ...] | str:
    try:
        return ps.parse_ps(data)
    except ParseError as exc:
        return str(exc)


def _agree(data: bytes) -> tuple[Process, ...] | str:
    got = _parse(data)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(ps, "_process_seen", lambda row, memo: ps._process(row, 0, memo))
        want = _parse(data)
    assert got == want
    if isinstance(got, tuple) and isinstance(want, tuple):  # the same types (1 == 1.0 == True)
        assert [tuple(map(type, vars_of(p))) for p in got] == \
            [tuple(map(type, vars_of(p))) for p in want]
    return got


def vars_of(p: Process) -> tuple[object, ...]:
    return tuple(getattr(p, f) for f in p.__slots__)


def _doc(rows: list[dict[str, object]]) -> bytes:
    return json.dumps({"process-information": {"process": rows}}).encode()


@pytest.mark.parametrize("name", [p.name for p in sorted(SAMPLES.glob("ps_*.json"))])
def test_samples(name: str) -> None:
    _agree((SAMPLES / name).read_bytes())


def test_simulated_polls(tmp_path: Path) -> None:
    """Polls of a simulated host a few seconds apart (etime, CPU, RSS move;
    processes come and go), whole and truncated."""
    sim = init_host(tmp_path / "h", jails=4, processes=120, seed=5, force=True, now=1.0e9)
    total = 0
    for t in (0, 3, 7, 60):
        rc, out, _ = dispatch(sim, ps.ps_argv(), env={"JAILTUI_SIM_NOW": str(1.0e9 + t),
                                                      "TZ": "UTC"})
        assert rc == 0
        got = _agree(out)
        assert isinstance(got, tuple) and len(got) > 100
        total += sum(p.jid != 0 for p in got)
        assert "truncated JSON" in str(_agree(out[: len(out) // 2]))
    assert total > 0


@pytest.mark.parametrize("change", [
    {}, {"jail-name": None}, {"ppid": None}, {"jail-id": None}, {"rss": None},
    {"percent-cpu": None}, {"command": None}, {"virtual-size": None}, {"start-time": None},
    {"elapsed-time": None}, {"pid": None}, {"pid": "-"}, {"pid": "\u0663"}, {"rss": " 12"},
    {"rss": "-"}, {"rss": ""}, {"pid": ""}, {"percent-cpu": 2.5}, {"rss": 12}, {"pid": 5},
    {"jail-id": 3}, {"ppid": True}, {"user": ["x"]}, {"state": {"a": "b"}},
    {"command": ["x"], "arguments": "a b"}, {"command": None, "arguments": "a b"},
    {"elapsed-time": 60}, {"start-time": 7}, {"command": 3}, {"pid": "9" * 19},
    {"elapsed-time": " 1-02:03:04 "}, {"elapsed-time": "x"}, {"jail-name": "-"},
])
def test_odd_and_missing_fields_after_plain_rows(change: dict[str, object]) -> None:
    row: dict[str, object] = {k: v for k, v in {**_FULL, **change}.items() if v is not None}
    rows: list[dict[str, object]] = [dict(_FULL, pid="1"), dict(_FULL, pid="2"), row,
                                     dict(_FULL, pid="3", **{"jail-id": "4"})]
    _agree(_doc(rows))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.sampled_from(_KEYS), _VALUE, max_size=14), max_size=4))
def test_fuzz_rows(rows: list[dict[str, object]]) -> None:
    plain: list[dict[str, object]] = [dict(_FULL, pid=str(i + 10)) for i in range(2)]
    # Each drawn row also as a plain row with the drawn values over it.
    over = [{**_FULL, **r} for r in rows]
    _agree(_doc(plain + rows + over))
