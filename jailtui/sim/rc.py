"""What /etc/rc, /etc/rc.shutdown and rc.subr do inside a simulated jail (or on the host).

``exec.start = "/bin/sh /etc/rc"`` starts every service enabled in the
jail's rc.conf, in rcorder; ``exec.stop = "/bin/sh /etc/rc.shutdown jail"``
stops them in reverse order. Each service becomes the processes
:mod:`jailtui.sim.catalog` describes, owned by the users of the jail's
passwd, with the ``J`` flag (ps adds it for jid != 0).

rc.conf is read with the project's rc.conf parser
(:mod:`jailtui.core.freebsd.rcconf`), from ``/etc/defaults``-like defaults
(:attr:`Service.default_on`) overridden by ``/etc/rc.conf`` and
``/etc/rc.conf.local`` (and, for a service that asks, rc.conf.d).
"""

from __future__ import annotations

import os
import time

from jailtui.core.freebsd import rcconf
from jailtui.core.freebsd.rcconf import checkyesno
from jailtui.core.transport.hostfs import PathMap
from jailtui.sim import catalog, passwd
from jailtui.sim.catalog import Service
from jailtui.sim.rcvars import read_rc_vars
from jailtui.sim.state import Proc, SimJail, State


def rc_vars(paths: PathMap, root: str, *, service: str | None = None) -> dict[str, str]:
    """rc.conf variables of the system rooted at host path ``root`` ("/" for the host).

    With ``service``, what rc.subr's ``load_rc_config SERVICE`` sources:
    rc.conf, rc.conf.local, then ``/etc/rc.conf.d/SERVICE`` and
    ``/usr/local/etc/rc.conf.d/SERVICE``, each a file or a directory of
    files (libexec/rc/rc.subr; core/freebsd/rcconf.load_sources).
    """
    base = root.rstrip("/")
    if service is None:
        out: dict[str, str] = {}
        for rel in rcconf.RC_CONF_FILES:
            out.update(read_rc_vars(paths.real(base + rel) if base else paths.real(rel)))
        return out

    def real(host_path: str) -> str:
        return paths.real(base + host_path) if base else paths.real(host_path)

    def read(host_path: str) -> str | None:
        p = real(host_path)
        if not os.path.isfile(p):
            return None
        with open(p, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()

    def dir_files(host_path: str) -> list[str]:
        p = real(host_path)
        if not os.path.isdir(p):
            return []
        return [f"{host_path}/{n}" for n in sorted(os.listdir(p)) if not n.startswith(".")]

    return rcconf.load_sources(service, read, dir_files).values


def installed(paths: PathMap, root: str, svc: Service) -> bool:
    """Base services exist everywhere; a port's exists where its rc.d script is on disk."""
    if not svc.port:
        return True
    return os.path.exists(paths.real(root.rstrip("/") + svc.script))


def enabled(svc: Service, rcv: dict[str, str]) -> bool:
    val = rcv.get(svc.rcvar)
    return checkyesno(val) if val is not None else svc.default_on


def services(paths: PathMap, root: str, *, jailed: bool) -> list[Service]:
    """Installed services of one system in rcorder (``rcorder -s nojail`` in a jail)."""
    return [s for s in catalog.SERVICES
            if installed(paths, root, s) and not (jailed and s.nojail)]


def enabled_services(paths: PathMap, root: str, *, jailed: bool) -> list[Service]:
    rcv = rc_vars(paths, root)
    return [s for s in services(paths, root, jailed=jailed) if enabled(s, rcv)]


def users_of(paths: PathMap, root: str) -> tuple[passwd.User, ...]:
    """The passwd users of a jail, then the host's (a port user may exist only on the host)."""
    own = passwd.load(paths.real(root.rstrip("/") + "/etc/passwd")) if root != "/" else ()
    return own + passwd.load(paths.real("/etc/passwd"))


def uid_of(users: tuple[passwd.User, ...], name: str) -> int:
    u = passwd.by_name(users, name)
    return u.uid if u is not None else 65534


def main_proc(state: State, jid: int, svc: str) -> Proc | None:
    """The process whose pid rc.subr's check_pidfile finds (the first of the service)."""
    best: Proc | None = None
    for p in state.procs:
        if p.jid == jid and p.svc == svc and (best is None or p.pid < best.pid):
            best = p
    return best


def start_service(state: State, jid: int, paths: PathMap, root: str, svc: Service,
                  now: float, *, used: set[int] | None = None,
                  rcv: dict[str, str] | None = None) -> list[Proc]:
    """Create the processes of ``svc`` in jail ``jid`` (0: the host)."""
    if not svc.procs:
        return []
    rcv = rc_vars(paths, root) if rcv is None else rcv
    users = users_of(paths, root)
    flags = rcv.get(f"{svc.name}_flags", svc.default_flags)
    taken = used if used is not None else {p.pid for p in state.procs}
    expanded = [spec for spec in svc.procs for _ in range(spec.count)]
    index_of_first: dict[int, int] = {}
    k = 0
    for i, spec in enumerate(svc.procs):
        index_of_first[i] = k
        k += spec.count
    pids = [state.alloc_pid(taken) for _ in expanded]
    created: list[Proc] = []
    k = 0
    for spec in svc.procs:
        for _ in range(spec.count):
            pid = pids[k]
            child = pids[k + 1] if k + 1 < len(pids) else pid
            ppid = 1 if spec.parent < 0 else pids[index_of_first[spec.parent]]
            args = spec.command.replace("{child}", str(child))
            if "{flags}" in args:
                # Empty flags must not leave a double or trailing space.
                args = " ".join(args.replace("{flags}", flags).split())
            created.append(Proc(pid, ppid, jid, uid_of(users, spec.user), spec.stat, spec.vsz,
                                spec.rss, now + 0.01 * k, "", spec.comm, args, svc.name,
                                spec.load))
            k += 1
    state.procs.extend(created)
    return created


def stop_service(state: State, jid: int, svc: str) -> list[int]:
    """Remove the processes of service ``svc`` in jail ``jid``; return their pids."""
    gone = [p.pid for p in state.procs if p.jid == jid and p.svc == svc]
    if gone:
        drop = set(gone)
        state.procs = [p for p in state.procs if p.pid not in drop]
    return gone


def rc_start(state: State, j: SimJail, paths: PathMap, now: float) -> str:
    """``/bin/sh /etc/rc`` in jail ``j``: start enabled services; returns rc's console text."""
    root = j.path
    rcv = rc_vars(paths, root)
    used = {p.pid for p in state.procs}
    words: list[str] = []
    for svc in services(paths, root, jailed=True):
        if not enabled(svc, rcv):
            continue
        if svc.name == "motd":
            words.append("Updating motd:.")
        if not svc.procs or main_proc(state, j.jid, svc.name) is not None:
            continue
        words.append(f"Starting {svc.name}.")
        start_service(state, j.jid, paths, root, svc, now, used=used, rcv=rcv)
    return console_text(words, now)


def console_text(words: list[str], now: float) -> str:
    """What ``/bin/sh /etc/rc`` prints in a jail: ldconfig's two lines
    (rc.d/ldconfig), each service's words, then date(1) (rc's last step)."""
    lines = ["ELF ldconfig path: /lib /usr/lib /usr/local/lib",
             "32-bit compatibility ldconfig path: /usr/lib32", *words, "", c_date(now)]
    return "\n".join(lines) + "\n"


def rc_shutdown(state: State, j: SimJail, paths: PathMap) -> str:
    """``/bin/sh /etc/rc.shutdown jail``: stop running services in reverse rcorder."""
    lines: list[str] = []
    running = {p.svc for p in state.procs if p.jid == j.jid and p.svc}
    for svc in reversed(catalog.SERVICES):
        if svc.name not in running:
            continue
        main = main_proc(state, j.jid, svc.name)
        lines.append(f"Stopping {svc.name}.")
        stop_service(state, j.jid, svc.name)
        if main is not None:
            lines.append(f"Waiting for PIDS: {main.pid}.")
    return "\n".join(lines) + "\n" if lines else ""


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def c_time(t: float) -> str:
    """strftime("%c") in the C locale: ``Mon Jun  2 10:11:12 2025`` (local time)."""
    tm = time.localtime(t)
    return (f"{_DAYS[tm.tm_wday]} {_MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {tm.tm_year}")


def c_date(t: float) -> str:
    """date(1) in the C locale: ``Mon Jun  2 10:11:12 UTC 2025``."""
    tm = time.localtime(t)
    return (f"{_DAYS[tm.tm_wday]} {_MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {tm.tm_zone} {tm.tm_year}")
