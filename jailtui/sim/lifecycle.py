"""Kernel-side jail life: jail_set(JAIL_CREATE), jail_remove(2), persist, dying.

These are the state changes jail(8) asks the kernel for; the exec.* hooks
and notes around them live in :mod:`jailtui.sim.jail_ops`. Callers hold the
state's write lock.

A removed jail is not gone: its processes are killed, but the prison stays
in the kernel, DYING and holding its jid, while anything still references
it (docs/freebsd.md 5.4; kern_jail.c prison_deref). Here that lasts
``State.dying_seconds``; :func:`reap_dying` then frees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jailtui.sim.state import JailParam, SimJail, State


class KernelError(Exception):
    """A jail_set(2)/jail_remove(2) failure; ``str(e)`` is libjail's message."""


@dataclass
class CreateSpec:
    """Kernel parameters of a jail to create, already validated."""

    name: str | None
    path: str
    hostname: str = ""
    ip4: list[str] = field(default_factory=list)
    ip6: list[str] = field(default_factory=list)
    jid: int | None = None
    params: dict[str, JailParam] = field(default_factory=dict)


def create(state: State, spec: CreateSpec, now: float, *, parent: SimJail | None = None) -> SimJail:
    """jail_set(JAIL_CREATE): a new jail with no processes.

    Inside a jail (``parent``) the kernel checks ``children.max`` (reference
    10.1, test ``nested``): 0 means "Operation not permitted", reaching the
    limit "prison limit exceeded". The child's kernel name is
    ``parent.child``.
    """
    if parent is not None:
        limit = int(parent.params.get("children.max", 0))
        if limit == 0:
            raise KernelError("jail_set: Operation not permitted")
        cur = sum(1 for c in state.jails if c.parent == parent.jid)
        if cur >= limit:
            raise KernelError("prison limit exceeded")
    if spec.jid is not None:
        held = state.jail_by_jid(spec.jid, dying=True)
        if held is not None:
            # 14 (kern_jail_set): "Create: jid must not exist", dying or not.
            # 15 replaces a dying jail created again (docs/freebsd.md 5.4).
            if not (held.dying and state.freebsd >= 15):
                raise KernelError(f"jail {spec.jid} already exists")
            _free(state, held)
        jid = spec.jid
        state.next_jid = max(state.next_jid, jid + 1)
    else:
        jid = 0
    name = spec.name if spec.name else (str(jid) if jid else "")
    if parent is not None and name:
        name = f"{parent.name}.{name}"
    if name and state.jail_by_name(name) is not None:
        # Only an active jail's name is taken (kern_jail_set: "name must not
        # exist in an active sibling jail"); a dying one's is free.
        raise KernelError(f'"{name}" already exists')
    if name and state.freebsd >= 15:
        for dead in [x for x in state.jails if x.dying and x.name == name]:
            _free(state, dead)
    if not jid:
        jid = state.alloc_jid()
    if not name:
        name = str(jid) if parent is None else f"{parent.name}.{jid}"
    j = SimJail(jid=jid, name=name, path=spec.path, hostname=spec.hostname,
                ip4=list(spec.ip4), ip6=list(spec.ip6), params=dict(spec.params),
                cpusetid=state.alloc_cpuset(), created=now,
                parent=parent.jid if parent is not None else 0)
    state.jails.append(j)
    state.jails.sort(key=lambda x: x.jid)
    return j


def descendants(state: State, j: SimJail) -> list[SimJail]:
    """Child jails (nested, any depth) of ``j``."""
    out: list[SimJail] = []
    todo = [j.jid]
    while todo:
        pj = todo.pop()
        for c in state.jails:
            if c.parent == pj:
                out.append(c)
                todo.append(c.jid)
    return out


def remove(state: State, j: SimJail, now: float, *, stuck: bool = False) -> list[int]:
    """jail_remove(2): kill every process of the jail and its children; they go dying.

    ``stuck`` (a ``nostop`` fault, sim/faults.py): the processes do not exit (an
    uninterruptible wait), the jails stay dying with them; none are returned.

    The jails keep their jid and name, DYING, until :func:`reap_dying` frees
    them ``state.dying_seconds`` after ``now`` (at once when that is 0).
    Returns the pids that were killed.
    """
    gone_jails = [j, *descendants(state, j)]
    jids = {x.jid for x in gone_jails}
    killed = [] if stuck else [p.pid for p in state.procs if p.jid in jids]
    if killed:
        state.procs = [p for p in state.procs if p.jid not in jids]
    for x in gone_jails:
        state.logins.pop(x.name, None)
        x.dying = True
        x.dying_since = now
    if state.dying_seconds <= 0 and not stuck:
        state.jails = [x for x in state.jails if x.jid not in jids]
    return killed


def _free(state: State, j: SimJail) -> None:
    """The kernel lets go of a dying prison (last reference gone, or replaced on 15)."""
    state.jails = [x for x in state.jails if x is not j]


def expired(state: State, now: float) -> list[SimJail]:
    """Dying jails whose time is up at ``now``."""
    return [j for j in state.jails
            if j.dying and now >= j.dying_since + state.dying_seconds]


def reap_dying(state: State, now: float, stuck: frozenset[str] | set[str] = frozenset()
               ) -> bool:
    """Free the dying jails whose time is up; True if any went. A jail named in
    ``stuck`` (an active ``nostop`` fault) that still holds processes stays; once
    the fault is gone its processes have exited and it goes too."""
    gone = [j for j in expired(state, now)
            if j.name not in stuck or not any(p.jid == j.jid for p in state.procs)]
    for j in gone:
        state.procs = [p for p in state.procs if p.jid != j.jid] \
            if any(p.jid == j.jid for p in state.procs) else state.procs
        _free(state, j)
    return bool(gone)


def reap_if_empty(state: State, jid: int, now: float) -> bool:
    """A non-persistent jail with no processes is removed: it goes dying
    (docs/freebsd.md 3.7, 5.1, 5.4)."""
    j = state.jail_by_jid(jid)
    if j is None or bool(j.params.get("persist", False)):
        return False
    if any(p.jid == jid for p in state.procs):
        return False
    remove(state, j, now)
    return True
