"""Who is running jailtui, and what the root-owned policy lets them do.

Decided on the privileged side, failing closed (docs/security.md 1.4, 6):

- euid 0 with no ``SUDO_UID``/``DOAS_USER`` (or those naming root): host admin.
- euid 0 with a non-zero ``SUDO_UID`` (sudo) or a non-root ``DOAS_USER``
  (doas): a delegate, mapped to jails by the policy file; no entry means no
  console at all. A non-zero SUDO_UID never gives host-admin mode.
- any other user: read-only (what they can read is shown; every action hidden).
- ``--readonly``: read-only whatever the user.

The policy (``/usr/local/etc/jailtui/policy.toml``) must be owned by root and
writable by nobody else, and so must its directory and jailtui's own code;
otherwise a delegate session refuses to start (in the spirit of sshd's
StrictModes).
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.errors import JailtuiError

#: Where the host admin writes the policy (a host path).
POLICY_PATH = "/usr/local/etc/jailtui/policy.toml"

#: Parameters a delegate may edit unless the policy narrows or widens the
#: list: jail-local, cosmetic or in-jail only (security.md 2.6 "Allow").
DEFAULT_EDITABLE = ("host.hostname", "host.domainname", "exec.start", "exec.stop",
                    "exec.jail_user", "exec.timeout", "stop.timeout", "persist",
                    "allow.set_hostname", "allow.reserved_ports",
                    "allow.unprivileged_proc_debug",
                    "securelevel", "osrelease", "osreldate")

#: Never delegable, whatever the policy says: they run commands or mount on
#: the host, or reach other jails (security.md 2.6 "Deny"). Exact names...
NEVER_EDITABLE = frozenset({
    "path", "name", "jid", "host", "ip4", "ip6", "vnet", "interface", "vnet.interface",
    "ip_hostname", "depend", "devfs_ruleset", "enforce_statfs", "mount", "mount.fstab",
    "mount.devfs", "exec.consolelog", "exec.system_user", "exec.system_jail_user", "exec.fib",
    "exec.clean", "allow.chflags", "allow.socket_af", "allow.sysvipc", "allow.vmm",
    "allow.read_msgbuf", "allow.quotas", "allow.dying", "allow.mlock", "sysvmsg", "sysvsem",
    "sysvshm", "ip4.addr", "ip6.addr", "zfs.dataset", ".include",
    # Host-affecting permissions of FreeBSD 14/15 (docs/freebsd.md 5.2): the
    # host's clock, its routing table, its NFS exports, its audit trail,
    # system extended attributes, raw packets on the host's addresses; and the
    # boundary itself: the host's unprivileged users signalling and debugging
    # the jail's processes (kern_jail.c cr_can_tamper_with_subjail).
    "allow.settime", "allow.adjtime", "allow.routing", "allow.nfsd", "allow.extattr",
    "allow.setaudit", "allow.raw_sockets", "allow.unprivileged_parent_tampering",
})
#: ...and prefixes (every host-side exec hook, every mount permission, nesting).
NEVER_EDITABLE_PREFIXES = ("exec.pre", "exec.post", "exec.created", "exec.release",
                           "exec.prepare", "allow.mount", "children.", "mount.")


class PolicyError(JailtuiError):
    """The policy file is unsafe, malformed, or has no entry for this user."""


@dataclass(frozen=True, slots=True)
class DelegateEntry:
    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    jails: frozenset[str] = frozenset()
    actions: frozenset[Action] = frozenset()
    params: tuple[str, ...] = DEFAULT_EDITABLE
    min_securelevel: int | None = None


@dataclass(frozen=True, slots=True)
class PolicyFile:
    delegates: tuple[DelegateEntry, ...] = ()
    path: str = POLICY_PATH
    #: The host admin accepts that delegates on this *simulated* host are
    #: root on the machine running it (test hosts only; sim/confine.py).
    simulated_unconfined: bool = False

    def entries_for(self, user: str, groups: Sequence[str]) -> list[DelegateEntry]:
        return [e for e in self.delegates
                if user in e.users or any(g in e.groups for g in groups)]


@dataclass(frozen=True, slots=True)
class Identity:
    """The person behind this process, and how they got here."""

    user: str
    uid: int
    #: "direct", "sudo" or "doas".
    via: str
    groups: tuple[str, ...] = field(default_factory=tuple)


def is_never_editable(param: str) -> bool:
    """True for a parameter no policy may hand to a delegate."""
    p = param.strip().lower()
    if p in NEVER_EDITABLE:
        return True
    head, _, last = p.rpartition(".")
    if last.startswith("no") and f"{head}.{last[2:]}".lstrip(".") in NEVER_EDITABLE:
        return True  # allow.nomount, nopersist...: the boolean's other spelling
    return any(p.startswith(pre) or p.replace(".no", ".", 1).startswith(pre)
               for pre in NEVER_EDITABLE_PREFIXES)


def parse_policy(text: str, path: str = POLICY_PATH) -> PolicyFile:
    """Parse the TOML policy strictly: unknown keys and actions are errors."""
    import tomllib  # only a delegated session has a policy to read (issue 18: list's imports)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: {exc}") from None
    unknown = set(data) - {"delegate", "simulated_unconfined"}
    if unknown:
        raise PolicyError(f"{path}: unknown key {sorted(unknown)[0]!r}")
    unconfined = data.get("simulated_unconfined", False)
    if not isinstance(unconfined, bool):
        raise PolicyError(f"{path}: simulated_unconfined must be true or false")
    entries = []
    for i, raw in enumerate(data.get("delegate", [])):
        where = f"{path}: delegate #{i + 1}"
        if not isinstance(raw, dict):
            raise PolicyError(f"{where}: not a table")
        bad = set(raw) - {"users", "groups", "jails", "actions", "params", "min_securelevel"}
        if bad:
            raise PolicyError(f"{where}: unknown key {sorted(bad)[0]!r}")
        actions: set[Action] = {Action.VIEW}
        for a in _strs(raw.get("actions", ["view"]), where, "actions"):
            try:
                actions.add(Action(a))
            except ValueError:
                raise PolicyError(f"{where}: unknown action {a!r}") from None
        params = tuple(_strs(raw.get("params", list(DEFAULT_EDITABLE)), where, "params"))
        for p in params:
            if is_never_editable(p):
                raise PolicyError(f"{where}: parameter {p!r} can never be delegated")
        jails = frozenset(_strs(raw.get("jails", []), where, "jails"))
        if not jails or any(j in ("*", "") or "*" in j for j in jails):
            raise PolicyError(f"{where}: 'jails' must name jails exactly (no wildcards)")
        msl = raw.get("min_securelevel")
        if msl is not None and not isinstance(msl, int):
            raise PolicyError(f"{where}: min_securelevel must be an integer")
        entries.append(DelegateEntry(
            users=frozenset(_strs(raw.get("users", []), where, "users")),
            groups=frozenset(_strs(raw.get("groups", []), where, "groups")),
            jails=jails, actions=frozenset(actions), params=params, min_securelevel=msl))
    return PolicyFile(tuple(entries), path, unconfined)


def _strs(value: object, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where}: '{key}' must be a list of strings")
    return list(value)


def check_root_owned(path: str, what: str) -> None:
    """Refuse a file or directory not owned by root or writable by others.

    Every directory up to ``/`` is checked too (a writable parent lets its
    owner swap the file).
    """
    p = Path(path)
    chain = [p, *p.parents]
    for item in chain:
        try:
            st = os.lstat(item)
        except OSError as exc:
            raise PolicyError(f"{what} {item}: {exc.strerror}") from None
        if stat.S_ISLNK(st.st_mode) and item == p:
            raise PolicyError(f"{what} {item}: is a symbolic link")
        sticky = bool(st.st_mode & stat.S_ISVTX) and stat.S_ISDIR(st.st_mode)
        if st.st_uid != 0:
            raise PolicyError(f"{what} {item}: not owned by root")
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not (sticky and item != p):
            raise PolicyError(f"{what} {item}: writable by group or others")


def check_code_safe(package_dir: str) -> None:
    """jailtui's own files must be root-owned and writable by root only."""
    check_root_owned(package_dir, "jailtui code")
    for dirpath, dirnames, filenames in os.walk(package_dir):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in (*dirnames, *filenames):
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise PolicyError(f"jailtui code {full}: not root-owned or writable by others")


#: getauid(2)'s "not set" value: AU_DEFAUDITID, (uid_t)-1 (sys/bsm/audit.h).
AU_DEFAUDITID = 0xFFFFFFFF


def audit_uid() -> int | None:
    """The BSM audit user id of this process, or None where there is none.

    Set at login by sshd and login(1) when the kernel has ``options AUDIT``,
    and unchanged by sudo and su (docs/security.md 1.4): a kernel-backed
    cross-check of SUDO_UID. Linux has no getauid(2), so this is None here.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        getauid = libc.getauid
    except (OSError, AttributeError):
        return None
    auid = ctypes.c_uint32(AU_DEFAUDITID)
    if getauid(ctypes.byref(auid)) != 0:
        return None
    return None if auid.value == AU_DEFAUDITID else int(auid.value)


def check_audit_uid(identity: Identity, auid: int | None) -> None:
    """Refuse a delegate whose login (audit) identity is someone else.

    SUDO_UID says who ran sudo; the audit uid says who logged in. They must
    agree, unless the login was root's (a host admin acting through sudo).
    A "direct" identity is checked too (issue 14 item 7): a non-root uid
    whose login was someone else's is refused; root itself is the host admin
    however it got there (``su -``).
    """
    if auid is None or (identity.via == "direct" and identity.uid == 0):
        return
    if auid not in (identity.uid, 0):
        raise PolicyError(f"audit user id {auid} does not match the invoking user "
                          f"{identity.user} ({identity.uid})")


def identify(environ: Mapping[str, str], euid: int, uid: int) -> Identity:
    """Who invoked us. Under sudo/doas getuid() is 0 and tells nothing.

    ``SUDO_UID`` is trusted only together with a sudoers rule that pins the
    command with NOSETENV (README "Delegating a jail"); it is checked against
    SUDO_USER and the passwd database, and any mismatch fails closed.
    """
    if euid != 0:
        name = _user_name(uid)
        return Identity(name, uid, "direct", _groups(name, uid))
    sudo_uid = environ.get("SUDO_UID")
    doas_user = environ.get("DOAS_USER")
    if sudo_uid is not None and sudo_uid.strip() not in ("", "0"):
        try:
            suid = int(sudo_uid)
        except ValueError:
            raise PolicyError("SUDO_UID is not a number") from None
        name = _user_name(suid)
        if environ.get("SUDO_USER") not in (None, name):
            raise PolicyError("SUDO_USER does not match SUDO_UID")
        return Identity(name, suid, "sudo", _groups(name, suid))
    if doas_user is not None and doas_user not in ("", "root", "toor"):
        try:
            pw = pwd.getpwnam(doas_user)
        except KeyError:
            raise PolicyError(f"DOAS_USER {doas_user!r} is not a user") from None
        if pw.pw_uid == 0:
            return Identity(doas_user, 0, "doas")
        return Identity(doas_user, pw.pw_uid, "doas", _groups(doas_user, pw.pw_uid))
    return Identity(_user_name(0), 0, "direct")


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _groups(name: str, uid: int) -> tuple[str, ...]:
    out = []
    try:
        gid = pwd.getpwuid(uid).pw_gid
        out.append(grp.getgrgid(gid).gr_name)
    except KeyError:
        pass
    out.extend(g.gr_name for g in grp.getgrall() if name in g.gr_mem)
    return tuple(dict.fromkeys(out))


def decide(identity: Identity, *, readonly: bool, policy_text: str | None,
           policy_path: str = POLICY_PATH, requested_jail: str | None = None,
           sim_owner: bool = False) -> tuple[Policy, DelegateEntry | None]:
    """The session's Policy. Raises PolicyError where the session must not run."""
    if identity.via == "direct" and identity.uid == 0:
        role = Role.READ_ONLY if readonly else Role.HOST_ADMIN
        if requested_jail is not None:
            raise PolicyError("--delegate is for delegated users (run through sudo or doas)")
        return Policy(role=role, user=identity.user, uid=0), None
    if identity.via == "direct":
        # An unprivileged user running jailtui directly: read-only, except
        # the owner of a simulated host, who is its root.
        if requested_jail is not None:
            raise PolicyError("--delegate is for delegated users (run through sudo or doas)")
        role = Role.HOST_ADMIN if (sim_owner and not readonly) else Role.READ_ONLY
        return Policy(role=role, user=identity.user, uid=identity.uid), None
    if policy_text is None:
        raise PolicyError(f"{policy_path}: no policy: delegated use is not configured")
    pf = parse_policy(policy_text, policy_path)
    entries = pf.entries_for(identity.user, identity.groups)
    if not entries:
        raise PolicyError(f"user {identity.user} is not a delegate in {policy_path}")
    jails: set[str] = set()
    actions: set[Action] = set()
    for e in entries:
        jails |= e.jails
        actions |= e.actions
    if requested_jail is not None:
        if requested_jail not in jails:
            raise PolicyError(f"user {identity.user} may not administer that jail")
        jails = {requested_jail}
        entries = [e for e in entries if requested_jail in e.jails]
    if readonly:
        actions = {Action.VIEW}
    merged = DelegateEntry(users=frozenset({identity.user}), jails=frozenset(jails),
                           actions=frozenset(actions),
                           params=tuple(dict.fromkeys(p for e in entries for p in e.params)),
                           min_securelevel=max((e.min_securelevel for e in entries
                                                if e.min_securelevel is not None), default=None))
    role = Role.READ_ONLY if readonly else Role.DELEGATE
    return (Policy(role=role, user=identity.user, uid=identity.uid, scope=frozenset(jails),
                   actions=frozenset(actions)), merged)
