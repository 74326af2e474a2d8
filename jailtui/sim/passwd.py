"""passwd(5) files of the simulated host and of each jail.

ps(1) names a process's user from the **host's** passwd, so a uid that
exists only inside a jail shows as a number (docs/freebsd.md 2.1, keyword
``user``); ``jexec -u`` looks users up on the host and ``jexec -U`` in the
jail (docs/freebsd.md 6). The files are real (``SIMDIR/root/etc/passwd`` and
``<jail root>/etc/passwd``), so an admin can add a user with an editor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class User:
    """One passwd(5) line: ``name:*:uid:gid:gecos:home:shell``."""

    name: str
    uid: int
    gid: int
    gecos: str
    home: str
    shell: str

    def line(self) -> str:
        return f"{self.name}:*:{self.uid}:{self.gid}:{self.gecos}:{self.home}:{self.shell}"


_NOLOGIN = "/usr/sbin/nologin"

#: The base system's users (FreeBSD /etc/master.passwd), present everywhere.
BASE_USERS: tuple[User, ...] = (
    User("root", 0, 0, "Charlie &", "/root", "/bin/sh"),
    User("toor", 0, 0, "Bourne-again Superuser", "/root", ""),
    User("daemon", 1, 1, "Owner of many system processes", "/root", _NOLOGIN),
    User("operator", 2, 5, "System &", "/", _NOLOGIN),
    User("bin", 3, 7, "Binaries Commands and Source", "/", _NOLOGIN),
    User("tty", 4, 65533, "Tty Sandbox", "/", _NOLOGIN),
    User("kmem", 5, 65533, "KMem Sandbox", "/", _NOLOGIN),
    User("games", 7, 13, "Games pseudo-user", "/", _NOLOGIN),
    User("news", 8, 8, "News Subsystem", "/", _NOLOGIN),
    User("man", 9, 9, "Mister Man Pages", "/usr/share/man", _NOLOGIN),
    User("sshd", 22, 22, "Secure Shell Daemon", "/var/empty", _NOLOGIN),
    User("smmsp", 25, 25, "Sendmail Submission User", "/var/spool/clientmqueue", _NOLOGIN),
    User("mailnull", 26, 26, "Sendmail Default User", "/var/spool/mqueue", _NOLOGIN),
    User("bind", 53, 53, "Bind Sandbox", "/", _NOLOGIN),
    User("unbound", 59, 59, "Unbound DNS Resolver", "/var/unbound", _NOLOGIN),
    User("proxy", 62, 62, "Packet Filter pseudo-user", "/nonexistent", _NOLOGIN),
    User("_pflogd", 64, 64, "pflogd privsep user", "/var/empty", _NOLOGIN),
    User("_dhcp", 65, 65, "dhcp programs", "/var/empty", _NOLOGIN),
    User("uucp", 66, 66, "UUCP pseudo-user", "/var/spool/uucppublic", "/usr/local/libexec/uucp/uucico"),
    User("pop", 68, 6, "Post Office Owner", "/nonexistent", _NOLOGIN),
    User("auditdistd", 78, 77, "Auditdistd unprivileged user", "/var/empty", _NOLOGIN),
    User("www", 80, 80, "World Wide Web Owner", "/nonexistent", _NOLOGIN),
    User("ntpd", 123, 123, "NTP Daemon", "/var/db/ntp", _NOLOGIN),
    User("_ypldap", 160, 160, "YP LDAP unprivileged user", "/var/empty", _NOLOGIN),
    User("hast", 845, 845, "HAST unprivileged user", "/var/empty", _NOLOGIN),
    User("tests", 977, 977, "Unprivileged user for tests", "/nonexistent", _NOLOGIN),
    User("nobody", 65534, 65534, "Unprivileged user", "/nonexistent", _NOLOGIN),
)

#: Users that packages (ports) add: present on the host (the admin installed
#: the same packages there) and in the jails that run the package.
PORT_USERS: dict[str, User] = {u.name: u for u in (
    User("postfix", 125, 125, "Postfix Mail System", "/var/spool/postfix", _NOLOGIN),
    User("dovecot", 143, 143, "Dovecot User", "/var/empty", _NOLOGIN),
    User("dovenull", 144, 144, "Dovecot login user", "/var/empty", _NOLOGIN),
    User("redis", 535, 535, "Redis Daemon", "/var/db/redis", _NOLOGIN),
    User("postgres", 770, 770, "PostgreSQL Daemon", "/var/db/postgres", "/bin/sh"),
)}

#: Users that exist only inside one jail: ps on the host shows their uid.
JAIL_ONLY_USERS: dict[str, User] = {u.name: u for u in (
    User("git", 211, 211, "Gitea Daemon", "/usr/local/git", "/bin/sh"),
    User("deploy", 1002, 1002, "Deploy user", "/home/deploy", "/bin/sh"),
    User("runner", 2001, 2001, "CI runner", "/home/runner", "/bin/sh"),
)}

#: The host's root: its administrator installed bash and made it root's
#: shell, as many do. ``jexec -l web`` without -U takes the shell and home
#: from the HOST's passwd (jexec.c: get_user_info before jail_attach,
#: docs/freebsd.md 6), so it fails in a jail without bash: the product must
#: pass ``-U root`` (issue 11 item 8).
HOST_ROOT = User("root", 0, 0, "Charlie &", "/root", "/usr/local/bin/bash")

#: The host administrator (logged in on the host's console session).
ADMIN = User("admin", 1001, 1001, "Host administrator", "/home/admin", "/bin/sh")


def render(users: list[User]) -> str:
    """The text of a passwd file for ``users`` (comment header like FreeBSD's)."""
    lines = ["# $FreeBSD$", "#"] + [u.line() for u in users]
    return "\n".join(lines) + "\n"


def parse(text: str) -> list[User]:
    """Users of a passwd(5) text; malformed lines are skipped like getpwent(3) does."""
    users: list[User] = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        f = line.split(":")
        if len(f) < 7:
            continue
        try:
            users.append(User(f[0], int(f[2]), int(f[3]), f[4], f[5], f[6]))
        except ValueError:
            continue
    return users


@lru_cache(maxsize=64)
def _load(path: str, _sig: tuple[int, int]) -> tuple[User, ...]:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return tuple(parse(f.read()))
    except OSError:
        return ()


def load(path: str) -> tuple[User, ...]:
    """Users of the passwd file at ``path`` (this machine's path), cached by mtime."""
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return _load(path, (st.st_mtime_ns, st.st_size))


def by_uid(users: tuple[User, ...]) -> dict[int, str]:
    """uid -> first name with that uid (getpwuid(3) returns the first match)."""
    out: dict[int, str] = {}
    for u in users:
        out.setdefault(u.uid, u.name)
    return out


def by_name(users: tuple[User, ...], name: str) -> User | None:
    for u in users:
        if u.name == name:
            return u
    return None
