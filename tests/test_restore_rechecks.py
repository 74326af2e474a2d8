"""What a restore's actions no longer read again, and that a change is still seen (issue 16).

Two shortcuts of the console's own work in a flow (benchmarks/README.md "restore",
round 4): the managers' files are checked by asking every answer of the last reading
again, not parsed again (core/owners/registry.py OwnerIndex.recheck), and one action
reads the jail configuration once (core/hosts/oneview.py). Each test here changes
the thing a shortcut keeps, underneath it, and checks that the next action sees it.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from jailtui.core.actions.audit import AuditRecord, MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.hosts import oneview
from jailtui.core.hosts.host import Host, LocalFiles
from jailtui.core.owners import Owner, OwnerIndex
from jailtui.core.storage.restore import Restore, StepResult
from jailtui.core.transport.hostfs import PathMap
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner

SHOP_CONF = "usr/local/bastille/jails/shop/jail.conf"
SHOP_PATH = "/usr/local/bastille/jails/shop/root"


def controller(sim_dir: Path) -> tuple[Controller, MemorySink]:
    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    sink = MemorySink()
    return Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=sink), sink


def rewrite_keeping_stat(path: Path, old: str, new: str) -> None:
    """``old`` -> ``new`` (the same length) in ``path``, its size and mtime kept: only
    its text (and its ctime) tells the change."""
    assert len(old) == len(new)
    st = path.stat()
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)


def test_an_unchanged_managers_files_are_not_parsed_again(sim_dir: Path) -> None:
    idx = OwnerIndex(LocalFiles(PathMap(root=str(sim_dir / "root"))))
    first = idx.attribute("shop", SHOP_PATH, {})
    assert first.owner is Owner.BASTILLE and idx.loads == 1
    idx.recheck()
    assert idx.attribute("shop", SHOP_PATH, {}) == first
    assert idx.loads == 1


@pytest.mark.parametrize("change", ["same size and mtime", "removed", "another file"])
def test_a_managers_file_changed_underneath_is_seen_by_the_recheck(
        sim_dir: Path, change: str) -> None:
    root = sim_dir / "root"
    idx = OwnerIndex(LocalFiles(PathMap(root=str(root))))
    assert idx.attribute("shop", SHOP_PATH, {}).owner is Owner.BASTILLE
    conf = root / SHOP_CONF
    if change == "same size and mtime":
        rewrite_keeping_stat(conf, "shop {", "shop (")      # half-written: no block
    elif change == "removed":
        conf.unlink()
    else:
        # Replaced by another file (rename over it), same text: a new inode, same answers.
        (root / "new.conf").write_text(conf.read_text())
        os.replace(root / "new.conf", conf)
    idx.recheck()
    got = idx.attribute("shop", SHOP_PATH, {})
    assert idx.loads == 2
    if change == "another file":
        assert got.owner is Owner.BASTILLE
    elif change == "removed":
        assert got.owner is Owner.UNKNOWN
    else:
        assert got.owner is Owner.UNKNOWN and "looks like bastille's" in got.reason


def restore_with(sim_dir: Path, jail: str, dataset: str,
                 after_stop: object) -> tuple[list[StepResult], list[AuditRecord]]:
    rc, _, err = dispatch(sim_dir, ["zfs", "snapshot", "-r", f"{dataset}@good"])
    assert rc == 0, err
    ctl, sink = controller(sim_dir)
    steps: list[StepResult] = []

    def on_step(r: StepResult) -> None:
        steps.append(r)
        if r.step == "stop":
            assert callable(after_stop)
            after_stop()

    async def flow() -> None:
        # The row the user saw: a poll first, so the managers' files are read before.
        row = (await ctl.host.poll()).jail(jail)
        await Restore(ctl, on_step=on_step).run(jail, "good", row)

    asyncio.run(flow())
    return steps, sink.records


def test_a_managers_file_broken_between_the_stop_and_the_start_refuses_the_start(
        sim_dir: Path) -> None:
    """The stop drove shop through Bastille; its jail.conf then broken (its size and
    mtime kept): the start sees it and refuses, running nothing (docs/managers.md 1.7)."""
    conf = sim_dir / "root" / SHOP_CONF
    steps, records = restore_with(sim_dir, "shop", "zroot/bastille/jails/shop/root",
                                  lambda: rewrite_keeping_stat(conf, "shop {", "shop ("))
    by = {s.step: s for s in steps}
    assert by["stop"].ok and "bastille stop shop" in next(
        r.detail for r in records if r.action == "stop")
    assert not by["start"].ok and "owner unknown" in by["start"].message
    starts = [r for r in records if r.action == "start"]
    assert [r.result.split(":")[0] for r in starts] == ["denied"]


def test_the_configuration_changed_between_the_stop_and_the_start_is_read_again(
        sim_dir: Path) -> None:
    """One view per action, not per flow: rc.conf's jail_enable turned off after the
    stop, the start goes by jail(8) instead of rc.d/jail (docs/freebsd.md 8.2)."""
    rc_conf = sim_dir / "root" / "etc/rc.conf"

    def off() -> None:
        rc_conf.write_text(rc_conf.read_text().replace('jail_enable="YES"',
                                                       'jail_enable="NO"'))

    steps, records = restore_with(sim_dir, "db", "zroot/jails/db", off)
    assert all(s.ok for s in steps), [(s.step, s.message) for s in steps]
    stop = next(r for r in records if r.action == "stop" and r.jail == "db")
    start = next(r for r in records if r.action == "start" and r.jail == "db")
    assert "argv=service jail stop db" in stop.detail
    assert "argv=jail " in start.detail and "-c db" in start.detail


def test_one_view_holds_inside_the_block_only(sim_dir: Path) -> None:
    ctl, _ = controller(sim_dir)
    host = ctl.host
    rc_conf = sim_dir / "root" / "etc/rc.conf"
    with oneview.one_view():
        before = host.configured()
        rc_conf.write_text(rc_conf.read_text().replace('jail_enable="YES"',
                                                       'jail_enable="NO"'))
        assert host.configured() is before and before.jail_enable
    assert not host.configured().jail_enable
