"""Property tests: the round trip is exact, quoting reads back, edits are local."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jailtui.core.freebsd.jailconf import (
    JailConfError,
    load_string,
    parse,
    quote_value,
    tokenize,
)

WORD_CHARS = "abcXYZ019_!%&()-.:<>?@[]^`|~"
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=6)
param_names = st.lists(names, min_size=1, max_size=3).map(".".join)
blanks = st.sampled_from([" ", "", "  ", "\t", "\n", " \n\t", "\r\n"])
comments = st.sampled_from(["# c\n", "// c++\n", "/* c */", "/* multi\n * line */", "#\n"])
trivia = st.lists(st.one_of(blanks, comments), max_size=3).map("".join)
spaced = st.lists(st.sampled_from([" ", "\t", "\n", "/**/", " /* x */ "]),
                  min_size=1, max_size=2).map("".join)

# A value string and what jail(8) decodes it to (no variables here).
plain_text = st.text(alphabet=st.characters(blacklist_characters="\0",
                                            blacklist_categories=["Cs"]), max_size=12)


@st.composite
def value_piece(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["word", "dq", "sq", "esc", "var", "dqvar"]))
    if kind == "var":                       # variables are left out of .literal
        return "${" + draw(param_names) + "}", ""
    if kind == "dqvar":
        a = draw(st.text(alphabet=WORD_CHARS + " ", max_size=4))
        b = draw(st.text(alphabet=WORD_CHARS + " ", max_size=4))
        return f'"{a}${{{draw(param_names)}}}{b}"', a + b
    if kind == "word":
        w = draw(st.text(alphabet=WORD_CHARS, min_size=1, max_size=8))
        return w, w
    if kind == "dq":
        s = draw(plain_text)
        return quote_value(s) if s else '""', s
    if kind == "sq":
        s = draw(st.text(alphabet=st.characters(blacklist_characters="\0'\\",
                                                blacklist_categories=["Cs"]), max_size=8))
        return f"'{s}'", s
    c = draw(st.sampled_from([("\\n", "\n"), ("\\t", "\t"), ("\\x41", "A"), ("\\101", "A"),
                              ("\\;", ";"), ("\\ ", " "), ("\\\n", "")]))
    return c


@st.composite
def value_string(draw: st.DrawFn) -> tuple[str, str]:
    pieces = draw(st.lists(value_piece(), min_size=1, max_size=3))
    src = "".join(p[0] for p in pieces)
    if src.startswith("\\\n"):               # nothing decodes to the empty piece first
        src = "x" + src
        return src, "x" + "".join(p[1] for p in pieces)
    return src, "".join(p[1] for p in pieces)


@st.composite
def statement(draw: st.DrawFn) -> tuple[str, str, list[str] | None]:
    name = draw(param_names)
    form = draw(st.sampled_from(["bare", "eq", "pleq", "nameval"]))
    if form == "bare":
        return f"{name}{draw(trivia)};", name, None
    vals = draw(st.lists(value_string(), min_size=1, max_size=3))
    sep = draw(st.sampled_from([",", ", ", " ,", " /* , */ ,\n"]))
    src_vals = sep.join(v[0] for v in vals)
    op = {"eq": " = ", "pleq": " += ", "nameval": " "}[form]
    if form == "nameval" and not vals[0][0][0].isalnum():
        op = "  "
    return f"{name}{op}{src_vals}{draw(trivia)};", name, [v[1] for v in vals]


@st.composite
def config_text(draw: st.DrawFn, depth: int = 0) -> str:
    parts: list[str] = [draw(trivia)]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["stmt", "stmt", "block", "semi"]))
        if kind == "stmt":
            parts.append(draw(statement())[0])
        elif kind == "semi":
            parts.append(";")
        elif depth < 2:
            body = draw(config_text(depth + 1))
            bname = draw(st.one_of(names, st.just('"*"'), st.just("*"),
                                   st.integers(1, 999).map(str)))
            parts.append(f"{bname}{draw(trivia)}{{{body}}}")
        parts.append(draw(spaced))
    return "".join(parts)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(config_text())
def test_generated_configs_round_trip(text: str) -> None:
    cf = parse(text)
    assert cf.render() == text


@settings(max_examples=300)
@given(statement())
def test_generated_values_decode(stmt: tuple[str, str, list[str] | None]) -> None:
    src, name, values = stmt
    cf = parse(src)
    p = cf.globals()[0]
    assert p.name == name
    if values is None:
        assert p.op is None
    else:
        assert [v.literal for v in p.values] == [v.split("\0")[0] for v in values]


SPECIAL = list("{};,=+$\"'\\/*#\n \t") + ["${", "/*", "*/", "//", "+=", "\\\n", "a", "b.c", "é"]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(SPECIAL), max_size=40).map("".join))
def test_arbitrary_text_round_trips_or_errors(text: str) -> None:
    toks = tokenize(text)
    assert "".join(t.text for t in toks) == text
    try:
        cf = parse(text)
    except JailConfError as e:
        assert str(e)
        return
    assert cf.render() == text


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_any_unicode_text(text: str) -> None:
    try:
        cf = parse(text)
    except JailConfError:
        return
    assert cf.render() == text


@settings(max_examples=300)
@given(plain_text)
def test_quote_value_reads_back(s: str) -> None:
    cf = parse(f"x = {quote_value(s)};")
    assert [v.literal for v in cf.globals()[0].values] == [s]
    assert not cf.globals()[0].values[0].has_vars


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(config_text(), st.one_of(plain_text, st.booleans(),
                                st.lists(plain_text, min_size=1, max_size=3).map(tuple)))
def test_set_param_is_local_and_exact(body: str, value: str | bool | tuple[str, ...]) -> None:
    text = f"# head\nweb {{\n    keep = 1;\n{body}\n}}\n# tail\n"
    try:
        cf = parse(text)
    except JailConfError:
        return
    cf.set_param("web", "edited.param", value)
    out = cf.render()
    assert out.startswith("# head\nweb {\n    keep = 1;\n") and out.endswith("}\n# tail\n")
    try:
        eff = load_string(out).effective("web")
    except JailConfError:
        return          # the random body may hold a bad name/variable use
    key = "edited.param"
    if value is False:
        assert eff[key] is False
    elif isinstance(value, tuple) and len(value) == 1:
        # "x = a;" -- one value reads back as a string (jail(8) makes no
        # difference between a value and a one-element list).
        assert eff[key] == value[0]
    else:
        assert eff[key] == value
    cf.set_param("web", "edited.param", None)
    assert cf.render() == text
