"""The delegate path for real: an unprivileged user, Debian's sudo with pinned
NOSETENV rules, jailtui on a simulated host through it (issue 6 done-when).

The test creates the user ``jtdelegate`` and a sudoers drop-in naming exact
command lines (no wildcard arguments), as the README's "Delegating a jail"
tells a host admin to. It needs root and sudo (CI installs sudo).
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import require_tool

USER = "jtdelegate"
# One drop-in per test process, so that suites running side by side do not remove
# each other's rules (sudoers(5) skips names with a dot; a pid has none).
SUDOERS = Path(f"/etc/sudoers.d/jailtui-test-{os.getpid()}")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create a user")


@dataclass
class Delegation:
    sim: Path
    prefix: list[str]

    def run(self, *args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        """Run as the delegate: sudo -u USER sudo -n <pinned command> ARGS."""
        cmd = ["sudo", "-u", USER, "-H"]
        if env:
            cmd += ["env", *(f"{k}={v}" for k, v in env.items())]
        cmd += ["sudo", "-n", *self.prefix, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd="/")


#: The exact command lines the sudoers drop-in allows (after the prefix).
ALLOWED = [
    ["list", "--json"], ["list"], ["ps", "--json"], ["ps", "--jail", "db", "--json"],
    ["check", "--json"], ["stop", "web"], ["start", "web"], ["stop", "db"],
    ["kill", "-s", "TERM", "1"], ["--config", "/etc/shadow", "list"], ["conf", "show"],
    ["exec", "web", "--", "hostname"],
]


@pytest.fixture(scope="module")
def delegation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Delegation]:
    require_tool("sudo")
    require_tool("visudo")
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", USER], check=True)
    base = tmp_path_factory.mktemp("deleg")
    os.chmod(base, 0o755)
    from jailtui.sim.builder import init_host

    sim = init_host(base / "sim")
    os.chmod(sim, 0o755)
    policy = sim / "root" / "usr" / "local" / "etc" / "jailtui" / "policy.toml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    # A test host: its jexec is not confined (sim/confine.py), the admin accepts it.
    policy.write_text(f'simulated_unconfined = true\n[[delegate]]\nusers = ["{USER}"]\njails = ["web"]\n'
                      'actions = ["start", "stop", "restart", "signal", "shell", "services"]\n')
    os.chmod(policy, 0o600)
    prefix = [sys.executable, "-m", "jailtui", "--sim", str(sim), "--delegate", "web"]
    lines = [f"Defaults:{USER} !requiretty"]
    for extra in ALLOWED:
        # sudoers needs spaces in arguments escaped; none of ours have any.
        lines.append(f"{USER} ALL=(root) NOPASSWD:NOSETENV: {' '.join(prefix + extra)}")
    SUDOERS.write_text("\n".join(lines) + "\n")
    os.chmod(SUDOERS, 0o440)
    check = subprocess.run(["visudo", "-c", "-f", str(SUDOERS)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    try:
        yield Delegation(sim, prefix)
    finally:
        SUDOERS.unlink(missing_ok=True)


def test_delegate_sees_only_their_jail(delegation: Delegation) -> None:
    out = delegation.run("list", "--json")
    assert out.returncode == 0, out.stderr
    assert [j["name"] for j in json.loads(out.stdout)] == ["web"]
    human = delegation.run("list")
    assert "web" in human.stdout
    for other in ("db", "mail", "dns", "staging"):
        assert other not in human.stdout.split(), human.stdout


def test_delegate_ps_has_no_host_or_other_jail_process(delegation: Delegation) -> None:
    procs = json.loads(delegation.run("ps", "--json").stdout)
    assert procs and {p["jail"] for p in procs} == {"web"}
    assert all(p["jid"] != 0 for p in procs)
    other = delegation.run("ps", "--jail", "db", "--json")
    assert other.returncode == 1
    assert "db" not in other.stdout


def test_delegate_check_covers_only_their_jail(delegation: Delegation) -> None:
    data = json.loads(delegation.run("check", "--json").stdout)
    assert list(data["jails"]) == ["web"]


def test_delegate_check_does_not_follow_a_symlink_out_of_their_jail(
        delegation: Delegation) -> None:
    """Issue 14/12: web's rc.conf symlinked to db's made the delegate's check
    report db's daemons (ScopedHost read every path unscoped)."""
    rc = delegation.sim / "root" / "usr" / "local" / "jails" / "web" / "etc" / "rc.conf"
    saved = rc.read_bytes()
    rc.unlink()
    os.symlink("../../db/etc/rc.conf", rc)
    try:
        out = delegation.run("check", "--json")
    finally:
        rc.unlink()
        rc.write_bytes(saved)
    assert "postgresql" not in out.stdout, out.stdout
    assert list(json.loads(out.stdout)["jails"]) == ["web"]


def test_delegate_acts_on_their_jail(delegation: Delegation) -> None:
    stop = delegation.run("stop", "web")
    assert stop.returncode == 0, stop.stderr
    start = delegation.run("start", "web")
    assert start.returncode == 0, start.stderr
    log = (delegation.sim / "audit.log").read_text()
    assert f"user={USER}" in log and "action=stop jail=web" in log


def test_delegate_refused_outside_scope_even_if_sudoers_allows(delegation: Delegation) -> None:
    """Scope is decided by jailtui's policy, not only by the sudoers rule."""
    out = delegation.run("stop", "db")
    assert out.returncode == 1
    assert "not permitted" in out.stderr
    assert "db" not in out.stderr  # the error does not confirm other jails exist
    kill = delegation.run("kill", "-s", "TERM", "1")
    assert kill.returncode == 1
    log = (delegation.sim / "audit.log").read_text()
    assert "result=\"denied:" in log


def test_delegate_cannot_widen_scope_with_options(delegation: Delegation) -> None:
    """Attack test 5: --config and conf are refused, no file content in the error."""
    out = delegation.run("--config", "/etc/shadow", "list")
    assert out.returncode == 1
    assert "not available to delegated users" in out.stderr
    assert "root:" not in out.stderr
    conf = delegation.run("conf", "show")
    assert conf.returncode == 1


def test_delegate_environment_is_not_trusted(delegation: Delegation) -> None:
    """Attack test 6: hostile variables reach neither Python nor the commands.

    sudo's env_reset drops them; jailtui re-execs isolated and allowlists
    its own environment anyway. The exec'd command prints its environment.
    """
    out = delegation.run("exec", "web", "--", "hostname",
                         env={"TEXTUAL_LOG": "/tmp/jt-pwn", "PYTHONINSPECT": "1"})
    # sudo refuses to pass variables for a NOSETENV rule; if it ever did,
    # no log file may appear.
    assert not Path("/tmp/jt-pwn").exists()
    assert out.returncode in (0, 1)


def test_not_a_delegate_is_refused(delegation: Delegation, tmp_path: Path) -> None:
    """A user with a sudo rule but no policy entry gets no console at all."""
    policy = delegation.sim / "root" / "usr" / "local" / "etc" / "jailtui" / "policy.toml"
    saved = policy.read_text()
    policy.write_text('[[delegate]]\nusers = ["someone-else"]\njails = ["web"]\n')
    try:
        out = delegation.run("list", "--json")
        assert out.returncode == 1
        assert "not a delegate" in out.stderr
    finally:
        policy.write_text(saved)


def test_world_writable_policy_refuses_to_start(delegation: Delegation) -> None:
    policy = delegation.sim / "root" / "usr" / "local" / "etc" / "jailtui" / "policy.toml"
    os.chmod(policy, 0o666)
    try:
        out = delegation.run("list", "--json")
        assert out.returncode == 1
        assert "writable by group or others" in out.stderr
    finally:
        os.chmod(policy, 0o600)
