"""jls libxo JSON parsers against samples built from docs/freebsd.md section 1."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jailtui.core.errors import ParseError
from jailtui.core.freebsd.jls import (
    JLS_POLL_ARGV,
    JlsResult,
    jls_params_argv,
    parse_jls_default,
    parse_jls_params,
    parse_jls_verbose,
)
from jailtui.core.model import Jail, JailState

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def by_name(result: JlsResult) -> dict[str, Jail]:
    return {j.name: j for j in result.jails}


# --- argv ----------------------------------------------------------------------------


def test_poll_argv_is_verbose_with_dying() -> None:
    assert JLS_POLL_ARGV == ("jls", "--libxo", "json", "-v", "-d")


def test_params_argv() -> None:
    assert jls_params_argv(["name", "host.hostname"]) == [
        "jls", "--libxo", "json", "-n", "name", "host.hostname"]
    assert jls_params_argv(["all"], jail="web") == [
        "jls", "--libxo", "json", "-n", "-j", "web", "all"]
    # a jail name that looks like an option is -j's argument: passed as is
    assert jls_params_argv(["jid"], jail="-v")[4:6] == ["-j", "-v"]


@pytest.mark.parametrize("bad", ["-v", "", "--libxo"])
def test_params_argv_refuses_option_like_params(bad: str) -> None:
    with pytest.raises(ValueError):
        jls_params_argv(["name", bad])


# --- -v mode -------------------------------------------------------------------------


def test_v2_reference_sample() -> None:
    res = parse_jls_verbose(sample("jls_v2_two_jails.json"))
    assert res.version == "2"
    assert res.jails == (
        Jail(name="web", jid=1, state=JailState.RUNNING, hostname="web.example.org",
             path="/usr/local/jails/web", ip4=("10.0.0.11", "10.0.0.12"),
             ip6=("fd00:10::11",), cpusetid=3),
        Jail(name="vnetjail", jid=2, state=JailState.RUNNING, hostname="vnetjail",
             path="/usr/local/jails/vnetjail", ip4=(), ip6=(), cpusetid=4),
    )


def test_v3_same_jails_as_v2() -> None:
    v2 = parse_jls_verbose(sample("jls_v2_two_jails.json"))
    v3 = parse_jls_verbose(sample("jls_v3_two_jails.json"))
    assert v3.version == "3"
    assert v3.jails == v2.jails


def test_real_kleene_paste_unnamed_jail() -> None:
    (j,) = parse_jls_verbose(sample("jls_v2_kleene.json")).jails
    assert (j.name, j.jid, j.hostname, j.cpusetid) == ("83", 83, "", 4)
    assert j.ip4 == ("172.17.0.1", "172.17.0.2")
    assert j.path == "/zroot/kleene_basejail"


def test_missing_name_falls_back_to_jid() -> None:
    (j,) = parse_jls_verbose(sample("jls_v2_noname.json")).jails
    assert j.name == "12" and j.jid == 12


def test_empty_jail_list() -> None:
    assert parse_jls_verbose(sample("jls_v2_empty.json")) == JlsResult("2", ())


def test_container_without_list_is_no_jails() -> None:
    assert parse_jls_verbose(b'{"__version": "2", "jail-information": {}}\n').jails == ()


def test_dying_and_several_addresses() -> None:
    jails = by_name(parse_jls_verbose(sample("jls_v2_dying.json")))
    assert jails["db"].state is JailState.DYING
    assert not jails["db"].running
    assert jails["db2"].state is JailState.RUNNING
    assert jails["db2"].ip6 == ("fd00:10::22", "fe80::1")


def test_missing_version_accepts_both_spellings() -> None:
    res = parse_jls_verbose(sample("jls_noversion_mixed.json"))
    assert res.version == ""
    jails = by_name(res)
    assert jails["web"].ip4 == ("10.0.0.11",)
    assert jails["db"].ip4 == ("10.0.0.12",) and jails["db"].ip6 == ("fd00::12",)


def test_unknown_version_and_unknown_keys_tolerated() -> None:
    doc = {"__version": "9", "jail-information": {"jail": [
        {"jid": 4, "name": "x", "state": "ACTIVE", "ipv4-addrs": ["192.0.2.1"],
         "new-key": {"nested": True}}]}, "extra": 1}
    (j,) = parse_jls_verbose(json.dumps(doc).encode()).jails
    assert j.ip4 == ("192.0.2.1",) and j.hostname == "" and j.cpusetid is None


def test_version_3_prefers_its_own_spelling() -> None:
    doc = {"__version": "3", "jail-information": {"jail": [
        {"jid": 1, "name": "x", "ipv4_addrs": ["192.0.2.9"], "ipv4-addrs": ["192.0.2.1"]}]}}
    (j,) = parse_jls_verbose(json.dumps(doc).encode()).jails
    assert j.ip4 == ("192.0.2.1",)


def test_hostile_strings_kept_raw_and_untruncated() -> None:
    jails = parse_jls_verbose(sample("jls_v2_hostile.json")).jails
    evil, raw, long = jails
    assert evil.hostname == "evil\x1b[2Jhost"           # JSON-escaped ESC decoded
    assert evil.name == "ev\udcffil"                      # invalid UTF-8 byte kept
    assert evil.name.encode("utf-8", "surrogateescape") == b"ev\xffil"
    assert raw.hostname == "raw\x1b]0;pwned\x07\there"  # raw controls (libxo does not escape)
    assert raw.name == "[@click=app.quit]x"
    assert long.hostname == "a-very-long-hostname-that-text-mode-would-cut.example.org"
    assert len(long.hostname) > 29 and len(long.path) > 74
    assert long.name == "caf\u00e9\u202e"


def test_jid_as_digit_string_tolerated() -> None:
    doc = b'{"jail-information": {"jail": [{"jid":"7","name":"x"}]}}'
    assert parse_jls_verbose(doc).jails[0].jid == 7


# --- default mode --------------------------------------------------------------------


def test_default_mode() -> None:
    res = parse_jls_default(sample("jls_default_two_jails.json"))
    web, vnet = res.jails
    assert (web.jid, web.name, web.ip4, web.hostname) == (1, "1", ("10.0.0.11",),
                                                          "web.example.org")
    assert vnet.ip4 == () and vnet.path == "/usr/local/jails/vnetjail"


def test_default_mode_with_N() -> None:
    doc = b'{"__version": "2", "jail-information": {"jail": [{"name":"web","ipv4":"","hostname":"h","path":"/p"}]}\n}\n'
    (j,) = parse_jls_default(doc).jails
    assert (j.name, j.jid) == ("web", None)


# --- parameter mode ------------------------------------------------------------------


def test_params_n() -> None:
    web, vnet = parse_jls_params(sample("jls_params_n.json"))
    assert web["jid"] == "1" and web["securelevel"] == "-1"   # numbers stay strings
    assert web["persist"] is True and web["allow.mount"] is False
    assert web["ip4.addr"] == ("10.0.0.11", "10.0.0.12") and web["ip6.addr"] == ()
    assert "host.domainname" not in web
    assert vnet["host.domainname"] == ""


def test_params_expected_fills_missing() -> None:
    web, _ = parse_jls_params(sample("jls_params_n.json"),
                              expected=["host.domainname", "ip4.addr", "ip6.addr", "all"])
    assert web["host.domainname"] == ""
    assert web["ip4.addr"] == ("10.0.0.11", "10.0.0.12")
    assert "all" not in web
    (row,) = parse_jls_params(b'{"jail-information": {"jail": [{"jid":"1"}]}}',
                              expected=["ip6.addr"])
    assert row["ip6.addr"] == ()


def test_params_without_n_booleans_are_strings() -> None:
    (row,) = parse_jls_params(sample("jls_params_plain.json"))
    assert row["persist"] == "true" and row["dying"] == "false"
    assert row["ip4.addr"] == ("10.0.0.11",)


def test_params_comma_joined_address_string_tolerated() -> None:
    (row,) = parse_jls_params(b'{"jail-information": {"jail": [{"ip4.addr":"10.0.0.1,10.0.0.2"}]}}')
    assert row["ip4.addr"] == ("10.0.0.1", "10.0.0.2")


# --- broken output -------------------------------------------------------------------

PARSERS: list[Callable[[bytes], object]] = [parse_jls_verbose, parse_jls_default, parse_jls_params]


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(("name", "detail"), [
    ("empty.txt", "empty output"),
    ("jls_v2_truncated.json", "truncated JSON"),
    ("jls_text_verbose.txt", "malformed JSON"),
    ("garbage.bin", "malformed JSON"),
    ("jls_wrong_shape_list.json", "unexpected JSON shape"),
    ("jls_wrong_shape_jail_object.json", "unexpected JSON shape"),
    ("jls_wrong_shape_no_container.json", "unexpected JSON shape"),
])
def test_broken_output_raises_parse_error_naming_command(
        parser: Callable[[bytes], object], name: str, detail: str) -> None:
    with pytest.raises(ParseError) as info:
        parser(sample(name))
    assert str(info.value).startswith("jls --libxo json")
    assert detail in str(info.value)


def test_truncated_message_format() -> None:
    with pytest.raises(ParseError) as info:
        parse_jls_verbose(sample("jls_v2_truncated.json"))
    assert str(info.value).startswith("jls --libxo json -v: truncated JSON (")
    assert info.value.command == "jls --libxo json -v"


@pytest.mark.parametrize("doc", [
    b"   \n",
    b'{"jail-information": {"jail": [1]}}',
    b'{"jail-information": {"jail": [{"name":"x"}]}}',              # no jid
    b'{"jail-information": {"jail": [{"jid":-1}]}}',
    b'{"jail-information": {"jail": [{"jid":true}]}}',
    b'{"jail-information": {"jail": [{"jid":1,"hostname":5}]}}',
    b'{"jail-information": {"jail": [{"jid":1,"ipv4_addrs":[1]}]}}',
    b'{"jail-information": {"jail": [{"jid":1,"ipv4_addrs":{"a":1}}]}}',
    b'{"jail-information": "none"}',
    b'{"jail-information": {"jail": [{"jid":1}]}} trailing',
    b"[" * 100_000,
    b'{"jail-information": {"jail": [{"jid":' + b"9" * 5000 + b"}]}}",
])
def test_bad_documents(doc: bytes) -> None:
    with pytest.raises(ParseError):
        parse_jls_verbose(doc)


def test_bad_jid_sample() -> None:
    with pytest.raises(ParseError, match="jail #0"):
        parse_jls_verbose(sample("jls_bad_jid.json"))


# --- fuzz ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                              max_size=4),
    max_leaves=20,
)
jail_keys = st.sampled_from(["jid", "name", "hostname", "path", "state", "cpusetid",
                             "ipv4_addrs", "ipv6_addrs", "ipv4-addrs", "ipv6-addrs", "ipv4",
                             "ip4.addr", "persist", "x"])
jail_objects = st.dictionaries(jail_keys, json_values, max_size=8)
documents = st.fixed_dictionaries(
    {"jail-information": st.fixed_dictionaries({"jail": st.lists(jail_objects, max_size=3)})},
    optional={"__version": json_values},
)


@settings(max_examples=300, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_bytes_only_parse_error(data: bytes) -> None:
    for parser in PARSERS:
        try:
            parser(data)
        except ParseError:
            pass


@settings(max_examples=300, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents | json_values)
def test_fuzz_json_documents_only_parse_error(doc: object) -> None:
    data = json.dumps(doc).encode()
    for parser in PARSERS:
        try:
            parser(data)
        except ParseError:
            pass
