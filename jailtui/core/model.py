"""Immutable data the console shows: jails, processes, one snapshot per tick.

Values are stored raw (exactly as the tools printed them, after JSON
decoding); display code passes every string through
:func:`jailtui.core.text.visible`. Keeping them raw means actions can use the
real jail name in argv, and ``--json`` output stays exact.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from itertools import repeat
from operator import attrgetter
from types import MappingProxyType
from typing import Any

ParamValue = str | bool | int | tuple[str, ...]
"""A jail parameter value: string, boolean, integer or address list."""


class JailState(enum.StrEnum):
    """Where a jail is in its life; ``jls -v`` says ACTIVE or DYING."""

    RUNNING = "running"
    DYING = "dying"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Jail:
    """One jail: running or dying (from jls), or configured but stopped."""

    name: str
    jid: int | None
    state: JailState
    hostname: str = ""
    path: str = ""
    ip4: tuple[str, ...] = ()
    ip6: tuple[str, ...] = ()
    cpusetid: int | None = None
    #: Defined in jail.conf (or jail.conf.d); False for jails created by hand.
    configured: bool = False
    #: Meant to run at boot: rc.conf ``jail_enable`` and in ``jail_list`` (or
    #: ``jail_list`` empty: every configured jail; reference section 8.1).
    enabled: bool = False
    #: File the jail's block comes from, when configured.
    conf_file: str | None = None
    #: Who manages the jail: a core.owners.Owner value ("jail.conf", "bastille",
    #: "iocage", ..., "unknown"); "" when the host did not decide (docs/managers.md 1.7).
    owner: str = ""
    #: The manager's own name for it (iocage "media.lan" for the kernel's "ioc-media_lan").
    owner_name: str = ""
    #: How the owner was decided, or why it is unknown (raw text: sanitise to show).
    owner_reason: str = ""
    #: Why it starts at boot or not, with the rc.conf file behind each
    #: deciding variable (confsource.boot_source), when configured.
    boot_source: str = ""
    #: Running jails that stop when this one stops: configured jails whose
    #: ``depend`` names it (transitively) and its hierarchical children;
    #: jail(8) removes them first and a restart does not start them again
    #: (docs/freebsd.md 3.7). Filled by the host (merge_jails).
    dependents: tuple[str, ...] = ()
    #: Aggregates over the jail's processes (filled by the host from ps).
    processes: int = 0
    cpu_percent: float = 0.0
    mem_percent: float = 0.0
    rss_kib: int = 0
    #: The fleet host this jail was seen on (its short name, ``--host``);
    #: None on a single-host console. Several hosts can have a jail of the
    #: same name, so a console of many hosts keys rows by (host, name) and
    #: sends an action on a row to the row's own host (core.fleet.tag_snapshot).
    host_name: str | None = None

    def with_totals(self, processes: int, cpu_percent: float, mem_percent: float,
                    rss_kib: int) -> Jail:
        """This jail with its process aggregates (:func:`apply_totals`).

        Positional, not dataclasses.replace() (several times slower, and
        every poll makes one per jail; issue 18); tests/test_model.py checks
        it against replace() with every field set.
        """
        return _make_jail((self.name, self.jid, self.state, self.hostname, self.path, self.ip4,
                           self.ip6, self.cpusetid, self.configured, self.enabled,
                           self.conf_file, self.owner, self.owner_name, self.owner_reason,
                           self.boot_source, self.dependents, processes, cpu_percent,
                           mem_percent, rss_kib, self.host_name))

    def with_config(self, configured: bool, enabled: bool, conf_file: str | None,
                    boot_source: str, dependents: tuple[str, ...]) -> Jail:
        """This jail with what the configuration says of it (host.merge_jails).

        Positional, as :meth:`with_totals` (a replace() per running jail
        each poll; issue 18); tests/test_model.py checks it against replace().
        """
        return _make_jail((self.name, self.jid, self.state, self.hostname, self.path, self.ip4,
                           self.ip6, self.cpusetid, configured, enabled, conf_file,
                           self.owner, self.owner_name, self.owner_reason, boot_source,
                           dependents, self.processes, self.cpu_percent, self.mem_percent,
                           self.rss_kib, self.host_name))

    def with_owner(self, owner: str, owner_name: str, owner_reason: str, configured: bool,
                   enabled: bool, conf_file: str | None, boot_source: str,
                   dependents: tuple[str, ...]) -> Jail:
        """This jail with its owner and what the owner configures (host.with_owner).

        Positional, as :meth:`with_totals`; tests/test_model.py checks it
        against replace().
        """
        return _make_jail((self.name, self.jid, self.state, self.hostname, self.path, self.ip4,
                           self.ip6, self.cpusetid, configured, enabled, conf_file, owner,
                           owner_name, owner_reason, boot_source, dependents, self.processes,
                           self.cpu_percent, self.mem_percent, self.rss_kib, self.host_name))

    @property
    def running(self) -> bool:
        return self.state is JailState.RUNNING

    @property
    def dying(self) -> bool:
        return self.state is JailState.DYING

    @property
    def key(self) -> str:
        """Stable key of the row in tables.

        The name for a live jail and for a configured-but-stopped one: at most
        one of the two exists per name (the kernel refuses a second live jail
        of a name; a configured jail is listed stopped only while none of that
        name is live), and the key survives a restart's new jid. A dying jail
        is keyed by its jid: it can sit beside both, with the same name,
        because a dying jail's name is free for a new one (kern_jail.c
        kern_jail_set; docs/freebsd.md 5.4).
        """
        return f"{self.name}\x00dying:{self.jid}" if self.state is JailState.DYING else self.name


@dataclass(frozen=True, slots=True)
class Process:
    """One process from ``ps --libxo json -ax -o ...``."""

    pid: int
    ppid: int
    jid: int
    #: Jail name, or None for a host process (ps prints ``-``).
    jail: str | None
    user: str
    #: STAT letters exactly as ps gives them (``SsJ``, ``IJ``, ``R+``).
    state: str
    cpu_percent: float
    mem_percent: float
    vsz_kib: int
    rss_kib: int
    #: ps ``etime`` as printed (``02:13:45``, ``2-03:04:05``) and in seconds.
    etime: str
    elapsed_seconds: int | None
    #: ps ``lstart`` as printed (``Mon Jun  2 08:00:01 2025``).
    started: str
    command: str
    #: The fleet host this process runs on; None on a single-host console
    #: (pids repeat across hosts: see :attr:`Jail.host_name`).
    host_name: str | None = None

    def with_user(self, user: str) -> Process:
        """This process with another user name (the jail's passwd names a uid).

        Positional, not dataclasses.replace(): thousands of rows a tick, and
        replace() costs several times more per call (issue 18).
        """
        return make_process((self.pid, self.ppid, self.jid, self.jail, user, self.state,
                             self.cpu_percent, self.mem_percent, self.vsz_kib, self.rss_kib,
                             self.etime, self.elapsed_seconds, self.started, self.command,
                             self.host_name))

    @property
    def jailed(self) -> bool:
        """True for a process in a jail: ps marks it with a trailing ``J``."""
        return self.state.endswith("J") or self.jid != 0

    @property
    def kernel_thread(self) -> bool:
        """A kernel process ([idle], [geom], ... and [kernel], pid 0).

        FreeBSD creates every kernel process by forking proc0
        (sys/kern/kern_kthread.c, ``kproc_create``: ``fork1(&thread0, ...)``),
        so its parent is pid 0; init (pid 1) is the one user process forked
        from proc0 (sys/kern/init_main.c, ``create_init``). ps gives no
        P_SYSTEM flag with our keywords, the parent says it as well
        (docs/freebsd.md 2.5, "Kernel threads in ps").
        """
        return self.jid == 0 and (self.pid == 0 or (self.ppid == 0 and self.pid != 1))

    @property
    def key(self) -> int:
        return self.pid


#: Every field of a Process, in order (what :func:`make_process` takes).
ProcessFields = tuple[int, int, int, str | None, str, str, float, float, int, int, str,
                      int | None, str, str, str | None]

#: The slots of Process, in field order, and the slot setter: what the frozen
#: dataclass's own __init__ reaches through object.__setattr__, one Python
#: call per field.
_PROCESS_SLOTS = tuple(vars(Process)[f.name] for f in fields(Process))
_SET_SLOT = type(_PROCESS_SLOTS[0]).__set__
_new = object.__new__


def make_process(values: ProcessFields) -> Process:
    """``Process(*values)``, every field given, in half the time (issue 18).

    A frozen slotted dataclass's __init__ sets each of its 15 fields with
    ``object.__setattr__`` (about 3 us a Process); here the slots are filled
    from C (map over the slot descriptors, consumed by a zero-length deque),
    about 1.5 us. The object is the same: the same slots, compared, hashed
    and frozen as any Process (Process has no __post_init__).
    tests/test_model.py compares the two.
    """
    proc: Process = _new(Process)
    deque(map(_SET_SLOT, _PROCESS_SLOTS, repeat(proc), values), 0)
    return proc


#: Every field of a Jail, in order (what :func:`_make_jail` takes).
JailFields = tuple[str, int | None, JailState, str, str, tuple[str, ...], tuple[str, ...],
                   int | None, bool, bool, str | None, str, str, str, str, tuple[str, ...],
                   int, float, float, int, str | None]

_JAIL_SLOTS = tuple(vars(Jail)[f.name] for f in fields(Jail))


def _make_jail(values: JailFields) -> Jail:
    """``Jail(*values)``, every field given, its slots filled from C as
    :func:`make_process` does (Jail has no __post_init__ either)."""
    jail: Jail = _new(Jail)
    deque(map(_SET_SLOT, _JAIL_SLOTS, repeat(jail), values), 0)
    return jail


@dataclass(frozen=True, slots=True)
class HostInfo:
    """Facts about the host itself (not per jail)."""

    hostname: str = ""
    #: "FreeBSD", "SIMULATED" or "ssh:HOST"; shown in every output.
    backend: str = "FreeBSD"
    os_release: str = ""
    load: tuple[float, float, float] | None = None
    mem_total_kib: int | None = None
    mem_used_kib: int | None = None
    ncpu: int | None = None


@dataclass(frozen=True, slots=True)
class HostSnapshot:
    """Everything one poll learned; the UI diffs consecutive snapshots."""

    info: HostInfo
    #: time.time() when the poll finished.
    taken_at: float
    jails: tuple[Jail, ...]
    processes: tuple[Process, ...]
    #: Problems that degraded the snapshot without failing it (a jail.conf
    #: that does not parse, rc.conf unreadable...). Raw text: sanitise to show.
    warnings: tuple[str, ...] = ()
    #: jls libxo ``__version`` ("2" on 14.x, "3" newest).
    jls_version: str = ""
    #: (path, mtime_ns, size) of each file the jail configuration was read
    #: from (ConfiguredJails.stamps): ``config_changed`` events (core/events.py).
    conf_stamps: tuple[tuple[str, int, int], ...] = ()
    _by_name: Mapping[str, Jail] = field(default_factory=dict, repr=False, compare=False)
    #: jid -> that jail's processes, built on first use (processes_of).
    _by_jid: Mapping[int, tuple[Process, ...]] | None = field(
        default=None, init=False, repr=False, compare=False)
    #: pid -> process, built on first use (process).
    _by_pid: Mapping[int, Process] | None = field(
        default=None, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        # Counts, not every row: asyncio.run() formats the repr of its main
        # task's result twice on the way out on Python 3.11+ (the SIGINT
        # handler's repr, https://github.com/python/cpython/issues/112559):
        # the dataclass repr of 50,000 processes took 0.7 s each time.
        return (f"HostSnapshot(host={self.info.hostname!r}, jails={len(self.jails)}, "
                f"processes={len(self.processes)}, taken_at={self.taken_at!r})")

    def __post_init__(self) -> None:
        # By name the live (or configured-but-stopped) jail wins over a dying
        # one of the same name: actions by name act on that one, never on a
        # jail that is going away (kern_jail.c prison_find_name does the same).
        by_name: dict[str, Jail] = {}
        for j in self.jails:
            held = by_name.get(j.name)
            if held is None or (held.state is JailState.DYING and not j.dying):
                by_name[j.name] = j
        object.__setattr__(self, "_by_name", MappingProxyType(by_name))

    def jail(self, name: str) -> Jail | None:
        """The jail called ``name``: live or configured first, dying only if alone."""
        return self._by_name.get(name)

    def dying_jails(self) -> tuple[Jail, ...]:
        return tuple(j for j in self.jails if j.state is JailState.DYING)

    def jail_by_jid(self, jid: int) -> Jail | None:
        for j in self.jails:
            if j.jid == jid and j.state is not JailState.STOPPED:
                return j
        return None

    def processes_of(self, jid: int) -> tuple[Process, ...]:
        """The processes of jail ``jid`` in ps order (0: the host's).

        Grouped once per snapshot: the health checks ask for every jail,
        which was jails x processes (50 million steps at 1,000 / 50,000).
        """
        index = self._by_jid
        if index is None:
            groups: dict[int, list[Process]] = {}
            for p in self.processes:
                group = groups.get(p.jid)
                if group is None:
                    groups[p.jid] = [p]
                else:
                    group.append(p)
            index = {j: tuple(g) for j, g in groups.items()}
            object.__setattr__(self, "_by_jid", index)
        return index.get(jid, ())

    def process(self, pid: int) -> Process | None:
        """The process ``pid`` (the first row of that pid, as ps printed them)."""
        index = self._by_pid
        if index is None:
            built: dict[int, Process] = {}
            for p in self.processes:
                built.setdefault(p.pid, p)
            index = built
            object.__setattr__(self, "_by_pid", index)
        return index.get(pid)


def disk_used_percent(used: int, avail: int) -> float:
    """A file system's fullness as df(1) and psutil give it: used / (used + avail).

    Not used / total: the blocks reserved for root (UFS minfree, 8 %) are
    in neither used nor avail, so used / total reads low (10 % where df
    says 26 %; bin/df/df.c, issue 13 item 12).
    """
    return 100.0 * used / (used + avail) if used + avail > 0 else 0.0


def physmem_from_ps(processes: Iterable[Process]) -> float | None:
    """The memory size (KiB) ps computed %MEM against, from its own rows.

    ps prints %MEM = 100 * RSS / hw.physmem rounded to 0.1 (keyword.c,
    docs/freebsd.md 2.1); over all processes the rounding averages out, so
    100 * sum(RSS) / sum(%MEM) recovers the total without another command,
    and agrees with ps by construction. None if no row has a %MEM.
    """
    rss = mem = 0.0
    for p in processes:
        if p.mem_percent > 0 and p.rss_kib > 0:
            rss += p.rss_kib
            mem += p.mem_percent
    return 100.0 * rss / mem if mem > 0 else None


def jails_up(jails: Iterable[Jail]) -> tuple[int, int]:
    """(running, jails) for "N/M jails up": a dying row is a removed jail the
    kernel has not let go of yet (docs/freebsd.md 5.4), not a jail of the
    host, so it counts in neither."""
    running = total = 0
    for j in jails:
        if j.state is JailState.DYING:
            continue
        total += 1
        running += j.state is JailState.RUNNING
    return running, total


@dataclass(frozen=True, slots=True)
class ProcessTotals:
    """Per-jail sums over one ps poll: all that ``list`` needs of 50,000 rows.

    Built from Processes (:func:`totals_of`) or straight from ps's JSON
    without making a Process per row (core.freebsd.ps.parse_ps_totals, for
    the CLI paths that never show a process; issue 18). Both sum the same
    values in document order, so the floats are the same to the last bit.
    """

    #: jid -> the jail's process count, %CPU sum, %MEM sum and RSS sum (KiB);
    #: jid 0 (the host's processes) is not counted.
    count: Mapping[int, int]
    cpu: Mapping[int, float]
    mem: Mapping[int, float]
    rss: Mapping[int, int]
    #: Over every row with %MEM > 0 and RSS > 0 (the host's too): the RSS and
    #: %MEM sums :func:`physmem_from_ps` recovers the memory size from.
    rss_with_mem: float = 0.0
    mem_with_rss: float = 0.0

    def physmem(self) -> float | None:
        """What :func:`physmem_from_ps` says of the same rows."""
        return 100.0 * self.rss_with_mem / self.mem_with_rss if self.mem_with_rss > 0 else None


def totals_of(processes: Iterable[Process]) -> ProcessTotals:
    """The per-jail sums of ``processes`` (in their order).

    One dict lookup a process (the jail's running sums in one list) and the
    four fields read in C (attrgetter): the sums are made in the same order,
    from 0 and 0.0, so they are the same to the last bit as adding field by
    field into four dicts (tests/test_model.py compares).
    """
    acc: dict[int, list[Any]] = {}
    get = acc.get
    rss_all = mem_all = 0.0
    for jid, c, m, kib in map(_TOTALS_FIELDS, processes):
        if m > 0 and kib > 0:
            rss_all += kib
            mem_all += m
        if jid == 0:
            continue
        sums = get(jid)
        if sums is None:
            acc[jid] = [1, 0.0 + c, 0.0 + m, 0 + kib]
        else:
            sums[0] += 1
            sums[1] += c
            sums[2] += m
            sums[3] += kib
    return ProcessTotals({j: v[0] for j, v in acc.items()}, {j: v[1] for j, v in acc.items()},
                         {j: v[2] for j, v in acc.items()}, {j: v[3] for j, v in acc.items()},
                         rss_all, mem_all)


_TOTALS_FIELDS = attrgetter("jid", "cpu_percent", "mem_percent", "rss_kib")


def aggregate(jails: Iterable[Jail], processes: Iterable[Process],
              mem_total_kib: float | None = None) -> tuple[Jail, ...]:
    """Fill each running jail's process count, CPU, memory and RSS sums.

    A jail's %MEM is its RSS over the total memory (``mem_total_kib``, or
    what ps used: physmem_from_ps), not a sum of rounded per-process values
    (a jail of 74 MB in small processes summed to 0.0; issue 13 item 29).
    """
    return apply_totals(jails, totals_of(processes), mem_total_kib)


def apply_totals(jails: Iterable[Jail], totals: ProcessTotals,
                 mem_total_kib: float | None = None) -> tuple[Jail, ...]:
    """:func:`aggregate` from sums already made (:class:`ProcessTotals`)."""
    total = mem_total_kib if mem_total_kib else totals.physmem()
    count, cpu, rss = totals.count, totals.cpu, totals.rss
    mem: Mapping[int, float] = totals.mem
    if total:
        mem = {jid: 100.0 * kib / total for jid, kib in rss.items()}
    out: list[Jail] = []
    for j in jails:
        if j.jid is None or j.state is JailState.STOPPED:
            out.append(j)
            continue
        out.append(j.with_totals(count.get(j.jid, 0), round(cpu.get(j.jid, 0.0), 1),
                                 round(mem.get(j.jid, 0.0), 1), rss.get(j.jid, 0)))
    return tuple(out)


