"""The aggregate-only ps reader agrees with the full one (issue 18).

``parse_ps_totals`` sums per jail without making a Process per row (for
``list``); it must give ``totals_of(parse_ps(data))`` exactly, or the same
ParseError, on every document: the samples, a simulated host's poll, raw
control characters inside strings, a truncated document, missing and odd
fields, extra keys, duplicate keys, row-like objects where no row belongs,
the separator of its columns inside a value. Its own path (the rows cut down
in json's object hook) must be the one taken for the plain rows ps prints,
or it would only be parse_ps again, slower.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jailtui.core.errors import ParseError
from jailtui.core.freebsd import ps as psmod
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


def _own_path(data: bytes | str, monkeypatch: pytest.MonkeyPatch) -> ProcessTotals:
    """parse_ps_totals(data) with parse_ps out of reach: its own path's answer."""
    def refuse(*_args: object, **_kw: object) -> object:
        raise AssertionError("parse_ps_totals fell back to parse_ps")
    with monkeypatch.context() as m:
        m.setattr(psmod, "parse_ps", refuse)
        return parse_ps_totals(data)


# Not ps_cirrina.json: another tool's keywords (no rss, no jail-id), parse_ps's to read.
@pytest.mark.parametrize("name", ["ps_web.json", "ps_host_and_jails.json",
                                  "ps_no_jail_keyword.json"])
def test_plain_samples_take_the_own_path(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (SAMPLES / name).read_bytes()
    assert _own_path(data, monkeypatch) == totals_of(parse_ps(data))


def test_simulated_poll_takes_the_own_path(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    init_host(tmp_path / "h", jails=5, processes=300, seed=5, force=True)
    rc, out, _ = dispatch(tmp_path / "h", ps_argv())
    assert rc == 0
    got = _own_path(out.decode(), monkeypatch)
    assert got == totals_of(parse_ps(out)) and sum(got.count.values()) > 0


def test_extra_keys_and_dashes_stay_on_the_own_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys parse_ps never reads, of any type, do not matter; nor does ps's "-"."""
    rows: list[dict[str, object]] = [
        dict(_FULL, pid="1", extra=[1, {"a": None}], more={"pid": "2"}),
        dict(_FULL, pid="2", **{"jail-id": "7", "percent-cpu": "0.7"}),
        dict(_FULL, pid="3", **{"jail-id": "7", "percent-cpu": "1.1", "rss": "0"}),
        {k: v for k, v in dict(_FULL, pid="4").items() if k != "jail-name"},
        # ps's "-" (none) in the repeating fields: 0, as parse_ps reads it.
        dict(_FULL, pid="5", **{"jail-id": "-", "ppid": "-", "virtual-size": "-"}),
        dict(_FULL, pid="6", **{"percent-cpu": "-", "percent-memory": "-"}),
    ]
    data = _doc(rows)
    got = _own_path(data, monkeypatch)
    assert got == totals_of(parse_ps(data))
    assert got.count == {3: 3, 7: 2} and got.cpu[7] == 0.7 + 1.1 and got.cpu[3] == 2.5 + 2.5


@pytest.mark.parametrize("jids", [("07", "7"), ("7", "07", "7"), ("0", "-", "00"), ("3", "03")])
def test_two_spellings_of_a_jid(jids: tuple[str, ...]) -> None:
    """"07" and "7" are one jail to parse_ps: its floats summed in row order."""
    cpus = ("0.7", "1.1", "0.3")
    rows: list[dict[str, object]] = [dict(_FULL, pid=str(i), **{"jail-id": j, "percent-cpu": c})
            for i, (j, c) in enumerate(zip(jids, cpus, strict=False))]
    got = _agree(_doc([dict(_FULL, pid="9", **{"jail-id": "4"}), *rows]))
    assert isinstance(got, ProcessTotals) and got.count[4] == 1


_ROWLIKE = dict(_FULL, pid="77")


@pytest.mark.parametrize("text", [
    # a duplicate key: the last one counts, in both
    b'{"process-information": {"process": [ROW, {"pid": "1", "pid": "x", REST}]}}',
    b'{"process-information": {"process": [ROW, {"pid": "x", "pid": "1", REST}]}}',
    b'{"process-information": {"process": [ROW, {"rss": "1", "rss": 5, REST}]}}',
    # row-like objects where no row belongs
    b'{"process-information": {"process": [ROW], "spare": ROW}}',
    b'{"process-information": {"process": [ROW]}, "spare": [ROW, ROW]}',
    b'{"process-information": {"pid": "1", "process": [ROW]}}',
    b'{"process-information": {"process": [{"user": ROW, REST2}]}}',
    b'{"process-information": {"process": [ROW, [ROW]]}}',
    b'{"process-information": {"process": {"0": ROW}}}',
    b'{"process-information": {"process": [ROW, "x"]}}',
    b'{"process-information": {"process": [ROW, null]}}',
    b'{"process-information": {"process": []}}',
    b'{"process-information": {}}',
    b'{"process-information": ROW}',
    b'{"process": [ROW]}',
    b'[ROW]',
    b'ROW',
])
def test_documents_around_the_rows(text: bytes) -> None:
    row = json.dumps(_ROWLIKE).encode()
    rest = json.dumps({k: v for k, v in _FULL.items() if k != "pid"}).encode()[1:-1]
    rest2 = json.dumps({k: v for k, v in _FULL.items() if k != "user"}).encode()[1:-1]
    doc = text.replace(b"REST2", rest2).replace(b"REST", rest).replace(b"ROW", row)
    _agree(doc)
    # The whole document row-like too: the containers' own fields.
    wrapped = doc.replace(b'{"process-information"', b"{" + rest + b', "process-information"', 1)
    _agree(wrapped)


@pytest.mark.parametrize("key", list(_FULL))
@pytest.mark.parametrize("value", [
    None, 5, 2.5, True, [], ["1"], {}, {"pid": "1"}, _ROWLIKE, "", "\x1f", "1\x1f2", "1\x1f",
    "\x00", "12\n", "\u0663", "1" * 19, "1" * 20,
])
def test_each_field_of_any_type(key: str, value: object) -> None:
    row: dict[str, object] = {**_FULL, "pid": "8", key: value}
    _agree(_doc([dict(_FULL, pid="1"), row]))
    missing: dict[str, object] = {k: v for k, v in _FULL.items() if k != key}
    _agree(_doc([dict(_FULL, pid="1"), missing]))
    # The same in the rows of a ps without the jail keyword (no jail-name).
    plain = {k: v for k, v in _FULL.items() if k != "jail-name"}
    no_jail = {k: v for k, v in row.items() if k != "jail-name"}
    _agree(_doc([dict(plain, pid="1"), no_jail]))


def test_the_separator_inside_a_value() -> None:
    """A unit separator in a totals field would shift the columns: parse_ps's case.

    Between digits it is no number (an error); at either end parse_ps strips it
    (str.strip takes U+001F for whitespace) and reads the number.
    """
    for key in ("pid", "rss", "ppid", "virtual-size", "jail-id", "percent-cpu",
                "percent-memory"):
        base = _FULL[key]
        assert isinstance(_agree(_doc([dict(_FULL), {**_FULL, key: base + "\x1f" + base}])), str)
        for value in ("\x1f" + base, base + "\x1f"):
            _agree(_doc([dict(_FULL), {**_FULL, key: value}]))
    # Four separators in one value make a row of eight cells, two rows' worth:
    # no check may count cells in fours across rows. A newline (the rows'
    # own separator in the check) between digits is no number either.
    for key in ("pid", "rss", "ppid", "virtual-size"):
        base = _FULL[key]
        for value in ("\x1f".join([base] * 5), f"{base}\n{base}"):
            assert isinstance(_agree(_doc([dict(_FULL), {**_FULL, key: value}])), str)
        _agree(_doc([dict(_FULL), {**_FULL, key: f"{base}\n"}]))  # stripped: a number


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "1", "0.5", "x", "\x1f"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from([*_KEYS, "process", "extra"]), inner, max_size=4)
    | st.just(dict(_FULL)),
    max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.just(dict(_FULL)), _JSONISH), max_size=4),
       st.dictionaries(st.sampled_from(["extra", "pid", "process"]), _JSONISH, max_size=2),
       st.dictionaries(st.sampled_from(["extra", "pid", "rss"]), _JSONISH, max_size=2))
def test_fuzz_documents(rows: list[object], info_extra: dict[str, object],
                        top_extra: dict[str, object]) -> None:
    """Rows of any JSON (nested row-like objects too) in containers with extra keys."""
    info: dict[str, object] = {**info_extra, "process": [dict(_FULL, pid="3"), *rows]}
    _agree(json.dumps({**top_extra, "process-information": info}).encode())
