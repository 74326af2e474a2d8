"""`jailtui doctor`: the delegation setup of a host, checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def doctor(sim: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim), "doctor"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ))


def test_doctor_reports_sysctls_and_jail_roots(sim_dir: Path) -> None:
    out = doctor(sim_dir)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SIMULATED" in out.stdout.splitlines()[0]
    assert "no policy (no delegated users)" in out.stdout
    assert "security.bsd.see_jail_proc" in out.stdout
    assert "/usr/local/jails" in out.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="ownership checks need root-owned files")
def test_doctor_fails_on_a_writable_policy(sim_dir: Path) -> None:
    policy = sim_dir / "root" / "usr" / "local" / "etc" / "jailtui" / "policy.toml"
    policy.parent.mkdir(parents=True)
    policy.write_text('[[delegate]]\nusers = ["alice"]\njails = ["web"]\n')
    os.chmod(policy, 0o600)
    os.chmod(sim_dir.parent, 0o755)
    os.chmod(sim_dir, 0o755)
    ok = doctor(sim_dir)
    assert "OK    /usr/local/etc/jailtui/policy.toml: owned by root" in ok.stdout, ok.stdout
    os.chmod(policy, 0o646)
    bad = doctor(sim_dir)
    assert bad.returncode == 1
    assert "FAIL  policy" in bad.stdout and "writable by group or others" in bad.stdout


def test_doctor_reports_unsafe_sudo_and_doas_rules(sim_dir: Path) -> None:
    """Issue 14 item 7: rules naming jailtui without NOSETENV, with keepenv,
    with a wildcard or with no arguments pinned are FAIL."""
    root = sim_dir / "root"
    (root / "usr/local/etc/sudoers.d").mkdir(parents=True, exist_ok=True)
    safe = ("alice ALL=(root) NOPASSWD: NOSETENV: /usr/local/bin/jailtui --delegate web, \\\n"
            "    /usr/local/bin/jailtui --delegate web list --json\n")
    (root / "usr/local/etc/sudoers.d/jailtui").write_text(safe)
    (root / "usr/local/etc/doas.conf").write_text(
        "permit nopass alice as root cmd /usr/local/bin/jailtui args --delegate web\n")
    ok = doctor(sim_dir)
    assert "OK    sudo/doas rules naming jailtui pin every argument" in ok.stdout, ok.stdout
    (root / "usr/local/etc/sudoers.d/jailtui").write_text(
        safe + "bob ALL=(root) NOPASSWD: /usr/local/bin/jailtui --delegate db\n"
               "carol ALL=(root) NOSETENV: /usr/local/bin/jailtui --delegate *\n"
               "dave ALL=(root) NOSETENV: /usr/local/bin/jailtui\n")
    (root / "usr/local/etc/doas.conf").write_text(
        "permit keepenv nopass erin as root cmd /usr/local/bin/jailtui args --delegate web\n"
        "permit nopass frank as root cmd /usr/local/bin/jailtui\n")
    bad = doctor(sim_dir)
    assert bad.returncode == 1
    fails = [line for line in bad.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 5, bad.stdout
    assert any("--delegate db: no NOSETENV" in f for f in fails)
    assert any("--delegate *: a wildcard argument" in f for f in fails)
    assert any("/usr/local/bin/jailtui: no arguments pinned" in f for f in fails)
    assert any("keepenv" in f for f in fails)
    assert any("frank" in f and "no args" in f for f in fails)
