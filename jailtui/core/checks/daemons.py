"""Which enabled daemons run: the rule of the health check and of a restore's check.

A service enabled in a jail's rc.conf (``X_enable``) is up when one of its
programs shows in that jail's processes (ps ``command``). Kept apart from
core/checks/health.py so a step that needs only this rule (core/storage/restore.py
"verify running") does not import the whole health check (issue 16: its first
import is most of that step's own time in a fresh process).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from jailtui.core.model import Process

#: What a daemon's processes look like in ps, per rc.d script name, where the
#: script name is not the program name. Elsewhere the script's own
#: ``command=``/``procname=`` (rc.subr(8)) or the script name is used.
DAEMON_PROGRAMS: dict[str, tuple[str, ...]] = {
    "postgresql": ("postgres",),
    "postfix": ("master",),
    "mysql": ("mysqld",),
    "redis": ("redis-server",),
    "php_fpm": ("php-fpm",),
    "php-fpm": ("php-fpm",),
    "syslogd": ("syslogd",),
    "cron": ("cron",),
    "sshd": ("sshd",),
    "ntpd": ("ntpd",),
    "named": ("named",),
    "gitea": ("gitea",),
    "openvpn": ("openvpn",),
    "dovecot": ("dovecot",),
    "memcached": ("memcached",),
    "nginx": ("nginx",),
    "unbound": ("unbound",),
    "wireguard": (),  # configures interfaces; no daemon to look for
    "wireguard_kmod": (),
}

#: rc.conf knobs that look like ``X_enable`` but enable no daemon.
NOT_DAEMONS = frozenset({"jail", "ifconfig", "cloned", "gateway", "ipv6_gateway", "zfs",
                         "sendmail_submit", "sendmail_msp_queue", "sendmail_outbound",
                         "clear_tmp", "dumpdev", "moused_nondefault", "sendmail",
                         "background_fsck", "growfs", "linux", "wireguard", "wireguard_kmod"})


_RC_PROGRAM = re.compile(r"""^\s*(?:procname|command)=["']?([^"'\s;]+)""", re.M)


def daemon_programs(service: str, script: str | None = None) -> tuple[str, ...]:
    """Program names that show a service is running.

    The rc.d script's own ``procname=``/``command=`` (rc.subr(8)) when it has
    one, else the table, else the script name (``_`` also read as ``-``:
    gitlab_runner runs gitlab-runner).
    """
    if script:
        found = tuple(m.rsplit("/", 1)[-1] for m in _RC_PROGRAM.findall(script)
                      if not m.startswith("$"))
        if found:
            return found
    if service in DAEMON_PROGRAMS:
        return DAEMON_PROGRAMS[service]
    return tuple(dict.fromkeys((service, service.replace("_", "-"))))


def programs_of(command: str) -> set[str]:
    """Program names in a ps command line.

    ``nginx: master process ...`` -> nginx; daemon(8)'s title
    ``daemon: /usr/local/bin/gitlab-runner[82] (daemon)`` also names the
    program it supervises.
    """
    first = command.split(" ", 1)[0].rstrip(":")
    names = {first.rsplit("/", 1)[-1]}
    if first == "daemon":
        rest = command.split(" ", 2)[1] if " " in command else ""
        names.add(rest.split("[", 1)[0].rsplit("/", 1)[-1])
    return names


def missing_daemons(services: Iterable[str], procs: Sequence[Process],
                    scripts: dict[str, str] | None = None) -> list[str]:
    running: set[str] = set()
    for p in procs:
        running |= programs_of(p.command)
    out = []
    for svc in services:
        if svc in NOT_DAEMONS:
            continue
        programs = daemon_programs(svc, (scripts or {}).get(svc))
        if programs and not any(prog in running for prog in programs):
            out.append(svc)
    return out
