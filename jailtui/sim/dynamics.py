"""What moves: CPU, memory and short-lived processes, computed at output time.

A real host's ``ps`` never shows the same numbers twice. The simulator keeps
only stable facts in state.json and derives the moving ones from
``(pid, time bucket)`` with a fixed hash, so:

- readers never write (no lock contention between the console and shims);
- two calls in the same bucket agree, two calls in different buckets differ;
- tests pin the clock (``JAILTUI_SIM_NOW``) and get exact values.

Short-lived processes: every jail (and the host) running cron gets a
``cron: running job (cron)`` child and its job for a few seconds each minute,
at a per-jail offset, as FreeBSD's /etc/crontab does with atrun and
save-entropy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jailtui.sim.state import PID_MAX, Proc, State

#: Length of one time bucket in seconds: values change at most this often.
BUCKET_SECONDS = 2.0

_MASK = (1 << 64) - 1


def mix(*vals: int) -> int:
    """A 64-bit hash of integers (splitmix64 finaliser): fast and well spread."""
    h = 0x9E3779B97F4A7C15
    for v in vals:
        h = (h ^ (v & _MASK)) & _MASK
        h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK
        h ^= h >> 31
    return h


def unit(*vals: int) -> float:
    """A number in [0, 1) derived from ``vals``."""
    return (mix(*vals) >> 11) / float(1 << 53)


def bucket(now: float) -> int:
    return int(now // BUCKET_SECONDS)


@dataclass(slots=True)
class ProcView:
    """One process as ps shows it at one moment."""

    pid: int
    ppid: int
    jid: int
    uid: int
    stat: str
    vsz: int
    rss: int
    pcpu: float
    pmem: float
    start: float
    tty: str
    comm: str
    args: str
    #: Accumulated CPU time in seconds.
    cputime: float


def _view(p: Proc, b: int, now: float, physmem: int) -> ProcView:
    # One hash per process and bucket, cut into three 20-bit uniform numbers.
    h = mix(p.pid, b)
    u = (h & 0xFFFFF) / 1048576.0
    burst = ((h >> 20) & 0xFFFFF) / 1048576.0
    mem = ((h >> 40) & 0xFFFFF) / 1048576.0
    if p.load > 0.0:
        pcpu = p.load * (0.3 + 1.4 * u)
        if burst < 0.03:
            pcpu *= 4.0  # a burst
    else:
        pcpu = 0.1 if u < 0.04 else 0.0
    rss = p.rss
    if rss > 0:
        rss = int(rss * (0.97 + 0.06 * mem))
    stat = p.stat
    # A busy process is caught running now and then (docs/freebsd.md 2.3: R).
    if pcpu >= 5.0 and stat[:1] in ("S", "I"):
        stat = "R" + stat[1:]
    if p.jid:
        stat += "J"
    elapsed = max(0.0, now - p.start)
    cputime = elapsed * p.load / 100.0 + (p.pid % 97) / 100.0
    return ProcView(p.pid, p.ppid, p.jid, p.uid, stat, p.vsz, rss, pcpu,
                    100.0 * rss / physmem if physmem else 0.0, p.start, p.tty, p.comm,
                    p.args, cputime)


# Jobs FreeBSD's /etc/crontab runs every few minutes: (uid, comm, args).
_CRON_JOBS = ((0, "atrun", "/usr/libexec/atrun"),
              (2, "save-entropy", "/bin/sh /usr/libexec/save-entropy"),
              (0, "newsyslog", "/usr/sbin/newsyslog"))


@dataclass(frozen=True, slots=True)
class Transient:
    """A short-lived process derived from the clock (never stored)."""

    proc: Proc
    #: When it goes away by itself.
    ends: float


def transients(state: State, now: float, used: set[int] | None = None) -> list[Transient]:
    """The cron children alive at ``now``, with pids that do not clash."""
    taken = used if used is not None else {p.pid for p in state.procs}
    out: list[Transient] = []
    for cron in state.procs:
        if cron.svc != "cron":
            continue
        key = cron.jid
        offset = mix(key, 7) % 60
        t = now + offset
        cycle = int(t // 60)
        phase = t - cycle * 60
        duration = 2 + mix(key, cycle) % 6
        if phase >= duration:
            continue
        started = now - phase
        if started < cron.start:
            continue
        pid = 100 + mix(key, cycle, 1) % (PID_MAX - 200)
        while pid in taken or pid + 1 in taken:
            pid += 2
            if pid + 1 > PID_MAX:
                pid = 100
        ends = started + duration
        if state.reaped.get(pid, 0.0) >= ends:
            continue
        taken.update((pid, pid + 1))
        job_uid, job_comm, job_args = _CRON_JOBS[mix(key, cycle, 2) % len(_CRON_JOBS)]
        out.append(Transient(Proc(pid, cron.pid, cron.jid, 0, "I", 13_720, 2_640, started,
                                  "", "cron", "cron: running job (cron)", "", 0.0), ends))
        if state.reaped.get(pid + 1, 0.0) < ends:
            out.append(Transient(Proc(pid + 1, pid, cron.jid, job_uid, "S", 14_300, 3_020,
                                      started, "", job_comm, job_args, "", 1.5), ends))
    return out


def snapshot(state: State, now: float, procs: Iterable[Proc] | None = None) -> list[ProcView]:
    """Every process (stored and short-lived) as ps would show it at ``now``."""
    b = bucket(now)
    physmem = state.physmem_kib
    base = state.procs if procs is None else list(procs)
    views = [_view(p, b, now, physmem) for p in base]
    if procs is None:
        views.extend(_view(t.proc, b, now, physmem) for t in transients(state, now))
    if procs is None:
        _idle_is_the_rest(views, state.ncpu)
    elif any(_is_idle(v) for v in views):
        # A selection (ps -p 11): the rest is of every process, not of these.
        whole = {v.pid: v.pcpu for v in snapshot(state, now) if _is_idle(v)}
        for v in views:
            if _is_idle(v):
                v.pcpu = whole.get(v.pid, v.pcpu)
    return views


def _is_idle(v: ProcView) -> bool:
    return v.jid == 0 and v.comm == "idle" and v.args == "[idle]"


def _idle_is_the_rest(views: list[ProcView], ncpu: int) -> None:
    """``[idle]`` is the kernel's idle threads, one per CPU: what the others
    leave of ``100 * ncpu`` %, steady, not a random walk (ps shows the sum
    of the threads' %CPU; top's "idle" is the same share)."""
    idle = [v for v in views if _is_idle(v)]
    if not idle:
        return
    busy = sum(v.pcpu for v in views) - sum(v.pcpu for v in idle)
    idle[0].pcpu = max(0.0, 100.0 * ncpu - busy)
