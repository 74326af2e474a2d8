"""Which jails a jail(8) run touches, and in what order (usr.sbin/jail/state.c).

Pure functions over the run's :class:`~jailtui.sim.jail_job.Job` list:
``depend`` checks (undefined jails, loops: ``dep_setup``), the closure of
a run (stopping a jail stops its dependents first; starting one starts its
dependencies first) and the topological order in file order. Nothing here
reads the simulated host's state or writes output; the caller
(:mod:`jailtui.sim.jail_ops`) words and prints what these functions find.
"""

from __future__ import annotations

from jailtui.sim.jail_job import SET, START, STOP, Job, strings


def deps(j: Job) -> list[str]:
    """The names a jail's ``depend`` parameter lists."""
    return strings(j.params.get("depend"))


def find(jobs: list[Job], name: str) -> Job | None:
    """The job of the configured (or running) jail ``name``."""
    for j in jobs:
        if j.name == name:
            return j
    return None


def graph_errors(jobs: list[Job]) -> list[tuple[Job, str]]:
    """state.c dep_setup: undefined dependencies and loops, as (job, message).

    Each job named is marked failed; the messages are jail(8)'s
    (``depends on undefined jail "db"``, ``dependency loop``).
    """
    out: list[tuple[Job, str]] = []
    for j in jobs:
        if j.failed:
            continue
        for d in deps(j):
            if find(jobs, d) is None:
                out.append((j, f'depends on undefined jail "{d}"'))
                j.failed = True
    # Loops: Kahn's algorithm over the depend graph; what is left loops.
    pending = {j.name: set(deps(j)) & {x.name for x in jobs} for j in jobs if j.name}
    changed = True
    while changed:
        changed = False
        for n, ds in list(pending.items()):
            if not ds & pending.keys():
                del pending[n]
                changed = True
    for j in jobs:
        if j.name in pending:
            out.append((j, "dependency loop"))
            j.failed = True
    return out


def closure(jobs: list[Job]) -> tuple[list[Job], list[Job]]:
    """Jobs to stop (dependents first) and to start/modify (dependencies first)."""
    by_name = {j.name: j for j in jobs if j.name}
    # -mr / -cmr decide between modify and restart later (jail_ops._start_or_set).
    stopping = [j for j in jobs if j.op & STOP and not j.op & SET]
    todo = list(stopping)
    while todo:
        x = todo.pop()
        for y in jobs:
            if x.name and x.name in deps(y) and not y.op & STOP:
                if not y.op:
                    y.depend = True
                y.op |= STOP
                stopping.append(y)
                todo.append(y)
    starting = [j for j in jobs if j.op & (START | SET)]
    todo = list(starting)
    while todo:
        x = todo.pop()
        for d in deps(x):
            dj = by_name.get(d)
            if dj is None or dj.op & (START | SET):
                continue
            if x.op & START:
                dj.op |= START
            elif not dj.op:
                dj.op |= SET
            else:
                continue
            dj.depend = True
            starting.append(dj)
            todo.append(dj)
    return order(stopping, jobs, reverse=True), order(starting, jobs, reverse=False)


def order(subset: list[Job], jobs: list[Job], *, reverse: bool) -> list[Job]:
    """Topological order in file order (deps first; dependents first when stopping)."""
    names = {j.name for j in subset}
    index = {id(j): i for i, j in enumerate(jobs)}
    ordered: list[Job] = []
    remaining = sorted(subset, key=lambda j: index.get(id(j), 0))
    while remaining:
        progressed = False
        for j in list(remaining):
            if reverse:
                blockers = [y for y in remaining if y is not j and j.name
                            and j.name in deps(y)]
            else:
                blockers = [y for y in remaining if y is not j and y.name in deps(j)
                            and y.name in names]
            if not blockers:
                ordered.append(j)
                remaining.remove(j)
                progressed = True
        if not progressed:
            ordered += remaining
            break
    return ordered


def dependency_failed(j: Job, jobs: list[Job], *, stopping: bool) -> bool:
    """Whether a jail this one waits for has failed (jail(8) then skips it)."""
    if stopping:
        related = [y for y in jobs if j.name and j.name in deps(y) and y.op & STOP]
    else:
        related = [y for y in jobs if y.name in deps(j)]
    return any(y.failed for y in related)
