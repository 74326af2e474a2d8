"""Hardening of a delegated session, independent of sudo's own env_reset
(docs/security.md 2.2, attack tests 6 and 7).

The process is started as root with SUDO_UID set, as a misconfigured sudo
(SETENV) or doas (keepenv) would start it, with a hostile environment.
jailtui must re-exec isolated, replace its environment by the allowlist
before Textual loads, and pass nothing of it on.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="delegation needs root")

HOSTILE = {
    "PYTHONSTARTUP": "/nonexistent/startup.py", "PYTHONINSPECT": "1",
    "PYTHONBREAKPOINT": "os.system", "EDITOR": "/bin/sh", "VISUAL": "/bin/sh",
    "PAGER": "less", "LESSOPEN": "|/bin/sh %s", "ENV": "/tmp/env.sh", "IFS": "x",
    "TERMINFO": "/tmp", "TERMCAP": "x", "SHELL": "/tmp/evil-shell", "TMPDIR": "/tmp/evil",
    "TEXTUAL_DRIVER": "evil:Driver", "TEXTUAL_PRESS": "q",
    "TERM": "xterm\x1b]0;x\x07",
}


@pytest.fixture
def delegated_sim(tmp_path: Path) -> tuple[Path, str, int]:
    from jailtui.sim.builder import init_host

    os.chmod(tmp_path, 0o755)
    sim = init_host(tmp_path / "sim")
    os.chmod(sim, 0o755)
    user = next(p for p in pwd.getpwall() if 0 < p.pw_uid < 65534)
    policy = sim / "root" / "usr" / "local" / "etc" / "jailtui" / "policy.toml"
    policy.parent.mkdir(parents=True)
    policy.write_text(f'[[delegate]]\nusers = ["{user.pw_name}"]\njails = ["web"]\n'
                      'actions = ["start", "stop"]\n')
    os.chmod(policy, 0o600)
    return sim, user.pw_name, user.pw_uid


def test_hostile_environment_reaches_nothing(delegated_sim: tuple[Path, str, int],
                                             tmp_path: Path) -> None:
    sim, name, uid = delegated_sim
    log = tmp_path / "textual.log"
    shots = tmp_path / "shots"
    env = {"PATH": os.environ["PATH"], "SUDO_UID": str(uid), "SUDO_USER": name,
           "TEXTUAL_LOG": str(log), "TEXTUAL_SCREENSHOT_LOCATION": str(shots),
           "TEXTUAL_SCREENSHOT": "1", **HOSTILE}
    probe = ("import sys, os, json; print(json.dumps({'isolated': sys.flags.isolated, "
             "'env': dict(os.environ), 'cwd': os.getcwd(), 'umask': os.umask(0)}))")
    # A probe through the same entry point: `--delegate web list` must work,
    # then check what the hardened process itself looks like.
    out = subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim), "--delegate",
                          "web", "list", "--json"], env=env, capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert '"name": "web"' in out.stdout and '"name": "db"' not in out.stdout
    assert not log.exists() and not shots.exists()
    from jailtui.core.actions import harden

    # The same hardening, observed from inside: run apply() in a child the
    # way main() does, then dump the state.
    code = ("import os, sys; sys.argv=['x']\n"
            "from jailtui.core.actions import harden\n"
            "harden.apply()\n" + probe)
    child = subprocess.run([sys.executable, "-I", "-c", code], env=env, capture_output=True,
                           text=True, timeout=60, cwd=tmp_path)
    import json

    state = json.loads(child.stdout)
    assert state["isolated"] == 1
    assert state["cwd"] == "/"
    assert state["umask"] == 0o077
    assert set(state["env"]) <= set(harden.safe_environment(env)) | {"LC_CTYPE"}
    for key in HOSTILE:
        if key not in ("TERM", "SHELL"):
            assert key not in state["env"], key
    assert state["env"]["TERM"] == "vt100"
    assert state["env"]["SHELL"] == "/bin/sh"


def test_children_get_the_allowlist_only(delegated_sim: tuple[Path, str, int]) -> None:
    """Commands the delegated session runs see none of the caller's variables."""
    sim, name, uid = delegated_sim
    policy = sim / "root" / "usr" / "local" / "etc" / "jailtui" / "policy.toml"
    policy.write_text(policy.read_text().replace('"start", "stop"', '"start", "stop", "exec"'))
    env = {"PATH": os.environ["PATH"], "SUDO_UID": str(uid), "SUDO_USER": name, **HOSTILE}
    out = subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim), "--delegate",
                          "web", "exec", "web", "--", "env"], env=env, capture_output=True,
                         text=True, timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    for key in HOSTILE:
        assert f"{key}=" not in out.stdout or key in ("TERM", "SHELL", "PATH"), key
    assert "EDITOR=" not in out.stdout and "PYTHONSTARTUP" not in out.stdout
