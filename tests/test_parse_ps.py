"""ps libxo JSON parser, etime and STAT letters (docs/freebsd.md section 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jailtui.core.errors import JailNotFound, ParseError, ToolError
from jailtui.core.freebsd.ps import (
    PS_KEYWORDS,
    describe_stat,
    parse_etime,
    parse_ps,
    parse_ps_result,
    ps_argv,
)
from jailtui.core.model import Process
from jailtui.core.transport.runner import CommandResult

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def by_pid(procs: tuple[Process, ...]) -> dict[int, Process]:
    return {p.pid: p for p in procs}


# --- argv ----------------------------------------------------------------------------


def test_argv() -> None:
    assert PS_KEYWORDS == "pid,ppid,jid,jail,user,state,%cpu,%mem,vsz,rss,etime,lstart,command"
    assert ps_argv() == ["ps", "--libxo", "json", "-ax", "-ww", "-o", PS_KEYWORDS]
    assert ps_argv("web") == ["ps", "--libxo", "json", "-ax", "-ww", "-o", PS_KEYWORDS,
                              "-J", "web"]


# --- parse_ps ------------------------------------------------------------------------


def test_reference_sample() -> None:
    syslogd, worker = parse_ps(sample("ps_web.json"))
    assert syslogd == Process(
        pid=4512, ppid=1, jid=1, jail="web", user="root", state="SsJ", cpu_percent=0.0,
        mem_percent=0.1, vsz_kib=14152, rss_kib=2800, etime="02:13:45",
        elapsed_seconds=2 * 3600 + 13 * 60 + 45, started="Mon Jun  2 08:00:01 2025",
        command="/usr/sbin/syslogd -ss")
    assert worker.etime == "2-03:04:05"          # stripped of ps's own %3d padding
    assert worker.elapsed_seconds == ((2 * 24 + 3) * 60 + 4) * 60 + 5
    assert worker.command == "nginx: worker process (nginx)"
    assert worker.jailed


def test_host_jail_and_hostile_processes() -> None:
    procs = by_pid(parse_ps(sample("ps_host_and_jails.json")))
    assert len(procs) == 8
    init = procs[1]
    assert (init.jid, init.jail, init.jailed, init.ppid) == (0, None, False, 0)
    assert procs[12].command == "[kworker/0:1]"
    click = procs[4700]
    assert click.command == "[@click=app.quit]x \x1b[2J\x1b]0;title\x07"   # raw, both ESCs
    assert click.user == "1001" and click.state == "R+J" and click.cpu_percent == 99.9
    zombie = procs[4701]
    assert (zombie.cpu_percent, zombie.mem_percent, zombie.etime, zombie.elapsed_seconds,
            zombie.started, zombie.user) == (0.0, 0.0, "-", None, "-", "-")
    assert procs[4800].command == "sh -c echo \u00e9t\u00e9 \u65e5\u672c"
    assert procs[4800].jail == "vnetjail" and procs[4800].elapsed_seconds == 86400


def test_real_cirrina_sample_other_keywords() -> None:
    (p,) = parse_ps(sample("ps_cirrina.json"))
    assert (p.pid, p.state, p.command) == (83821, "I", "\u2026")
    assert (p.ppid, p.jid, p.jail, p.user, p.rss_kib, p.etime) == (0, 0, None, "", 0, "")


def test_older_ps_without_jail_keyword() -> None:
    (p,) = parse_ps(sample("ps_no_jail_keyword.json"))
    assert p.jail is None and p.jid == 1 and p.jailed


def test_empty_process_list() -> None:
    assert parse_ps(sample("ps_empty_list.json")) == ()
    assert parse_ps(b'{"process-information": {}}') == ()


def test_values_stripped_but_names_and_commands_raw() -> None:
    doc = {"process-information": {"process": [{
        "pid": " 42 ", "ppid": "1 ", "jail-id": " 3", "jail-name": "web", "user": " www ",
        "state": "IJ ", "percent-cpu": " 1.5", "percent-memory": "0,5", "virtual-size": " 10",
        "rss": "9 ", "elapsed-time": "  05:06 ", "start-time": " Mon Jun  2 10:11:12 2025 ",
        "command": "  spaced  ", "terminal-name": "27 "}]}}
    (p,) = parse_ps(json.dumps(doc).encode())
    assert (p.pid, p.ppid, p.jid, p.user, p.state) == (42, 1, 3, "www", "IJ")
    assert (p.cpu_percent, p.mem_percent, p.vsz_kib, p.rss_kib) == (1.5, 0.5, 10, 9)
    assert (p.etime, p.elapsed_seconds) == ("05:06", 306)
    assert p.started == "Mon Jun  2 10:11:12 2025"
    assert p.command == "  spaced  "


def test_json_numbers_tolerated() -> None:
    doc = b'{"process-information": {"process": [{"pid":7,"jail-id":0,"percent-cpu":2.5}]}}'
    (p,) = parse_ps(doc)
    assert (p.pid, p.jid, p.cpu_percent) == (7, 0, 2.5)


def test_args_keyword_fallback() -> None:
    doc = b'{"process-information": {"process": [{"pid":"7","arguments":"sh -c x"}]}}'
    assert parse_ps(doc)[0].command == "sh -c x"


# --- broken output -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "detail"), [
    ("empty.txt", "empty output"),
    ("ps_truncated.json", "truncated JSON"),
    ("garbage.bin", "malformed JSON"),
    ("jls_text_verbose.txt", "malformed JSON"),
    ("ps_wrong_shape.json", "unexpected JSON shape"),
    ("jls_wrong_shape_list.json", "unexpected JSON shape"),
    ("ps_nothing_matched.json", "unexpected JSON shape"),   # only ok via parse_ps_result
    ("ps_bad_pid.json", "process #0"),
])
def test_broken_output(name: str, detail: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_ps(sample(name))
    assert str(info.value).startswith("ps --libxo json: ")
    assert detail in str(info.value)


@pytest.mark.parametrize("row", [
    {"ppid": "1"},                       # no pid
    {"pid": "-"},
    {"pid": "-5"},
    {"pid": "\u0663"},                   # a non-ASCII digit int() would accept
    {"pid": "1_0"},
    {"pid": "9" * 5000},
    {"pid": "1", "percent-cpu": "1e400"},
    {"pid": "1", "rss": "12K"},
    {"pid": "1", "command": ["x"]},
    {"pid": "1", "user": {"a": 1}},
    {"pid": True},
])
def test_bad_rows(row: dict[str, object]) -> None:
    doc = {"process-information": {"process": [row]}}
    with pytest.raises(ParseError):
        parse_ps(json.dumps(doc).encode())


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan", "inf", float("nan"), float("inf")])
def test_one_odd_percentage_does_not_fail_the_poll(value: object) -> None:
    """Issue 14 item 10: one NaN %cpu took the whole poll down."""
    doc = {"process-information": {"process": [
        {"pid": "1", "percent-cpu": value}, {"pid": "2", "percent-cpu": "3.5"}]}}
    procs = parse_ps(json.dumps(doc).encode())  # floats: NaN/Infinity tokens, as json.loads takes
    assert [(p.pid, p.cpu_percent) for p in procs] == [(1, 0.0), (2, 3.5)]


# --- parse_ps_result: "nothing matched" ----------------------------------------------


def result(rc: int, out: bytes, err: bytes = b"") -> CommandResult:
    return CommandResult(tuple(ps_argv("web")), rc, out, err)


@pytest.mark.parametrize("out", [sample("ps_nothing_matched.json"),
                                 sample("ps_empty_list.json"), b"{}", b"", b"\n"])
def test_nothing_matched_is_empty(out: bytes) -> None:
    assert parse_ps_result(result(1, out)) == ()


def test_result_ok_and_errors() -> None:
    assert len(parse_ps_result(result(0, sample("ps_web.json")))) == 2
    with pytest.raises(ParseError):
        parse_ps_result(result(0, b"{ }\n"))  # exit 0 but no container: ps -ax sees itself
    with pytest.raises(JailNotFound) as info:
        parse_ps_result(result(1, b"", b"ps: Invalid jail id: web\n"))
    assert info.value.message == "ps: Invalid jail id: web"
    with pytest.raises(ToolError):
        parse_ps_result(result(2, b""))
    with pytest.raises(ParseError):
        parse_ps_result(result(1, b"{ garbage"))


# --- etime ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("00:00", 0),
    ("05:06", 306),
    ("59:59", 3599),
    ("01:02:03", 3723),
    ("23:59:59", 86399),
    ("  2-03:04:05", ((2 * 24 + 3) * 60 + 4) * 60 + 5),
    ("2-03:04:05", ((2 * 24 + 3) * 60 + 4) * 60 + 5),
    ("1234-00:00:00", 1234 * 86400),
    ("-", None),
    ("", None),
    ("abc", None),
    ("1:2:3:4", None),
    ("12", None),
    ("\u0661:\u0662", None),
])
def test_parse_etime(text: str, seconds: int | None) -> None:
    assert parse_etime(text) == seconds


# --- STAT ----------------------------------------------------------------------------


def test_describe_stat() -> None:
    assert describe_stat("SsJ") == ["sleeping", "session leader", "in a jail"]
    assert describe_stat("IJ") == ["idle", "in a jail"]
    assert describe_stat("R+") == ["runnable", "foreground process group"]
    # W and L mean different things first and as flags (docs/freebsd.md 2.3)
    assert describe_stat("WL") == ["idle interrupt thread", "system process or locked pages"]
    assert describe_stat("LW") == ["waiting for a lock", "swapped out"]
    assert describe_stat("Ss<NXEVCJ")[2:] == [
        "raised priority", "lowered priority", "traced or debugged", "exiting",
        "suspended in vfork", "capability mode", "in a jail"]
    assert describe_stat("Z") == ["zombie"]
    assert describe_stat("") == []
    assert describe_stat("Qq") == ["unknown state Q", "unknown flag q"]


# --- fuzz ----------------------------------------------------------------------------

ps_keys = st.sampled_from(["pid", "ppid", "jail-id", "jail-name", "user", "state",
                           "percent-cpu", "percent-memory", "virtual-size", "rss",
                           "elapsed-time", "start-time", "command", "arguments", "x"])
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
json_values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=3)
                           | st.dictionaries(st.text(max_size=5), kids, max_size=3),
                           max_leaves=10)
documents = st.fixed_dictionaries({"process-information": st.fixed_dictionaries(
    {"process": st.lists(st.dictionaries(ps_keys, json_values, max_size=10), max_size=3)})})


@settings(max_examples=300, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_bytes_only_parse_error(data: bytes) -> None:
    try:
        parse_ps(data)
    except ParseError:
        pass


@settings(max_examples=300, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents | json_values)
def test_fuzz_documents_only_parse_error(doc: object) -> None:
    try:
        parse_ps(json.dumps(doc).encode())
    except ParseError:
        pass


@settings(max_examples=200, database=None)
@given(st.text(max_size=20))
def test_fuzz_etime_and_stat_never_raise(text: str) -> None:
    seconds = parse_etime(text)
    assert seconds is None or seconds >= 0
    assert isinstance(describe_stat(text), list)


# --- the fast path decodes exactly as the checked helpers (issue 18) -------------------


def _reference_rows(data: bytes) -> tuple[Process, ...]:
    """The parse before issue 18: every field through the checked helpers, one
    dict at a time. The fast path must give equal processes, or the same error."""
    from jailtui.core.freebsd import ps as psmod
    from jailtui.core.freebsd.errors import load_json

    doc = load_json(data, psmod._CMD)
    out = []
    for i, row in enumerate(psmod._process_rows(doc, nothing_ok=False)):
        pid = psmod._int(row, "pid", i)
        if pid is None:
            raise ParseError(psmod._CMD, f"process #{i}: no \"pid\"")
        etime = psmod._text(row, "elapsed-time", i).strip()
        out.append(Process(
            pid=pid, ppid=psmod._int(row, "ppid", i) or 0,
            jid=psmod._int(row, "jail-id", i) or 0, jail=psmod._jail_name(row, i),
            user=psmod._text(row, "user", i).strip(),
            state=psmod._text(row, "state", i).strip(),
            cpu_percent=psmod._float(row, "percent-cpu", i),
            mem_percent=psmod._float(row, "percent-memory", i),
            vsz_kib=psmod._int(row, "virtual-size", i) or 0,
            rss_kib=psmod._int(row, "rss", i) or 0, etime=etime,
            elapsed_seconds=parse_etime(etime),
            started=psmod._text(row, "start-time", i).strip(),
            command=psmod._text(row, "command", i) if "command" in row
            else psmod._text(row, "arguments", i)))
    return tuple(out)


def _same_as_reference(data: bytes) -> None:
    try:
        want: tuple[Process, ...] | str = _reference_rows(data)
    except ParseError as exc:
        want = str(exc)
    try:
        got: tuple[Process, ...] | str = parse_ps(data)
    except ParseError as exc:
        got = str(exc)
    assert got == want


@pytest.mark.parametrize("name", [p.name for p in sorted(SAMPLES.glob("ps_*.json"))])
def test_samples_decode_as_the_reference(name: str) -> None:
    _same_as_reference(sample(name))


_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(allow_nan=True),
    st.sampled_from(["", "-", " 12", "12 ", "0", "007", "1.5", "1,5", "٣", "1_0", "nan",
                     " 2-03:04:05", "05:06", "SsJ", "\x1b[31mred", "a\x00b", "9" * 30]),
    st.text(max_size=12))
_KEYS = ["pid", "ppid", "jail-id", "jail-name", "user", "state", "percent-cpu",
         "percent-memory", "virtual-size", "rss", "elapsed-time", "start-time", "command",
         "arguments"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.sampled_from(_KEYS), _VALUE, max_size=14), max_size=4))
def test_fuzz_rows_decode_as_the_reference(rows: list[dict[str, object]]) -> None:
    # Repeated values across rows exercise the per-parse memo; odd ones the fallbacks.
    rows = [{"pid": str(i + 1), **r} if i % 2 else r for i, r in enumerate(rows)] + rows
    doc = {"process-information": {"process": rows}}
    _same_as_reference(json.dumps(doc).encode())


def test_repeated_strings_are_one_object() -> None:
    row = {"pid": "1", "user": "www", "state": "SJ", "command": "nginx: worker",
           "jail-name": "web", "start-time": "Mon Jun  2 08:00:01 2025"}
    rows = [dict(row, pid=str(n)) for n in range(1, 4)]
    a, b, c = parse_ps(json.dumps({"process-information": {"process": rows}}).encode())
    for field in ("user", "state", "command", "jail"):
        assert getattr(a, field) is getattr(b, field) is getattr(c, field)


@pytest.mark.parametrize("doc", [
    {"process-information": {"pid": "5"}},                       # a container that looks like a row
    {"pid": "1", "process-information": {"process": [{"pid": "2"}]}},
    {"pid": "1"},                                                 # a top level that looks like a row
    {"process-information": {"process": [{"pid": "1", "user": {"pid": "3"}}]}},
    {"process-information": {"process": [{"pid": "1", "user": [{"pid": "3"}]}]}},
    {"process-information": {"process": [{"pid": "1", "extra": {"pid": "x"}}, {"pid": "-"}]}},
    {"process-information": {"process": "x", "pid": "1"}},
    {"process-information": {"process": [{"pid": "1"}, {"process": [], "pid": "2"}]}},
    {"process-information": {"process": [{"pid": "7", "command": "a\tb\x1bc"}, {}]}},
])
def test_odd_shapes_decode_as_the_reference(doc: dict[str, object]) -> None:
    # The row hook turns rows into Processes while the JSON is read; the
    # containers and anything odd must come out exactly as before.
    _same_as_reference(json.dumps(doc).encode())


def test_raw_control_characters_inside_strings() -> None:
    # libxo escapes only \\ and " (and newline/CR): raw controls reach the JSON.
    data = (b'{"process-information": {"process": [{"pid": "9", "user": "r\x1boot",'
            b' "command": "sh\t-c \x07x", "jail-name": "w\x00eb"}]}}')
    _same_as_reference(data)
    (p,) = parse_ps(data)
    assert p.command == "sh\t-c \x07x" and p.user == "r\x1boot" and p.jail == "w\x00eb"


def _etime_by_regex(text: str) -> int | None:
    from jailtui.core.freebsd.ps import _ETIME

    m = _ETIME.fullmatch(text.strip())
    if m is None:
        return None
    days, hours = int(m["d"] or 0), int(m["h"] or 0)
    return ((days * 24 + hours) * 60 + int(m["m"])) * 60 + int(m["s"])


@settings(max_examples=500, deadline=None)
@given(st.one_of(
    st.text(alphabet="0123456789-: ٣\t", max_size=16),
    st.from_regex(r"\A ?([0-9]{1,3}-)?([0-9]{1,2}:)?[0-9]{1,2}:[0-9]{2}\Z"),
    st.sampled_from(["-", "1--2:03", "-1:02", "1-:02", "01:02:03:04", "0-00:00", "1234567890:00"])))
def test_etime_fast_path_is_the_regex(text: str) -> None:
    assert parse_etime(text) == _etime_by_regex(text)
