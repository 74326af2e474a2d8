"""Editing jail.conf through the controller: check, diff, atomic save, conflicts,
and a delegate's limits (docs/security.md 5, attack tests 14-17)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.delegation import DEFAULT_EDITABLE
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.config import confedit, safefile
from jailtui.core.errors import PolicyDenied
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.scoped import ScopedHost
from jailtui.sim.runner import SimRunner

ROOT = Path(__file__).resolve().parent.parent


def admin(sim_dir: Path) -> tuple[Controller, MemorySink]:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    sink = MemorySink()
    return Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=sink), sink


def delegate(sim_dir: Path, jail: str) -> Controller:
    runner = SimRunner(sim_dir)
    host = ScopedHost(Host(runner, backend="SIMULATED", paths=runner.paths), frozenset({jail}))
    policy = Policy(Role.DELEGATE, "alice", 1001, scope=frozenset({jail}),
                    actions=frozenset({Action.EDIT, Action.RESTART}))
    return Controller(host, policy, editable_params=DEFAULT_EDITABLE, min_securelevel=2)


def test_change_hostname_save_restart_see_it(sim_dir: Path) -> None:
    """Issue 5 done-when, without the UI: edit, diff, save, restart, new hostname."""
    ctl, sink = admin(sim_dir)
    session = ctl.open_config("web")
    assert session.path == "/etc/jail.conf"
    candidate = confedit.candidate_from_params(session, {"host.hostname": "www.example.org"})
    diff = confedit.diff(session, candidate)
    added = [ln for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    removed = [ln for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    assert added == ["+    host.hostname = www.example.org;"] and removed == []
    result = asyncio.run(ctl.save_config(session, candidate))
    assert result.ok, result.message
    conf = (sim_dir / "root" / "etc" / "jail.conf").read_text()
    assert "host.hostname = www.example.org;" in conf
    assert "# public web server" in conf  # comments kept
    backups = list((sim_dir / "root" / "var" / "backups" / "jailtui").iterdir())
    assert backups
    record = sink.records[-1]
    assert record.action == "edit" and record.result == "ok"
    assert "changed=host.hostname" in record.detail
    assert asyncio.run(ctl.restart("web")).ok
    snap = asyncio.run(ctl.host.poll())
    web = snap.jail("web")
    assert web is not None and web.hostname == "www.example.org"


def test_syntax_error_is_refused_with_its_line(sim_dir: Path) -> None:
    ctl, _ = admin(sim_dir)
    session = ctl.open_config("web")
    before = (sim_dir / "root" / "etc" / "jail.conf").read_bytes()
    block = session.block_text.replace("ip6.addr", "ip6.addr =", 1)  # "= =" is a syntax error
    with pytest.raises(confedit.ConfigCheckError) as info:
        candidate = confedit.candidate_from_block(session, block)
        asyncio.run(ctl.save_config(session, candidate))
    assert "syntax error" in info.value.message
    assert info.value.line is not None and info.value.line > session.block_line
    assert (sim_dir / "root" / "etc" / "jail.conf").read_bytes() == before


def test_jail_e_is_the_second_check(sim_dir: Path) -> None:
    """A candidate our parser accepts is still put through `jail -f TMP -e`."""
    ctl, _ = admin(sim_dir)
    session = ctl.open_config("web")
    bad = session.text + '\nbroken { path = "/x/$nosuch"; }\n'
    with pytest.raises(confedit.ConfigCheckError) as info:
        asyncio.run(ctl.check_config(session, bad))
    assert 'variable "nosuch" not found' in info.value.message
    # No temporary copy is left next to the file.
    assert not [p for p in (sim_dir / "root" / "etc").iterdir() if "jailtui-check" in p.name]


def test_concurrent_edit_is_a_conflict_that_loses_nothing(sim_dir: Path) -> None:
    ctl, _ = admin(sim_dir)
    session = ctl.open_config("web")
    ours = confedit.candidate_from_params(session, {"host.hostname": "ours.example.org"})
    path = sim_dir / "root" / "etc" / "jail.conf"
    theirs = path.read_text() + "\n# edited from another terminal\n"
    path.write_text(theirs)
    with pytest.raises(safefile.ConflictError) as info:
        asyncio.run(ctl.save_config(session, ours))
    assert "/etc/jail.conf" in str(info.value)
    assert path.read_text() == theirs
    assert b"edited from another terminal" in info.value.current


def test_delegate_edits_only_allowed_parameters(sim_dir: Path) -> None:
    ctl = delegate(sim_dir, "ci")
    session = ctl.open_config("ci")
    assert session.path == "/etc/jail.conf.d/ci.conf"
    good = confedit.candidate_from_params(session, {"host.hostname": "builds.example.org"})
    assert asyncio.run(ctl.save_config(session, good)).ok


@pytest.mark.parametrize("name,value", [
    ("exec.prestart", "touch /tmp/pwn"), ("exec.poststop", "id"), ("exec.created", "id"),
    ("exec.consolelog", "/etc/crontab"), ("mount", "/ /usr/local/jails/ci/host nullfs rw 0 0"),
    ("mount.fstab", "/tmp/fstab"), ("path", "/"), ("devfs_ruleset", "0"),
    ("enforce_statfs", "0"), ("allow.mount", True), ("allow.mount.zfs", True),
    ("allow.chflags", True), ("allow.socket_af", True), ("allow.sysvipc", True),
    ("sysvshm", "inherit"), ("allow.vmm", True), ("allow.read_msgbuf", True),
    ("allow.quotas", True), ("children.max", "5"), ("vnet.interface", "em0"),
    ("interface", "em0"), ("ip4", "inherit"), ("ip4.addr", "10.0.0.11"),
    ("ip4.addr", "em0|10.0.0.5"), ("ip_hostname", True), ("depend", "db"),
    ("EXEC.PRESTART", "id"), (" exec.prestart", "id"), ("nosuch.param", "1"),
    ("securelevel", "0"), ("host.hostname", "x$path"), ("host.hostname", "a\nb"),
    ("host.hostname", "\x1b]0;x\x07"), ("exec.start", "x" * 1000),
])
def test_delegate_denied_parameters(sim_dir: Path, name: str, value: object) -> None:
    ctl = delegate(sim_dir, "ci")
    session = ctl.open_config("ci")
    before = (sim_dir / "root" / "etc" / "jail.conf.d" / "ci.conf").read_bytes()
    with pytest.raises(PolicyDenied):
        confedit.candidate_from_params(session, {name: value})  # type: ignore[dict-item]
    assert (sim_dir / "root" / "etc" / "jail.conf.d" / "ci.conf").read_bytes() == before


def test_delegate_never_edits_text_or_a_shared_file(sim_dir: Path) -> None:
    ctl = delegate(sim_dir, "ci")
    session = ctl.open_config("ci")
    with pytest.raises(PolicyDenied):
        confedit.candidate_from_block(session, "ci { persist; }")
    # web lives in the shared /etc/jail.conf: a delegate of web may not edit it.
    with pytest.raises(PolicyDenied, match="file of its own"):
        delegate(sim_dir, "web").open_config("web")
    # Another jail's file is out of scope altogether.
    with pytest.raises(PolicyDenied):
        ctl.open_config("web")


@pytest.mark.parametrize("extra", [
    '.include "/tmp/x.conf";\n', '* { exec.prestart = "touch /tmp/pwn"; }\n',
    "web2 { persist; }\n", '"ci.*" { persist; }\n', "$x = 1;\n",
])
def test_structural_attacks_in_a_delegates_file(sim_dir: Path, extra: str) -> None:
    """Attack test 15: whatever was added to the file by hand, a delegate's
    save is refused while the file holds more than its block."""
    path = sim_dir / "root" / "etc" / "jail.conf.d" / "ci.conf"
    path.write_text(path.read_text() + extra)
    ctl = delegate(sim_dir, "ci")
    with pytest.raises(PolicyDenied):
        session = ctl.open_config("ci")
        confedit.candidate_from_params(session, {"host.hostname": "x.example.org"})
    assert not Path("/tmp/pwn").exists()


def test_symlinked_config_is_refused(sim_dir: Path, tmp_path: Path) -> None:
    path = sim_dir / "root" / "etc" / "jail.conf.d" / "ci.conf"
    target = tmp_path / "elsewhere.conf"
    target.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(target)
    ctl, _ = admin(sim_dir)
    with pytest.raises(Exception, match="symbolic link|symlink"):
        ctl.open_config("ci")


def test_conf_show_and_check_cli(sim_dir: Path, tmp_path: Path) -> None:
    def jt(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=60,
                              env=dict(os.environ))

    out = jt("conf", "show", "--json", "web")
    assert out.returncode == 0
    assert '"host.hostname": "web.example.org"' in out.stdout
    bad = tmp_path / "bad.conf"
    bad.write_text("web {\n  persist\n}\n")
    chk = jt("conf", "check", "-f", str(bad))
    assert chk.returncode == 1
    assert chk.stderr.strip() == f"jail: {bad} line 3: }}: syntax error"
