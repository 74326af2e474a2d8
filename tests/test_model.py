"""core/model.py: the per-snapshot indexes and the cheap copies give what the
plain definitions give (issue 18: they exist for speed, never for other results)."""

from __future__ import annotations

import asyncio
import dataclasses
import random

import pytest

from jailtui.core.model import (
    HostInfo,
    HostSnapshot,
    Jail,
    JailState,
    Process,
    ProcessTotals,
    make_process,
    totals_of,
)


def proc(pid: int, jid: int, **kw: object) -> Process:
    base: dict[str, object] = dict(
        pid=pid, ppid=1, jid=jid, jail=f"j{jid}" if jid else None, user="1001", state="SJ",
        cpu_percent=1.5, mem_percent=0.1, vsz_kib=100, rss_kib=50, etime="01:02",
        elapsed_seconds=62, started="Mon Jun  2 08:00:01 2025", command="sh -c x",
        host_name="web1")
    base.update(kw)
    return Process(**base)  # type: ignore[arg-type]


def snap(procs: tuple[Process, ...]) -> HostSnapshot:
    jails = (Jail(name="j1", jid=1, state=JailState.RUNNING),
             Jail(name="j2", jid=2, state=JailState.RUNNING))
    return HostSnapshot(info=HostInfo(hostname="h"), taken_at=1.0, jails=jails,
                        processes=procs)


def test_with_user_is_replace() -> None:
    p = proc(7, 1)
    assert p.with_user("www") == dataclasses.replace(p, user="www")
    # Every field is copied: a field added to Process must be added there too.
    changed = p.with_user("www")
    for f in dataclasses.fields(Process):
        if f.name != "user":
            assert getattr(changed, f.name) == getattr(p, f.name), f.name


def test_with_totals_is_replace() -> None:
    # Every field set to something other than its default, so a field
    # with_totals forgot to copy shows.
    j = Jail(name="w", jid=3, state=JailState.DYING, hostname="h", path="/j", ip4=("10.0.0.1",),
             ip6=("::1",), cpusetid=4, configured=True, enabled=True, conf_file="/etc/jail.conf",
             owner="bastille", owner_name="w2", owner_reason="r", boot_source="b",
             dependents=("git",), processes=9, cpu_percent=9.5, mem_percent=9.5, rss_kib=9, host_name="web1")
    got = j.with_totals(2, 1.5, 0.5, 40)
    assert got == dataclasses.replace(j, processes=2, cpu_percent=1.5, mem_percent=0.5,
                                      rss_kib=40)
    for f in dataclasses.fields(Jail):
        if f.name not in ("processes", "cpu_percent", "mem_percent", "rss_kib"):
            assert getattr(got, f.name) == getattr(j, f.name) != f.default, f.name


def _every_field_jail() -> Jail:
    return Jail(name="w", jid=3, state=JailState.DYING, hostname="h", path="/j",
                ip4=("10.0.0.1",), ip6=("::1",), cpusetid=4, configured=True, enabled=True,
                conf_file="/etc/jail.conf", owner="bastille", owner_name="w2", owner_reason="r",
                boot_source="b", dependents=("git",), processes=9, cpu_percent=9.5,
                mem_percent=9.5, rss_kib=9, host_name="web1")


def test_with_config_and_with_owner_are_replace() -> None:
    j = _every_field_jail()
    got = j.with_config(False, False, "/etc/jail.conf.d/w.conf", "rc.conf", ("a", "b"))
    assert got == dataclasses.replace(j, configured=False, enabled=False,
                                      conf_file="/etc/jail.conf.d/w.conf",
                                      boot_source="rc.conf", dependents=("a", "b"))
    changed = {"configured", "enabled", "conf_file", "boot_source", "dependents"}
    for f in dataclasses.fields(Jail):
        if f.name not in changed:
            assert getattr(got, f.name) == getattr(j, f.name) != f.default, f.name
    got = j.with_owner("iocage", "w.lan", "why", False, False, None, "boot", ())
    assert got == dataclasses.replace(j, owner="iocage", owner_name="w.lan", owner_reason="why",
                                      configured=False, enabled=False, conf_file=None,
                                      boot_source="boot", dependents=())
    changed |= {"owner", "owner_name", "owner_reason"}
    for f in dataclasses.fields(Jail):
        if f.name not in changed:
            assert getattr(got, f.name) == getattr(j, f.name) != f.default, f.name
    # A real Jail: hashed, compared and frozen as one made by its __init__.
    assert hash(got) == hash(dataclasses.replace(got))
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.name = "x"  # type: ignore[misc]


def test_processes_of_and_process_as_a_scan() -> None:
    procs = (proc(1, 0), proc(2, 1), proc(3, 2), proc(4, 1), proc(2, 2, command="dup"))
    s = snap(procs)
    for jid in (0, 1, 2, 3):
        assert s.processes_of(jid) == tuple(p for p in procs if p.jid == jid)
    for pid in (1, 2, 3, 4, 5):
        assert s.process(pid) == next((p for p in procs if p.pid == pid), None)
    assert s.process(2) is procs[1]  # the first row of a pid, as before


def test_index_is_per_snapshot() -> None:
    a = snap((proc(1, 1),))
    a.processes_of(1)
    b = dataclasses.replace(a, processes=(proc(2, 1),))
    assert [p.pid for p in b.processes_of(1)] == [2]
    assert a == dataclasses.replace(a)  # the indexes take no part in equality


def test_repr_counts_rows() -> None:
    # asyncio.run() formats its result's repr (CPython issue 112559): it must
    # not walk 50,000 processes.
    s = snap(tuple(proc(i, 1) for i in range(1, 2001)))
    text = repr(s)
    assert "processes=2000" in text and "jails=2" in text and len(text) < 200

    async def main() -> HostSnapshot:
        return s

    assert asyncio.run(main()) is s


def test_make_process_is_the_constructor() -> None:
    values = (7, 1, 2, None, "root", "SJ", 1.5, 0.0, 100, 50, "01:02", None,
              "Mon Jun  2 08:00:01 2025", "sh -c x", "web1")
    made, built = make_process(values), Process(*values)
    assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert [getattr(made, f.name) for f in dataclasses.fields(Process)] == list(values)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.pid = 8  # type: ignore[misc]
    assert proc(7, 1).with_user("git") == dataclasses.replace(proc(7, 1), user="git")


def _totals_by_field(processes: tuple[Process, ...]) -> ProcessTotals:
    """totals_of as it was written before issue 18's round 4: four dicts."""
    count: dict[int, int] = {}
    cpu: dict[int, float] = {}
    mem: dict[int, float] = {}
    rss: dict[int, int] = {}
    rss_all = mem_all = 0.0
    for p in processes:
        if p.mem_percent > 0 and p.rss_kib > 0:
            rss_all += p.rss_kib
            mem_all += p.mem_percent
        if p.jid == 0:
            continue
        count[p.jid] = count.get(p.jid, 0) + 1
        cpu[p.jid] = cpu.get(p.jid, 0.0) + p.cpu_percent
        mem[p.jid] = mem.get(p.jid, 0.0) + p.mem_percent
        rss[p.jid] = rss.get(p.jid, 0) + p.rss_kib
    return ProcessTotals(count, cpu, mem, rss, rss_all, mem_all)


def test_totals_of_is_the_sum_field_by_field() -> None:
    rnd = random.Random(18)
    procs = tuple(proc(i, rnd.choice([0, 0, 1, 2, 3, 40]),
                       cpu_percent=rnd.choice([0.0, -0.0, 0.1, 0.7, 12.3, 99.9, 1e-9]),
                       mem_percent=rnd.choice([0.0, 0.1, 0.3, 2.2]),
                       rss_kib=rnd.choice([0, 4, 1024, 7777])) for i in range(3000))
    got, want = totals_of(procs), _totals_by_field(procs)
    assert got == want and got.count and got.rss_with_mem > 0
    assert [list(map(type, d.values())) for d in (got.count, got.rss)] == \
        [list(map(type, d.values())) for d in (want.count, want.rss)]
    assert totals_of(()) == _totals_by_field(())
