"""The merge with the sources before a jail's own block merged once and copied,
and the variables found through a dict (issue 18), gives what the old merge
gave (tests/jailconf_merge_reference.py): the same effective parameters, the
same ``jail -e`` lines, the same errors (collected or raised), on both
dialects, for every jail.conf the tests, the simulator and docs/freebsd.md
hold, and on generated input; asked twice of one Config, in either order."""

from __future__ import annotations

from pathlib import Path

import jailconf_merge_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jailconf_corpus import TESTS, _doc_examples, _sim_files, _test_strings

from jailtui.core.freebsd.jailconf import Config, JailConfError, load_string

DIALECTS = (None, 13, 14)


def _config(text: str, freebsd: int | None) -> Config | None:
    try:
        return load_string(text, read=lambda p: "", glob=lambda p: [], freebsd=freebsd)
    except JailConfError:
        return None


def _raised(call: object) -> object:
    try:
        return ("ok", call())  # type: ignore[operator]
    except JailConfError as e:
        return ("error", str(e))


def _same(text: str, freebsd: int | None) -> int:
    """Compare the two merges on ``text``; the number of jails compared."""
    cfg = _config(text, freebsd)
    if cfg is None:
        return 0
    names = cfg.jail_names()
    for order in (names, names[::-1]):
        for name in order:
            new_errors: list[str] = []
            old_errors: list[str] = []
            assert cfg.effective(name, errors=new_errors) == ref.effective(
                cfg, name, errors=old_errors), (text, name)
            assert new_errors == old_errors, (text, name)
            assert _raised(lambda n=name: cfg.effective(n)) == _raised(
                lambda n=name: ref.effective(cfg, n)), (text, name)
    for sep in (" ", "\n"):
        new_errors = []
        old_errors = []
        assert cfg.jail_e_lines(sep, errors=new_errors) == ref.jail_e_lines(
            cfg, sep, errors=old_errors), text
        assert new_errors == old_errors, text
        assert _raised(lambda s=sep: cfg.jail_e_lines(s)) == _raised(
            lambda s=sep: ref.jail_e_lines(cfg, s)), text
    return len(names)


@pytest.mark.parametrize("freebsd", DIALECTS)
def test_same_on_the_tests_strings_and_the_docs(freebsd: int | None) -> None:
    compared = 0
    for text in [*_test_strings(), *_doc_examples(),
                 (TESTS / "samples" / "commands.jail.conf").read_text(encoding="utf-8")]:
        compared += _same(text, freebsd)
    assert compared > 100  # not an empty corpus


@pytest.mark.parametrize("freebsd", DIALECTS)
def test_same_on_the_simulators_files(tmp_path: Path, freebsd: int | None) -> None:
    assert sum(_same(text, freebsd) for text in _sim_files(tmp_path)) > 1000


def test_errors_in_the_shared_part_name_each_jail() -> None:
    # A global that cannot be merged (a variable named like a parameter, the
    # implied name redefined) is reported for every jail, with its name.
    text = '$path = "/j";\nname = "x";\npath = "/j/$name";\na { b; }\nc { d; }\n'
    cfg = _config(text, None)
    assert cfg is not None
    errors: list[str] = []
    cfg.effective_all(errors=errors)
    assert errors == ref_errors(cfg)
    assert any("a:" in e for e in errors) and any("c:" in e for e in errors)


def test_a_repeated_name_finds_the_first() -> None:
    # add_param's renames leave two parameters named "allow.nomount"; a
    # variable names the first, also after expansion moved it (its own
    # value holds variables).
    text = ('noallow.mount = "one";\nallow.nomount = "two";\nallow.mount = "three";\n'
            'allow.nomount = "$x";\n$x = "$y";\n$y = "v";\n'
            'path = "/j/${allow.nomount}";\nhost.hostname = "${allow.nomount}.$name";\n'
            'a { }\nb { $y = "w"; }\n')
    cfg = _config(text, None)
    assert cfg is not None
    names = [m.name for m in ref.merged(cfg, cfg._real["a"], [])]
    assert names.count("allow.nomount") == 2
    assert _same(text, None) == 2
    assert cfg.effective("b")["path"] == "/j/w"


def ref_errors(cfg: Config) -> list[str]:
    errors: list[str] = []
    for name in cfg.jail_names():
        ref.effective(cfg, name, errors=errors)
    return errors


_NAMES = st.sampled_from(["name", "jid", "path", "host.hostname", "persist", "nopersist",
                          "allow.mount", "allow.nomount", "noallow.mount", "ip4.addr",
                          "exec.start", "depend", "x", "nox", "mount.devfs", "vnet"])
_VARS = st.sampled_from(["$name", "${name}", "$path", "$x", "${y}", "$jid", "$host.hostname",
                         "$persist", "$ip4.addr", "${allow.nomount}", "${noallow.mount}"])
_PIECE = st.one_of(st.sampled_from(["a", "/j/", "10.0.0.1", ""]), _VARS)
_VALUE = st.lists(_PIECE, min_size=1, max_size=3).map(lambda ps: '"' + "".join(ps) + '"')
_STATEMENT = st.one_of(
    _NAMES.map(lambda n: f"{n};"),
    st.tuples(st.sampled_from(["", "$"]), _NAMES | st.sampled_from(["x", "y"]),
              st.sampled_from(["=", "+="]), st.lists(_VALUE, min_size=1, max_size=3)).map(
        lambda t: f"{t[0]}{t[1]} {t[2]} {', '.join(t[3])};"))
_BLOCK_NAMES = st.sampled_from(["a", "b", "a.b", "a.c", "*", "a.*", "*.b", "7", "0", "web"])
_BODY = st.lists(_STATEMENT, max_size=4).map(" ".join)
_ITEM = st.one_of(_STATEMENT, st.tuples(_BLOCK_NAMES, _BODY).map(lambda t: f"{t[0]} {{ {t[1]} }}"))
_TEXT = st.lists(_ITEM, max_size=12).map("\n".join)


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.sampled_from((13, 14)))
def test_same_on_generated_input(text: str, freebsd: int) -> None:
    _same(text, freebsd)
