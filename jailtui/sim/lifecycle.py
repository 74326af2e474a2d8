"""Kernel-side jail life: jail_set(JAIL_CREATE), jail_remove(2), persist.

These are the state changes jail(8) asks the kernel for; the exec.* hooks
and notes around them live in :mod:`jailtui.sim.jail`. Callers hold the
state's write lock.
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
        if state.jail_by_jid(spec.jid, dying=True) is not None:
            raise KernelError(f"jail {spec.jid} already exists")
        jid = spec.jid
        state.next_jid = max(state.next_jid, jid + 1)
    else:
        jid = state.alloc_jid()
    name = spec.name if spec.name else str(jid)
    if parent is not None:
        name = f"{parent.name}.{name}"
    if state.jail_by_name(name, dying=True) is not None:
        raise KernelError(f'"{name}" already exists')
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


def remove(state: State, j: SimJail) -> list[int]:
    """jail_remove(2): kill every process of the jail and its children, drop them.

    Returns the pids that were killed.
    """
    gone_jails = [j, *descendants(state, j)]
    jids = {x.jid for x in gone_jails}
    killed = [p.pid for p in state.procs if p.jid in jids]
    if killed:
        state.procs = [p for p in state.procs if p.jid not in jids]
    state.jails = [x for x in state.jails if x.jid not in jids]
    for x in gone_jails:
        state.logins.pop(x.name, None)
    return killed


def reap_if_empty(state: State, jid: int) -> bool:
    """A non-persistent jail with no processes goes away (docs/freebsd.md 3.7, 5.1)."""
    j = state.jail_by_jid(jid)
    if j is None or bool(j.params.get("persist", False)):
        return False
    if any(p.jid == jid for p in state.procs):
        return False
    remove(state, j)
    return True
