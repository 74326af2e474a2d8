"""Raw exception names never reach the user (issue 13 item 37).

A tool that answers malformed JSON is named with what is wrong
(``jls --libxo json -v: truncated JSON ...``) in the command line and in the
console; a failure that is not one of ours (a bug, an answer nothing
expected) is wrapped at the poll's boundary (core/hosts/host.py Host.poll)
into words that say what failed and what to do, and describe() of a foreign
exception is never its bare type name.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tui_fakes import settle, widget_text

from jailtui.app import JailtuiApp
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.errors import UNEXPECTED, PollFailed, describe
from jailtui.core.freebsd import ps as psmod
from jailtui.core.hosts.host import Host
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import LocalRunner

ROOT = Path(__file__).resolve().parent.parent

#: What a jls killed mid-write (or a hostile one) prints: JSON cut off.
TRUNCATED = '{"__version": "2", "jail-information": {"jail": [{"jid": 1, "name": "we'


def truncating_jls(shim_path: str) -> None:
    jls = Path(shim_path.split(os.pathsep, 1)[0]) / "jls"
    jls.unlink()
    jls.write_text(f"#!/bin/sh\nprintf '%s' '{TRUNCATED}'\n")
    jls.chmod(0o755)


def jailtui(shim_path: str, sim_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jailtui", "--host", "local", "--root", str(sim_dir / "root"),
         *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PATH": shim_path})


def test_cli_names_the_tool_and_what_is_wrong(sim_dir: Path, shim_path: str) -> None:
    truncating_jls(shim_path)
    out = jailtui(shim_path, sim_dir, "list")
    assert out.returncode == 1
    assert out.stderr.startswith("jailtui: jls --libxo json -v: truncated JSON"), out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    check = jailtui(shim_path, sim_dir, "check")
    assert check.returncode == 3
    assert "jls --libxo json -v: truncated JSON" in check.stdout
    for text in (out.stderr, check.stdout, check.stderr):
        assert "JSONDecodeError" not in text and "Traceback" not in text


def local_console(sim_dir: Path, shim_path: str) -> tuple[JailtuiApp, Host]:
    host = Host(LocalRunner(path=shim_path), backend="FreeBSD",
                paths=PathMap(root=str(sim_dir / "root")), hostname="simhost")
    app = JailtuiApp(host, Controller(host, Policy(Role.HOST_ADMIN, "root", os.getuid())),
                     interval=1000.0)
    return app, host


async def test_console_says_which_tool_answered_malformed_json(sim_dir: Path,
                                                               shim_path: str) -> None:
    truncating_jls(shim_path)
    app, _ = local_console(sim_dir, shim_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        entries = [e for e in app.journal if e.title == "poll failed"]
        assert entries and entries[-1].message.startswith(
            "jls --libxo json -v: truncated JSON"), [e.message for e in app.journal]
        status = widget_text(app.screen.query_one("#status"))
        assert "truncated JSON" in status
        assert all("JSONDecodeError" not in e.message for e in app.journal)


@pytest.fixture
def buggy_ps_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser that fails the way a bug does (not with one of our errors)."""
    def broken(*_args: object) -> object:   # parse_ps(text, namer)
        raise KeyError("pid")
    monkeypatch.setattr(psmod, "parse_ps", broken)


WORDED = ("poll failed: unexpected error (KeyError: 'pid'); this is a bug in jailtui: please "
          "report it; the last good data stays shown and the poll is retried")


def test_a_foreign_failure_in_the_poll_is_worded(sim_dir: Path, shim_path: str,
                                                 buggy_ps_parser: None) -> None:
    _, host = local_console(sim_dir, shim_path)
    with pytest.raises(PollFailed) as info:
        asyncio.run(host.poll())
    assert str(info.value) == WORDED and describe(info.value) == WORDED
    assert isinstance(info.value.cause, KeyError)


async def test_the_console_shows_a_foreign_failure_worded(sim_dir: Path, shim_path: str,
                                                          buggy_ps_parser: None) -> None:
    app, _ = local_console(sim_dir, shim_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.is_running
        messages = [e.message for e in app.journal if e.title == "poll failed"]
        assert messages == [WORDED], messages


@pytest.mark.parametrize(("exc", "said"), [
    (KeyError("jail-information"),
     "unexpected error (KeyError: 'jail-information'); this is a bug in jailtui: please "
     "report it"),
    (RuntimeError(), UNEXPECTED.format(kind="RuntimeError", text="no details")),
    (json.JSONDecodeError("Expecting value", "x\ny", 2),
     "malformed JSON (Expecting value at line 2 column 1)"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
     "undecodable text (invalid start byte at byte 0)"),
])
def test_describe_never_says_a_bare_type_name(exc: BaseException, said: str) -> None:
    assert describe(exc) == said
    assert describe(exc) != type(exc).__name__


def test_a_foreign_error_outside_the_poll_is_one_worded_line(
        sim_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The command line's last boundary (cli/main.py main): a bug anywhere is
    one line that says so, exit 1, no traceback (issue 13 item 37)."""
    import importlib

    # The module (jailtui.cli re-exports its main() function under the same name).
    climain = importlib.import_module("jailtui.cli.main")

    def broken(*_args: object) -> int:
        raise KeyError("x")

    monkeypatch.setattr(climain, "cmd_conf", broken)
    assert climain.main(["--sim", str(sim_dir), "conf", "show"]) == 1
    err = capsys.readouterr().err
    assert "this is a bug in jailtui" in err and "KeyError" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
