"""jail.conf lexer and parser: jaillex.l / jailparse.y rule by rule.

Every error message is checked verbatim against jail(8)'s wording
(docs/freebsd.md 3.4), without the "jail: " prefix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jailtui.core.errors import JailtuiError
from jailtui.core.freebsd.jailconf import (
    STR,
    STR1,
    VAR,
    VAR1,
    Block,
    ConfString,
    Empty,
    JailConfError,
    Param,
    Piece,
    parse,
    tokenize,
)

SAMPLE = Path(__file__).resolve().parent / "samples" / "commands.jail.conf"


def only_param(text: str) -> Param:
    items = [i for i in parse(text).items if not isinstance(i, Empty)]
    assert len(items) == 1 and isinstance(items[0], Param)
    return items[0]


def value_of(text: str) -> list[str]:
    """The decoded values of ``x = <text>;`` (variables as ${name})."""
    return [str(v) for v in only_param(f"x = {text};").values]


def err(text: str, filename: str = "/etc/jail.conf") -> str:
    with pytest.raises(JailConfError) as ei:
        parse(text, filename)
    return str(ei.value)


# ---------------------------------------------------------------- comments

@pytest.mark.parametrize("text", [
    "# shell comment\npersist;\n",
    "// C++ comment\npersist;\n",
    "/* C comment\n * spanning lines\n */ persist;\n",
    "persist; # trailing\n",
    "persist /* inside */ ;",
    "/**/persist;/***/",
    "/* a ** b */persist;",
])
def test_comments_are_whitespace(text: str) -> None:
    p = only_param(text)
    assert p.name == "persist" and p.op is None


def test_comment_splits_adjacent_pieces() -> None:
    # A comment resets "instr": foo/**/bar is two strings, i.e. "name value".
    p = only_param("foo/**/bar;")
    assert (p.name, p.op, [str(v) for v in p.values]) == ("foo", "", ["bar"])


def test_double_slash_in_unquoted_value_is_a_comment() -> None:
    # jaillex.l: "//" starts a comment even in the middle of a word.
    assert err("path = /usr//x;\n") == "/etc/jail.conf: unexpected EOF"
    assert value_of('"/usr//x"') == ["/usr//x"]


def test_hash_in_word_starts_comment() -> None:
    p = only_param("a = b#c\n;")
    assert [str(v) for v in p.values] == ["b"]


# ---------------------------------------------------------------- strings

def test_unquoted_word_characters() -> None:
    word = "AZaz09_!%&()-.:<>?@[]^`|~"
    assert value_of(word) == [word]


@pytest.mark.parametrize("single", ["$", "*", "+", "/", "\\\\"])
def test_single_characters_join(single: str) -> None:
    decoded = single.replace("\\\\", "\\")
    assert value_of(f"a{single}-b") == [f"a{decoded}-b"]


def test_plus_not_followed_by_equals_is_literal() -> None:
    assert value_of("1+1") == ["1+1"]


def test_adjacent_pieces_join() -> None:
    assert value_of('"foo"bar') == ["foobar"]
    assert value_of("foo\"bar\"'baz'") == ["foobarbaz"]
    assert value_of("10.0.0.1/24") == ["10.0.0.1/24"]
    assert value_of("/usr/local/jails/$name") == ["/usr/local/jails/${name}"]


def test_blank_separates_strings() -> None:
    # "a = b c;" is two strings where the grammar wants one: syntax error.
    assert err("a = b c;") == "/etc/jail.conf line 1: c: syntax error"


@pytest.mark.parametrize("raw, decoded", [
    (r'"\a\b\f\n\r\t\v"', "\a\b\f\n\r\t\v"),
    (r'"\101\102"', "AB"),
    (r'"\7"', "\x07"),
    (r'"\1012"', "A2"),            # at most three octal digits
    (r'"\x41\x4a"', "AJ"),
    (r'"\x4g"', "\x04g"),          # one hex digit is enough
    (r'"\q\"\\"', 'q"\\'),         # any other \c is c
    ('"a\\\nb"', "ab"),            # backslash-newline: continuation
    (r"'\n'", "\n"),               # escapes work in single quotes too
    (r"a\ b", "a b"),              # and unquoted
    ("a\\\nb", "ab"),
    (r'"\777"', "\xff"),           # a C char: the value is taken mod 256
])
def test_escapes(raw: str, decoded: str) -> None:
    assert value_of(raw) == [decoded]


def test_nul_escape_ends_the_piece() -> None:
    # A C string ends at NUL: jailparse.y takes strlen() of each piece.
    assert value_of(r'"ab\0cd"') == ["ab"]
    assert value_of(r'"ab\x"x') == ["abx"]


def test_multiline_quoted_string() -> None:
    assert value_of('"line one\nline two"') == ["line one\nline two"]


# ---------------------------------------------------------------- variables

def test_variables_in_double_quotes_and_unquoted() -> None:
    p = only_param('x = "/jails/$name/root";')
    assert p.values[0].pieces == (Piece("/jails/"), Piece("name", True), Piece("/root"))
    assert value_of("${host.hostname}x") == ["${host.hostname}x"]
    assert value_of('"${host.hostname}"') == ["${host.hostname}"]
    assert value_of("$a$b") == ["${a}${b}"]


def test_no_variables_in_single_quotes() -> None:
    p = only_param("exec.poststop = 'echo JID=$JID';")
    assert p.values[0] == ConfString((Piece("echo JID=$JID"),))


def test_escaped_dollar_is_literal() -> None:
    assert value_of(r'"\$name"') == ["$name"]
    assert value_of(r'"$a\$b"') == ["${a}$b"]


def test_dollar_not_followed_by_a_name_is_literal() -> None:
    assert value_of('"a$ b"') == ["a$ b"]
    assert value_of('"cost: 5$"') == ["cost: 5$"]
    assert value_of('"$1"') == ["$1"]


def test_variable_tokens() -> None:
    kinds = [t.kind for t in tokenize('x = a"b$c d"e;') if t.kind in (STR, STR1, VAR, VAR1)]
    assert kinds == [STR, STR, STR1, VAR1, STR1, STR1]


def test_variable_definition() -> None:
    p = only_param('$parentdir = "/var/jail";')
    assert (p.name, p.is_var, p.op) == ("parentdir", True, "=")
    p = only_param('${my.var} = 1;')
    assert (p.name, p.is_var) == ("my.var", True)


# ---------------------------------------------------------------- grammar

def test_parameter_forms() -> None:
    assert only_param("persist;").op is None
    assert only_param("a = 1;").op == "="
    assert only_param("a += 1;").op == "+="
    assert only_param('a "1";').op == ""
    assert value_of("1, 2,3 ,4") == ["1", "2", "3", "4"]


def test_blocks_nested_and_stray_semicolons() -> None:
    cf = parse(";\nweb { ; persist; child { x; } ; }\n;\n")
    names = [b.name for b in cf.blocks()]
    assert names == ["web", "web.child"]
    web = cf.block("web")
    assert isinstance(web, Block) and web.start_line == 2 and web.end_line == 2
    assert web.text == "web { ; persist; child { x; } ; }"


def test_quoted_block_name() -> None:
    cf = parse('"foo.*" { persist; }\n"my jail" { }')
    assert [b.name for b in cf.blocks()] == ["foo.*", "my jail"]


def test_unquoted_wildcard_suffix_is_two_tokens() -> None:
    # jaillex.l: "foo." is a word and "*" a separate (joined) piece, but a
    # block name must be a single STR: jail(8) rejects it; quote it.
    assert err("foo.* { persist; }") == "/etc/jail.conf line 1: *: syntax error"
    assert [b.name for b in parse("* { persist; }").blocks()] == ["*"]


def test_block_followed_by_semicolon_allowed() -> None:
    assert [b.name for b in parse("web { };").blocks()] == ["web"]


def test_include_is_name_value_form() -> None:
    p = only_param('.include "/etc/jail.conf.d/*.conf";')
    assert p.is_include
    assert not only_param('.include = "x";').is_include


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("text, message", [
    ("web {\n persist;\n}\n}\n", "/etc/jail.conf line 4: }: syntax error"),
    ("web {\n persist;\n", "/etc/jail.conf: unexpected EOF"),
    ("persist", "/etc/jail.conf: unexpected EOF"),
    ("path =", "/etc/jail.conf: unexpected EOF"),
    ("a = 1,;", "/etc/jail.conf line 1: ;: syntax error"),
    ("a = ;", "/etc/jail.conf line 1: ;: syntax error"),
    ("$x { }", "/etc/jail.conf line 1: {: syntax error"),
    ('"a"b { }', "/etc/jail.conf line 1: b: syntax error"),
    ("a = 1 = 2;", "/etc/jail.conf line 1: =: syntax error"),
    ("\n\n a \x01;", "/etc/jail.conf line 3: \x01: syntax error"),
    ("web { persist; } }", "/etc/jail.conf line 1: }: syntax error"),
    ('x = "never\nclosed;\n', "/etc/jail.conf line 1: unterminated string"),
    ("\nx = 'never closed;", "/etc/jail.conf line 2: unterminated string"),
    ("/* open\n\n", "/etc/jail.conf line 3: unterminated comment"),
    ("x = ${open;\n", "/etc/jail.conf line 1: unterminated variable"),
    ('x = "a ${open";\n', "/etc/jail.conf line 1: unterminated variable"),
    ("x = ${a\nb};", "/etc/jail.conf line 1: unterminated variable"),
    ('\n.include "$dir/x.conf";', "/etc/jail.conf line 2: variables not permitted in '.include' filename"),
])
def test_error_messages(text: str, message: str) -> None:
    assert err(text) == message


def test_error_attributes_and_filename() -> None:
    with pytest.raises(JailConfError) as ei:
        parse("a {\n}\n}", "/tmp/j.conf")
    e = ei.value
    assert isinstance(e, JailtuiError)
    assert (e.file, e.line, e.message) == ("/tmp/j.conf", 3, "}: syntax error")
    with pytest.raises(JailConfError) as ei:
        parse("a {", "/tmp/j.conf")
    assert (ei.value.file, ei.value.line, ei.value.message) == ("/tmp/j.conf", None, "unexpected EOF")


def test_first_error_wins_in_source_order() -> None:
    # A lexer error is reported when the parser reaches it.
    assert err("a = 'x\n}") == "/etc/jail.conf line 1: unterminated string"
    assert err("}\na = 'x\n") == "/etc/jail.conf line 1: }: syntax error"


def test_multiline_token_error_line_is_its_last_line() -> None:
    # yylineno counts the newlines inside the token jail(8) complains about.
    assert err('a = b "two\nlines";') == '/etc/jail.conf line 2: "two\nlines": syntax error'


# ---------------------------------------------------------------- round trip

ROUND_TRIP = [
    "",
    "\n\n",
    "persist;",
    "  # only a comment",
    "web{persist;}",
    'a = "x" , \'y\' ,z ;\r\n',
    "/* c */ web /* d */ { // e\n\tip4.addr += 10.0.0.1/24 ; # f\n}\n",
    'x = "$a${b.c}d\\"e$";',
    "a = c\\\nd;",
    "nested { child { grandchild { persist; } } }",
    "e = 'ü\u00e9';",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_render_is_byte_exact(text: str) -> None:
    cf = parse(text)
    assert cf.render() == text
    assert "".join(t.text for t in cf.tokens) == text


def test_sample_commands_conf_round_trip_and_shape() -> None:
    text = SAMPLE.read_text()
    cf = parse(text, str(SAMPLE))
    assert cf.render() == text
    names = [p.name for p in cf.globals()]
    assert names == ["exec.prestop", "exec.prestart", "exec.poststart", "persist"]
    assert [b.name for b in cf.blocks()] == ["basejail"]


def test_non_ascii_outside_quotes_is_a_syntax_error() -> None:
    assert err("é;") == "/etc/jail.conf line 1: é: syntax error"
    assert err("\ufeffpersist;") == "/etc/jail.conf line 1: \ufeff: syntax error"


def test_parameter_name_is_one_token() -> None:
    # name: STR | VAR -- a continued or joined name is a syntax error.
    assert err("a\\\nb = c;") == "/etc/jail.conf line 2: \\\n: syntax error"
