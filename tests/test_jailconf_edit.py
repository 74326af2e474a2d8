"""Editing: an edit changes only what it edits and keeps the comments."""

from __future__ import annotations

import pytest

from jailtui.core.freebsd.jailconf import (
    JailConfError,
    load_string,
    parse,
    quote_value,
    render_statement,
)

BASE = """\
# Jails of this host.  Keep this comment.
exec.start = "/bin/sh /etc/rc";   // global
path = "/usr/local/jails/$name";

/* the web server */
web {
    host.hostname = web.example.org;  # public name
    ip4.addr = 10.0.0.11;
    persist;
}

db {
\tip4.addr = 10.0.0.12;
}
"""


def effective(text: str, jail: str) -> dict[str, object]:
    return dict(load_string(text).effective(jail))


def test_update_in_place_keeps_everything_else() -> None:
    cf = parse(BASE)
    cf.set_param("web", "ip4.addr", "10.0.0.99")
    assert cf.render() == BASE.replace("ip4.addr = 10.0.0.11;", "ip4.addr = 10.0.0.99;")


def test_update_keeps_trailing_comment() -> None:
    cf = parse(BASE)
    cf.set_param("web", "host.hostname", "www.example.org")
    assert "    host.hostname = www.example.org;  # public name\n" in cf.render()
    assert cf.render().count("\n") == BASE.count("\n")


def test_add_new_statement_with_block_indentation() -> None:
    cf = parse(BASE)
    cf.set_param("web", "allow.raw_sockets", True)
    cf.set_param("db", "persist", True)
    out = cf.render()
    assert "    persist;\n    allow.raw_sockets;\n}\n" in out
    assert "db {\n\tip4.addr = 10.0.0.12;\n\tpersist;\n}\n" in out
    assert out.replace("    allow.raw_sockets;\n", "").replace("\tpersist;\n", "") == BASE


def test_add_to_empty_and_one_line_blocks() -> None:
    cf = parse("basejail {}\nweb { persist; }\nmulti {\n}\n")
    cf.set_param("basejail", "path", "/jails/base")
    cf.set_param("web", "path", "/jails/web")
    cf.set_param("multi", "path", "/jails/multi")
    assert cf.render() == ("basejail { path = /jails/base; }\n"
                           "web { persist; path = /jails/web; }\n"
                           "multi {\n    path = /jails/multi;\n}\n")


def test_add_in_nested_block_uses_its_indentation() -> None:
    cf = parse("parent {\n    child {\n        a;\n    }\n}\n")
    cf.set_param("parent.child", "b", "1")
    assert cf.render() == "parent {\n    child {\n        a;\n        b = 1;\n    }\n}\n"


def test_delete_removes_the_line_only() -> None:
    cf = parse(BASE)
    cf.set_param("web", "persist", None)
    assert cf.render() == BASE.replace("    persist;\n", "")
    cf = parse("web { a; b; c; }")
    cf.set_param("web", "b", None)
    assert cf.render() == "web { a; c; }"


def test_delete_keeps_a_trailing_comment() -> None:
    cf = parse(BASE)
    cf.set_param("web", "host.hostname", None)
    assert "    # public name\n" in cf.render()


def test_delete_missing_is_a_no_op() -> None:
    cf = parse(BASE)
    cf.set_param("web", "nothing.here", None)
    assert cf.render() == BASE


def test_boolean_edits_follow_equalopts() -> None:
    cf = parse(BASE)
    cf.set_param("web", "persist", False)
    assert "    nopersist;\n" in cf.render() and "    persist;\n" not in cf.render()
    cf.set_param("web", "persist", True)
    assert cf.render() == BASE
    cf.set_param("db", "allow.mount", False)
    assert effective(cf.render(), "db")["allow.mount"] is False
    assert "\tallow.nomount;\n" in cf.render()


def test_repeated_statements_collapse_to_one() -> None:
    cf = parse("web {\n    ip4.addr = a;\n    ip4.addr += b;\n    persist;\n}\n")
    cf.set_param("web", "ip4.addr", ("c", "d"))
    assert cf.render() == "web {\n    ip4.addr = c, d;\n    persist;\n}\n"
    assert effective(cf.render(), "web")["ip4.addr"] == ("c", "d")


def test_values_are_written_literally() -> None:
    cf = parse("web {\n}\n")
    tricky = 'say "hi" $name \\ ok;{}#//\n\ttab'
    cf.set_param("web", "exec.start", tricky)
    assert effective(cf.render(), "web")["exec.start"] == tricky
    cf.set_param("web", "ip4.addr", ("10.0.0.1/24", "em0|10.0.0.2"))
    assert effective(cf.render(), "web")["ip4.addr"] == ("10.0.0.1/24", "em0|10.0.0.2")
    cf.set_param("web", "securelevel", 3)
    assert effective(cf.render(), "web")["securelevel"] == "3"
    cf.set_param("web", "empty", "")
    assert effective(cf.render(), "web")["empty"] == ""


@pytest.mark.parametrize("value, written", [
    ("web", "web"),
    ("/usr/local/jails/web", "/usr/local/jails/web"),
    ("10.0.0.1/24", "10.0.0.1/24"),
    ("", '""'),
    ("a b", '"a b"'),
    ("$name", '"\\$name"'),
    ('x"y', '"x\\"y"'),
    ("back\\slash", '"back\\\\slash"'),
    ("/usr//x", '"/usr//x"'),
    ("/a/*", '"/a/*"'),
    ("line\nbreak", '"line\\nbreak"'),
    ("bell\x07", '"bell\\a"'),
    ("esc\x1b", '"esc\\x1b"'),
])
def test_quote_value(value: str, written: str) -> None:
    assert quote_value(value) == written


def test_unwritable_values() -> None:
    with pytest.raises(ValueError):
        quote_value("nul\0")
    with pytest.raises(ValueError):
        render_statement("ip4.addr", ())


def test_unknown_jail() -> None:
    with pytest.raises(KeyError):
        parse(BASE).set_param("nope", "a", "b")


def test_block_text_and_replace_block() -> None:
    cf = parse(BASE)
    old = cf.block_text("db")
    assert old == "db {\n\tip4.addr = 10.0.0.12;\n}"
    new = "db {\n\tip4.addr = 10.0.0.12;\n\t// now persistent\n\tpersist;\n}"
    cf.replace_block("db", new)
    assert cf.render() == BASE.replace(old, new)
    assert effective(cf.render(), "db")["persist"] is True


@pytest.mark.parametrize("bad, message", [
    ("db {\n\tpersist;\n", "/etc/jail.conf: unexpected EOF"),
    ("db { persist; } other { }", "/etc/jail.conf: replacement text must be exactly one jail block"),
    ("persist;", "/etc/jail.conf: replacement text must be exactly one jail block"),
    ("db { persist; }}", "/etc/jail.conf line 12: }: syntax error"),
])
def test_replace_block_rejects_invalid_and_keeps_file(bad: str, message: str) -> None:
    text = BASE + "/* trailing\n */\n"
    cf = parse(text)
    with pytest.raises(JailConfError) as ei:
        cf.replace_block("db", bad)
    assert str(ei.value) == message
    assert cf.render() == text


def test_replace_nested_block_cannot_escape_its_parent() -> None:
    text = "parent {\n    child { a; }\n}\n"
    cf = parse(text)
    with pytest.raises(JailConfError):
        cf.replace_block("parent.child", "child { x; } } evil { y;")
    assert cf.render() == text


def test_includes_are_never_edited() -> None:
    cf = parse('web {\n    .include "/etc/web.inc";\n}\n')
    cf.set_param("web", ".include", None)
    assert ".include" in cf.render()


def test_edit_then_reload_round_trip() -> None:
    cf = parse(BASE)
    cf.set_param("web", "ip4.addr", ("10.0.0.11", "10.0.0.21"))
    again = parse(cf.render())
    assert again.render() == cf.render()
    assert effective(cf.render(), "web")["ip4.addr"] == ("10.0.0.11", "10.0.0.21")
    assert effective(cf.render(), "db") == effective(BASE, "db")
