"""``jailtui backup NAME``: a jail's datasets copied to POOL/jailtui-backups/NAME with
zfs send | zfs receive run as two processes (the console copies the bytes), full then
incremental; cancel and failures leave no half-received backup; the one gate decides.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.errors import PolicyDenied
from jailtui.core.hosts.host import Host
from jailtui.core.storage.backup import Backup
from jailtui.core.storage.pipe import Progress
from jailtui.sim import zfs_model as zm
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner


def cli(sim_dir: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", *args], capture_output=True,
                          text=True, timeout=180,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def next_second(run: Callable[[], subprocess.CompletedProcess[str]]
                ) -> subprocess.CompletedProcess[str]:
    """``run()``; when it is refused because a backup was made this second (a
    snapshot's name holds the UTC second), once more after that second is over.
    A retry at once could fall in the same second on a loaded machine."""
    r = run()
    if r.returncode != 0 and "this second" in r.stderr + r.stdout:
        time.sleep(1.05 - time.time() % 1)
        r = run()
    return r


def local(sim_dir: Path, shim_path: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point on this machine's PATH: the shims, as on a FreeBSD host."""
    return cli(sim_dir, "--host", "local", "--root", str(sim_dir / "root"), *args,
               env={"PATH": shim_path})


def names(sim_dir: Path, dataset: str) -> list[str]:
    rc, out, err = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name", "-t", "all", "-r",
                                      dataset])
    return out.decode().split() if rc == 0 else []


def root(sim_dir: Path, path: str) -> Path:
    return sim_dir / "root" / path.lstrip("/")


def controller(sim_dir: Path, policy: Policy | None = None) -> tuple[Controller, MemorySink]:
    runner = SimRunner(sim_dir)
    sink = MemorySink()
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    return Controller(host, policy or Policy(Role.HOST_ADMIN, "root", 0), audit=sink), sink


def test_full_then_incremental_through_the_shims(sim_dir: Path, shim_path: str) -> None:
    r = local(sim_dir, shim_path, "backup", "db", "--json")
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout)
    assert first["ok"] and first["incremental_from"] is None
    assert first["source"] == "zroot/jails/db" and first["target"] == "zroot/jailtui-backups/db"
    assert first["bytes"] > 0
    snap = first["snapshot"]
    assert snap.startswith("jailtui-")
    assert names(sim_dir, "zroot/jailtui-backups") == [
        "zroot/jailtui-backups", "zroot/jailtui-backups/db", f"zroot/jailtui-backups/db@{snap}",
        "zroot/jailtui-backups/db/var", f"zroot/jailtui-backups/db/var@{snap}"]
    # Never mounted: not over the jail, not anywhere a jail reaches.
    rc, out, _ = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name,mountpoint,mounted,readonly",
                                    "-r", "zroot/jailtui-backups"])
    rows = [line.split("\t") for line in out.decode().splitlines()]
    assert rows[0] == ["zroot/jailtui-backups", "none", "no", "on"]
    # (the simulator keeps readonly local: it does not model its inheritance)
    assert all(row[1:3] == ["none", "no"] for row in rows), rows
    # The files changed since: the next one is incremental from the first.
    (root(sim_dir, "/usr/local/jails/db/etc") / "added").write_text("new\n")
    r = next_second(lambda: local(sim_dir, shim_path, "backup", "db", "--json"))
    assert r.returncode == 0, r.stderr + r.stdout
    second = json.loads(r.stdout)
    assert second["incremental_from"] == snap
    assert second["message"].startswith(f"db: backed up zroot/jails/db@{second['snapshot']} to "
                                        f"zroot/jailtui-backups/db (incremental from @{snap}): ")
    assert second["snapshots"] == [f"zroot/jailtui-backups/db@{snap}",
                                   f"zroot/jailtui-backups/db@{second['snapshot']}"]
    r = local(sim_dir, shim_path, "backup", "db", "--list")
    assert r.returncode == 0
    assert r.stdout.splitlines()[0] == ("# backup of db (zroot/jailtui-backups/db), "
                                        "newest first")
    assert f"zroot/jailtui-backups/db@{second['snapshot']}" in r.stdout.splitlines()[2]


def test_restore_from_a_backup_puts_the_copy_back(sim_dir: Path) -> None:
    r = cli(sim_dir, "--sim", str(sim_dir), "backup", "web", "--json")
    assert r.returncode == 0, r.stderr
    snap = json.loads(r.stdout)["snapshot"]
    rc_conf = root(sim_dir, "/usr/local/jails/web/etc/rc.conf")
    good = rc_conf.read_text()
    assert cli(sim_dir, "--sim", str(sim_dir), "sim", "compromise", "web").returncode == 0
    # The intruder also destroys the jail's own snapshots: the backup is out of reach.
    assert dispatch(sim_dir, ["zfs", "destroy", f"zroot/jails/web@{snap}"])[0] == 0
    assert rc_conf.read_text() != good
    r = cli(sim_dir, "--sim", str(sim_dir), "restore", "web", "--from",
            f"zroot/jailtui-backups/web@{snap}")
    assert r.returncode == 0, r.stderr + r.stdout
    assert f"web runs again from zroot/jailtui-backups/web@{snap}" in r.stdout
    assert rc_conf.read_text() == good
    rc, out, _ = dispatch(sim_dir, ["zfs", "get", "-H", "-o", "value", "origin",
                                    "zroot/jails/web"])
    assert out.decode().strip() == f"zroot/jailtui-backups/web@{snap}"
    audit = (sim_dir / "audit.log").read_text()
    assert "action=backup jail=web" in audit and "result=ok" in audit


def test_cancel_leaves_no_half_received_backup(sim_dir: Path) -> None:
    with zm.PoolStore(sim_dir).write() as pool:
        pool.send_rate = 4096  # bytes a second: a copy of ~17 KB takes seconds
    ctl, sink = controller(sim_dir)
    cancel = asyncio.Event()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if p.bytes > 0:
            cancel.set()

    result = asyncio.run(Backup(ctl, on_progress=progress).run("web", cancel))
    assert not result.ok and result.cancelled
    assert result.message.startswith("web: backup cancelled after ")
    assert 0 < result.bytes < 16_000
    assert f"zroot/jails/web@{result.snapshot} was destroyed again" in result.message
    assert names(sim_dir, "zroot/jailtui-backups") == ["zroot/jailtui-backups"]
    assert not [n for n in names(sim_dir, "zroot/jails/web") if "@" in n]
    assert [r.result for r in sink.records if r.action == Action.BACKUP] == ["cancelled"]


def test_an_incremental_cancelled_keeps_the_earlier_backup(sim_dir: Path) -> None:
    ctl, _ = controller(sim_dir)
    first = asyncio.run(Backup(ctl, clock=lambda: 1_700_000_000.0).run("web"))
    assert first.ok, first.message
    with zm.PoolStore(sim_dir).write() as pool:
        pool.send_rate = 4096
    cancel = asyncio.Event()
    result = asyncio.run(Backup(ctl, on_progress=lambda p: cancel.set() if p.bytes else None,
                                clock=lambda: 1_700_000_100.0).run("web", cancel))
    assert result.cancelled and result.since == first.snapshot
    assert (f"zroot/jailtui-backups/web keeps its whole snapshots (newest: {first.snapshot})"
            in result.message)
    assert [n for n in names(sim_dir, "zroot/jailtui-backups/web") if "@" in n] == [
        f"zroot/jailtui-backups/web@{first.snapshot}"]


def test_a_full_pool_is_one_clear_message(sim_dir: Path) -> None:
    store = zm.PoolStore(sim_dir)
    with store.write() as pool:
        sp = zm.space(store, pool)
        pool.size = sum(sp.used[d.name] for d in pool.datasets if "/" not in d.name) + 8192
    ctl, sink = controller(sim_dir)
    result = asyncio.run(Backup(ctl).run("web"))
    assert not result.ok
    assert result.message.startswith(
        "web: backup failed: pool zroot is full (cannot receive new filesystem stream: "
        "out of space)")
    assert names(sim_dir, "zroot/jailtui-backups") == ["zroot/jailtui-backups"]
    assert sink.records[-1].result.startswith("failed: web: backup failed: pool zroot is full")


def test_no_common_snapshot_makes_a_full_copy_keeping_the_old(sim_dir: Path) -> None:
    """The jail's snapshot the backup continued from is gone: the old backup is renamed
    aside (kept), a full copy made under the usual name."""
    ctl, sink = controller(sim_dir)
    first = asyncio.run(Backup(ctl, clock=lambda: 1_700_000_000.0).run("web"))
    assert first.ok
    assert dispatch(sim_dir, ["zfs", "destroy", f"zroot/jails/web@{first.snapshot}"])[0] == 0
    result = asyncio.run(Backup(ctl, clock=lambda: 1_700_000_100.0).run("web"))
    assert result.ok, result.message
    old = "zroot/jailtui-backups/web.old-20231114T221500Z"
    assert result.set_aside == old and result.since == ""
    assert "(full)" in result.message
    assert (f"so it was renamed to {old} and kept (zfs list -t all -r {old}; destroy it "
            "yourself once nothing is cloned from it)") in result.message
    assert f"{old}@{first.snapshot}" in names(sim_dir, "zroot/jailtui-backups")
    assert names(sim_dir, "zroot/jailtui-backups/web") == [
        "zroot/jailtui-backups/web", f"zroot/jailtui-backups/web@{result.snapshot}"]


def test_a_backup_after_a_restore_from_the_backup(sim_dir: Path) -> None:
    """Restored from its backup, the root is a clone with no snapshot of its own: the next
    backup is a full one, the old backup (the clone's origin) kept under a new name; the
    one after that is incremental again."""
    r = cli(sim_dir, "--sim", str(sim_dir), "backup", "web", "--json")
    assert r.returncode == 0, r.stderr
    snap = json.loads(r.stdout)["snapshot"]
    r = cli(sim_dir, "--sim", str(sim_dir), "restore", "web", "--from",
            f"zroot/jailtui-backups/web@{snap}")
    assert r.returncode == 0, r.stderr + r.stdout
    r = next_second(lambda: cli(sim_dir, "--sim", str(sim_dir), "backup", "web", "--json"))
    assert r.returncode == 0, r.stderr + r.stdout
    doc = json.loads(r.stdout)
    old = doc["set_aside"]
    assert old.startswith("zroot/jailtui-backups/web.old-") and doc["incremental_from"] is None
    rc, out, _ = dispatch(sim_dir, ["zfs", "get", "-H", "-o", "value", "origin",
                                    "zroot/jails/web"])
    assert out.decode().strip() == f"{old}@{snap}"  # the clone follows the rename
    r = next_second(lambda: cli(sim_dir, "--sim", str(sim_dir), "backup", "web", "--json"))
    assert r.returncode == 0, r.stderr + r.stdout
    again = json.loads(r.stdout)
    assert again["incremental_from"] == doc["snapshot"] and again["set_aside"] is None


def test_prune_keeps_n_of_the_consoles_own_never_a_users(sim_dir: Path, shim_path: str,
                                                         tmp_path: Path) -> None:
    ctl, _ = controller(sim_dir)
    made = []
    for i in range(3):
        b = asyncio.run(Backup(ctl, clock=functools.partial(float, 1_700_000_000 + 100 * i)
                               ).run("web"))
        assert b.ok, b.message
        made.append(b.snapshot)
    assert dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/web@before-upgrade"])[0] == 0
    r = local(sim_dir, shim_path, "backup", "web", "--prune")
    assert r.returncode == 2 and "--prune needs --keep N" in r.stderr
    r = local(sim_dir, shim_path, "backup", "web", "--prune", "--keep", "1", "--json")
    assert r.returncode == 0, r.stderr + r.stdout
    doc = json.loads(r.stdout)
    assert doc["pruned"] == [f"zroot/jails/web@{made[0]}", f"zroot/jails/web@{made[1]}",
                             f"zroot/jailtui-backups/web@{made[0]}",
                             f"zroot/jailtui-backups/web@{made[1]}"]
    left = [n.split("@")[1] for n in names(sim_dir, "zroot/jails/web") if "@" in n]
    assert sorted(left) == sorted([made[2], "before-upgrade"])  # a user's stays
    assert [n.split("@")[1] for n in names(sim_dir, "zroot/jailtui-backups/web")
            if "@" in n] == [made[2]]
    # The rule: [backup] keep = 1 prunes after each backup by itself, and the next
    # backup still continues from the newest.
    conf = tmp_path / "config.toml"
    conf.write_text("[backup]\nkeep = 1\n")
    r = local(sim_dir, shim_path, "--config", str(conf), "backup", "web", "--json")
    assert r.returncode == 0, r.stderr + r.stdout
    doc = json.loads(r.stdout)
    assert doc["incremental_from"] == made[2]
    assert doc["pruned"] == (f"web: pruned 2 (keep = 1): zroot/jails/web@{made[2]}, "
                             f"zroot/jailtui-backups/web@{made[2]}")


def test_prune_holds_the_backups_base(sim_dir: Path) -> None:
    """A snapshot of the console's taken after the last backup: keep = 1 would destroy
    the jail's copy of the backup's newest, which the next incremental needs: held."""
    from jailtui.core.storage.backup import prune_plan

    ctl, _ = controller(sim_dir)
    b = asyncio.run(Backup(ctl, clock=lambda: 1_700_000_000.0).run("web"))
    assert b.ok
    assert dispatch(sim_dir, ["zfs", "snapshot", "-r", "zroot/jails/web@jailtui-20991231T000000Z"])[0] == 0
    plan = asyncio.run(prune_plan(ctl, "web", 1))
    assert plan.doomed == []
    assert plan.held == [f"zroot/jails/web@{b.snapshot} (the backup's newest: the next "
                         "backup continues from it)"]
    assert "nothing to prune (keep = 1); kept: " in plan.text()


def test_the_gate_decides(sim_dir: Path) -> None:
    delegate = Policy(Role.DELEGATE, "alice", 1001, frozenset({"web"}),
                      frozenset({Action.BACKUP}))
    ctl, sink = controller(sim_dir, delegate)
    assert asyncio.run(Backup(ctl).run("web")).ok
    with pytest.raises(PolicyDenied):
        asyncio.run(Backup(ctl).run("db"))
    ro, _ = controller(sim_dir, Policy(Role.READ_ONLY, "bob", 1002))
    with pytest.raises(PolicyDenied):
        asyncio.run(Backup(ro).run("web"))
    no_backup = Policy(Role.DELEGATE, "carol", 1003, frozenset({"web"}),
                       frozenset({Action.SNAPSHOT}))
    ctl2, _ = controller(sim_dir, no_backup)
    with pytest.raises(PolicyDenied):
        asyncio.run(Backup(ctl2).run("web"))


def test_bad_input(sim_dir: Path) -> None:
    r = cli(sim_dir, "--sim", str(sim_dir), "backup", "nosuch")
    assert r.returncode == 1 and 'jail "nosuch" not found' in r.stderr
    r = cli(sim_dir, "--sim", str(sim_dir), "backup", "web", "--list")
    assert r.returncode == 0
    assert r.stdout.strip() == ("web: no backup (zroot/jailtui-backups/web does not exist): "
                                "make one with: jailtui backup web")
    r = cli(sim_dir, "--sim", str(sim_dir), "backup", "../etc")
    assert r.returncode != 0 and r.stderr


def test_a_ufs_jail_is_archived_with_bsdtar(sim_dir: Path, shim_path: str, tmp_path: Path
                                           ) -> None:
    import tarfile

    (sim_dir / "root/srv/backups").mkdir(parents=True)
    conf = tmp_path / "config.toml"
    conf.write_text('[backup]\ntarget = "/srv/backups"\n')
    r = local(sim_dir, shim_path, "--config", str(conf), "backup", "staging", "--json")
    assert r.returncode == 0, r.stderr + r.stdout
    doc = json.loads(r.stdout)
    archive = doc["target"]
    assert archive.startswith("/srv/backups/jailtui-staging-") and archive.endswith(".tar")
    assert doc["message"].startswith(
        f"staging: archived /usr/local/jails/staging (UFS /dev/ada1p1 mounted at "
        f"/usr/local/jails/staging) to {archive} with bsdtar: ")
    with tarfile.open(root(sim_dir, archive)) as tar:
        members = {m.name: m for m in tar}
    assert "./etc/rc.conf" in members
    assert members["./bin"].pax_headers["SCHILY.fflags"] == "schg"
    assert doc["bytes"] == root(sim_dir, archive).stat().st_size


def test_a_ufs_target_not_writable_or_in_reach(sim_dir: Path) -> None:
    ctl, sink = controller(sim_dir)
    result = asyncio.run(Backup(ctl, target_dir="/nonexistent").run("staging"))
    assert not result.ok
    assert result.message == ("staging: backup failed: /nonexistent is not writable here "
                              "(bsdtar: Failed to open '/nonexistent/jailtui-staging-"
                              f"{result.snapshot}.tar')")
    result = asyncio.run(Backup(ctl, target_dir="/usr/local/jails/web/tmp").run("staging"))
    assert result.message == ("staging: [backup] target /usr/local/jails/web/tmp is inside "
                              "jail web's root: a backup there is in its reach")
    assert [r.result.split(":")[0] for r in sink.records if r.action == Action.BACKUP] == [
        "failed", "failed"]


def test_prune_removes_only_the_consoles_own_ufs_archives(sim_dir: Path, tmp_path: Path
                                                          ) -> None:
    """keep = N on a UFS root: the oldest jailtui-NAME-UTC.tar beyond N are removed
    (rm through the runner, each audited), never another jail's or a user's file."""
    ctl, sink = controller(sim_dir)
    backups = sim_dir / "root/var/backups"
    backups.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(3):
        b = asyncio.run(Backup(ctl, clock=functools.partial(float, 1_700_000_000 + 100 * i),
                               target_dir="/var/backups").run("staging"))
        assert b.ok, b.message
        made.append(b.target)
    others = ["jailtui-staging-2-20231114T221320Z.tar", "jailtui-staging-old.tar", "mine.tar"]
    for n in others:
        (backups / n).write_bytes(b"x")
    r = cli(sim_dir, "--sim", str(sim_dir), "backup", "staging", "--prune", "--keep", "1",
            "--json")
    assert r.returncode == 0, r.stderr + r.stdout
    doc = json.loads(r.stdout)
    assert doc["pruned"] == made[:2]
    assert doc["message"] == f"staging: pruned 2 (keep = 1): {made[0]}, {made[1]}"
    assert sorted(p.name for p in backups.iterdir()) == sorted(
        [made[2].rsplit("/", 1)[1], *others])
    r = cli(sim_dir, "--sim", str(sim_dir), "backup", "staging", "--prune", "--keep", "1")
    assert r.returncode == 0 and r.stdout.strip() == "staging: nothing to prune (keep = 1)"
    # A file rm cannot unlink (schg) is said and stays; the rest still goes.
    b = asyncio.run(Backup(ctl, clock=functools.partial(float, 1_700_000_500),
                           target_dir="/var/backups").run("staging"))
    assert dispatch(sim_dir, ["chflags", "schg", made[2]])[0] == 0
    plan = asyncio.run(ctl.prune_plan("staging", 1, target_dir="/var/backups"))
    assert plan.archives == [made[2]] and plan.any
    res = asyncio.run(ctl.prune(plan))
    assert not res.ok
    assert res.message == (f"staging: pruned 0 (keep = 1); could not prune: {made[2]} "
                           f"(rm: {made[2]}: Operation not permitted)")
    assert root(sim_dir, made[2]).exists() and root(sim_dir, b.target).exists()
    assert [r.detail for r in sink.records if r.action == Action.BACKUP][-1] == (
        f"prune {made[2]} (keep 1)")


def test_sim_rm_answers_as_freebsds(sim_dir: Path) -> None:
    """rm(1): missing, a directory, -f; each operand in turn (bin/rm/rm.c)."""
    (sim_dir / "root/tmp").mkdir(exist_ok=True)
    (sim_dir / "root/tmp/a").write_text("a")
    rc, out, err = dispatch(sim_dir, ["rm", "--", "/tmp/nope", "/tmp", "/tmp/a"])
    assert rc == 1 and err.decode() == ("rm: /tmp/nope: No such file or directory\n"
                                        "rm: /tmp: is a directory\n")
    assert not (sim_dir / "root/tmp/a").exists()
    assert dispatch(sim_dir, ["rm", "-f", "/tmp/nope"])[:2] == (0, b"")
