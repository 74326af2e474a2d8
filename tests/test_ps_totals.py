"""The aggregate-only ps reader agrees with the full one (issue 18).

``parse_ps_totals`` sums per jail without making a Process per row (for
``list``); it must give ``totals_of(parse_ps(data))`` exactly, or the same
ParseError, on every document: the samples, a simulated host's poll, raw
control characters inside strings, a truncated document, missing and odd
fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jailtui.core.errors import ParseError
from jailtui.core.freebsd.ps import parse_ps, parse_ps_totals, ps_argv
from jailtui.core.model import ProcessTotals, aggregate, apply_totals, totals_of
from jailtui.sim.builder import init_host
from jailtui.sim.commands import dispatch

SAMPLES = Path(__file__).parent / "samples"


def _both(data: bytes) -> tuple[ProcessTotals | str, ProcessTotals | str]:
    try:
        want: ProcessTotals | str = totals_of(parse_ps(data))
    except ParseError as exc:
        want = str(exc)
    try:
        got: ProcessTotals | str = parse_ps_totals(data)
    except ParseError as exc:
        got = str(exc)
    return got, want


def _agree(data: bytes) -> ProcessTotals | str:
    got, want = _both(data)
    assert got == want
    return got


def _doc(rows: list[dict[str, object]]) -> bytes:
    return json.dumps({"process-information": {"process": rows}}).encode()


@pytest.mark.parametrize("name", [p.name for p in sorted(SAMPLES.glob("ps_*.json"))])
def test_samples(name: str) -> None:
    _agree((SAMPLES / name).read_bytes())


def test_sample_sums_are_real() -> None:
    """Not two empty answers: the reference sample has a jail with two processes."""
    got = _agree((SAMPLES / "ps_web.json").read_bytes())
    assert isinstance(got, ProcessTotals)
    assert got.count == {1: 2} and got.rss[1] > 0


@pytest.mark.parametrize("name", ["empty.txt", "ps_truncated.json", "garbage.bin",
                                  "ps_wrong_shape.json", "ps_nothing_matched.json",
                                  "ps_bad_pid.json"])
def test_broken_documents_fail_alike(name: str) -> None:
    got = _agree((SAMPLES / name).read_bytes())
    assert isinstance(got, str) and got.startswith("ps --libxo json: ")


def test_truncated_simulated_poll(tmp_path: Path) -> None:
    init_host(tmp_path / "h", jails=3, processes=60, seed=3, force=True)
    rc, out, _ = dispatch(tmp_path / "h", ps_argv())
    assert rc == 0
    totals = _agree(out)
    assert isinstance(totals, ProcessTotals) and sum(totals.count.values()) > 0
    for cut in (len(out) // 3, len(out) - 2):
        assert "truncated JSON" in str(_agree(out[:cut]))


def test_raw_control_characters_inside_strings() -> None:
    data = (b'{"process-information": {"process": [{"pid": "9", "ppid": "1", "jail-id": "2",'
            b' "jail-name": "w\x00eb", "user": "r\x1boot", "state": "SJ",'
            b' "percent-cpu": "1.5", "percent-memory": "0.2", "virtual-size": "10",'
            b' "rss": "8", "elapsed-time": "01:02", "start-time": "x",'
            b' "command": "sh\t-c \x07x \xff"}]}}')
    got = _agree(data)
    assert isinstance(got, ProcessTotals) and got.count == {2: 1} and got.cpu == {2: 1.5}


_FULL = {"pid": "5", "ppid": "1", "jail-id": "3", "jail-name": "web", "user": "www",
         "state": "SJ", "percent-cpu": "2.5", "percent-memory": "0.1",
         "virtual-size": "1000", "rss": "400", "elapsed-time": "01:00",
         "start-time": "Mon Jun  2 08:00:01 2025", "command": "nginx"}


@pytest.mark.parametrize("change", [
    {}, {"jail-id": "0"}, {"percent-memory": "0.0"}, {"rss": "0"},
    {"jail-name": None}, {"ppid": None}, {"jail-id": None}, {"rss": None},
    {"percent-cpu": None}, {"command": None}, {"virtual-size": None},
    {"pid": None}, {"pid": "-"}, {"pid": "\u0663"}, {"rss": " 12"}, {"rss": "-"},
    {"percent-cpu": "nan"}, {"percent-cpu": "1,5"}, {"percent-cpu": 3.5}, {"rss": 12},
    {"jail-id": "\u0663"}, {"jail-id": " 4"}, {"ppid": "x"}, {"user": ["x"]},
    {"command": ["x"], "arguments": "a b"}, {"extra": {"pid": "1"}}, {"pid": "9" * 19},
])
def test_odd_and_missing_fields(change: dict[str, object]) -> None:
    row: dict[str, object] = {k: v for k, v in {**_FULL, **change}.items() if v is not None}
    rows: list[dict[str, object]] = [dict(_FULL, pid="1"), row,
                                     dict(_FULL, pid="2", **{"jail-id": "4"})]
    _agree(_doc(rows))


_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(allow_nan=True),
    st.sampled_from(["", "-", " 12", "0", "007", "1.5", "0.0", "1,5", "\u0663", "nan",
                     "3", "SsJ", "\x1b[31mred", "a\x00b", "9" * 30]),
    st.text(max_size=6))
_KEYS = ["pid", "ppid", "jail-id", "jail-name", "user", "state", "percent-cpu",
         "percent-memory", "virtual-size", "rss", "elapsed-time", "start-time", "command",
         "arguments"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.sampled_from(_KEYS), _VALUE, max_size=14), max_size=4))
def test_fuzz_rows(rows: list[dict[str, object]]) -> None:
    # Plain rows around the drawn ones, so the fast path runs before an odd row.
    plain: list[dict[str, object]] = [dict(_FULL, pid=str(i + 10)) for i in range(2)]
    _agree(_doc(plain + rows))


def test_apply_totals_is_aggregate() -> None:
    from jailtui.core.model import Jail, JailState
    data = (SAMPLES / "ps_host_and_jails.json").read_bytes()
    procs = parse_ps(data)
    jids = sorted({p.jid for p in procs if p.jid})
    jails = [Jail(name=f"j{jid}", jid=jid, state=JailState.RUNNING) for jid in jids]
    for total in (None, 8_000_000.0):
        assert apply_totals(jails, parse_ps_totals(data), total) == aggregate(jails, procs, total)
