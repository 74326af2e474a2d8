"""tool_error()/check(): typed errors from the tools' own stderr (docs/freebsd.md 1.6, 2.2, 3.4, 6, 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jailtui.core import errors
from jailtui.core.errors import (
    JailExists,
    JailNotFound,
    ParseError,
    PermissionDenied,
    RacctUnavailable,
    ToolError,
)
from jailtui.core.freebsd.errors import check, load_json, tool_error
from jailtui.core.transport.runner import CommandResult

SAMPLES = Path(__file__).parent / "samples"


def load_cases() -> list[tuple[str, str, int, str]]:
    cases = []
    for line in (SAMPLES / "tool_errors.tsv").read_text("utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        cls, argv, rc, stderr = line.split("\t")
        cases.append((cls, argv, int(rc), stderr.replace("\\n", "\n") + "\n"))
    return cases


CASES = load_cases()


def result(argv: str, rc: int, stderr: bytes | str, stdout: bytes = b"") -> CommandResult:
    err = stderr.encode() if isinstance(stderr, str) else stderr
    return CommandResult(tuple(argv.split()), rc, stdout, err)


@pytest.mark.parametrize(("cls", "argv", "rc", "stderr"), CASES,
                         ids=[f"{c[1]}|{c[3][:40]}" for c in CASES])
def test_reference_messages(cls: str, argv: str, rc: int, stderr: str) -> None:
    err = tool_error(result(argv, rc, stderr))
    assert type(err) is getattr(errors, cls)
    assert err.returncode == rc
    assert err.stderr == stderr                       # full stderr kept
    assert err.argv == tuple(argv.split())
    assert err.message in stderr.splitlines()         # one of its lines, verbatim
    assert str(err) == err.message


def test_message_is_first_line_verbatim() -> None:
    err = tool_error(result("jail -c web", 1, 'jail: "web" already exists\n'))
    assert err.message == 'jail: "web" already exists'
    usage = tool_error(result("jls -x", 1, "usage: jls [-dhNnqv] [-j jail] [param ...]\n"
                                           "            jls -c [-d] -j jail\n"))
    assert usage.message == "usage: jls [-dhNnqv] [-j jail] [param ...]"


def test_own_line_preferred_over_hook_output() -> None:
    err = tool_error(result("jail -c web", 1, "START\n\njail: web: /bin/x: failed\n"))
    assert err.message == "jail: web: /bin/x: failed"
    # a hook that prints "Operation not permitted" does not make it a PermissionDenied
    err = tool_error(result("jail -c web", 1,
                            "chown: /x: Operation not permitted\njail: web: /bin/x: failed\n"))
    assert type(err) is ToolError


def test_deprecation_warning_then_error() -> None:
    stderr = ("jail: the 'allow.dying' parameter and '-d' flagare deprecated and have no "
              "effect.\njail: \"web\" already exists\n")
    err = tool_error(result("jail -d -c web", 1, stderr))
    assert isinstance(err, JailExists) and err.message == 'jail: "web" already exists'


def test_not_found_needs_the_jail_form() -> None:
    # a variable or a dependency that is "not found" is not a missing jail
    assert type(tool_error(result("jail -c web", 1,
                                  'jail: web: path: variable "foo" not found\n'))) is ToolError
    assert isinstance(tool_error(result("jexec x sh", 1, 'jexec: jail "a b" not found\n')),
                      JailNotFound)


@pytest.mark.parametrize(("argv", "rc", "message"), [
    ("jail -q -r web", 1, "jail exited with status 1"),     # -q suppresses "not found"
    ("/usr/sbin/jexec web false", 1, "jexec exited with status 1"),
    ("ps -ax", 2, "ps exited with status 2"),
    ("rctl -u jail:web", -9, "rctl killed by signal 9"),
])
def test_empty_stderr(argv: str, rc: int, message: str) -> None:
    err = tool_error(result(argv, rc, b"  \n"))
    assert type(err) is ToolError and err.message == message and err.returncode == rc


def test_jls_check_silent_exit_is_not_found() -> None:
    err = tool_error(result("jls -c -j web", 1, b""))
    assert isinstance(err, JailNotFound) and err.message == "jls exited with status 1"
    assert isinstance(tool_error(result("jls -cj web", 1, b"")), JailNotFound)
    assert type(tool_error(result("jls -j web", 1, b""))) is ToolError


def test_invalid_utf8_and_crlf_in_stderr() -> None:
    err = tool_error(result("jexec x sh", 1, b'jexec: jail "\xff" not found\r\n'))
    assert isinstance(err, JailNotFound)
    assert err.message == 'jexec: jail "\ufffd" not found'


def test_hierarchy() -> None:
    for cls in (JailExists, JailNotFound, PermissionDenied, RacctUnavailable):
        assert issubclass(cls, ToolError)


def test_check() -> None:
    ok = result("jls", 0, b"warning on stderr\n")
    assert check(ok) is ok
    with pytest.raises(RacctUnavailable) as info:
        check(result("rctl -u jail:web", 1, "rctl: RACCT/RCTL present, but disabled; enable "
                                            "using kern.racct.enable=1 tunable\n"))
    assert info.value.tool == "rctl"


@settings(max_examples=300, database=None)
@given(st.binary(max_size=200), st.integers(min_value=-64, max_value=255))
def test_fuzz_tool_error_always_typed(stderr: bytes, rc: int) -> None:
    err = tool_error(CommandResult(("jail", "-c", "web"), rc, b"", stderr))
    assert isinstance(err, ToolError) and err.message


# --- load_json (the parsers' common entry) -------------------------------------------


@pytest.mark.parametrize(("data", "detail"), [
    (b"", "empty output"),
    (b"{\"a\": [1, 2", "truncated JSON"),
    (b"{\"a\": \"unterminated", "truncated JSON"),
    (b"{\"a\": 1,, }", "malformed JSON"),
    (b"not json", "malformed JSON"),
    (b"[]", "top level is an array"),
    (b"\"s\"", "top level is a string"),
    (b"null", "top level is null"),
])
def test_load_json_errors(data: bytes, detail: str) -> None:
    with pytest.raises(ParseError) as info:
        load_json(data, "tool --libxo json")
    assert info.value.command == "tool --libxo json"
    assert str(info.value).startswith("tool --libxo json: ")
    assert detail in info.value.detail


def test_load_json_accepts_raw_controls() -> None:
    # libxo's xo_escape_json leaves ESC/TAB raw; json.loads(strict=True) would refuse it
    assert load_json(b'{"h": "a\x1b[1m\tb"}\n', "x") == {"h": "a\x1b[1m\tb"}
