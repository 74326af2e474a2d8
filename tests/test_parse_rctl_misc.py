"""rctl -u / -l, service -e, who and sysctl parsers (docs/freebsd.md 5.3, 7, 9.2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jailtui.core.errors import ParseError
from jailtui.core.freebsd.misc import (
    Login,
    parse_service_enabled,
    parse_sysctl,
    parse_who,
    service_name,
)
from jailtui.core.freebsd.rctl import (
    RctlRule,
    parse_rctl_rules,
    parse_rctl_usage,
    rctl_rules_argv,
    rctl_usage_argv,
)

SAMPLES = Path(__file__).parent / "samples"

KERNEL_ORDER = ["cputime", "datasize", "stacksize", "coredumpsize", "memoryuse",
                "memorylocked", "maxproc", "openfiles", "vmemoryuse", "pseudoterminals",
                "swapuse", "nthr", "msgqqueued", "msgqsize", "nmsgq", "nsem", "nsemop", "nshm",
                "shmsize", "wallclock", "pcpu", "readbps", "writebps", "readiops", "writeiops"]


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


# --- rctl ----------------------------------------------------------------------------


def test_rctl_argv() -> None:
    assert rctl_usage_argv("web") == ["rctl", "-u", "jail:web"]
    assert rctl_rules_argv("web") == ["rctl", "jail:web"]
    assert rctl_rules_argv() == ["rctl"]


def test_usage_reference_sample_in_kernel_order() -> None:
    usage = parse_rctl_usage(sample("rctl_usage.txt"))
    assert list(usage) == KERNEL_ORDER
    assert usage["memoryuse"] == 52789248 and usage["maxproc"] == 9
    assert usage["wallclock"] == 7931 and usage["pcpu"] == 0


def test_usage_humanized() -> None:
    usage = parse_rctl_usage(sample("rctl_usage_h.txt"))
    assert list(usage) == KERNEL_ORDER
    assert usage["memoryuse"] == 50 * 1024 * 1024
    assert usage["datasize"] == round(4.6 * 1024 * 1024)
    assert usage["vmemoryuse"] == round(1.1 * 1024 ** 3)
    assert usage["maxproc"] == 9


def test_usage_kernel_comma_form() -> None:
    assert parse_rctl_usage(b"cputime=1,maxproc=2\n") == {"cputime": 1, "maxproc": 2}


@pytest.mark.parametrize("data", [b"", b"\n\n", b"cputime\n", b"cputime=abc\n", b"=5\n",
                                  b"CPU TIME=5\n", b"cputime=1e9\n", b"cputime=" + b"9" * 30])
def test_usage_bad(data: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_rctl_usage(data)
    assert str(info.value).startswith("rctl -u: ")


def test_rules() -> None:
    rules = parse_rctl_rules(sample("rctl_rules.txt"))
    assert rules[0] == RctlRule("jail", "web", "memoryuse", "deny", 536870912, None)
    assert rules[0].text == "jail:web:memoryuse:deny=536870912"
    assert rules[3] == RctlRule("jail", "web", "readbps", "throttle", 1048576, None)
    assert rules[4] == RctlRule("jail", "web", "vmemoryuse", "sigterm", 1073741824, "process")
    assert rules[4].text == "jail:web:vmemoryuse:sigterm=1073741824/process"
    assert rules[5] == RctlRule("user", "1001", "openfiles", "log", 1000, None)
    assert len(rules) == 6


def test_rules_humanized_and_colon_in_name() -> None:
    rules = parse_rctl_rules(sample("rctl_rules_h.txt"))
    assert rules[0].amount == 512 * 1024 * 1024
    assert rules[1].amount == 1024 ** 3 and rules[1].per == "process"
    (rule,) = parse_rctl_rules(b"jail:a:b:maxproc:deny=10\n")
    assert rule.subject_id == "a:b"


def test_no_rules_is_empty() -> None:
    assert parse_rctl_rules(b"") == []
    assert parse_rctl_rules(b"\n") == []


@pytest.mark.parametrize("data", [b"jail:web:memoryuse\n", b"jail:web:memoryuse:deny\n",
                                  b"jail:web:memoryuse:deny=\n", b"jail:web:memoryuse:deny=x\n",
                                  b"garbage\n", b"jail:web:memoryuse:deny=1/\xff\n",
                                  b":web:memoryuse:deny=1\n"])
def test_rules_bad(data: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_rctl_rules(data)
    assert str(info.value).startswith("rctl -l: ")


# --- service -e ----------------------------------------------------------------------


def test_service_enabled() -> None:
    paths = parse_service_enabled(sample("service_enabled.txt"))
    assert paths[3] == "/etc/rc.d/sshd" and paths[-1] == "/usr/local/etc/rc.d/nginx"
    assert [service_name(p) for p in paths] == ["hostid", "cleanvar", "syslogd", "sshd",
                                                "cron", "nginx"]


def test_service_enabled_skips_noise() -> None:
    data = b"/etc/rc.d/sshd\nsome script chatter\n\n  /etc/rc.d/cron  \n/\n"
    assert parse_service_enabled(data) == ["/etc/rc.d/sshd", "/etc/rc.d/cron"]
    assert parse_service_enabled(b"") == []


# --- who -----------------------------------------------------------------------------


def test_who() -> None:
    assert parse_who(sample("who.txt")) == [
        Login("root", "pts/0", "Jun  2 10:11", "192.0.2.7"),
        Login("www", "pts/1", "Jun  2 10:12", ""),
        Login("alice", "ttyv0", "May 31 08:00", "2001:db8::7"),
    ]


def test_who_header_and_day_first_and_idle_columns() -> None:
    assert parse_who(sample("who_H.txt")) == [Login("root", "pts/0", "Jun  2 10:11",
                                                    "192.0.2.7")]
    (login,) = parse_who(b"bob              pts/2         2 Jun 10:11 (h)\n")
    assert login.time == "2 Jun 10:11"
    (login,) = parse_who(b"bob              pts/2        Jun  2 10:11   .      4242 (h.example)\n")
    assert (login.user, login.host) == ("bob", "h.example")
    assert parse_who(b"") == []


def test_who_hostile_host_kept_raw() -> None:
    (login,) = parse_who(b"root pts/0 Jun  2 10:11 (\x1b[2J(evil))\n")
    assert login.host == "\x1b[2J(evil)"


@pytest.mark.parametrize("data", [b"root\n", b"root pts/0\n", b"root pts/0 yesterday\n"])
def test_who_bad(data: bytes) -> None:
    with pytest.raises(ParseError, match="^who: "):
        parse_who(data)


# --- sysctl --------------------------------------------------------------------------


def test_sysctl() -> None:
    assert parse_sysctl(sample("sysctl.txt")) == {
        "security.jail.jailed": "0",
        "security.jail.enforce_statfs": "2",
        "kern.hostname": "host.example.org",
        "kern.racct.enable": "1",
        "kern.domainname": "",
    }


def test_sysctl_multiline_and_colons() -> None:
    data = b"kern.msg: a: b\ncontinued\n\nkern.empty:\nkern.x: 1\n"
    assert parse_sysctl(data) == {"kern.msg": "a: b\ncontinued", "kern.empty": "", "kern.x": "1"}
    assert parse_sysctl(b"") == {}


def test_sysctl_bad() -> None:
    with pytest.raises(ParseError, match="^sysctl: "):
        parse_sysctl(b"no colon here\n")


# --- fuzz ----------------------------------------------------------------------------

PARSERS: list[Callable[[bytes], object]] = [parse_rctl_usage, parse_rctl_rules, parse_service_enabled, parse_who, parse_sysctl]


@settings(max_examples=300, database=None)
@given(st.binary(max_size=300))
def test_fuzz_bytes_only_parse_error(data: bytes) -> None:
    for parser in PARSERS:
        try:
            parser(data)
        except ParseError:
            pass


line_parts = st.sampled_from(["jail", "web", ":", "=", "/", "deny", "memoryuse", "12", "1.5G",
                              " ", "\n", ",", "(", ")", "pts/0", "Jun", "10:11", "-", "\x1b"])


@settings(max_examples=300, database=None)
@given(st.lists(line_parts, max_size=30).map("".join))
def test_fuzz_token_soup_only_parse_error(text: str) -> None:
    for parser in PARSERS:
        try:
            parser(text.encode())
        except ParseError:
            pass
