"""rc.conf(5) variable files (docs/freebsd.md 8.1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jailtui.core.freebsd.rcconf import (
    checkyesno,
    enabled_services,
    jail_enable,
    jail_list,
    parse,
    parse_assignments,
    set_var,
)

RC = """\
# /etc/rc.conf
hostname="host.example.org"
ifconfig_em0="DHCP"
sshd_enable="YES"
jail_enable=YES   # inline comment
jail_list="web db"
ntpd_enable='yes'
moused_enable="NO"
export syslogd_flags="-ss"
if [ -f /etc/rc.conf.local ]; then
    not_an_assignment_enable=YES
fi
sendmail_enable="NONE"
zfs_enable="on"
"""


def test_parse_basic_forms() -> None:
    v = parse(RC)
    assert v["hostname"] == "host.example.org"
    assert v["jail_enable"] == "YES"
    assert v["jail_list"] == "web db"
    assert v["ntpd_enable"] == "yes"
    assert v["syslogd_flags"] == "-ss"


def test_non_assignments_are_skipped() -> None:
    # "if ...; then" is a command: its line is skipped; the indented
    # assignment inside is still read (we do not evaluate conditions).
    v = parse(RC)
    assert "if" not in v
    assert v["not_an_assignment_enable"] == "YES"


def test_last_assignment_wins() -> None:
    assert parse("a=1\na=2\n")["a"] == "2"


def test_quoting_and_expansion() -> None:
    v = parse('a="x y"\nb=\'$a z\'\nc="$a+${a}"\nd=one\\ two\ne="q\\"uote\\\\"\n'
              'f="multi\nline"\ng=$undefined\nh="#not comment" # comment\ni=a#b\n')
    assert v["a"] == "x y"
    assert v["b"] == "$a z"
    assert v["c"] == "x y+x y"
    assert v["d"] == "one two"
    assert v["e"] == 'q"uote\\'
    assert v["f"] == "multi\nline"
    assert v["g"] == ""
    assert v["h"] == "#not comment"
    assert v["i"] == "a#b"


def test_appending_to_jail_list() -> None:
    v = parse('jail_list="web"\njail_list="$jail_list db"\n')
    assert jail_list(v) == ["web", "db"]


def test_several_assignments_on_a_line() -> None:
    v = parse("a=1 b=2; c=3\n")
    assert (v["a"], v["b"], v["c"]) == ("1", "2", "3")


def test_tolerates_garbage() -> None:
    v = parse("\x00\x01 garbage (\n'unclosed\njail_enable=YES\n=nothing\n9x=1\n")
    assert v == {"jail_enable": "YES"}


@pytest.mark.parametrize("value, expected", [
    ("YES", True), ("yes", True), ("True", True), ("on", True), ("1", True), (" YES ", True),
    ("NO", False), ("", False), ("0", False), ("NONE", False), (None, False), ("y", False),
])
def test_checkyesno(value: str | None, expected: bool) -> None:
    assert checkyesno(value) is expected


def test_jail_helpers() -> None:
    v = parse(RC)
    assert jail_enable(v) is True
    assert jail_list(v) == ["web", "db"]
    assert jail_enable({}) is False and jail_list({}) == []
    assert jail_list({"jail_list": "  a\tb\n c "}) == ["a", "b", "c"]


def test_enabled_services_in_file_order() -> None:
    assert enabled_services(parse(RC)) == ["sshd", "jail", "ntpd", "not_an_assignment", "zfs"]
    assert enabled_services(parse("_enable=YES\nx_enable=NO\ny_enable=YES\nx_enable=YES\n")) == [
        "x", "y"]


def test_set_var_edits_in_place() -> None:
    out = set_var(RC, "jail_list", "web db mail")
    assert out == RC.replace('jail_list="web db"', 'jail_list="web db mail"')
    out = set_var(RC, "jail_enable", "NO")
    assert out == RC.replace("jail_enable=YES   #", 'jail_enable="NO"   #')


def test_set_var_edits_the_winning_assignment() -> None:
    text = 'a="1"\n# note\na="2"\n'
    assert set_var(text, "a", "3") == 'a="1"\n# note\na="3"\n'


def test_set_var_appends() -> None:
    assert set_var(RC, "jail_parallel_start", "YES") == RC + 'jail_parallel_start="YES"\n'
    assert set_var("a=1", "b", "2") == 'a=1\nb="2"\n'
    assert set_var("", "b", "2") == 'b="2"\n'


def test_set_var_quotes() -> None:
    out = set_var("", "x", 'a "b" $c `d` \\e')
    assert out == 'x="a \\"b\\" \\$c \\`d\\` \\\\e"\n'
    assert parse(out)["x"] == 'a "b" $c `d` \\e'


def test_set_var_rejects_bad_names() -> None:
    with pytest.raises(ValueError):
        set_var("", "1bad", "x")
    with pytest.raises(ValueError):
        set_var("", "ok", "nul\0")


def test_assignment_positions() -> None:
    a = parse_assignments("# c\n  foo=\"bar\" # x\n")[0]
    assert (a.name, a.value, a.line) == ("foo", "bar", 2)


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(blacklist_characters="\0",
                                      blacklist_categories=["Cs"]), max_size=30))
def test_set_var_round_trip(value: str) -> None:
    out = set_var(RC, "jail_list", value)
    assert parse(out)["jail_list"] == value
    others = parse(RC)
    del others["jail_list"]
    new = parse(out)
    del new["jail_list"]
    assert new == others
