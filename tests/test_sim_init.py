"""``jailtui sim init|reset`` and ``--sim DIR`` on directories that are not (good) hosts.

Issue 13 items 3, 6 and 47: init never deletes what is not ours, a bad
host is one clear line (UNKNOWN for check), reset recovers a corrupt
state and says what it did. Through the real command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def jailtui(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def test_init_refuses_a_directory_that_is_not_ours(tmp_path: Path) -> None:
    target = tmp_path / "t"
    (target / "root").mkdir(parents=True)
    (target / "root" / "precious").write_text("x")
    for extra in ((), ("--force",)):
        out = jailtui("sim", "init", str(target), *extra)
        assert out.returncode == 1
        assert "not a simulated host" in out.stderr and "Traceback" not in out.stderr
        assert (target / "root" / "precious").read_text() == "x"


def test_init_replaces_ours_only_with_force(tmp_path: Path) -> None:
    host = tmp_path / "h"
    first = jailtui("sim", "init", str(host), "--jails", "2")
    assert first.returncode == 0, first.stderr
    assert "2 running jails" in first.stdout
    (host / "mine.txt").write_text("keep")  # not a part of a host: never deleted
    again = jailtui("sim", "init", str(host))
    assert again.returncode == 1 and "--force" in again.stderr
    forced = jailtui("sim", "init", str(host), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "10 running jails" in forced.stdout
    assert (host / "mine.txt").read_text() == "keep"


def test_init_on_a_file_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    out = jailtui("sim", "init", str(f))
    assert out.returncode == 1 and "not a directory" in out.stderr
    assert "Traceback" not in out.stderr and f.read_text() == "x"


@pytest.mark.parametrize("sub", ["file", "missing/x"])
def test_sim_dir_that_is_no_host_is_one_line(tmp_path: Path, sub: str) -> None:
    path = tmp_path / sub
    if sub == "file":
        path.write_text("x")
    out = jailtui("--sim", str(path), "list")
    assert out.returncode == 1
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "Traceback" not in out.stderr and str(path) in out.stderr
    assert not (tmp_path / "missing").exists()  # a typo'd path builds nothing
    check = jailtui("--sim", str(path), "check")
    assert check.returncode == 3 and check.stdout.startswith("JAILS UNKNOWN")


@pytest.mark.parametrize("content", ["", "{}", "[]", '{"format": 1', '{"format": 1}', "null"])
def test_corrupt_state_is_unknown_and_reset_recovers(tmp_path: Path, content: str) -> None:
    host = tmp_path / "h"
    assert jailtui("sim", "init", str(host), "--jails", "3").returncode == 0
    (host / "state.json").write_text(content)
    out = jailtui("--sim", str(host), "list")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "corrupt simulated host state" in out.stderr and "sim reset" in out.stderr
    check = jailtui("--sim", str(host), "check")
    assert check.returncode == 3, check.stdout
    assert check.stdout.startswith("JAILS UNKNOWN") and "corrupt" in check.stdout
    reset = jailtui("--sim", str(host), "sim", "reset")
    assert reset.returncode == 0, reset.stderr
    assert "rebuilt" in reset.stdout and "3 running jails" in reset.stdout
    assert jailtui("--sim", str(host), "list").returncode == 0


def test_reset_refuses_what_is_not_ours(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "state.json").write_text("{}")
    out = jailtui("--sim", str(d), "sim", "reset")
    assert out.returncode == 1 and "not made by jailtui sim init" in out.stderr
    assert (d / "state.json").read_text() == "{}"
