"""The effective view: merge order, booleans, lists, variables, includes.

Semantics follow config.c load_config/add_param (docs/freebsd.md 4.2)
and the FreeBSD test suite's configs (section 10.1).
"""

from __future__ import annotations

import errno
import fnmatch
import json
from pathlib import Path

import pytest

from jailtui.core.freebsd.jailconf import (
    Config,
    JailConfError,
    format_jail_e,
    load,
    load_string,
    quoted_print,
    to_effective_json,
    wild_jail_match,
    wild_jail_name,
)

SAMPLE = Path(__file__).resolve().parent / "samples" / "commands.jail.conf"


class FakeFS:
    """Host files in a dict: read() and glob() as load() wants them."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        self.reads: list[str] = []

    def read(self, path: str) -> str:
        self.reads.append(path)
        if path not in self.files:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return self.files[path]

    def glob(self, pattern: str) -> list[str]:
        return sorted(p for p in self.files if fnmatch.fnmatchcase(p, pattern)
                      and p.count("/") == pattern.count("/"))


def conf(text: str, files: dict[str, str] | None = None) -> Config:
    fs = FakeFS({"/etc/jail.conf": text, **(files or {})})
    return load("/etc/jail.conf", read=fs.read, glob=fs.glob)


def eff(text: str, name: str) -> dict[str, object]:
    return dict(load_string(text, read=FakeFS({}).read, glob=FakeFS({}).glob).effective(name))


def error_of(text: str, name: str) -> str:
    c = load_string(text, read=FakeFS({}).read)
    with pytest.raises(JailConfError) as ei:
        c.effective(name)
    return str(ei.value)


# ------------------------------------------------------------ FreeBSD samples

def test_commands_sample_with_appended_global_path() -> None:
    # jail_basic_test.sh "commands": the file + an appended global path line;
    # the global written after the block still applies to basejail.
    text = SAMPLE.read_text() + 'path = "/tmp/testdir";\n'
    c = load_string(text, "/tmp/testdir/jail.conf")
    assert c.jail_names() == ["basejail"]
    assert c.effective("basejail") == {
        "name": "basejail",
        "exec.prestop": "echo STOP",
        "exec.prestart": "echo START",
        "exec.poststart": "env",
        "persist": True,
        "path": "/tmp/testdir",
    }


def test_commands_sample_alone_has_no_path() -> None:
    c = load_string(SAMPLE.read_text(), str(SAMPLE))
    assert "path" not in c.effective("basejail")


REFERENCE_42 = """\
# globals
exec.start = "/bin/sh /etc/rc";
exec.stop  = "/bin/sh /etc/rc.shutdown jail";
exec.clean;
mount.devfs;
path = "/usr/local/jails/$name";
host.hostname = "${name}.example.org";

web {
    ip4.addr = "em0|10.0.0.11/24", 10.0.0.12;
    ip6.addr = "em0|fd00:10::11/64";
    allow.nomount;
}
vnetjail {
    vnet;
    vnet.interface = "epair0b";
    exec.prestart += "ifconfig epair0a up";
    depend = web;
}
.include "/etc/jail.conf.d/*.conf";
"""


def test_reference_example_42() -> None:
    c = conf(REFERENCE_42)          # the include glob matches nothing: fine
    assert c.jail_names() == ["web", "vnetjail"]
    common = {
        "exec.start": "/bin/sh /etc/rc",
        "exec.stop": "/bin/sh /etc/rc.shutdown jail",
        "exec.clean": True,
        "mount.devfs": True,
    }
    assert c.effective("web") == {
        "name": "web", **common,
        "path": "/usr/local/jails/web",
        "host.hostname": "web.example.org",
        "ip4.addr": ("em0|10.0.0.11/24", "10.0.0.12"),
        "ip6.addr": "em0|fd00:10::11/64",
        "allow.mount": False,
    }
    assert c.effective("vnetjail") == {
        "name": "vnetjail", **common,
        "path": "/usr/local/jails/vnetjail",
        "host.hostname": "vnetjail.example.org",
        "vnet": True,
        "vnet.interface": "epair0b",
        "exec.prestart": ("ifconfig epair0a up",),
        "depend": "web",
    }


def test_reference_example_42_with_included_jail() -> None:
    c = conf(REFERENCE_42, {"/etc/jail.conf.d/db.conf": "db { ip4.addr = 10.0.0.13; }\n"})
    assert c.jail_names() == ["web", "vnetjail", "db"]
    db = c.effective("db")
    assert db["path"] == "/usr/local/jails/db" and db["ip4.addr"] == "10.0.0.13"
    assert [f.filename for f in c.files] == ["/etc/jail.conf", "/etc/jail.conf.d/db.conf"]
    b = c.block_of("db")
    assert b is not None and b.file == "/etc/jail.conf.d/db.conf"


NNNN = "4711"


@pytest.mark.parametrize("text, name, expected", [
    (f"{NNNN} {{ name = basejail; persist; }}", NNNN,
     {"jid": NNNN, "name": "basejail", "persist": True}),
    (f'{NNNN} {{ host.hostname = "${{name}}"; persist; }}', NNNN,
     {"jid": NNNN, "host.hostname": NNNN, "persist": True, "name": NNNN}),
    (f"basejail {{ jid = {NNNN}; persist; }}", "basejail",
     {"name": "basejail", "jid": NNNN, "persist": True}),
    ("basejail {path = /; exec.prestop = 'echo STOP'; persist; }", "basejail",
     {"name": "basejail", "path": "/", "exec.prestop": "echo STOP", "persist": True}),
    (f"{NNNN} {{path = /; exec.prestop = 'echo STOP'; persist; }}", NNNN,
     {"jid": NNNN, "path": "/", "exec.prestop": "echo STOP", "persist": True, "name": NNNN}),
    (f"{NNNN} {{name = basejail; path = /; exec.prestop = 'echo STOP'; persist; }}", NNNN,
     {"jid": NNNN, "name": "basejail", "path": "/", "exec.prestop": "echo STOP",
      "persist": True}),
    ("basejail {path = /; exec.poststop = 'echo JID=$JID'; persist; }", "basejail",
     {"name": "basejail", "path": "/", "exec.poststop": "echo JID=$JID", "persist": True}),
])
def test_reference_101_snippets(text: str, name: str, expected: dict[str, object]) -> None:
    assert eff(text, name) == expected


def test_zero_is_a_name_not_a_jid() -> None:
    # config.c: strtol(name) && !*ep -- jid 0 is not a jid.
    assert eff("0 { }", "0") == {"name": "0"}
    assert eff("007 { }", "007") == {"jid": "007", "name": "007"}


# ------------------------------------------------------------ merge order

def test_global_after_block_overrides_block() -> None:
    # jail.conf(5): "a wildcard section placed after (below) all jails would
    # contain parameters that always apply to every jail".
    text = "web { path = /a; }\npath = /b;\n"
    assert eff(text, "web")["path"] == "/b"


def test_global_before_block_is_overridden() -> None:
    assert eff("path = /b;\nweb { path = /a; }\n", "web")["path"] == "/a"


def test_globals_are_one_pseudo_jail_at_the_first_global_from_14() -> None:
    """jailparse.y (14.0+): ``global_jail`` is created once, by the first
    top-level parameter; later ones join it, so a block between them keeps
    its own value and only blocks before the first global see them after."""
    text = "path = /g1;\nweb { path = /a; }\ndb { }\npath = /g2;\nlast { path = /c; }\n"
    for freebsd in (None, 14, 15):
        c = load_string(text, freebsd=freebsd)
        assert [c.effective(n)["path"] for n in c.jail_names()] == ["/a", "/g2", "/c"]


def test_globals_after_a_block_start_a_new_pseudo_jail_up_to_13() -> None:
    """jailparse.y 0e5ec9dc (13.x): ``conf param ';'`` makes a new ``*``
    jail unless the last one is one, so ``path = /g2`` overrides web's."""
    text = "path = /g1;\nweb { path = /a; }\ndb { }\npath = /g2;\nlast { path = /c; }\n"
    c = load_string(text, freebsd=13)
    assert [c.effective(n)["path"] for n in c.jail_names()] == ["/g2", "/g2", "/c"]


def test_globals_of_included_files_join_the_one_global_jail() -> None:
    """14.0+: the global pseudo-jail is static across ``.include``d files,
    so a global in a file included after web's block does not override it."""
    files = {"/etc/jail.conf": 'exec.clean;\n.include "/etc/jail.conf.d/*.conf";\n',
             "/etc/jail.conf.d/a.conf": "web { path = /a; }\n",
             "/etc/jail.conf.d/b.conf": "path = /late;\ndb { }\n"}
    c = load("/etc/jail.conf", read=files.__getitem__,
             glob=lambda pat: sorted(p for p in files if p.startswith("/etc/jail.conf.d/")))
    assert c.effective("web")["path"] == "/a"
    assert c.effective("db")["path"] == "/late"


def test_wildcard_blocks_in_file_order() -> None:
    text = '* { a = 1; b = 1; }\nweb { a = 2; b = 2; }\n"*" { b = 3; }\n'
    e = eff(text, "web")
    assert (e["a"], e["b"]) == ("2", "3")


def test_parameter_keeps_its_first_position() -> None:
    text = "a = 1;\nb = 1;\nweb { a = 2; c = 1; }\n"
    assert list(eff(text, "web")) == ["name", "a", "b", "c"]


def test_append_and_replace() -> None:
    text = "ip4.addr = 10.0.0.1;\nweb { ip4.addr += 10.0.0.2, 10.0.0.3; }\ndb { ip4.addr = 10.0.0.9; }"
    c = load_string(text)
    assert c.effective("web")["ip4.addr"] == ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    assert c.effective("db")["ip4.addr"] == "10.0.0.9"
    assert eff("web { ip4.addr = a, b; }", "web")["ip4.addr"] == ("a", "b")
    assert eff("web { ip4.addr += a; }", "web")["ip4.addr"] == ("a",)
    assert eff("web { ip4.addr = a, b; ip4.addr = c; }", "web")["ip4.addr"] == "c"


def test_name_value_form_replaces() -> None:
    assert eff('web { path "/x"; path "/y"; }', "web")["path"] == "/y"


def test_booleans_and_no_prefix() -> None:
    e = eff("persist; allow.mount;\nweb { nopersist; allow.nomount; mount.devfs; }", "web")
    assert (e["persist"], e["allow.mount"], e["mount.devfs"]) == (False, False, True)
    assert "nopersist" not in e and "allow.nomount" not in e
    e = eff("nopersist;\nweb { persist; }", "web")
    assert e["persist"] is True
    # A value keeps its literal form; a bare name after it clears the value.
    assert eff("web { persist = false; }", "web")["persist"] == "false"
    assert eff("web { persist = 1; persist; }", "web")["persist"] is True


def test_wildcard_matching() -> None:
    assert wild_jail_name("*") and wild_jail_name("foo.*") and wild_jail_name("*.bar")
    assert not wild_jail_name("foo*") and not wild_jail_name("web")
    assert wild_jail_match("web", "*") and wild_jail_match("a.b.c", "*")
    assert wild_jail_match("foo.bar", "foo.*") and wild_jail_match("foo.bar.baz", "foo.*")
    assert not wild_jail_match("foo", "foo.*") and not wild_jail_match("food.x", "foo.*")
    assert wild_jail_match("x.bar", "*.bar") and not wild_jail_match("x.y.bar", "*.bar")


def test_partial_wildcard_and_nested_blocks() -> None:
    text = ('"foo.*" { persist; }\nfoo { path = /foo; bar { path = /foo/bar; baz { } } }\n'
            "web { }\n")
    c = load_string(text)
    assert c.jail_names() == ["foo", "foo.bar", "foo.bar.baz", "web"]
    assert c.wildcard_names() == ["foo.*"]
    assert "persist" not in c.effective("foo")
    assert c.effective("foo.bar") == {"name": "foo.bar", "persist": True, "path": "/foo/bar"}
    # A parent's parameters are not inherited by the nested jail.
    assert c.effective("foo.bar.baz") == {"name": "foo.bar.baz", "persist": True}
    assert "persist" not in c.effective("web")
    blk = c.block_of("foo.bar")
    assert blk is not None and blk.text == "bar { path = /foo/bar; baz { } }"


def test_duplicate_block_uses_the_first() -> None:
    c = load_string("web { a = 1; }\nweb { a = 2; }\n")
    assert c.jail_names() == ["web"]
    assert c.effective("web")["a"] == "1"
    assert format_jail_e(c, " ") == "name=web a=1\nname=web a=2\n"


def test_unknown_jail_is_keyerror() -> None:
    with pytest.raises(KeyError):
        load_string("web {}").effective("db")
    assert load_string("web {}").block_of("db") is None


# ------------------------------------------------------------ variables

def test_variables_expand_per_jail() -> None:
    text = ('$base = "/usr/local/jails";\npath = "$base/$name";\n'
            'host.hostname = "${name}.example.org";\nexec.consolelog = "/var/log/${host.hostname}";\n'
            "web { }\ndb { host.hostname = db.lan; }\n")
    c = load_string(text)
    assert c.effective("web") == {
        "name": "web", "path": "/usr/local/jails/web", "host.hostname": "web.example.org",
        "exec.consolelog": "/var/log/web.example.org"}
    assert c.effective("db")["exec.consolelog"] == "/var/log/db.lan"
    assert "base" not in c.effective("web")


def test_variable_defined_after_use_and_chains() -> None:
    text = 'web { path = "$root/x"; $root = "$top/jails"; $top = /usr; }'
    assert eff(text, "web")["path"] == "/usr/jails/x"


def test_array_substituted_whole() -> None:
    text = "$addrs = 10.0.0.1, 10.0.0.2;\nweb { ip4.addr = $addrs; }"
    assert eff(text, "web")["ip4.addr"] == ("10.0.0.1", "10.0.0.2")


def test_variable_errors() -> None:
    assert error_of('web { path = "/j/$foo"; }', "web") == 'web: path: variable "foo" not found'
    assert error_of("web { x = $persist; persist; }", "web") == 'web: x: variable "persist" not found'
    assert error_of("web { a = $b; b = $a; }", "web") == "web: a: variable loop"
    assert error_of('web { path = "$path/x"; }', "web") == "web: path: variable loop"
    assert (error_of('$l = a, b;\nweb { x = "pre$l"; }', "web")
            == "web: x: array cannot be substituted inline")
    assert (error_of("$l = a, b;\nweb { x = $l$l; }", "web")
            == "web: x: array cannot be substituted inline")
    assert error_of("web { name = other; }", "web") == 'web: cannot redefine parameter "name".'
    assert error_of("4 { jid = 5; }", "4") == 'web: cannot redefine parameter "jid".'.replace("web", "4")
    assert (error_of("web { $path = /x; }", "web")
            == 'web: variable "$path" cannot have the same name as a parameter.')
    assert (error_of("web { foo = 1; $foo = 2; }", "web")
            == 'web: variable "$foo" cannot have the same name as a parameter.')


def test_variable_error_details() -> None:
    c = load_string('web { path = "/j/$foo"; }', "/etc/x.conf")
    with pytest.raises(JailConfError) as ei:
        c.effective("web")
    e = ei.value
    assert (e.jail, e.file, e.line, e.message) == ("web", "/etc/x.conf", None,
                                                   'path: variable "foo" not found')


def test_errors_collected_like_jail_warnx() -> None:
    c = load_string('web { path = "/j/$foo/x"; persist; }\ndb { }\n')
    errors: list[str] = []
    e = c.effective("web", errors=errors)
    assert errors == ['web: path: variable "foo" not found']
    assert e["path"] == "/j//x"          # jail(8) drops the bad variable
    all_errors: list[str] = []
    assert set(c.effective_all(errors=all_errors)) == {"web", "db"}
    assert len(all_errors) == 1


def test_single_quotes_do_not_expand() -> None:
    assert eff("web { x = '$name'; y = \"$name\"; }", "web") == {
        "name": "web", "x": "$name", "y": "web"}


# ------------------------------------------------------------ includes

def test_include_relative_to_including_file_and_in_place() -> None:
    c = conf("a = 1;\n.include \"jail.conf.d/*.conf\";\nb = 2;\n",
             {"/etc/jail.conf.d/web.conf": '.include "../extra/common";\nweb { }\n',
              "/etc/jail.conf.d/../extra/common": "c = 3;\n"})
    assert c.jail_names() == ["web"]
    assert list(c.effective("web")) == ["name", "a", "c", "b"]
    assert [f.filename for f in c.files] == [
        "/etc/jail.conf", "/etc/jail.conf.d/web.conf", "/etc/jail.conf.d/../extra/common"]


def test_include_inside_block_belongs_to_block() -> None:
    c = conf('web { .include "web.params"; }\n', {"/etc/web.params": "persist; inner { }\n"})
    assert c.jail_names() == ["web", "web.inner"]
    assert c.effective("web")["persist"] is True
    assert "persist" not in c.effective("web.inner")


def test_include_glob_without_match_is_fine() -> None:
    assert conf('.include "/nowhere/*.conf";\nweb { }').jail_names() == ["web"]


def test_include_of_missing_literal_file() -> None:
    with pytest.raises(JailConfError) as ei:
        conf('.include "/etc/missing.conf";\n')
    assert str(ei.value) == "/etc/missing.conf: No such file or directory"


def test_missing_main_file() -> None:
    fs = FakeFS({})
    with pytest.raises(JailConfError) as ei:
        load("/etc/jail.conf", read=fs.read, glob=fs.glob)
    assert str(ei.value) == "/etc/jail.conf: No such file or directory"


def test_error_in_included_file_names_it() -> None:
    with pytest.raises(JailConfError) as ei:
        conf('.include "bad.conf";\n', {"/etc/bad.conf": "x {\n}\n}\n"})
    assert str(ei.value) == "/etc/bad.conf line 3: }: syntax error"


def test_include_processed_before_later_errors() -> None:
    # special_param() runs when ';' is reduced, before the next token.
    with pytest.raises(JailConfError) as ei:
        conf('.include "bad.conf";\n}\n', {"/etc/bad.conf": "'open\n"})
    assert str(ei.value) == "/etc/bad.conf line 1: unterminated string"


def test_include_depth() -> None:
    files = {f"/etc/l{i}": f'.include "l{i + 1}";\n' for i in range(40)}
    files["/etc/jail.conf"] = '.include "l1";\n'
    fs = FakeFS(files)
    with pytest.raises(JailConfError) as ei:
        load("/etc/jail.conf", read=fs.read, glob=fs.glob)
    assert str(ei.value) == "maximum include depth exceeded"
    # 32 nested levels are fine.
    files["/etc/l32"] = "web { }\n"
    assert load("/etc/jail.conf", read=fs.read, glob=fs.glob).jail_names() == ["web"]


def test_self_include_stops_at_depth() -> None:
    fs = FakeFS({"/etc/jail.conf": '.include "jail.conf"; .include "jail.conf";\n'})
    with pytest.raises(JailConfError, match="maximum include depth exceeded"):
        load("/etc/jail.conf", read=fs.read, glob=fs.glob)


# ------------------------------------------------------------ outputs

def test_block_of_lines_and_text() -> None:
    text = "# head\n\nweb {\n    persist;\n}\n"
    b = load_string(text).block_of("web")
    assert b is not None
    assert (b.file, b.start_line, b.end_line) == ("/etc/jail.conf", 3, 5)
    assert b.text == "web {\n    persist;\n}"


def test_jail_e_reference_example() -> None:
    text = 'web { path = /j/web; host.hostname = web; exec.start = "/bin/sh /etc/rc"; persist; }'
    assert format_jail_e(load_string(text), "|") == (
        'name=web|path=/j/web|host.hostname=web|exec.start="/bin/sh /etc/rc"|persist\n')


def test_jail_e_numeric_lists_and_no_wildcards() -> None:
    text = ('* { exec.clean; }\n5 { ip4.addr = 10.0.0.1, 10.0.0.2; nopersist; }\n'
            "web { x = \"it's\"; y = 'say \"hi\"'; z = \"\"; w = 'a\\\\b'; }\n")
    out = format_jail_e(load_string(text), "\t").splitlines()
    assert out == [
        "exec.clean\tip4.addr=10.0.0.1,10.0.0.2\tnopersist\tname=5",
        "name=web\texec.clean\tx=\"it's\"\ty='say \"hi\"'\tz=\"\"\tw=a\\\\b",
    ]


@pytest.mark.parametrize("value, printed", [
    ("", '""'),
    ("plain", "plain"),
    ("two words", '"two words"'),
    ("tab\there", '"tab\there"'),
    ("it's", '"it\'s"'),
    ('say "x"', "'say \"x\"'"),
    ("both ' and \"", '"both \' and \\""'),
    ("back\\slash", "back\\\\slash"),
])
def test_quoted_print(value: str, printed: str) -> None:
    assert quoted_print(value) == printed


def test_effective_json() -> None:
    c = load_string(REFERENCE_42.replace('.include "/etc/jail.conf.d/*.conf";\n', "")
                    + '"*" { x; }\n')
    out = to_effective_json(c)
    assert list(out["jails"]) == ["web", "vnetjail"]
    web = out["jails"]["web"]
    assert web["ip4.addr"] == ["em0|10.0.0.11/24", "10.0.0.12"]
    assert web["allow.mount"] is False and web["x"] is True
    json.dumps(out)
    assert list(to_effective_json(c, ["vnetjail"])["jails"]) == ["vnetjail"]
    with pytest.raises(KeyError):
        to_effective_json(c, ["nope"])
