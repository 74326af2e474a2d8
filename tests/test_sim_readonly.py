"""A simulated host this user cannot write (issue 14 item 9), through the CLI.

Reading (``list``, ``ps``, ``check``) needs no write access; a change is
refused in one line; an unreadable state is UNKNOWN for ``check``. As root
permissions do not apply, so the commands then run as ``nobody``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534


def as_other_user(sim: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    home.mkdir(exist_ok=True)
    os.chmod(home, 0o777)
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv(1): permissions cannot apply")
        prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "cfg"),
           "XDG_CACHE_HOME": str(home / "cache")}
    return subprocess.run([*prefix, sys.executable, "-m", "jailtui", "--sim", str(sim), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def ro_sim() -> Iterator[Path]:
    """A simulated host readable but not writable by nobody (outside pytest's
    0700 base temp dir, which another user cannot even traverse)."""
    from jailtui.sim.builder import init_host

    base = Path(tempfile.mkdtemp(prefix="jailtui-ro-"))
    os.chmod(base, 0o755)
    sim = base / "sim"
    init_host(sim)
    (sim / "state.lock").unlink(missing_ok=True)  # not even a lock file to open
    for dirpath, dirnames, filenames in os.walk(sim):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | 0o444 | (0o111 if n in dirnames else 0))
    os.chmod(sim, 0o555)
    try:
        yield sim
    finally:
        os.chmod(sim, 0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_reading_needs_no_write_access(ro_sim: Path) -> None:
    home = ro_sim.parent / "home"
    for cmd in (["list"], ["ps", "--json"], ["check"]):
        out = as_other_user(ro_sim, *cmd, home=home)
        assert "Traceback" not in out.stderr, out.stderr
        assert out.returncode == 0, (cmd, out.stdout, out.stderr)
    assert not (ro_sim / "state.lock").exists()


def test_a_change_is_refused_in_one_line(ro_sim: Path) -> None:
    out = as_other_user(ro_sim, "stop", "web", home=ro_sim.parent / "home")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_unreadable_state_is_unknown(ro_sim: Path) -> None:
    os.chmod(ro_sim / "state.json", 0o600)
    home = ro_sim.parent / "home"
    out = as_other_user(ro_sim, "check", home=home)
    assert out.returncode == 3, out.stdout + out.stderr
    assert out.stdout.startswith("JAILS UNKNOWN - ")
    assert "cannot read the simulated host's state" in out.stdout
    out = as_other_user(ro_sim, "list", home=home)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().endswith("cannot read the simulated host's state (Permission denied)")
