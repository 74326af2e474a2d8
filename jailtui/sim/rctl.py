"""rctl(8) of the simulated host (reference section 7).

Rules live in the state as the kernel prints them
(``jail:db:memoryuse:deny=2147483648``); usage (``-u jail:NAME``) is summed
from the jail's processes at the moment of the call. ``kern.racct.enable=0``
makes every request fail like the real ENOSYS path.

Behaviour follows usr.bin/rctl/rctl.c and sys/kern/kern_rctl.c: ``-l``
takes a *process* filter only (a jail filter gets EOPNOTSUPP: list a jail's
rules with ``rctl jail:NAME``), an unknown jail name is accounted as all
zeros (prison_racct_find creates the record), ``/per`` is printed only
when it differs from the subject.
"""

from __future__ import annotations

import errno
import os

from jailtui.sim import dynamics, passwd
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Proc, State, Store

USAGE = "usage: rctl [ -h ] [-a rule | -l filter | -r filter | -u filter | filter]\n"

#: Kernel order (RACCT_*), which is also the order of ``-u`` output.
RESOURCES = ("cputime", "datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked",
             "maxproc", "openfiles", "vmemoryuse", "pseudoterminals", "swapuse", "nthr",
             "msgqqueued", "msgqsize", "nmsgq", "nsem", "nsemop", "nshm", "shmsize",
             "wallclock", "pcpu", "readbps", "writebps", "readiops", "writeiops")
SUBJECTS = ("process", "user", "loginclass", "jail")
ACTIONS = ("sighup", "sigint", "sigquit", "sigill", "sigtrap", "sigabrt", "sigemt", "sigfpe",
           "sigkill", "sigbus", "sigsegv", "sigsys", "sigpipe", "sigalrm", "sigterm", "sigurg",
           "sigstop", "sigtstp", "sigcont", "sigchld", "sigttin", "sigttou", "sigio", "sigxcpu",
           "sigxfsz", "sigvtalrm", "sigprof", "sigwinch", "siginfo", "sigusr1", "sigusr2",
           "sigthr", "deny", "log", "devctl", "throttle")
#: racct.c: resources a "deny" rule may limit (pcpu is the documented exception).
_DENIABLE = frozenset({"datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked",
                       "maxproc", "openfiles", "vmemoryuse", "pseudoterminals", "swapuse",
                       "nthr", "msgqqueued", "msgqsize", "nmsgq", "nsem", "nsemop", "nshm",
                       "shmsize", "pcpu"})
#: kern_racct.c RACCT_SLOPPY: rctl_rule_add() refuses them ``/process``.
_SLOPPY = frozenset({"pseudoterminals", "swapuse", "msgqqueued", "msgqsize", "nmsgq", "nsem",
                     "nshm", "shmsize"})
_DECAYING = frozenset({"pcpu", "readbps", "writebps", "readiops", "writeiops"})
_ALIASES = {"u": "user", "g": "group", "p": "process", "l": "loginclass", "c": "loginclass",
            "class": "loginclass", "j": "jail"}


class _RctlError(Exception):
    def __init__(self, err: int) -> None:
        self.errno = err
        super().__init__(os.strerror(err))


def _racct_disabled(ctx: Ctx) -> int:
    # rctl.c enosys(): the syscall returned ENOSYS and kern.racct.enable is 0.
    ctx.warn("RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable")
    return 1


def expand_number(text: str) -> int | None:
    """libutil expand_number(3): decimal with an optional K/M/G/T/P/E suffix (powers of 1024)."""
    t = text.strip()
    if not t:
        return None
    shift = 0
    suffixes = "kmgtpe"
    if t[-1].lower() in suffixes:
        shift = 10 * (suffixes.index(t[-1].lower()) + 1)
        t = t[:-1]
    elif t[-1].lower() == "b":
        t = t[:-1]
    if not t.isdigit():
        return None
    return int(t) << shift


def humanize(num: int) -> str:
    """humanize_number(buf, 6, n, "", HN_AUTOSCALE, HN_DECIMAL | HN_NOSPACE)."""
    prefixes = ("", "K", "M", "G", "T", "P", "E")
    divisor, deccut, maxv = 1024, 973, 10_000
    quotient, remainder, i = num, 0, 0
    while (quotient >= maxv or (quotient == maxv - 1 and remainder >= deccut)) \
            and i < len(prefixes) - 1:
        remainder = quotient % divisor
        quotient //= divisor
        i += 1
    if ((quotient == 9 and remainder < deccut) or quotient < 9) and i > 0:
        s1 = quotient + ((remainder * 10 + divisor // 2) // divisor // 10)
        s2 = ((remainder * 10 + divisor // 2) // divisor) % 10
        return f"{s1}.{s2}{prefixes[i]}"
    return f"{quotient + (remainder + divisor // 2) // divisor}{prefixes[i]}"


def _split(rule: str) -> list[str | None]:
    """strsep the way kern_rctl.c does: subject:id:resource:action=amount/per."""
    rest: str | None = rule
    out: list[str | None] = []
    for seps in (":", ":", ":", "=/", "/"):
        if rest is None:
            out.append(None)
            continue
        cut = min((rest.find(c) for c in seps if c in rest), default=-1)
        if cut < 0:
            out.append(rest)
            rest = None
        else:
            out.append(rest[:cut])
            rest = rest[cut + 1:]
    out.append(rest)
    return out


class _Rule:
    """A parsed rule or filter (rctl_string_to_rule); None fields are wildcards."""

    def __init__(self, text: str, st: State) -> None:
        subject, sid, resource, action, amount, per = _split(text)
        self.subject = subject or None
        if self.subject is not None and self.subject not in SUBJECTS:
            raise _RctlError(errno.EINVAL)
        self.id = sid or None
        if self.id is not None:
            if self.subject is None:
                raise _RctlError(errno.EINVAL)
            if self.subject == "process":
                if not self.id.isdigit():
                    raise _RctlError(errno.EINVAL)
                if not any(p.pid == int(self.id) for p in st.procs):
                    raise _RctlError(errno.ESRCH)
            elif self.subject == "user" and not self.id.isdigit():
                raise _RctlError(errno.EINVAL)
        self.resource = resource or None
        if self.resource is not None and self.resource not in RESOURCES:
            raise _RctlError(errno.EINVAL)
        self.action = action or None
        if self.action is not None and self.action not in ACTIONS:
            raise _RctlError(errno.EINVAL)
        self.amount: int | None = None
        if amount:
            if not amount.isdigit():
                raise _RctlError(errno.EINVAL)
            self.amount = int(amount)
        self.per = per or None
        if self.per is not None and self.per not in SUBJECTS:
            raise _RctlError(errno.EINVAL)

    def full(self) -> bool:
        return None not in (self.subject, self.id, self.resource, self.action, self.amount)

    def render(self) -> str:
        """rctl_rule_to_sbuf(): ``/per`` only when it differs from the subject."""
        per = self.per or self.subject
        tail = f"/{per}" if per != self.subject else ""
        return f"{self.subject}:{self.id}:{self.resource}:{self.action}={self.amount}{tail}"

    def matches(self, other: _Rule) -> bool:
        """rctl_rule_matches(self=filter, other=rule)."""
        for a, b in ((self.subject, other.subject), (self.id, other.id),
                     (self.resource, other.resource), (self.action, other.action),
                     (self.amount, other.amount), (self.per, other.per or other.subject)):
            if a is not None and a != b:
                return False
        return True


def _expand(ctx: Ctx, rule: str, resolve: bool) -> str | None:
    """rctl.c expand_rule(): subject aliases, user names to uids, K/M/G amounts."""
    if ":" not in rule:
        ctx.warn(f"malformed rule '{rule}': missing subject")
        return None
    subject, rest = rule.split(":", 1)
    textid, _, tail = rest.partition(":")
    subject = _ALIASES.get(subject.lower(), subject)
    if resolve and subject.lower() == "user" and textid:
        users = passwd.load(ctx.paths.real("/etc/passwd"))
        u = passwd.by_name(users, textid)
        if u is not None:
            textid = str(u.uid)
        elif not textid[:1].isdigit():
            ctx.warn(f"malformed rule '{rule}': unknown user '{textid}'")
            return None
        elif not textid.isdigit():
            ctx.warn(f"malformed rule '{rule}': trailing characters after numerical id")
            return None
    resolved = f"{subject}:{textid}:{tail}"
    parts = _split(resolved)
    amount = parts[4]
    if not amount:
        return resolved
    num = expand_number(amount)
    if num is None:
        ctx.warn(f"malformed rule '{rule}': invalid numeric value '{amount}'")
        return None
    s, i, r, a, _, per = parts
    return f"{s}:{i}:{r}:{a}={num}" + (f"/{per}" if per is not None else "")


def _humanize_ids(ctx: Ctx, rule: str) -> str:
    subject, _, rest = rule.partition(":")
    if subject == "user":
        uid, _, tail = rest.partition(":")
        names = passwd.by_uid(passwd.load(ctx.paths.real("/etc/passwd")))
        if uid.isdigit() and int(uid) in names:
            return f"{subject}:{names[int(uid)]}:{tail}"
    return rule


def _humanize_amount(rule: str) -> str:
    head, eq, tail = rule.partition("=")
    if not eq:
        return rule
    amount, slash, per = tail.partition("/")
    if not amount.isdigit():
        return rule
    return f"{head}={humanize(int(amount))}{slash}{per}"


def usage_of(st: State, jail_name: str, now: float) -> dict[str, int]:
    """The racct counters of jail ``jail_name`` (and its children), from its processes."""
    j = st.jail_by_name(jail_name)
    if j is None:
        return {r: 0 for r in RESOURCES}
    jids = {j.jid} | {c.jid for c in st.jails if c.name.startswith(j.name + ".")}
    mine: list[Proc] = [p for p in st.procs if p.jid in jids]
    mine += [t.proc for t in dynamics.transients(st, now) if t.proc.jid in jids]
    views = dynamics.snapshot(st, now, mine)
    b = dynamics.bucket(now)
    rss = sum(v.rss for v in views) * 1024
    vsz = sum(v.vsz for v in views) * 1024
    nshm = 1 if j.params.get("sysvshm") == "new" and any(p.comm == "postgres" for p in mine) \
        else 0
    io = sum(v.pcpu for v in views)
    return {
        "cputime": int(sum(v.cputime for v in views)),
        "datasize": int(rss * 0.42) // 4096 * 4096,
        "stacksize": 0,
        "coredumpsize": 0,
        "memoryuse": rss,
        "memorylocked": 0,
        "maxproc": len(views),
        "openfiles": sum(9 + dynamics.mix(v.pid) % 23 for v in views),
        "vmemoryuse": vsz,
        "pseudoterminals": len({v.tty for v in views if v.tty.startswith("pts/")}),
        "swapuse": 0,
        "nthr": sum(1 + (dynamics.mix(v.pid, 1) % 8 if v.vsz > 500_000 else 0) for v in views),
        "msgqqueued": 0,
        "msgqsize": 0,
        "nmsgq": 0,
        "nsem": 16 * nshm,
        "nsemop": 0,
        "nshm": nshm,
        "shmsize": 56 * 1024 * 1024 * nshm,
        "wallclock": max(0, int(now - j.created)),
        "pcpu": int(io),
        "readbps": int(io * 40_960 * dynamics.unit(j.jid, b, 11)),
        "writebps": int(io * 20_480 * dynamics.unit(j.jid, b, 12)),
        "readiops": int(io * 3 * dynamics.unit(j.jid, b, 13)),
        "writeiops": int(io * 2 * dynamics.unit(j.jid, b, 14)),
    }


def run(ctx: Ctx, args: list[str]) -> int:
    try:
        opts, rest = getopt(args, "ahlnru")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(USAGE)
        return 1
    flags = {ch for ch, _ in opts}
    hflag, nflag = "h" in flags, "n" in flags
    actions = [c for c in "alru" if c in flags]
    if len(actions) > 1:
        ctx.warn("at most one of -a, -l, -r, or -u may be specified")
        return 1
    action = actions[0] if actions else ""
    if ctx.jail is not None:
        # priv_check(PRIV_RCTL_*) fails inside a jail.
        ctx.warn("failed to show rules for '::': Operation not permitted")
        return 1
    store = Store(ctx.simdir)
    if not rest:
        if action:
            ctx.write_err(USAGE)
            return 1
        with store.read() as st:
            if not st.racct:
                return _racct_disabled(ctx)
            return _show_rules(ctx, st, "::", "::", hflag, nflag)
    errors = 0
    for raw in rest:
        rule = _expand(ctx, raw, resolve=not (action == "a" and nflag))
        if rule is None:
            errors += 1
            continue
        if action in ("a", "r"):
            with store.write() as st:
                if not st.racct:
                    return _racct_disabled(ctx)
                ok = _add(ctx, st, rule, raw) if action == "a" else _remove(ctx, st, rule, raw)
        else:
            with store.read() as st:
                if not st.racct:
                    return _racct_disabled(ctx)
                if action == "u":
                    ok = _usage(ctx, st, rule, raw, hflag) == 0
                elif action == "l":
                    ok = _limits(ctx, st, rule, raw, hflag, nflag) == 0
                else:
                    ok = _show_rules(ctx, st, rule, raw, hflag, nflag) == 0
        if not ok:
            errors += 1
    return errors


def _parsed_rules(st: State) -> list[_Rule]:
    return [_Rule(r, st) for r in st.rules]


def _print_rules(ctx: Ctx, rules: list[str], hflag: bool, nflag: bool) -> None:
    for r in rules:
        if not nflag:
            r = _humanize_ids(ctx, r)
        if hflag:
            r = _humanize_amount(r)
        ctx.write(r + "\n")


def _show_rules(ctx: Ctx, st: State, rule: str, raw: str, hflag: bool, nflag: bool) -> int:
    try:
        flt = _Rule(rule, st)
    except _RctlError as e:
        ctx.warn(f"failed to show rules for '{raw}': {e}")
        return 1
    order = {s: i for i, s in enumerate(("process", "loginclass", "user", "jail"))}
    hits = [r for r in _parsed_rules(st) if flt.matches(r)]
    hits.sort(key=lambda r: order.get(r.subject or "", 9))
    _print_rules(ctx, [r.render() for r in hits], hflag, nflag)
    return 0


def _limits(ctx: Ctx, st: State, rule: str, raw: str, hflag: bool, nflag: bool) -> int:
    """-l: rules applying to one process (kern_rctl.c: other subjects -> EOPNOTSUPP)."""
    try:
        flt = _Rule(rule, st)
        if flt.subject is None:
            raise _RctlError(errno.EINVAL)
        if flt.subject != "process":
            raise _RctlError(errno.EOPNOTSUPP)
        if flt.id is None:
            raise _RctlError(errno.EINVAL)
    except _RctlError as e:
        ctx.warn(f"failed to get limits for '{raw}': {e}")
        return 1
    proc = next(p for p in st.procs if p.pid == int(flt.id))
    jail_names = {j.jid: j.name for j in st.jails}
    applies: list[str] = []
    for r in _parsed_rules(st):
        if r.subject == "process" and r.id == str(proc.pid) or \
                r.subject == "user" and r.id == str(proc.uid) or \
                r.subject == "jail" and jail_names.get(proc.jid) == r.id:
            applies.append(r.render())
    _print_rules(ctx, applies, hflag, nflag)
    return 0


def _add(ctx: Ctx, st: State, rule: str, raw: str) -> bool:
    try:
        r = _Rule(rule, st)
        if not r.full():
            raise _RctlError(errno.EINVAL)
        assert r.resource is not None
        if r.action == "deny" and r.resource not in _DENIABLE:
            raise _RctlError(errno.EOPNOTSUPP)
        if r.action == "throttle" and (r.resource not in _DECAYING or r.resource == "pcpu"):
            raise _RctlError(errno.EOPNOTSUPP)
        if r.per == "process" and r.resource in _SLOPPY:
            raise _RctlError(errno.EOPNOTSUPP)
    except _RctlError as e:
        ctx.warn(f"failed to add rule '{raw}': {e}")
        return False
    existing = _parsed_rules(st)
    keep: list[str] = []
    for old, text in zip(existing, st.rules, strict=True):
        same = (old.subject, old.id, old.resource, old.action, old.per or old.subject) == \
            (r.subject, r.id, r.resource, r.action, r.per or r.subject)
        # Duplicates go; a new "deny" replaces one differing only by amount.
        if same and (r.action == "deny" or old.amount == r.amount):
            continue
        keep.append(text)
    keep.append(r.render())
    st.rules = keep
    return True


def _remove(ctx: Ctx, st: State, rule: str, raw: str) -> bool:
    try:
        flt = _Rule(rule, st)
    except _RctlError as e:
        ctx.warn(f"failed to remove rule '{raw}': {e}")
        return False
    parsed = _parsed_rules(st)
    keep = [text for r, text in zip(parsed, st.rules, strict=True) if not flt.matches(r)]
    if len(keep) == len(st.rules):
        ctx.warn(f"failed to remove rule '{raw}': {os.strerror(errno.ESRCH)}")
        return False
    st.rules = keep
    return True


def _usage(ctx: Ctx, st: State, rule: str, raw: str, hflag: bool) -> int:
    try:
        flt = _Rule(rule, st)
        if flt.subject is None or flt.id is None:
            raise _RctlError(errno.EINVAL)
    except _RctlError as e:
        ctx.warn(f"failed to show resource consumption for '{raw}': {e}")
        return 1
    if flt.subject == "jail":
        counters = usage_of(st, flt.id, ctx.now)
    else:
        counters = _usage_other(st, flt, ctx.now)
    for name in RESOURCES:
        value = counters[name]
        ctx.write(f"{name}={humanize(value) if hflag else value}\n")
    return 0


def _usage_other(st: State, flt: _Rule, now: float) -> dict[str, int]:
    """process: / user: subjects: the same counters over a different process set."""
    assert flt.id is not None
    if flt.subject == "process":
        mine = [p for p in st.procs if p.pid == int(flt.id)]
    elif flt.subject == "user":
        mine = [p for p in st.procs if p.uid == int(flt.id)]
    else:
        mine = []
    views = dynamics.snapshot(st, now, mine)
    out = {r: 0 for r in RESOURCES}
    out.update({"cputime": int(sum(v.cputime for v in views)),
                "memoryuse": sum(v.rss for v in views) * 1024,
                "vmemoryuse": sum(v.vsz for v in views) * 1024,
                "maxproc": len(views), "nthr": len(views),
                "pcpu": int(sum(v.pcpu for v in views)),
                "wallclock": int(sum(max(0.0, now - v.start) for v in views))})
    return out
