"""The installed ``jailtui`` command runs Python with -I from the first line
(issue 14 item 7): a PYTHONPATH let through by a SETENV sudo rule runs nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LAUNCHER = Path(sys.executable).parent / "jailtui"


@pytest.mark.skipif(not LAUNCHER.exists(), reason="jailtui is not installed next to python")
def test_pythonpath_runs_nothing_through_the_launcher(tmp_path: Path, sim_dir: Path) -> None:
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "PWNED"
    (evil / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'w').write('root')\n")
    env = {**os.environ, "PYTHONPATH": str(evil), "PYTHONSTARTUP": str(evil / "x.py")}
    # The control: plain python does run it, so the probe works.
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True, timeout=60)
    assert marker.exists()
    marker.unlink()
    out = subprocess.run([str(LAUNCHER), "--sim", str(sim_dir), "list"], env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "web" in out.stdout
    assert not marker.exists()
    assert LAUNCHER.read_text().startswith("#!/bin/sh\n")
