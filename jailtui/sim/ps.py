"""ps(1) of the simulated host (reference section 2).

Selection (``-a -x -A -X -J -p -U -t``), formats (``-o``/``-O`` with
``kw=header``, ``-j -l -u -v``), sorting (tty then pid; ``-r``/``-u`` by
CPU, ``-m``/``-v`` by memory), text columns sized per run, last column cut
at the terminal width unless ``-ww``, and ``--libxo json`` with every value
a string. Nothing selected: header only and exit 1.

Inside a jail (``JAILTUI_SIM_JAIL``) only that jail's processes (and its
children's) exist, and user names come from the jail's passwd.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from jailtui.sim import dynamics, passwd, xo
from jailtui.sim.context import Ctx
from jailtui.sim.dynamics import ProcView
from jailtui.sim.getopt import GetoptError, getopt, libxo_style
from jailtui.sim.rc import c_time
from jailtui.sim.state import PID_MAX, Proc, State, Store

_OPTSTRING = "AaCcD:deG:gHhjJ:LlM:mN:O:o:p:rSTt:U:uvwXxZ"

_USAGE = ("usage: ps [--libxo] [-aCcdeHhjlmrSTuvwXxZ] [-O fmt | -o fmt]\n"
          "          [-G gid[,gid...]] [-J jid[,jid...]] [-M core] [-N system]\n"
          "          [-p pid[,pid...]] [-t tty[,tty...]] [-U user[,user...]]\n"
          "          [-D up | down | both]\n"
          "       ps [--libxo] -L\n")

DFMT = "pid,tt,state,time,command"
JFMT = "user,pid,ppid,pgid,sid,jobc,state,tt,time,command"
LFMT = "uid,pid,ppid,cpu,pri,nice,vsz,rss,mwchan,state,tt,time,command"
UFMT = "user,pid,%cpu,%mem,vsz,rss,tt,state,start,time,command"
VFMT = "pid,state,time,sl,re,pagein,vsz,rss,lim,tsiz,%cpu,%mem,command"

COMMAND_WIDTH = 16


@dataclass
class Row:
    """What a keyword's function sees: the process and the run's context."""

    p: ProcView
    users: dict[int, str]
    jails: dict[int, str]
    now: int
    cflag: bool
    last: bool


Fn = Callable[[Row], str | None]


@dataclass(frozen=True)
class Keyword:
    name: str
    header: str
    field: str
    ljust: bool
    fn: Fn


def _user(r: Row) -> str:
    return r.users.get(r.p.uid, str(r.p.uid))


def _tt(r: Row) -> str:
    # print.c tname(): no tty is "- "; a pts/ttyv name loses its prefix and
    # gets one status character (' ' for the controlling tty).
    t = r.p.tty
    if not t:
        return "- "
    for pre in ("tty", "pts/"):
        if t.startswith(pre):
            t = t[len(pre):]
    return t + " "


def _printtime(secs_f: float) -> str:
    secs = int(secs_f)
    psecs = int((secs_f - secs) * 1_000_000)
    psecs = (psecs + 5000) // 10000
    secs += psecs // 100
    psecs %= 100
    return f"{secs // 60}:{secs % 60:02d}.{psecs:02d}"


def _elapsed(r: Row) -> str:
    val = max(0, r.now - int(r.p.start))
    days, val = divmod(val, 86_400)
    hours, val = divmod(val, 3_600)
    mins, secs = divmod(val, 60)
    if days:
        return f"{days:3d}-{hours:02d}:{mins:02d}:{secs:02d}"
    if hours:
        return f"{hours:02d}:{mins:02d}:{secs:02d}"
    return f"{mins:02d}:{secs:02d}"


def _started(r: Row) -> str:
    then = int(r.p.start)
    tm = time.localtime(then)
    if r.now - then < 24 * 3600:
        return time.strftime("%H:%M  ", tm)
    if r.now - then < 7 * 86_400:
        return f"{('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')[tm.tm_wday]}" \
               f"{tm.tm_hour:02d}  "
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{tm.tm_mday:2d}{months[tm.tm_mon - 1]}{tm.tm_year % 100:02d}"


def _command(r: Row) -> str:
    if r.cflag:
        return r.p.comm
    s = r.p.args.replace("\t", "\\t").replace("\n", "\\n")
    return s if r.last else s[:COMMAND_WIDTH]


def _args(r: Row) -> str:
    s = r.p.args.replace("\t", "\\t").replace("\n", "\\n")
    return s if r.last else s[:COMMAND_WIDTH]


def _pgid(r: Row) -> str:
    return str(r.p.pid if "s" in r.p.stat or r.p.ppid <= 1 else r.p.ppid)


def _wchan(r: Row) -> str | None:
    st = r.p.stat[:1]
    if st == "R":
        return None
    if r.p.tty:
        return "ttyin"
    return ("select", "kqread", "nanslp", "pause", "sbwait", "uwait")[r.p.pid % 6]


def _jail(r: Row) -> str | None:
    return r.jails.get(r.p.jid)


KEYWORDS: dict[str, Keyword] = {k.name: k for k in (
    Keyword("%cpu", "%CPU", "percent-cpu", False, lambda r: f"{r.p.pcpu:.1f}"),
    Keyword("%mem", "%MEM", "percent-memory", False, lambda r: f"{r.p.pmem:.1f}"),
    Keyword("args", "COMMAND", "arguments", True, _args),
    Keyword("comm", "COMMAND", "command", True, lambda r: r.p.comm),
    Keyword("command", "COMMAND", "command", True, _command),
    Keyword("cpu", "C", "on-cpu", False, lambda r: str(r.p.pid % 8)),
    Keyword("etime", "ELAPSED", "elapsed-time", False, _elapsed),
    Keyword("etimes", "ELAPSED", "elapsed-times", False,
            lambda r: str(max(0, r.now - int(r.p.start)))),
    Keyword("gid", "GID", "gid", False, lambda r: str(r.p.uid)),
    Keyword("jail", "JAIL", "jail-name", True, _jail),
    Keyword("jid", "JID", "jail-id", False, lambda r: str(r.p.jid)),
    Keyword("jobc", "JOBC", "job-control-count", False, lambda r: "0"),
    Keyword("lim", "LIM", "memory-limit", False, lambda r: None),
    Keyword("lstart", "STARTED", "start-time", True, lambda r: c_time(int(r.p.start))),
    Keyword("mwchan", "MWCHAN", "wait-channel", True, _wchan),
    Keyword("nice", "NI", "nice", False, lambda r: "20" if "N" in r.p.stat else "0"),
    Keyword("nlwp", "NLWP", "threads", False, lambda r: "1"),
    Keyword("pagein", "PAGEIN", "pageins", False, lambda r: "0"),
    Keyword("pgid", "PGID", "process-group", False, _pgid),
    Keyword("pid", "PID", "pid", False, lambda r: str(r.p.pid)),
    Keyword("ppid", "PPID", "ppid", False, lambda r: str(r.p.ppid)),
    Keyword("pri", "PRI", "priority", False,
            lambda r: "-92" if r.p.stat.startswith("W") else ("120" if r.p.stat[:1] == "R"
                                                              else "20")),
    Keyword("re", "RE", "residency-time", False, lambda r: "127"),
    Keyword("rss", "RSS", "rss", False, lambda r: str(r.p.rss)),
    Keyword("ruid", "RUID", "real-uid", False, lambda r: str(r.p.uid)),
    Keyword("ruser", "RUSER", "real-user", True, _user),
    Keyword("sid", "SID", "sid", False, _pgid),
    Keyword("sl", "SL", "sleep-time", False, lambda r: "127" if r.p.stat[:1] == "I" else "0"),
    Keyword("start", "STARTED", "start-time", True, _started),
    Keyword("state", "STAT", "state", True, lambda r: r.p.stat),
    Keyword("time", "TIME", "cpu-time", False, lambda r: _printtime(r.p.cputime)),
    Keyword("tsiz", "TSIZ", "text-size", False, lambda r: str(max(0, r.p.vsz // 20))),
    Keyword("tt", "TT ", "terminal-name", False, _tt),
    Keyword("tty", "TTY", "tty", True, lambda r: r.p.tty or "-"),
    Keyword("ucomm", "UCOMM", "accounting-name", True, lambda r: r.p.comm),
    Keyword("uid", "UID", "uid", False, lambda r: str(r.p.uid)),
    Keyword("user", "USER", "user", True, _user),
    Keyword("vsz", "VSZ", "virtual-size", False, lambda r: str(r.p.vsz)),
    Keyword("wchan", "WCHAN", "wait-channel", True, _wchan),
)}

ALIASES = {"pcpu": "%cpu", "pmem": "%mem", "stat": "state", "vsize": "vsz", "cputime": "time",
           "ni": "nice", "euid": "uid", "usrpri": "pri", "logname": "user", "tid": "pid",
           "lwp": "pid", "egid": "gid"}


@dataclass
class Column:
    kw: Keyword
    header: str
    width: int = 0


class _Fmt:
    """The column list being built by -o/-O/-j/-l/-u/-v (parsefmt in keyword.c)."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.cols: list[Column] = []
        self.bad = False
        #: False on a host whose ps predates the ``jail`` keyword
        #: (State.ps_jail_keyword; docs/freebsd.md 2.1).
        self.jail_keyword = True

    def parse(self, spec: str, user: bool) -> None:
        rest = spec
        while rest:
            stop = next((i for i, c in enumerate(rest) if c in "= \t,\n"), len(rest))
            if stop < len(rest) and rest[stop] == "=":
                # "kw=header": the header takes the rest of the string.
                item, rest = rest, ""
            else:
                item, rest = rest[:stop], rest[stop + 1:]
                if not item:
                    continue
            name, eq, header = item.partition("=")
            name = ALIASES.get(name, name)
            kw = KEYWORDS.get(name) if name != "jail" or self.jail_keyword else None
            if kw is None:
                # keyword.c findvar: warnx, eval = 1, the other columns print.
                self.ctx.warn(f"{name}: keyword not found")
                self.bad = True
                continue
            if not user and any(c.kw.name == kw.name for c in self.cols):
                continue
            self.cols.append(Column(kw, header if eq else kw.header))


def run(ctx: Ctx, args: list[str]) -> int:
    style, args = libxo_style(args)
    json_out = style == "json"
    if args and not args[0].startswith("-"):
        # kludge_oldps_options: "ps ax" is "ps -ax", "ps 34" is "ps -p34".
        first = args[0]
        args = [("-p" + first) if first.replace(",", "").isdigit() else "-" + first, *args[1:]]
    try:
        opts, operands = getopt(args, _OPTSTRING)
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(_USAGE)
        return 1
    fmt = _Fmt(ctx)
    all_procs = False
    xkeep: int | None = None
    xkeep_implied = False
    cflag = False
    sortby = ""
    wflag = 0
    optfatal = False
    nselectors = 0
    jids: list[int] = []
    pids: list[int] = []
    uids: list[int] = []
    ttys: list[str] = []
    used_fmt = False

    store = Store(ctx.simdir)
    with store.read() as st:
        fmt.jail_keyword = st.ps_jail_keyword
        scope = _scope(st, ctx)
        users = _passwd(ctx, st)
        for ch, arg in opts:
            if ch == "A":
                all_procs, xkeep = True, 1
            elif ch == "a":
                all_procs = True
            elif ch == "c":
                cflag = True
            elif ch == "J":
                for elem in _elements(arg):
                    j = _jail_id(st, ctx, elem)
                    if j is None:
                        optfatal = True
                    else:
                        jids.append(j)
                xkeep_implied = True
                nselectors += 1
            elif ch == "p":
                for elem in _elements(arg):
                    pid = _pid_elem(ctx, elem)
                    if pid is None:
                        optfatal = True
                    else:
                        pids.append(pid)
                nselectors += 1
            elif ch == "U":
                for elem in _elements(arg):
                    uid = _uid_elem(ctx, users, elem)
                    if uid is None:
                        optfatal = True
                    else:
                        uids.append(uid)
                xkeep_implied = True
                nselectors += 1
            elif ch == "t":
                ttys += [_tty_name(e) for e in _elements(arg)]
                xkeep_implied = True
                nselectors += 1
            elif ch == "j":
                fmt.parse(JFMT, False)
                used_fmt = True
            elif ch == "l":
                fmt.parse(LFMT, False)
                used_fmt = True
            elif ch == "u":
                fmt.parse(UFMT, False)
                sortby, used_fmt = "cpu", True
            elif ch == "v":
                fmt.parse(VFMT, False)
                sortby, used_fmt = "mem", True
            elif ch == "o":
                fmt.parse(arg, True)
                used_fmt = True
            elif ch == "O":
                fmt.parse("pid", True)
                fmt.parse(arg, True)
                fmt.parse("tt,state,time,command", True)
                used_fmt = True
            elif ch == "m":
                sortby = "mem"
            elif ch == "r":
                sortby = "cpu"
            elif ch == "w":
                wflag += 1
            elif ch == "X":
                xkeep = 0
            elif ch == "x":
                xkeep = 1
            elif ch == "L":
                ctx.write(" ".join(sorted(KEYWORDS)) + "\n")
                return 0
        for op in operands:
            if not op[:1].isdigit():
                ctx.warn(f"illegal argument: {op}")
                ctx.write_err(_USAGE)
                return 1
            for elem in _elements(op):
                pid = _pid_elem(ctx, elem)
                if pid is None:
                    optfatal = True
                else:
                    pids.append(pid)
        if optfatal:
            return 1
        if xkeep is None:
            xkeep = 1 if xkeep_implied else 0
        if not used_fmt:
            fmt.parse(DFMT, False)
        if not fmt.cols:
            ctx.warn("no valid keywords; valid keywords:")
            ctx.write_err(" ".join(sorted(KEYWORDS)) + "\n")
            return 1
        if not all_procs and nselectors == 0:
            uids, nselectors = [0], 1  # getuid(): the simulated admin is root

        jidset, pidset, uidset, ttyset = set(jids), set(pids), set(uids), set(ttys)
        now = ctx.now
        used = {p.pid for p in st.procs}
        candidates: list[Proc] = [p for p in st.procs if scope is None or p.jid in scope]
        candidates += [t.proc for t in dynamics.transients(st, now, used)
                       if scope is None or t.proc.jid in scope]
        kept: list[Proc] = []
        for p in candidates:
            if p.pid in pidset:
                kept.append(p)
                continue
            if xkeep == 0 and not p.tty:
                continue
            if nselectors == 0 or (p.jid in jidset) or (p.uid in uidset) or \
                    (p.tty and p.tty in ttyset):
                kept.append(p)
        views = dynamics.snapshot(st, now, kept)
        jails = _jail_names(st, ctx)

    termwidth = _termwidth(ctx, wflag, json_out)
    cols = fmt.cols
    rc = 1 if fmt.bad else 0
    if not views:
        if json_out:
            ctx.write("{ }\n")
        else:
            for c in cols:
                c.width = len(c.header)
            ctx.write(_header_line(cols))
        return 1

    if sortby == "cpu":
        views.sort(key=lambda v: (-v.pcpu, v.pid))
    elif sortby == "mem":
        views.sort(key=lambda v: (-v.vsz, v.pid))
    else:
        views.sort(key=lambda v: (_tty_key(v.tty), v.pid))

    inow = int(now)
    table: list[list[str | None]] = []
    last_i = len(cols) - 1
    fns = [c.kw.fn for c in cols]
    first_fns, last_fn = fns[:-1], fns[-1]
    for v in views:
        r = Row(v, users, jails, inow, cflag, False)
        row: list[str | None] = [fn(r) for fn in first_fns]
        r.last = True
        row.append(last_fn(r))
        table.append(row)

    if json_out:
        keys = [xo.string(c.kw.field) for c in cols]
        objs = [xo.flat_object(keys, ["-" if val is None else val for val in row])
                for row in table]
        ctx.write(xo.document("process-information", "process", objs))
        return rc

    for c in cols:
        c.width = len(c.header)
    for row in table:
        for c, val in zip(cols, row, strict=True):
            n = 1 if val is None else len(val)
            if n > c.width:
                c.width = n
    out = [_header_line(cols)]
    for row in table:
        parts: list[str] = []
        linelen = 0
        for i, (c, val) in enumerate(zip(cols, row, strict=True)):
            s = "-" if val is None else val
            last = i == last_i
            if last and termwidth is not None and val is not None:
                left = termwidth - linelen
                if 0 < left < len(s):
                    s = s[:left]
            width = 0 if (last and c.kw.ljust) else c.width
            parts.append(s.ljust(width) if c.kw.ljust else s.rjust(width))
            linelen += width
            if not last:
                parts.append(" ")
                linelen += 1
        out.append("".join(parts) + "\n")
    ctx.write("".join(out))
    return rc


def _header_line(cols: list[Column]) -> str:
    """printheader(): nothing when every header is empty (``-o pid=``)."""
    if all(not c.header for c in cols):
        return ""
    parts: list[str] = []
    for i, c in enumerate(cols):
        last = i == len(cols) - 1
        if c.kw.ljust:
            parts.append(c.header if last else c.header.ljust(c.width))
        else:
            parts.append(c.header.rjust(c.width))
        if not last:
            parts.append(" ")
    return "".join(parts) + "\n"


def _termwidth(ctx: Ctx, wflag: int, json_out: bool) -> int | None:
    """Width for the last column: COLUMNS, else unlimited with no tty (2024 tree)."""
    if json_out or wflag >= 2:
        return None
    width: int | None = None
    cols = ctx.env.get("COLUMNS", "")
    if cols.isdigit() and int(cols) > 0:
        width = int(cols)
    if wflag == 1 and width is not None and width < 131:
        width = 131
    return width


def _tty_key(tty: str) -> tuple[int, str, int]:
    # pscomp(): NODEV first, then by device (pts numbers in order).
    if not tty:
        return (-1, "", 0)
    head = tty.rstrip("0123456789")
    num = tty[len(head):]
    return (0, head, int(num) if num else 0)


def _elements(arg: str) -> list[str]:
    """add_list(): elements separated by a comma and/or blanks; "" is an element."""
    if arg == "":
        return [""]
    out: list[str] = []
    i, n = 0, len(arg)
    while i < n:
        while i < n and arg[i] in " \t":
            i += 1
        j = i
        if i < n and arg[i] != ",":
            while j < n and arg[j] not in " \t,":
                j += 1
        out.append(arg[i:j])
        i = j
        while i < n and arg[i] in " \t":
            i += 1
        if i < n and arg[i] == ",":
            i += 1
            if i == n:
                out.append("")  # "Catch case where string ended with a comma."
    return out


def _scope(st: State, ctx: Ctx) -> set[int] | None:
    """jids visible from where ps runs: everything on the host, a jail's own tree inside."""
    inside = ctx.jail
    if inside is None:
        return None
    me = st.jail_by_name(inside)
    if me is None:
        return set()
    prefix = me.name + "."
    return {me.jid} | {j.jid for j in st.jails if j.name.startswith(prefix)}


def _jail_names(st: State, ctx: Ctx) -> dict[int, str]:
    """jail_getname() for the ``jail`` keyword: only jails visible from here."""
    inside = ctx.jail
    if inside is None:
        return {j.jid: j.name for j in st.jails}
    prefix = inside + "."
    return {j.jid: j.name[len(prefix):] for j in st.jails if j.name.startswith(prefix)}


def _passwd(ctx: Ctx, st: State) -> dict[int, str]:
    """uid -> name from the host's passwd, or the jail's inside a jail."""
    path = ctx.paths.real("/etc/passwd")
    if ctx.jail is not None:
        j = st.jail_by_name(ctx.jail)
        if j is not None:
            path = ctx.paths.real(j.path.rstrip("/") + "/etc/passwd")
    return passwd.by_uid(passwd.load(path))


def _jail_id(st: State, ctx: Ctx, elem: str) -> int | None:
    """addelem_jid(): libjail's jail_getid, which checks numeric jids too (2.2)."""
    if elem == "":
        ctx.warn("Invalid (zero-length) jail id")
        return None
    if elem == "0":
        return 0
    # jail_getid() without JAIL_DYING: a dying jail is not found (kern_jail.c).
    alive = {j.jid for j in st.jails if not j.dying}
    names = {jid: name for jid, name in _jail_names(st, ctx).items() if jid in alive}
    if elem.isdigit():
        if int(elem) in names:
            return int(elem)
    else:
        for jid, name in names.items():
            if name == elem:
                return jid
    ctx.warn(f"Invalid jail id: {elem}")
    return None


def _pid_elem(ctx: Ctx, elem: str) -> int | None:
    if elem == "":
        ctx.warn("Invalid (zero-length) process id")
        return None
    if not elem.isdigit():
        ctx.warn(f"Invalid process id: {elem}")
        return None
    if int(elem) > PID_MAX:
        ctx.warn(f"process id too large: {elem}")
        return None
    return int(elem)


def _uid_elem(ctx: Ctx, users: dict[int, str], elem: str) -> int | None:
    if elem == "":
        ctx.warn("Invalid (zero-length) user name")
        return None
    for uid, name in users.items():
        if name == elem:
            return uid
    if not elem.isdigit():
        ctx.warn(f"No user named '{elem}'")
        return None
    if int(elem) not in users:
        ctx.warn(f"No user name or ID matches '{elem}'")
        return None
    return int(elem)


def _tty_name(elem: str) -> str:
    e = elem.removeprefix("/dev/")
    if e.isdigit():
        return f"pts/{e}"
    if e.startswith("v") and e[1:].isdigit():
        return f"tty{e}"
    return e
