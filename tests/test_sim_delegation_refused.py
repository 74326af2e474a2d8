"""Delegation on a simulated host (issue 14 item 8 and item 10's --sim build).

On a simulated host whose jexec is not confined, a delegate's ``exec`` and
``x`` would be root on this machine: delegated sessions are refused there
with the reason, unless the host admin's root-owned policy accepts it for a
test host. A delegated ``--sim`` at a directory that is not a host never
builds one. Run through the real entry point as root with SUDO_UID set, as
sudo leaves it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_harden import delegated_sim  # noqa: F401 - the fixture

from jailtui.sim.confine import UNCONFINED_REFUSAL, confinement_available

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="delegation needs root")


def run(sim: Path, uid: int, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "SUDO_UID": str(uid), "SUDO_USER": name}
    return subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim), "--delegate",
                           "web", *args], env=env, capture_output=True, text=True, timeout=60,
                          cwd="/")


@pytest.mark.skipif(confinement_available(), reason="the simulated jexec is confined here")
def test_unconfined_simulated_host_refuses_delegates(
        delegated_sim: tuple[Path, str, int]) -> None:  # noqa: F811
    sim, name, uid = delegated_sim
    policy = sim / "root/usr/local/etc/jailtui/policy.toml"
    policy.write_text(policy.read_text().replace("simulated_unconfined = true\n", ""))
    for cmd in (["list"], ["exec", "web", "--", "id"]):
        out = run(sim, uid, name, *cmd)
        assert out.returncode != 0
        assert UNCONFINED_REFUSAL in out.stderr, out.stderr
        assert "Traceback" not in out.stderr
    assert "denied: delegated sessions are refused" in (sim / "audit.log").read_text()
    policy.write_text("simulated_unconfined = true\n" + policy.read_text())
    assert run(sim, uid, name, "list").returncode == 0


def test_delegated_sim_never_builds_a_host(delegated_sim: tuple[Path, str, int],  # noqa: F811
                                           tmp_path: Path) -> None:
    """Without --sim the default simulated host is built on first use, but
    never for a delegate (as root, from the delegate's environment)."""
    _, name, uid = delegated_sim
    cache = tmp_path / "cache"
    env = {"PATH": os.environ["PATH"], "SUDO_UID": str(uid), "SUDO_USER": name,
           "HOME": str(tmp_path), "XDG_CACHE_HOME": str(cache)}
    out = subprocess.run([sys.executable, "-m", "jailtui", "--delegate", "web", "list"],
                         env=env, capture_output=True, text=True, timeout=60, cwd="/")
    assert out.returncode != 0
    assert "a delegated session never creates one" in out.stderr, out.stderr
    assert not cache.exists() or not any(cache.rglob("state.json"))
