"""Tests that need sshd, sudo or tmux skip without them, naming the Debian
package, and fail instead when CI is set (tests/conftest.py require_tool)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent


def test_missing_tool_skips_naming_the_package(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install tmux"):
        require_tool("tmux")
    with pytest.raises(pytest.skip.Exception, match="apt-get install openssh-server"):
        require_tool("sshd", str(tmp_path / "sshd"))


def test_missing_tool_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="apt-get install sudo.*CI is set"):
        require_tool("sudo")


def test_present_tool_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = tmp_path / "tmux"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert require_tool("tmux") == str(tool)


@pytest.mark.parametrize(("ci", "code", "word"), [("", 0, "SKIPPED [1]"), ("1", 1, "CI is set: required")])
def test_the_tmux_tests_on_a_machine_without_tmux(tmp_path: Path, ci: str, code: int,
                                                  word: str) -> None:
    """The real entry point: pytest on the tmux tests with no tmux on PATH."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(tmp_path)
    if ci:
        env["CI"] = ci
    # --basetemp of its own: without it the child's exit removes the older
    # /tmp/pytest-of-USER/pytest-N trees (pytest keeps three), which after a
    # whole earlier run of this suite took longer than the timeout in CI.
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          f"--basetemp={tmp_path / 'basetemp'}", "tests/test_e2e_tmux.py"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == code, out.stdout[-2000:]
    assert word in out.stdout and "apt-get install tmux" in out.stdout
