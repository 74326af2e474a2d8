"""Roles, identity and the policy file (docs/security.md section 7, tests 1-5, 14)."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from jailtui.core.actions import delegation, harden
from jailtui.core.actions.delegation import PolicyError, decide, identify, parse_policy
from jailtui.core.actions.policy import Action, Role

POLICY = """
[[delegate]]
users = ["alice"]
jails = ["web"]
actions = ["start", "stop", "restart", "shell", "signal", "services", "edit"]

[[delegate]]
groups = ["dbadmins"]
jails = ["db"]
actions = ["restart"]
"""


def _any_user() -> pwd.struct_passwd:
    for pw in pwd.getpwall():
        if pw.pw_uid not in (0,) and pw.pw_uid < 65534:
            return pw
    pytest.fail("no non-root user in passwd")


def test_root_without_sudo_is_host_admin() -> None:
    ident = identify({}, 0, 0)
    policy, entry = decide(ident, readonly=False, policy_text=None)
    assert policy.role is Role.HOST_ADMIN and entry is None
    assert policy.permits(Action.STOP, "web")


def test_readonly_flag_wins_for_root() -> None:
    policy, _ = decide(identify({}, 0, 0), readonly=True, policy_text=None)
    assert policy.role is Role.READ_ONLY
    assert not policy.permits(Action.START, "web")
    assert policy.permits(Action.VIEW, "web")


def test_unprivileged_user_is_read_only() -> None:
    pw = _any_user()
    policy, _ = decide(identify({}, pw.pw_uid, pw.pw_uid), readonly=False, policy_text=None)
    assert policy.role is Role.READ_ONLY


def test_sudo_uid_never_gives_host_admin_even_with_sudo_user_root() -> None:
    """Attack test 1: SUDO_UID=1001 SUDO_USER=root as root: the role comes from the uid."""
    pw = _any_user()
    with pytest.raises(PolicyError, match="does not match"):
        identify({"SUDO_UID": str(pw.pw_uid), "SUDO_USER": "root"}, 0, 0)
    ident = identify({"SUDO_UID": str(pw.pw_uid)}, 0, 0)
    assert ident.uid == pw.pw_uid and ident.via == "sudo"
    with pytest.raises(PolicyError, match="not a delegate"):
        decide(ident, readonly=False, policy_text=POLICY)


def test_delegate_without_policy_file_is_refused() -> None:
    pw = _any_user()
    with pytest.raises(PolicyError, match="no policy"):
        decide(identify({"SUDO_UID": str(pw.pw_uid)}, 0, 0), readonly=False, policy_text=None)


def test_delegate_scope_and_actions() -> None:
    ident = delegation.Identity("alice", 1001, "sudo", ("staff",))
    policy, entry = decide(ident, readonly=False, policy_text=POLICY)
    assert policy.role is Role.DELEGATE
    assert policy.scope == frozenset({"web"})
    assert policy.permits(Action.STOP, "web")
    assert not policy.permits(Action.STOP, "db")
    assert not policy.permits(Action.VIEW, "db")
    assert entry is not None and "host.hostname" in entry.params


def test_delegate_asking_for_another_jail_is_refused() -> None:
    """Attack test 2: pinned to web, argv asks for db."""
    ident = delegation.Identity("alice", 1001, "sudo")
    with pytest.raises(PolicyError, match="may not administer"):
        decide(ident, readonly=False, policy_text=POLICY, requested_jail="db")


def test_group_delegate() -> None:
    ident = delegation.Identity("bob", 1002, "doas", ("dbadmins",))
    policy, _ = decide(ident, readonly=False, policy_text=POLICY)
    assert policy.scope == frozenset({"db"})
    assert policy.permits(Action.RESTART, "db")
    assert not policy.permits(Action.SHELL, "db")


@pytest.mark.parametrize("jail_name", ["web1", "web10", "web1.x", "web1 ", "*", "-r",
                                       "web1;id", "wеb1", ""])
def test_jail_name_confusion_exact_match_only(jail_name: str) -> None:
    """Attack test 11: only the exact name is in scope."""
    text = POLICY.replace('jails = ["web"]', 'jails = ["web1"]')
    policy, _ = decide(delegation.Identity("alice", 1001, "sudo"), readonly=False,
                       policy_text=text)
    assert policy.permits(Action.VIEW, "web1")
    if jail_name != "web1":
        assert not policy.permits(Action.VIEW, jail_name)


@pytest.mark.parametrize("param", [
    "exec.prestart", "exec.poststart", "exec.prestop", "exec.poststop", "exec.created",
    "exec.release", "exec.prepare", "exec.consolelog", "exec.system_user", "mount",
    "mount.fstab", "mount.devfs", "path", "devfs_ruleset", "enforce_statfs", "allow.mount",
    "allow.mount.zfs", "allow.nomount", "allow.chflags", "allow.socket_af", "allow.sysvipc",
    "sysvshm", "allow.vmm", "allow.read_msgbuf", "allow.quotas", "children.max",
    "vnet.interface", "interface", "ip4", "ip_hostname", "depend", ".include", "EXEC.PRESTART",
])
def test_policy_refuses_never_delegable_params(param: str) -> None:
    """Attack test 14 at the policy level: no policy can hand these out."""
    text = POLICY.replace('actions = ["restart"]', f'actions = ["restart"]\nparams = ["{param}"]')
    with pytest.raises(PolicyError, match="never be delegated"):
        parse_policy(text)


@pytest.mark.parametrize("bad", [
    "[[delegate]]\nusers=['a']\njails=['*']\n",
    "[[delegate]]\nusers=['a']\njails=['web']\nactions=['root']\n",
    "[[delegate]]\nusers=['a']\njails=['web']\nsudo=true\n",
    "admins = ['a']\n",
    "[[delegate\n",
])
def test_malformed_policy_fails_closed(bad: str) -> None:
    with pytest.raises(PolicyError):
        parse_policy(bad)


def test_policy_file_must_be_root_owned_and_not_writable(tmp_path: Path) -> None:
    """Attack test 4."""
    d = tmp_path / "etc"
    d.mkdir(mode=0o755)
    f = d / "policy.toml"
    f.write_text(POLICY)
    os.chmod(f, 0o600)
    os.chmod(tmp_path, 0o755)
    if os.geteuid() == 0:
        delegation.check_root_owned(str(f), "policy")
    os.chmod(f, 0o666)
    with pytest.raises(PolicyError, match="writable"):
        delegation.check_root_owned(str(f), "policy")
    os.chmod(f, 0o600)
    os.chmod(d, 0o777)
    with pytest.raises(PolicyError, match="writable"):
        delegation.check_root_owned(str(f), "policy")
    os.chmod(d, 0o755)
    link = d / "link.toml"
    link.symlink_to(f)
    with pytest.raises(PolicyError, match="symbolic link"):
        delegation.check_root_owned(str(link), "policy")


def test_safe_environment_allowlist() -> None:
    """Attack tests 6 and 7: nothing dangerous survives; TERM is validated."""
    hostile = {
        "PYTHONPATH": "/tmp", "PYTHONSTARTUP": "/tmp/x", "LD_PRELOAD": "/tmp/x.so",
        "TEXTUAL_LOG": "/tmp/x", "TEXTUAL_DRIVER": "evil:Driver", "TEXTUAL_PRESS": "q",
        "EDITOR": "/bin/sh", "VISUAL": "vi", "PAGER": "less", "LESSOPEN": "|x", "ENV": "/tmp/e",
        "IFS": "x", "TERMINFO": "/tmp", "SHELL": "/tmp/sh", "HOME": "/tmp", "TMPDIR": "/tmp",
        "TERM": "xterm\x1b]0;x\x07", "SUDO_UID": "1001", "LANG": "C.UTF-8", "PATH": "/tmp",
    }
    env = harden.safe_environment(hostile)
    assert env["TERM"] == "vt100"
    assert env["PATH"] == harden.SAFE_PATH and env["HOME"] == "/root"
    assert env["SUDO_UID"] == "1001" and env["LANG"] == "C.UTF-8"
    for key in hostile:
        if key not in ("TERM", "SUDO_UID", "LANG", "PATH", "HOME", "SHELL"):
            assert key not in env, key
    assert env["SHELL"] == "/bin/sh"
    for term in ("../../tmp/t", "x" * 10_000):
        assert harden.safe_environment({"TERM": term})["TERM"] == "vt100"


def test_privileged_delegation_detection() -> None:
    assert harden.privileged_delegation({"SUDO_UID": "1001"}, 0)
    assert harden.privileged_delegation({"DOAS_USER": "alice"}, 0)
    assert not harden.privileged_delegation({"SUDO_UID": "0"}, 0)
    assert not harden.privileged_delegation({"SUDO_UID": "1001"}, 1001)
    assert not harden.privileged_delegation({}, 0)


def test_audit_uid_must_match_the_sudo_caller() -> None:
    """Attack test 3: getauid() != SUDO_UID (the login was someone else's): refuse."""
    ident = delegation.Identity("alice", 1001, "sudo")
    delegation.check_audit_uid(ident, None)      # no BSM audit: nothing to compare
    delegation.check_audit_uid(ident, 1001)      # alice logged in, alice ran sudo
    delegation.check_audit_uid(ident, 0)         # root's login acting through sudo
    with pytest.raises(PolicyError, match="audit user id 1002"):
        delegation.check_audit_uid(ident, 1002)
    delegation.check_audit_uid(delegation.Identity("root", 0, "direct"), 1002)


def test_audit_uid_is_none_without_bsm() -> None:
    """Linux has no getauid(2); FreeBSD's answer is an int or None when unset."""
    value = delegation.audit_uid()
    assert value is None or isinstance(value, int)
