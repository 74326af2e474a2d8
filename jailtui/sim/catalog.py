"""The rc.d services the simulated host knows: scripts, rc.conf knobs, processes.

A jail's ``/bin/sh /etc/rc`` starts every service enabled in the jail's
rc.conf (``nginx_enable="YES"``), each as the processes FreeBSD shows for it
(``nginx: master process ...`` plus workers). This table is the single
place that knows what those processes look like; nothing else hard-codes a
command line. Ranks follow rcorder(8) roughly, so ``service -e`` lists
scripts in boot order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProcSpec:
    """One process a service runs.

    ``command`` may contain ``{flags}`` (the ``<name>_flags`` rc.conf value,
    or the default) and ``{child}`` (the pid of the next process of the same
    service, for daemon(8)'s ``daemon: cmd[pid]`` title).
    """

    user: str
    command: str
    comm: str
    stat: str = "Is"
    vsz: int = 14_000
    rss: int = 3_000
    #: Typical %CPU; the displayed value moves around it.
    load: float = 0.0
    #: Index of the parent in the service's spec list, or -1: reparented to
    #: init (pid 1), like every daemon that detached.
    parent: int = -1
    count: int = 1


@dataclass(frozen=True, slots=True)
class Service:
    """One rc.d script."""

    name: str
    script: str
    order: int
    procs: tuple[ProcSpec, ...] = ()
    #: Value of ``<name>_enable`` when rc.conf does not set it (/etc/defaults/rc.conf).
    default_on: bool = False
    default_flags: str = ""
    pidfile: str = ""
    #: rcorder ``KEYWORD: nojail``: never run (nor listed) inside a jail.
    nojail: bool = False
    #: rc.conf variable when it is not ``<name>_enable``.
    rcvar_name: str = ""
    #: Ports services exist only where the package is installed (their rc.d
    #: script is on disk); base services exist everywhere.
    port: bool = False

    @property
    def rcvar(self) -> str:
        return self.rcvar_name or f"{self.name}_enable"


def _base(name: str, order: int, *procs: ProcSpec, default_on: bool = False, flags: str = "",
          pidfile: str = "", nojail: bool = False, rcvar: str = "") -> Service:
    return Service(name, f"/etc/rc.d/{name}", order, procs, default_on, flags, pidfile,
                   nojail, rcvar)


def _port(name: str, order: int, *procs: ProcSpec, flags: str = "", pidfile: str = "") -> Service:
    return Service(name, f"/usr/local/etc/rc.d/{name}", order, procs, False, flags, pidfile,
                   port=True)


_PG = "/usr/local/bin/postgres -D /var/db/postgres/data16"

SERVICES: tuple[Service, ...] = (
    _base("cleanvar", 10, default_on=True),
    _base("devd", 12, ProcSpec("root", "/sbin/devd", "devd", "Ss", 13_380, 2_900),
          default_on=True, pidfile="/var/run/devd.pid", nojail=True),
    _base("zfs", 14, nojail=True),
    _base("newsyslog", 20, default_on=True),
    _base("syslogd", 30, ProcSpec("root", "/usr/sbin/syslogd {flags}", "syslogd", "Ss",
                                  13_704, 2_848, 0.0),
          default_on=True, flags="-s", pidfile="/var/run/syslog.pid"),
    _port("unbound", 35, ProcSpec("unbound", "/usr/local/sbin/unbound -c "
                                  "/usr/local/etc/unbound/unbound.conf", "unbound", "Ss",
                                  61_280, 24_660, 0.4),
          pidfile="/usr/local/etc/unbound/unbound.pid"),
    _base("ntpd", 40, ProcSpec("ntpd", "/usr/sbin/ntpd -p /var/db/ntp/ntpd.pid -c /etc/ntp.conf "
                               "-f /var/db/ntpd.drift", "ntpd", "Ss", 23_116, 6_388, 0.0),
          pidfile="/var/db/ntp/ntpd.pid", nojail=True),
    _port("openvpn", 45, ProcSpec("root", "/usr/local/sbin/openvpn --cd /usr/local/etc/openvpn "
                                  "--daemon openvpn --config /usr/local/etc/openvpn/openvpn.conf "
                                  "--writepid /var/run/openvpn.pid", "openvpn", "Ss",
                                  27_852, 9_540, 0.2),
          pidfile="/var/run/openvpn.pid"),
    _base("virecover", 50, default_on=True),
    _base("motd", 52, default_on=True, rcvar="update_motd"),
    _base("os-release", 53, default_on=True, rcvar="osrelease_enable"),
    _port("postgresql", 60,
          ProcSpec("postgres", _PG, "postgres", "Ss", 181_064, 29_412, 0.1),
          ProcSpec("postgres", "postgres: checkpointer ", "postgres", "Ss", 181_064, 28_904,
                   parent=0),
          ProcSpec("postgres", "postgres: background writer ", "postgres", "Ss", 181_064,
                   28_920, 0.0, parent=0),
          ProcSpec("postgres", "postgres: walwriter ", "postgres", "Ss", 181_064, 28_904,
                   parent=0),
          ProcSpec("postgres", "postgres: autovacuum launcher ", "postgres", "Ss", 182_600,
                   29_488, 0.0, parent=0),
          ProcSpec("postgres", "postgres: logical replication launcher ", "postgres", "Ss",
                   182_600, 29_352, parent=0),
          ProcSpec("postgres", "postgres: app appdb 10.0.0.11(48212) idle ", "postgres", "Ss",
                   183_624, 41_230, 0.6, parent=0, count=3)),
    _port("redis", 62, ProcSpec("redis", "/usr/local/bin/redis-server 127.0.0.1:6379 "
                                "(redis-server)", "redis-server", "Ss", 64_636, 14_096, 0.5),
          pidfile="/var/run/redis/redis.pid"),
    _port("memcached", 63, ProcSpec("nobody", "/usr/local/bin/memcached -l localhost -m 64 "
                                    "-p 11211 -c 1024 -t 4 -U 0 -u nobody -d -P "
                                    "/var/run/memcached/memcached.pid", "memcached", "Ss",
                                    82_424, 7_620, 0.1),
          pidfile="/var/run/memcached/memcached.pid"),
    _base("sshd", 70, ProcSpec("root", "/usr/sbin/sshd", "sshd", "Ss", 21_988, 9_716),
          pidfile="/var/run/sshd.pid"),
    _port("postfix", 72,
          ProcSpec("root", "/usr/local/libexec/postfix/master -w", "master", "Ss", 22_808,
                   6_400),
          ProcSpec("postfix", "qmgr -l -t unix -u", "qmgr", "I", 22_840, 6_548, parent=0),
          ProcSpec("postfix", "pickup -l -t unix -u", "pickup", "I", 22_836, 6_536, parent=0),
          ProcSpec("postfix", "tlsmgr -l -t unix -u", "tlsmgr", "I", 22_980, 6_872, parent=0),
          pidfile="/var/spool/postfix/pid/master.pid"),
    _port("dovecot", 74,
          ProcSpec("root", "/usr/local/sbin/dovecot -c /usr/local/etc/dovecot/dovecot.conf",
                   "dovecot", "Ss", 18_576, 5_912),
          ProcSpec("dovenull", "dovecot/anvil", "anvil", "I", 18_516, 5_620, parent=0),
          ProcSpec("root", "dovecot/log", "log", "I", 18_516, 5_644, parent=0),
          ProcSpec("root", "dovecot/config", "config", "I", 23_112, 9_648, parent=0),
          ProcSpec("dovecot", "dovecot/stats", "stats", "I", 19_524, 6_528, parent=0),
          pidfile="/var/run/dovecot/master.pid"),
    _port("nginx", 76,
          ProcSpec("root", "nginx: master process /usr/local/sbin/nginx", "nginx", "Ss",
                   26_516, 10_900),
          ProcSpec("www", "nginx: worker process (nginx)", "nginx", "S", 31_280, 12_620, 0.3,
                   parent=0, count=2),
          pidfile="/var/run/nginx.pid"),
    _port("gitea", 78,
          ProcSpec("git", "daemon: /usr/local/sbin/gitea[{child}] (daemon)", "daemon", "Ss",
                   13_572, 2_344),
          ProcSpec("git", "/usr/local/sbin/gitea web", "gitea", "S", 1_262_652, 186_004, 0.7,
                   parent=0),
          pidfile="/var/run/gitea.pid"),
    _port("gitlab_runner", 79,
          ProcSpec("root", "daemon: /usr/local/bin/gitlab-runner[{child}] (daemon)", "daemon",
                   "Ss", 13_572, 2_352),
          ProcSpec("runner", "/usr/local/bin/gitlab-runner run --working-directory "
                   "/home/runner --config /usr/local/etc/gitlab-runner/config.toml "
                   "--service gitlab_runner --syslog --user runner", "gitlab-runner", "S",
                   1_287_300, 63_112, 1.8, parent=0),
          pidfile="/var/run/gitlab_runner.pid"),
    _base("cron", 90, ProcSpec("root", "/usr/sbin/cron {flags}", "cron", "Ss", 13_720, 2_624),
          default_on=True, flags="-s", pidfile="/var/run/cron.pid"),
    _base("jail", 95, nojail=True),
)

BY_NAME: dict[str, Service] = {s.name: s for s in SERVICES}


def service_for_script(name: str) -> Service | None:
    """The service whose rc.d script is called ``name`` (``service nginx start``)."""
    return BY_NAME.get(name)


@dataclass(frozen=True, slots=True)
class Listen:
    """One socket a service's first process listens on (what sockstat -l shows).

    ``addr`` is ``*`` for the wildcard (the kernel then binds a jailed socket to
    the jail's only address, if it has exactly one: netinet/in_jail.c
    prison_local_ip4, netinet6/in6_jail.c prison_local_ip6) or a fixed address
    (``127.0.0.1``: a jail without a loopback address of its own gets its first
    address instead, the same functions). ``families``: "4", "6" or "46".
    """

    proto: str
    port: int
    addr: str = "*"
    families: str = "46"


#: The sockets each service listens on, as its default configuration does
#: (sshd_config ListenAddress, nginx.conf listen 80/443, postgresql.conf
#: listen_addresses='*' in the db jail, redis 127.0.0.1, unbound 53, openvpn 1194/udp).
LISTENS: dict[str, tuple[Listen, ...]] = {
    "sshd": (Listen("tcp", 22),),
    "nginx": (Listen("tcp", 80), Listen("tcp", 443)),
    "postgresql": (Listen("tcp", 5432),),
    "redis": (Listen("tcp", 6379, "127.0.0.1", "4"),),
    "memcached": (Listen("tcp", 11211, "127.0.0.1", "4"),),
    "unbound": (Listen("udp", 53), Listen("tcp", 53)),
    "openvpn": (Listen("udp", 1194, families="4"),),
    "postfix": (Listen("tcp", 25),),
    "dovecot": (Listen("tcp", 143), Listen("tcp", 993)),
    "gitea": (Listen("tcp", 3000),),
    "syslogd": (),
    "ntpd": (Listen("udp", 123),),
}
