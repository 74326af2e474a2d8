"""Build a simulated FreeBSD host on disk: jail.conf, rc.conf, jail roots, running state.

``init_host(dir)`` makes the realistic demo host: eight jails running from
``jail_list`` (web, db, mail, dns, a vnet jail vpn, git, cache, ci) plus
``staging``, configured but stopped.  It uses the standard jail.conf.d
layout: ``/etc/jail.conf`` holds the globals and ``.include
"/etc/jail.conf.d/*.conf"``, and git, cache, ci and staging each have a
file there holding only their block (so rc.d/jail runs ``jail -f
/etc/jail.conf``, docs/freebsd.md 8.2).  rc.conf is split the way rc.subr
reads it (docs/freebsd.md 8.1): ``jail_enable`` in ``/etc/rc.conf``,
``jail_parallel_start`` in ``/etc/rc.conf.local``, ``jail_list`` in
``/etc/rc.conf.d/jail``.
``init_host(dir, jails=1000, processes=50000)`` makes a benchmark host.

The configuration files are written first and the running state is derived
from the same definitions, so what jls shows is what jail.conf says.
Everything is deterministic for a given ``seed`` (and clock).
"""

from __future__ import annotations

import glob as globmod
import ipaddress
import os
import random
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jailtui.core.freebsd import jailconf
from jailtui.core.freebsd.jailconf.dialect import release_major
from jailtui.core.owners import iocage
from jailtui.core.transport.hostfs import PathMap
from jailtui.sim import catalog, hardening, passwd, rc
from jailtui.sim.context import clock
from jailtui.sim.lifecycle import CreateSpec, create
from jailtui.sim.state import (
    MARKER,
    OWNED_ENTRIES,
    Login,
    NotASimDir,
    Proc,
    State,
    Store,
    is_ours,
    read_marker,
    write_marker,
)

JAILS_DIR = "/usr/local/jails"

#: Tools a jail's shell finds on PATH (SIMDIR/jailbin, seen as
#: /.jailtui-sim/host/jailbin inside the confined jail): they answer as seen
#: from inside the jail (JAILTUI_SIM_JAIL).
JAIL_TOOLS = ("hostname", "ps", "who", "service", "sysctl", "jls", "jail", "kill", "chflags")


@dataclass
class Role:
    """What kind of jail: its rc.d services, its users, its extra rc.conf lines."""

    services: tuple[str, ...]
    users: tuple[str, ...] = ()
    rc_extra: tuple[str, ...] = ()
    #: Extra worker processes used to fill big hosts: (user, comm, args, stat, vsz, rss, load).
    filler: tuple[str, str, str, str, int, int, float] = (
        "root", "sh", "/bin/sh /usr/local/bin/healthcheck", "I", 13_900, 3_100, 0.0)


ROLES: dict[str, Role] = {
    "web": Role(("sshd", "nginx"), ("deploy",),
                filler=("www", "php-fpm", "php-fpm: pool www (php-fpm)", "S", 79_204, 31_420, 0.4)),
    "db": Role(("postgresql",), ("postgres",),
               ('postgresql_data="/var/db/postgres/data16"',),
               filler=("postgres", "postgres", "postgres: app appdb 10.0.0.11(51782) idle ",
                       "Ss", 183_624, 40_112, 0.3)),
    "mail": Role(("postfix", "dovecot"), ("postfix", "dovecot", "dovenull"),
                 filler=("dovecot", "imap", "dovecot/imap", "S", 22_640, 8_812, 0.1)),
    "dns": Role(("unbound",)),
    "vpn": Role(("openvpn",), (), ('gateway_enable="YES"', 'ifconfig_epair0b="inet 10.99.0.2/24"'),
                filler=("nobody", "openvpn", "/usr/local/sbin/openvpn --config "
                        "/usr/local/etc/openvpn/client.conf", "Ss", 27_852, 9_540, 0.2)),
    "git": Role(("sshd", "gitea"), ("git",),
                filler=("git", "git", "/usr/local/bin/git upload-pack /var/db/git/app.git",
                        "S", 21_512, 9_200, 0.5)),
    "cache": Role(("redis", "memcached"), ("redis",),
                  filler=("redis", "redis-server", "/usr/local/bin/redis-server 127.0.0.1:6380 "
                          "(redis-server)", "Ss", 64_636, 18_096, 0.3)),
    "ci": Role(("sshd", "gitlab_runner"), ("runner",),
               filler=("runner", "cc", "/usr/bin/cc -O2 -pipe -c main.c -o main.o", "R", 248_040,
                       121_856, 35.0)),
}


@dataclass
class JailDef:
    """One jail of the built host."""

    name: str
    role: str
    ip4: list[str] = field(default_factory=list)
    ip6: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    running: bool = True
    #: Configured in /etc/jail.conf.d/NAME.conf instead of /etc/jail.conf.
    conf_d: bool = False
    depend: str = ""
    comment: str = ""
    #: The jail manager that owns it ("" for /etc/jail.conf); its files are written
    #: by jailtui.sim.managers.layout, not into jail.conf or jail_list.
    owner: str = ""
    #: The jail root when it is not /usr/local/jails/NAME (a manager's layout).
    root: str = ""
    hostname_override: str = ""

    @property
    def path(self) -> str:
        return self.root or f"{JAILS_DIR}/{self.name}"

    @property
    def hostname(self) -> str:
        return self.hostname_override or f"{self.name}.example.org"


def demo_jails() -> list[JailDef]:
    """The default host's jails (see module docstring)."""
    return [
        JailDef("web", "web", ["10.0.0.11", "10.0.0.12"], ["fd00:10::11"],
                comment="public web server: nginx, two addresses and one IPv6"),
        JailDef("db", "db", ["10.0.0.21"], params={"sysvmsg": "new", "sysvsem": "new",
                                                    "sysvshm": "new"},
                comment="PostgreSQL 16; SysV IPC namespaces of its own"),
        JailDef("mail", "mail", ["10.0.0.31"], comment="postfix + dovecot"),
        JailDef("dns", "dns", ["10.0.0.53"], ["fd00:10::53"], comment="unbound resolver"),
        JailDef("vpn", "vpn", params={"vnet": "new", "allow.raw_sockets": True,
                                      "devfs_ruleset": 5},
                comment="VNET jail: own network stack, epair0b moved in"),
        JailDef("git", "git", ["10.0.0.61"], depend="db", conf_d=True,
                comment="gitea; needs db"),
        JailDef("cache", "cache", ["10.0.0.71"], conf_d=True,
                params=dict(hardening.LOOSENED_PARAMS),
                comment="redis + memcached; loosened (raw sockets, all mounts visible, "
                        "chflags, no file flags)"),
        JailDef("ci", "ci", ["10.0.0.81"], params={"securelevel": 3, "children.max": 2},
                conf_d=True, comment="CI runner; may create child jails"),
        JailDef("staging", "web", ["10.0.0.91"], running=False, conf_d=True,
                comment="not in jail_list: started by hand"),
    ]


def bench_jails(n: int) -> list[JailDef]:
    """``n`` jails for benchmarks, roles cycling, one address each."""
    roles = [r for r in ROLES if r != "vpn"]
    out: list[JailDef] = []
    for i in range(n):
        role = roles[i % len(roles)]
        addr = ipaddress.IPv4Address("10.1.0.0") + 10 + i
        out.append(JailDef(f"{role}{i + 1:04d}", role, [str(addr)]))
    return out


# -- files ---------------------------------------------------------------------

_HEADER_GLOBALS = """\
exec.start = "/bin/sh /etc/rc";
exec.stop = "/bin/sh /etc/rc.shutdown jail";
exec.clean;
exec.consolelog = "/var/log/jail_console_${name}.log";
mount.devfs;
path = "/usr/local/jails/$name";
host.hostname = "$name.example.org";
"""


def _conf_value(v: Any) -> str:
    if isinstance(v, bool):
        return ""
    text = str(v)
    return text if text.replace(".", "").replace("-", "").isalnum() else f'"{text}"'


def jail_block(d: JailDef) -> str:
    """The jail.conf(5) block of one jail."""
    lines = [f"# {d.comment}"] if d.comment else []
    lines.append(f"{d.name} {{")
    if d.ip4:
        lines.append("    ip4.addr = " + ", ".join(f'"em0|{a}/24"' for a in d.ip4) + ";")
    if d.ip6:
        lines.append("    ip6.addr = " + ", ".join(f'"em0|{a}/64"' for a in d.ip6) + ";")
    for k, v in d.params.items():
        if k == "vnet":
            lines.append("    vnet;")
            lines.append('    vnet.interface = "epair0b";')
        elif v is True:
            lines.append(f"    {k};")
        else:
            lines.append(f"    {k} = {_conf_value(v)};")
    if d.depend:
        lines.append(f"    depend = {d.depend};")
    lines.append("}")
    return "\n".join(lines) + "\n"


#: The include line of the standard jail.conf.d layout (jail.conf(5)).
CONF_D_INCLUDE = '.include "/etc/jail.conf.d/*.conf";'


def write_jail_conf(paths: PathMap, defs: list[JailDef]) -> None:
    """/etc/jail.conf with the globals and the include; a file per conf_d jail.

    Because /etc/jail.conf includes ``/etc/jail.conf.d/``, rc.d/jail passes
    ``-f /etc/jail.conf`` for every jail (docs/freebsd.md 8.2) and the
    globals apply to the included blocks too; each included file holds
    nothing but its jail's block, which is what jailtui lets a delegate
    edit (docs/security.md 2.7).
    """
    main = ["# /etc/jail.conf: jails of jailhost.example.org, see jail.conf(5).",
            "# Parameters outside a block apply to every jail (included files too).", "",
            _HEADER_GLOBALS]
    for d in defs:
        if d.owner:
            continue
        if d.conf_d:
            _write(paths.real(f"/etc/jail.conf.d/{d.name}.conf"),
                   f"# /etc/jail.conf.d/{d.name}.conf: included by /etc/jail.conf.\n\n"
                   + jail_block(d))
        else:
            main.append(jail_block(d))
    if any(d.conf_d for d in defs):
        main.append(CONF_D_INCLUDE + "\n")
    _write(paths.real("/etc/jail.conf"), "\n".join(main))


def write_host_files(paths: PathMap, defs: list[JailDef], hostname: str,
                     managers: Sequence[str] = ()) -> None:
    enabled = " ".join(d.name for d in defs if d.running and not d.owner)
    _write(paths.real("/etc/rc.conf"), "\n".join([
        f'hostname="{hostname}"',
        'ifconfig_em0="inet 10.0.0.2/24"',
        'defaultrouter="10.0.0.1"',
        'ifconfig_em0_ipv6="inet6 fd00:10::2/64"',
        # The VNET jail vpn's epair: its a end on bridge0, the host's side of
        # 10.99.0.0/24 (if_bridge(4), rc.conf(5) cloned_interfaces).
        'cloned_interfaces="epair0 bridge0"',
        'ifconfig_epair0a="up"',
        'ifconfig_bridge0="inet 10.99.0.1/24 addm epair0a up"',
        'zfs_enable="YES"',
        'sshd_enable="YES"',
        'ntpd_enable="YES"',
        'sendmail_enable="NONE"',
        'dumpdev="AUTO"',
        'jail_enable="YES"',
        # Each manager's rc.d script (rc.d/bastille, rc.d/iocage ...; docs/managers.md 1.0).
        *(f'{m}_enable="YES"' for m in managers),
        "",
    ]))
    # rc.subr sources these after rc.conf (docs/freebsd.md 8.1).
    _write(paths.real("/etc/rc.conf.local"),
           "# /etc/rc.conf.local: host-local settings, read after /etc/rc.conf.\n"
           'jail_parallel_start="NO"\n')
    _write(paths.real("/etc/rc.conf.d/jail"),
           "# /etc/rc.conf.d/jail: read by rc.d/jail (load_rc_config jail).\n"
           f'jail_list="{enabled}"\n')
    users = ([passwd.HOST_ROOT, *passwd.BASE_USERS[1:]] + list(passwd.PORT_USERS.values())
             + [passwd.ADMIN])
    _write(paths.real("/etc/passwd"), passwd.render(users))
    # /var/backups: FreeBSD's own (periodic(8) writes there); a UFS jail's archives go
    # there by default ([backup] target, core/storage/backup.py).
    for d in ("/var/log", "/var/run", "/var/backups", "/tmp", "/root", "/home/admin",
              JAILS_DIR):
        os.makedirs(paths.real(d), exist_ok=True)
    _write(paths.real("/var/run/utx.active"), "")


def write_jail_root(paths: PathMap, d: JailDef) -> None:
    role = ROLES[d.role]
    root = d.path
    # The base system's directories (empty here: sim/confine.py lends this
    # machine's binaries there, read-only, when a command runs in the jail).
    for sub in ("etc", "dev", "tmp", "root", "var/run", "var/log", "var/db", "usr/local/etc/rc.d",
                "usr/local/bin", "bin", "sbin", "lib", "libexec", "usr/bin", "usr/sbin",
                "usr/lib", "usr/libexec", "usr/share"):
        os.makedirs(paths.real(f"{root}/{sub}"), exist_ok=True)
    lines = [f"# /etc/rc.conf of jail {d.name}", 'syslogd_flags="-ss"', 'sendmail_enable="NONE"',
             'clear_tmp_enable="YES"', 'cron_flags="-s"']
    lines += [f'{catalog.BY_NAME[s].rcvar}="YES"' for s in role.services]
    lines += list(role.rc_extra)
    _write(paths.real(f"{root}/etc/rc.conf"), "\n".join(lines) + "\n")
    users = list(passwd.BASE_USERS)
    for u in role.users:
        user = passwd.PORT_USERS.get(u) or passwd.JAIL_ONLY_USERS[u]
        users.append(user)
        if user.home.startswith("/home/"):
            os.makedirs(paths.real(root + user.home), exist_ok=True)
    _write(paths.real(f"{root}/etc/passwd"), passwd.render(users))
    for s in role.services:
        svc = catalog.BY_NAME[s]
        if svc.port:
            _write(paths.real(root + svc.script), _rc_script(svc), mode=0o755)
    _write(paths.real(f"{root}/var/run/utx.active"), "")


def _rc_script(svc: catalog.Service) -> str:
    return (f"#!/bin/sh\n#\n# PROVIDE: {svc.name}\n# REQUIRE: LOGIN cleanvar\n"
            f"# KEYWORD: shutdown\n#\n# Add the following line to /etc/rc.conf to enable "
            f"{svc.name}:\n# {svc.rcvar}=\"YES\"\n\n. /etc/rc.subr\n\nname=\"{svc.name}\"\n"
            f"rcvar={svc.rcvar}\n\nload_rc_config $name\n\n: ${{{svc.rcvar}:=\"NO\"}}\n"
            + (f"pidfile=\"{svc.pidfile}\"\n" if svc.pidfile else "")
            + "\nrun_rc_command \"$1\"\n")


def _write(path: str, text: str, mode: int = 0o644) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


# -- running state ---------------------------------------------------------------

# Kernel threads and early processes of a FreeBSD 14 host (pid, command, stat).
_KERNEL = (
    (0, "[kernel]", "kernel", "DLs"), (1, "/sbin/init", "init", "ILs"),
    (2, "[KTLS]", "KTLS", "DL"), (3, "[crypto]", "crypto", "DL"),
    (4, "[crypto returns 0]", "crypto returns 0", "DL"), (5, "[cam]", "cam", "DL"),
    (6, "[zfskern]", "zfskern", "DL"), (7, "[rand_harvestq]", "rand_harvestq", "DL"),
    (8, "[pagedaemon]", "pagedaemon", "DL"), (9, "[vmdaemon]", "vmdaemon", "DL"),
    (10, "[audit]", "audit", "DL"), (11, "[idle]", "idle", "RNL"), (12, "[intr]", "intr", "WL"),
    (13, "[geom]", "geom", "DL"), (14, "[sequencer 00]", "sequencer 00", "DL"),
    (15, "[usb]", "usb", "DL"), (16, "[acpi_thermal]", "acpi_thermal", "DL"),
    (17, "[bufdaemon]", "bufdaemon", "DL"), (18, "[vnlru]", "vnlru", "DL"),
    (19, "[syncer]", "syncer", "DL"),
)


def _host_processes(state: State, paths: PathMap, now: float, boot: float,
                    used: set[int], rng: random.Random) -> None:
    for pid, args, comm, stat in _KERNEL:
        load = 100.0 * state.ncpu * 0.93 if comm == "idle" else (0.2 if comm == "intr" else 0.0)
        state.procs.append(Proc(pid, 0 if pid <= 1 else 0, 0, 0, stat, 0 if pid != 1 else 11_824,
                                0 if pid != 1 else 1_100, boot + (0 if pid < 2 else 0.2), "",
                                comm, args, "", load))
        used.add(pid)
    state.next_pid = 20
    for svc in rc.enabled_services(paths, "/", jailed=False):
        rc.start_service(state, 0, paths, "/", svc, boot + 5 + rng.random() * 3, used=used)
    for n in range(8):
        pid = state.alloc_pid(used)
        state.procs.append(Proc(pid, 1, 0, 0, "Is+", 13_680, 2_504, boot + 9, f"ttyv{n}",
                                "getty", f"/usr/libexec/getty Pc ttyv{n}", "", 0.0))


def _login(state: State, jid: int, key: str, user: passwd.User, line: str, host: str,
           since: float, used: set[int]) -> None:
    """An ssh login: utmpx record plus sshd session processes and the login shell."""
    sshd = rc.main_proc(state, jid, "sshd")
    priv = state.alloc_pid(used)
    sess = state.alloc_pid(used)
    sh = state.alloc_pid(used)
    state.procs += [
        Proc(priv, sshd.pid if sshd else 1, jid, 0, "Is", 22_072, 10_480, since, "", "sshd",
             f"sshd: {user.name} [priv] (sshd)"),
        Proc(sess, priv, jid, user.uid, "S", 22_072, 10_820, since + 0.1, "", "sshd",
             f"sshd: {user.name}@{line} (sshd)", "", 0.0),
        Proc(sh, sess, jid, user.uid, "Is+", 14_240, 3_960, since + 0.2, line, "sh",
             "-sh (sh)"),
    ]
    state.logins.setdefault(key, []).append(Login(user.name, line, host, since))


def _fill(state: State, total: int, defs: list[JailDef], now: float, used: set[int],
          rng: random.Random) -> None:
    """Add role workers round-robin over running jails until ``total`` processes exist."""
    running = [(d, state.jail_by_name(d.name)) for d in defs if d.running]
    running = [(d, j) for d, j in running if j is not None]
    if not running:
        return
    i = 0
    uids = {u.name: u.uid for u in (*passwd.BASE_USERS, *passwd.PORT_USERS.values(),
                                    *passwd.JAIL_ONLY_USERS.values())}
    parents: dict[int, int] = {}
    for _d, j in running:
        assert j is not None
        for svc in ("nginx", "postgresql", "dovecot", "gitea", "redis", "openvpn",
                    "gitlab_runner"):
            mp = rc.main_proc(state, j.jid, svc)
            if mp is not None:
                parents.setdefault(j.jid, mp.pid)
    while len(state.procs) < total:
        d, j = running[i % len(running)]
        assert j is not None
        i += 1
        user, comm, args, stat, vsz, rss, load = ROLES[d.role].filler
        uid = uids.get(user, 65534)
        state.procs.append(Proc(state.alloc_pid(used), parents.get(j.jid, 1), j.jid, uid, stat,
                                vsz, int(rss * (0.8 + 0.4 * rng.random())),
                                now - rng.random() * 86_400, "", comm, args, "",
                                round(load * (0.5 + rng.random()), 2)))


#: ``sim init --freebsd N``: the release each simulated generation reports.
#: The jail managers of the demo host (``sim init`` without --managers): the two most
#: used ones, so the console shows owned jails beside the plain ones.
DEMO_MANAGERS: tuple[str, ...] = ("bastille", "iocage")

RELEASES = {14: ("14.3-RELEASE", 1403000), 15: ("15.0-RELEASE", 1500068)}


class HostExists(NotASimDir):
    """``sim init`` on a directory that is not free to build in."""


def prepare_dir(simdir: str | os.PathLike[str], *, force: bool) -> Path:
    """Make ``simdir`` ready for a new host, deleting only what a host is made of.

    An empty or missing directory is used as is. A non-empty one must carry
    the marker (it is one of ours) and then is replaced only with ``force``:
    ``sim init ~`` or ``sim init /`` must never delete ``~/root`` or ``/root``.
    """
    base = Path(simdir)
    if base.exists() and not base.is_dir():
        raise HostExists(f"{base}: not a directory")
    base = base.resolve()
    entries = sorted(p.name for p in base.iterdir()) if base.is_dir() else []
    if entries:
        if not is_ours(base):
            raise HostExists(f"{base}: not empty and not a simulated host (no {MARKER}); "
                             "refusing to touch it: use an empty or new directory")
        if not force:
            raise HostExists(f"{base}: already a simulated host; add --force to replace it")
        for name in OWNED_ENTRIES:
            path = base / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
    base.mkdir(parents=True, exist_ok=True)
    return base


def init_host(simdir: str | os.PathLike[str], jails: int | None = None,
              processes: int | None = None, seed: int = 0, *, now: float | None = None,
              managers: Sequence[str] | None = None, freebsd: int = 15,
              dying_seconds: float = 30.0, ps_jail_keyword: bool = True,
              racct: bool = True, force: bool = False, ufs_dir_jail: bool = False) -> Path:
    """Create a simulated host in ``simdir`` (replace ours with ``force``); return its path.

    Without numbers: the demo host. With ``jails``: that many jails of
    cycling roles; with ``processes``: filler workers until the host runs
    about that many processes in total. ``now`` (default: the simulated
    clock) is when the host is built; boot and start times lie before it.
    Raises HostExists for a directory that is not free (prepare_dir).
    ``managers`` (``bastille``, ``iocage``, ``appjail``, ``pot``, ``ezjail``) lays out
    those managers' files with two jails each, one running (jailtui.sim.managers.layout);
    None: DEMO_MANAGERS on the demo host, none on a benchmark host; ``()``: none.
    ``freebsd`` (14 or 15) picks the generation whose rules the kernel,
    jail(8) and jls follow; a removed jail stays dying ``dying_seconds``;
    ``ps_jail_keyword=False`` is a ps(1) without the ``jail`` keyword;
    ``racct=False`` a kernel booted with kern.racct.enable=0 (rctl refuses
    everything, docs/freebsd.md 7.2); ``ufs_dir_jail`` adds the jail
    :data:`UFS_DIR_JAIL`, whose root is a directory on a UFS disk mounted at
    :data:`UFS_DISK` (not the mount point itself, as staging's is: the UFS standby
    swap, docs/freebsd.md 12.9). All are recorded in the state, so ``sim reset``
    keeps them.
    """
    if freebsd not in RELEASES:
        raise ValueError(f"FreeBSD {freebsd} is not simulated (14 or 15)")
    if managers is None:
        managers = DEMO_MANAGERS if jails is None else ()
    base = prepare_dir(simdir, force=force)
    now = clock() if now is None else now
    rng = random.Random(seed)
    build: dict[str, Any] = {"jails": jails, "processes": processes, "seed": seed,
                             "freebsd": freebsd, "dying_seconds": dying_seconds,
                             "ps_jail_keyword": ps_jail_keyword, "racct": racct,
                             # Always recorded (even empty), so reset rebuilds the same.
                             "managers": list(managers)}
    if ufs_dir_jail:
        build["ufs_dir_jail"] = True  # only when asked: a plain host's marker is unchanged
    # The marker first: a build interrupted half-way is still ours to replace.
    write_marker(base, build)
    paths = PathMap(root=str(base / "root"))
    defs = demo_jails() if jails is None else bench_jails(jails)
    from jailtui.sim.managers import layout
    managed = layout.managed_jails(managers)
    defs += [JailDef(m.kernel_name, m.role, [m.ip4], running=m.running, owner=m.manager,
                     root=m.root, hostname_override=m.hostname, params=dict(m.params))
             for m in managed]
    if ufs_dir_jail:
        defs.append(ufs_dir_jail_def())
    state = State(build=build, freebsd=freebsd, dying_seconds=max(0.0, dying_seconds),
                  ps_jail_keyword=ps_jail_keyword, racct=racct)
    state.osrelease, state.osreldate = RELEASES[freebsd]
    state.boot = now - 12 * 86_400 - 3_600 * rng.random() * 5
    write_jail_conf(paths, defs)
    write_host_files(paths, defs, state.hostname, managers)
    layout.write(paths, managers, managed)
    for d in defs:
        write_jail_root(paths, d)
    _write_posture(state, paths, defs, now, demo=jails is None)
    if jails is None:
        # After every file of the roots is written: the pool's first snapshots copy them.
        _build_pool(base, defs, int(now))
    used: set[int] = set()
    _host_processes(state, paths, now, state.boot, used, rng)
    _login(state, 0, "", passwd.ADMIN, "pts/0", "192.0.2.10", now - 2 * 3_600 - 17 * 60, used)
    jail_start = state.boot + 30
    #: What each running jail's /etc/rc printed at boot, for its exec.consolelog.
    boot_logs: dict[str, str] = {}
    for d in defs:
        if not d.running:
            continue
        spec = CreateSpec(d.name, d.path, d.hostname, list(d.ip4), list(d.ip6),
                          params=dict(d.params))
        j = create(state, spec, jail_start)
        rcv = rc.rc_vars(paths, j.path)
        words: list[str] = []
        for svc in rc.services(paths, j.path, jailed=True):
            if rc.enabled(svc, rcv) and svc.name == "motd":
                words.append("Updating motd:.")
            if rc.enabled(svc, rcv) and svc.procs:
                words.append(f"Starting {svc.name}.")
                rc.start_service(state, j.jid, paths, j.path, svc,
                                 jail_start + rng.random() * 4, used=used, rcv=rcv)
        boot_logs[d.name] = rc.console_text(words, jail_start + 5)
        if d.params.get("vnet") == "new":
            # jail(8)'s ``ifconfig epair0b vnet JID`` (vnet.interface, jail_block).
            state.vnet_moved["epair0b"] = j.jid
        jail_start += 1 + rng.random()
    if jails is None:
        web = state.jail_by_name("web")
        ci = state.jail_by_name("ci")
        if web is not None:
            _login(state, web.jid, "web", passwd.JAIL_ONLY_USERS["deploy"], "pts/1",
                   "203.0.113.7", now - 41 * 60, used)
        if ci is not None:
            _login(state, ci.jid, "ci", passwd.JAIL_ONLY_USERS["runner"], "pts/2",
                   "198.51.100.23", now - 5 * 60, used)
        # A few limits, as an administrator would set them (docs/freebsd.md 7).
        # Bastille's rdr anchor of its running jail (``bastille rdr shop tcp 8080 80``
        # and 8443 443; rdr.sh, docs/managers.md).
        shop = state.jail_by_name("shop")
        if shop is not None and shop.ip4:
            state.pf_anchors["rdr/shop"] = [
                f"rdr on em0 inet proto tcp from any to any port = {outer} -> {shop.ip4[0]} "
                f"port {inner}" for outer, inner in ((8080, 80), (8443, 443))]
        state.rules = ["jail:db:memoryuse:deny=2147483648", "jail:web:maxproc:deny=256",
                       "jail:ci:pcpu:deny=200", "jail:ci:vmemoryuse:log=8589934592"]
    if processes is not None:
        _fill(state, processes, defs, now, used, rng)
    state.procs.sort(key=lambda p: p.pid)
    Store(base).initialise(state)
    _write_console_logs(paths, boot_logs, state.osrelease)
    write_jail_shims(base)
    return base


def _write_console_logs(paths: PathMap, texts: Mapping[str, str], osrelease: str) -> None:
    """Each running jail's ``exec.consolelog``, as jail(8) appended its rc's output at
    boot (usr.sbin/jail/command.c ``run_command``): the file its configuration names,
    read the way the simulated jail(8) reads it (the host's jail.conf and
    jail.conf.d, and a manager's per-jail jail.conf)."""
    candidates = ["/etc/jail.conf", *sorted(
        paths.host(p) for p in globmod.glob(paths.real("/etc/jail.conf.d/*.conf"))), *sorted(
        paths.host(p) for p in globmod.glob(paths.real("/usr/local/bastille/jails/*/jail.conf")))]
    left = dict(texts)
    # iocage: its start passes exec.consolelog itself (docs/managers.md 1.2).
    for file in globmod.glob(paths.real(f"{iocage.DEFAULT_ROOT}/jails/*/config.json")):
        name = os.path.basename(os.path.dirname(file))
        text = left.pop(iocage.kernel_name(name), None)
        if text is not None:
            _append(paths, iocage.console_log(paths.host(file), name), text)
    for conf in candidates:
        try:
            cfg = jailconf.load(conf, read=lambda p: Path(paths.real(p)).read_text(),
                                glob=lambda g: sorted(paths.host(p) for p in
                                                      globmod.glob(paths.real(g))),
                                freebsd=release_major(osrelease))
        except (OSError, jailconf.JailConfError):
            continue
        for name in [n for n in left if n in cfg.jail_names()]:
            log = cfg.effective(name).get("exec.consolelog")
            text = left.pop(name)
            if isinstance(log, str) and log.startswith("/"):
                _append(paths, log, text)


def _append(paths: PathMap, host_path: str, text: str) -> None:
    real = paths.real(host_path)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "a", encoding="utf-8") as f:
        f.write(text)


#: Jails of the demo host with child datasets (``/var`` of their own) and what their
#: data takes beyond the base system; staging stays on UFS (a disk of its own).
POOL_CHILDREN = {"db": ("var",), "git": ("var",)}
POOL_EXTRA = {"db": 380 * 1024 ** 2, "git": 95 * 1024 ** 2, "mail": 40 * 1024 ** 2,
              "ci": 610 * 1024 ** 2}
UFS_JAILS = ("staging",)
#: ``sim init --ufs-dir-jail``: a jail whose root is a directory on a UFS disk of its
#: own mounted at UFS_DISK (a standby copy beside it is on the same file system).
UFS_DIR_JAIL = "legacy"
UFS_DISK = "/ufs"


def ufs_dir_jail_def() -> JailDef:
    root = f"{UFS_DISK}/jails/{UFS_DIR_JAIL}"
    return JailDef(UFS_DIR_JAIL, "web", ["10.0.0.95"], conf_d=True, root=root,
                   params={"path": root},
                   comment="its root is a directory on the UFS disk at /ufs (standby swap)")


def _build_pool(base: Path, defs: list[JailDef], now: int) -> None:
    """The demo host's ZFS pool: one dataset per jail root (docs/freebsd.md 12.1)."""
    from jailtui.sim import zfs_model

    datasets: dict[str, int] = {}
    ufs: list[str] = []
    for d in defs:
        if d.name in UFS_JAILS:
            ufs.append(d.path)
            continue
        if d.path.startswith(UFS_DISK + "/"):
            if UFS_DISK not in ufs:
                ufs.append(UFS_DISK)
            continue
        name = zfs_model.dataset_for(d.path)
        if name is None:
            continue
        datasets[name] = zfs_model.BASE_BYTES + POOL_EXTRA.get(d.name, 0)
        for child in POOL_CHILDREN.get(d.name, ()):
            datasets[f"{name}/{child}"] = POOL_EXTRA.get(d.name, 0) // 3
            os.makedirs(PathMap(root=str(base / "root")).real(f"{d.path}/{child}"),
                        exist_ok=True)
    zfs_model.build(base, datasets, ufs, now)


def _write_posture(state: State, paths: PathMap, defs: list[JailDef], now: float, *,
                   demo: bool) -> None:
    """freebsd-version, pkg and its databases, logs and file flags of the host and of
    every jail root; on the demo host one loosened and one unpatched jail
    (sim/hardening.py)."""
    from jailtui.sim import devfs
    _write(paths.real("/etc/defaults/devfs.rules"), devfs.DEFAULT_RULES)
    current = hardening.current_userland(state.osrelease)
    hardening.write_root(state, paths.real("/"), "/", userland=current, services=(),
                         now=now, hardened=True)
    for d in defs:
        unpatched = demo and d.name == hardening.UNPATCHED
        hardening.write_root(
            state, paths.real(d.path), d.path,
            userland=hardening.OLD_USERLAND if unpatched else current,
            services=ROLES[d.role].services, now=now,
            hardened=not (demo and d.name == hardening.LOOSENED),
            old_packages=unpatched, db_age_days=40.0 if unpatched else 0.25,
            pkgbase=demo and d.name == hardening.PKGBASE)


def write_jail_shims(base: Path) -> None:
    """SIMDIR/jailbin: the in-jail tools, with the paths they have inside the sandbox."""
    from jailtui.sim.confine import SIM_MOUNT, python_for_tools
    from jailtui.sim.shims import write_shims  # here: shims import main, main imports builder

    write_shims(base, base / "jailbin", tools=JAIL_TOOLS, python=python_for_tools(),
                simdir_as=f"{SIM_MOUNT}/host", pkg_parent_as=f"{SIM_MOUNT}/pkg")


def ensure_jail_shims(base: Path) -> None:
    """Rewrite SIMDIR/jailbin if it predates confinement (a host built earlier)."""
    from jailtui.sim.confine import SIM_MOUNT

    try:
        if SIM_MOUNT in (base / "jailbin" / "ps").read_text(encoding="utf-8"):
            return
    except OSError:
        pass
    write_jail_shims(base)


def reset(simdir: str | os.PathLike[str]) -> Path:
    """Rebuild ``simdir`` with the parameters it was created with.

    They come from the marker, so a corrupt state.json can be reset too;
    a directory without the marker is not ours and is refused.
    """
    base = Path(simdir)
    if not base.is_dir() or not is_ours(base):
        from jailtui.sim.state import check_simdir

        check_simdir(base)  # says why it is not a host
        raise HostExists(f"{base}: not made by jailtui sim init (no {MARKER}); refusing to "
                         "reset it")
    build = read_marker(base)
    jails, procs = build.get("jails"), build.get("processes")
    # A marker without the key predates managers on the demo host: it had none.
    managers = build.get("managers") or ()
    return init_host(base, jails if isinstance(jails, int) else None,
                     procs if isinstance(procs, int) else None,
                     int(build.get("seed", 0) or 0), force=True,
                     managers=tuple(str(m) for m in managers),
                     freebsd=int(build.get("freebsd", 15) or 15),
                     dying_seconds=float(build.get("dying_seconds", 30.0) or 0.0),
                     ps_jail_keyword=bool(build.get("ps_jail_keyword", True)),
                     racct=bool(build.get("racct", True)),
                     ufs_dir_jail=bool(build.get("ufs_dir_jail", False)))


def describe(simdir: Path) -> str:
    """One line on what a host holds, for ``sim init`` and ``sim reset``."""
    with Store(simdir).read() as st:
        running = sum(1 for j in st.jails if not j.dying)
        return (f"{running} running jails, {len(st.procs)} processes, "
                f"host {st.hostname} ({st.osrelease})")
