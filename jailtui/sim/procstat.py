"""procstat(1) -f / -v / -e for the simulated process table.

usr.bin/procstat (docs/freebsd.md 15.4): ``procstat [--libxo] -f|-v|-e PID ...``.
For each pid procstat asks the kernel (procstat_getprocs); a pid that does not
exist makes libprocstat warn ``sysctl(kern.proc): No such process`` and procstat
exit 1 with ``procstat_getprocs()``. The header is printed with the first
process. Paths are as the host sees them: a jailed process's files are under
its jail's root (vn_fullpath from the caller's root). Inside a jail
(``JAILTUI_SIM_JAIL``) only that jail's processes exist.

What a process has open, maps and was started with is derived from the
process (its executable, its service's sockets from sim/netstate.py, the
jail's root, its service's rc.subr environment), so it is stable from call to
call and follows the process table.
"""

from __future__ import annotations

from jailtui.sim import netstate, passwd
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt, libxo_style
from jailtui.sim.state import Proc, State, Store
from jailtui.sim.xo import string

_USAGE = ("usage: procstat [--libxo] [-Hhn] [-M core] [-N system] [-w interval] command\n"
          "                [pid ... | core ...]\n"
          "       procstat [--libxo] -a [-h] [-M core] [-N system] [-w interval] command\n"
          "       procstat [--libxo] [-h] [-M core] [-N system] [-w interval]\n"
          "                [-S | -b | -c | -e | -f [-C] | -i [-n] | -j [-n] | -k [-k] |\n"
          "                 -l | -r [-H] | -s | -t | -v | -x] [pid ... | core ...]\n")

#: rc.subr(8) runs a daemon with this PATH (rc.subr: PATH=/sbin:/bin:/usr/sbin:/usr/bin
#: exported by /etc/rc, /usr/local/* added by the ports' scripts).
_PATH = "PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin"

#: Extra environment of some services (their rc.d scripts export these).
_SERVICE_ENV: dict[str, tuple[str, ...]] = {
    "postgresql": ("PGDATA=/var/db/postgres/data16", "LANG=C.UTF-8"),
    "gitea": ("GITEA_WORK_DIR=/usr/local/share/gitea", "GITEA_CUSTOM=/usr/local/etc/gitea"),
    "gitlab_runner": ("CI_SERVER_URL=https://gitlab.example.org",
                      # A runner's registration token: why -e is a host admin's only.
                      "RUNNER_TOKEN=glrt-3x4mpl3T0k3nN0tR34l"),
}


def run(ctx: Ctx, args: list[str]) -> int:
    style, args = libxo_style(args)
    try:
        opts, pids = getopt(args, "abCcefHhijklM:N:nrSstvw:x")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(_USAGE)
        return 1
    letters = [o for o, _ in opts if o in "fve"]
    if len(letters) != 1 or not pids or not all(p.isdigit() for p in pids):
        ctx.write_err(_USAGE)
        return 1
    cmd = letters[0]
    header = "h" not in {o for o, _ in opts}
    with Store(ctx.simdir).read() as st:
        scope = None
        if ctx.jail is not None:
            j = st.jail_by_name(ctx.jail)
            scope = j.jid if j is not None else -1
        chunks: list[tuple[Proc, list[str] | str]] = []
        for raw in pids:
            proc = next((p for p in st.procs if p.pid == int(raw)), None)
            if proc is None or (scope is not None and proc.jid != scope):
                ctx.warn("sysctl(kern.proc): No such process")
                ctx.warn("procstat_getprocs()")
                _flush(ctx, style, cmd, chunks, header)
                return 1
            chunks.append((proc, _lines(st, ctx, proc, cmd)))
    _flush(ctx, style, cmd, chunks, header)
    return 0


def _flush(ctx: Ctx, style: str | None, cmd: str, chunks: list[tuple[Proc, list[str] | str]],
           header: bool) -> None:
    if style == "json":
        ctx.write(_json(cmd, chunks))
        return
    for i, (proc, lines) in enumerate(chunks):
        if header and i == 0:
            ctx.write(_HEADERS[cmd] + "\n")
        if cmd == "e":
            ctx.write(f"{proc.pid:5d} {proc.comm:<16.16} {' '.join(lines)}\n")
        else:
            ctx.write("".join(line + "\n" for line in lines))


_HEADERS = {
    "f": f"{'PID':>5} {'COMM':<16} {'FD':>5} T V {'FLAGS':<8} REF  OFFSET PRO NAME",
    "v": f"{'PID':>5} {'START':>18} {'END':>18} PRT  RES PRES REF SHD FLAG  TP PATH",
    "e": f"{'PID':>5} {'COMM':<16} ENVIRONMENT",
}


def _root(st: State, proc: Proc) -> str:
    j = st.jail_by_jid(proc.jid, dying=True) if proc.jid else None
    return j.path.rstrip("/") if j is not None else ""


def _exe(proc: Proc) -> str:
    first = proc.args.split()[0] if proc.args.split() else ""
    if first.startswith("/"):
        return first
    if proc.comm in ("nginx", "postgres", "redis-server", "memcached", "dovecot", "unbound"):
        return f"/usr/local/{'sbin' if proc.comm in ('nginx', 'dovecot', 'unbound') else 'bin'}/" \
               f"{proc.comm}"
    if proc.comm.startswith("[") or proc.svc == "":
        return f"/bin/{proc.comm}" if proc.comm in ("sh", "csh", "tcsh") else f"/usr/bin/{proc.comm}"
    return f"/usr/sbin/{proc.comm}"


def _lines(st: State, ctx: Ctx, proc: Proc, cmd: str) -> list[str]:
    if cmd == "f":
        return _files(st, proc)
    if cmd == "v":
        return _vm(st, proc)
    return _env(st, ctx, proc)


def _frow(proc: Proc, fd: str, t: str, v: str, flags: str, ref: str, off: str, pro: str,
          name: str) -> str:
    return f"{proc.pid:5d} {proc.comm:<16.16} {fd:>5} {t} {v} {flags:<8} {ref:>3} {off:>7} " \
           f"{pro:<3} {name}"


def _files(st: State, proc: Proc) -> list[str]:
    root = _root(st, proc)
    top = root or "/"
    if proc.comm.startswith("[") and proc.jid == 0 and proc.ppid == 0:
        return [_frow(proc, "cwd", "v", "d", "r-------", "-", "-", "-", "/"),
                _frow(proc, "root", "v", "d", "r-------", "-", "-", "-", "/")]
    rows = [_frow(proc, "text", "v", "r", "r-------", "-", "-", "-", root + _exe(proc)),
            _frow(proc, "cwd", "v", "d", "r-------", "-", "-", "-", top),
            _frow(proc, "root", "v", "d", "r-------", "-", "-", "-", top)]
    if root:
        rows.append(_frow(proc, "jail", "v", "d", "r-------", "-", "-", "-", top))
    tty = f"{root}/dev/{proc.tty}" if proc.tty else f"{root}/dev/null"
    for fd in (0, 1, 2):
        rows.append(_frow(proc, str(fd), "v", "c", "rw------", "3", "0", "-", tty))
    nextfd = 3
    for s in netstate.sockets(st):
        if s.pid != proc.pid:
            continue
        proto = "TCP" if s.proto == "tcp" else "UDP"
        fam = "6" in s.family and "4" not in s.family
        any_addr = "::" if fam else "0.0.0.0"
        local = (any_addr if s.addr == "*" else s.addr)
        peer = "[::]:0" if fam else "0.0.0.0:0"
        lshown = f"[{local}]:{s.port}" if fam else f"{local}:{s.port}"
        rows.append(_frow(proc, str(s.fd), "s", "-", "rw---n--", "2", "0", proto,
                          f"{lshown} {peer}"))
        nextfd = max(nextfd, s.fd + 1)
    logs = {"nginx": "/var/log/nginx/access.log", "postgres": "/var/db/postgres/data16/log",
            "syslogd": "/var/log/messages", "cron": "/var/log/cron"}
    if proc.comm in logs and proc.uid == 0:
        rows.append(_frow(proc, str(nextfd), "v", "r", "-wa-----", "1", "48213",
                          "-", root + logs[proc.comm]))
    return rows


def _vm(st: State, proc: Proc) -> list[str]:
    root = _root(st, proc)
    exe = root + _exe(proc)
    pages = max(proc.rss // 4, 8)
    # (start, size KiB, prot, resident share, flags, type, path)
    spec = [
        (0x200000, 64, "r--", 0.03, "CN---", "vn", exe),
        (0x210000, 512, "r-x", 0.12, "CN---", "vn", exe),
        (0x290000, 16, "rw-", 0.01, "C----", "vn", exe),
        (0x2a0000, max(proc.vsz // 2, 1024), "rw-", 0.55, "C----", "df", ""),
        (0x800200000, 48, "r--", 0.01, "CN---", "vn", root + "/libexec/ld-elf.so.1"),
        (0x800220000, 160, "r-x", 0.04, "CN---", "vn", root + "/libexec/ld-elf.so.1"),
        (0x801000000, 512, "r--", 0.04, "CN---", "vn", root + "/lib/libc.so.7"),
        (0x801080000, 1344, "r-x", 0.15, "CN---", "vn", root + "/lib/libc.so.7"),
        (0x8011d0000, 32, "rw-", 0.01, "C----", "vn", root + "/lib/libc.so.7"),
        (0x7fffdffff000, 128 * 1024, "---", 0.0, "-----", "gd", ""),
        (0x7ffffffdf000, 128, "rw-", 0.04, "---D-", "df", ""),
    ]
    out = []
    for start, kib, prt, share, fl, tp, path in spec:
        end = start + kib * 1024
        res = min(int(pages * share), kib // 4)
        out.append(f"{proc.pid:5d} {start:#18x} {end:#18x} {prt} {res:4d} {res:4d} "
                   f"{1:3d} {0:3d} {fl} {tp} {path}")
    return out


def _env(st: State, ctx: Ctx, proc: Proc) -> list[str]:
    root = _root(st, proc)
    users = passwd.load(ctx.paths.real((root or "") + "/etc/passwd"))
    name = next((u.name for u in users if u.uid == proc.uid), str(proc.uid))
    home = next((u.home for u in users if u.uid == proc.uid), "/")
    if proc.tty:
        return ["USER=" + name, "HOME=" + home, "SHELL=/bin/sh", _PATH,
                "TERM=xterm-256color", "LANG=C.UTF-8", "PWD=" + home]
    return [_PATH, "PWD=/", "HOME=" + home, "USER=" + name, "RC_PID=" + str(proc.ppid),
            *_SERVICE_ENV.get(proc.svc, ())]


def _json(cmd: str, chunks: list[tuple[Proc, list[str] | str]]) -> str:
    """procstat's libxo document; only -e is used in JSON by jailtui, the others
    carry their rows as text lines (``"lines": [...]``: an approximation)."""
    container = {"e": "environment", "f": "files", "v": "vm"}[cmd]
    parts = []
    for proc, lines in chunks:
        body = (f'"process_id":{proc.pid},"command":{string(proc.comm)},'
                f'"{container}": [' + ",".join(string(x) for x in lines) + "]")
        parts.append(f'"{proc.pid}": {{{body}}}')
    return ('{"__version": "1", "procstat": {"' + container + '": {' + ", ".join(parts)
            + "}}\n}\n")
