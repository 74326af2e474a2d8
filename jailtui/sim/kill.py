"""kill(1) for simulated processes (bin/kill/kill.c).

TERM, INT, KILL and the other signals whose default action terminates end
the process and its descendants (a daemon's master takes its workers with
it); HUP, USR1, USR2, INFO ... are "caught" and change nothing; STOP/TSTP
stop it (state ``T``) and CONT resumes it. A jail left without processes
and without ``persist`` goes away, as the kernel does. Kernel threads and
init refuse (``Operation not permitted``); inside a jail only the jail's
own processes exist.
"""

from __future__ import annotations

from jailtui.sim import dynamics, lifecycle
from jailtui.sim.context import Ctx
from jailtui.sim.state import Proc, State, Store

USAGE = ("usage: kill [-s signal_name] pid ...\n"
         "       kill -l [exit_status]\n"
         "       kill -signal_name pid ...\n"
         "       kill -signal_number pid ...\n")

SIGNALS = ("hup", "int", "quit", "ill", "trap", "abrt", "emt", "fpe", "kill", "bus", "segv",
           "sys", "pipe", "alrm", "term", "urg", "stop", "tstp", "cont", "chld", "ttin", "ttou",
           "io", "xcpu", "xfsz", "vtalrm", "prof", "winch", "info", "usr1", "usr2")
NSIG = len(SIGNALS) + 1

_STOP = {17, 18, 21, 22}
_CONT = 19
#: Signals whose default action is to ignore, or that daemons catch (HUP: reload).
_KEEP = {1, 16, 20, 23, 28, 29, 30, 31}


def _signum(name: str) -> int | None:
    """signame_to_signum(): case-insensitive, optional SIG prefix."""
    n = name.lower()
    n = n.removeprefix("sig")
    if n in SIGNALS:
        return SIGNALS.index(n) + 1
    return None


def _signal_list() -> str:
    # printsignals(): upper case, a newline after NSIG/2 and at the end.
    out: list[str] = []
    for n in range(1, NSIG):
        out.append(SIGNALS[n - 1].upper())
        out.append("\n" if n in (NSIG // 2, NSIG - 1) else " ")
    return "".join(out)


def _nosig(ctx: Ctx, name: str) -> int:
    ctx.warn(f"unknown signal {name}; valid signals:")
    ctx.write_err(_signal_list())
    return 2


def run(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.write_err(USAGE)
        return 2
    sig = 15
    if args[0] == "-l":
        rest = args[1:]
        if len(rest) > 1:
            ctx.write_err(USAGE)
            return 2
        if rest:
            if not rest[0][:1].isdigit():
                ctx.write_err(USAGE)
                return 2
            if not rest[0].isdigit():
                ctx.warn(f"illegal signal number: {rest[0]}")
                return 2
            num = int(rest[0])
            if num >= 128:
                num -= 128
            if num <= 0 or num >= NSIG:
                return _nosig(ctx, rest[0])
            ctx.write(SIGNALS[num - 1] + "\n")
            return 0
        ctx.write(_signal_list())
        return 0
    if args[0] == "-s":
        if len(args) < 2:
            ctx.warn("option requires an argument -- s")
            ctx.write_err(USAGE)
            return 2
        if args[1] == "0":
            sig = 0
        else:
            got = _signum(args[1])
            if got is None:
                return _nosig(ctx, args[1])
            sig = got
        args = args[2:]
    elif args[0].startswith("-") and args[0][1:2] != "-":
        sn = args[0][1:]
        if sn[:1].isalpha():
            got = _signum(sn)
            if got is None:
                return _nosig(ctx, sn)
            sig = got
        elif sn[:1].isdigit():
            if not sn.isdigit():
                ctx.warn(f"illegal signal number: {sn}")
                return 2
            sig = int(sn)
        else:
            return _nosig(ctx, sn)
        args = args[1:]
    if args and args[0].startswith("--"):
        args = args[1:]
    if not args:
        ctx.write_err(USAGE)
        return 2
    pids: list[tuple[str, int]] = []
    for a in args:
        body = a[1:] if a.startswith("-") else a
        if not body.isdigit():
            ctx.warn(f"illegal process id: {a}")
            return 2
        pids.append((a, int(a)))
    errors = 0
    with Store(ctx.simdir).write() as st:
        for text, pid in pids:
            err = _kill(st, ctx, pid, sig)
            if err:
                ctx.warn(f"{text}: {err}")
                errors = 1
    return errors


def _kill(st: State, ctx: Ctx, pid: int, sig: int) -> str:
    """Deliver ``sig`` to ``pid``; return strerror text on failure."""
    scope: set[int] | None = None
    if ctx.jail is not None:
        me = st.jail_by_name(ctx.jail)
        scope = set() if me is None else {me.jid} | {
            j.jid for j in st.jails if j.name.startswith(me.name + ".")}
    by_pid = {p.pid: p for p in st.procs}
    transient = {t.proc.pid: t for t in dynamics.transients(st, ctx.now)}
    target = by_pid.get(pid)
    if pid <= 0 or (target is None and pid not in transient):
        return "No such process"
    jid = target.jid if target is not None else transient[pid].proc.jid
    if scope is not None and jid not in scope:
        return "No such process"
    if target is not None and (pid <= 1 or target.args.startswith("[")):
        return "Operation not permitted"
    if sig == 0 or sig in _KEEP:
        return ""
    if target is None:
        # A short-lived cron child: it simply ends early.
        if sig not in _STOP and sig != _CONT:
            st.reaped[pid] = transient[pid].ends
            st.reaped = {k: v for k, v in st.reaped.items() if v >= ctx.now - 120}
        return ""
    if sig in _STOP:
        target.stat = "T" + target.stat[1:]
        return ""
    if sig == _CONT:
        if target.stat.startswith("T"):
            target.stat = "S" + target.stat[1:]
        return ""
    _terminate(st, target, ctx.now)
    return ""


def _terminate(st: State, p: Proc, now: float) -> None:
    """Remove ``p`` and its descendants; end logins whose shell died; reap empty jails."""
    children: dict[int, list[int]] = {}
    for q in st.procs:
        children.setdefault(q.ppid, []).append(q.pid)
    gone = {p.pid}
    todo = [p.pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in gone and c > 1:
                gone.add(c)
                todo.append(c)
    dead = [q for q in st.procs if q.pid in gone]
    st.procs = [q for q in st.procs if q.pid not in gone]
    names = {j.jid: j.name for j in st.jails}
    for q in dead:
        if q.tty and q.comm == "sh":
            key = "" if q.jid == 0 else names.get(q.jid, "")
            if key in st.logins:
                st.logins[key] = [x for x in st.logins[key] if x.line != q.tty]
    for jid in {q.jid for q in dead if q.jid}:
        lifecycle.reap_if_empty(st, jid, now)
