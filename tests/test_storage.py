"""Where a jail lives and its snapshots (core/storage): parsers on real-format bytes,
the gate and its audit, and ``jailtui snapshot`` through the real entry point."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.errors import ParseError, PolicyDenied
from jailtui.core.hosts.host import Host
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.storage.locate import locate
from jailtui.core.storage.mounts import mounts_below, parse_mount_p
from jailtui.core.storage.zfs import parse_datasets, parse_snapshots
from jailtui.sim.runner import SimRunner

LIST = (b"zroot\t2902458368\t271769078444\t8192\t0\t/zroot\t-\n"
        b"zroot/jails\t2526543872\t271769078444\t40960\t0\t/usr/local/jails\t-\n"
        b"zroot/jails/db\t678193834\t271769078444\t545353728\t10737418240\t"
        b"/usr/local/jails/db\t-\n"
        b"zroot/jails/db/var\t132840106\t271769078444\t132840106\t0\t"
        b"/usr/local/jails/db/var\t-\n"
        b"zroot/jails/web\t4096\t271769078444\t146800640\t0\t/usr/local/jails/web\t"
        b"zroot/jails/web.quarantine-20261202T0400Z@good\n")
# mount -p as mount.c putfsent() pads it (docs/freebsd.md 12.4).
MOUNTS = (b"/dev/ada0p2\t\t/\t\t\tufs\trw\t\t1 1\n"
          b"devfs\t\t\t/dev\t\t\tdevfs\trw\t\t0 0\n"
          b"zroot/jails\t\t/usr/local/jails\tzfs\trw,nfsv4acls \t0 0\n"
          b"zroot/jails/db\t\t/usr/local/jails/db\tzfs\trw,nfsv4acls \t0 0\n"
          b"zroot/jails/db/var\t/usr/local/jails/db/var\tzfs\trw,nfsv4acls \t0 0\n"
          b"zroot/jails/web\t\t/usr/local/jails/web\tzfs\trw,nfsv4acls \t0 0\n"
          b"/dev/ada1p1\t\t/usr/local/jails/staging ufs\trw\t\t2 2\n"
          b"devfs\t\t\t/usr/local/jails/db/dev\tdevfs\trw\t\t0 0\n"
          b"/home/admin\t\t/usr/local/jails/db/mnt nullfs\tro\t\t0 0\n")


def test_parse_datasets_real_format() -> None:
    ds = parse_datasets(LIST)
    db = next(d for d in ds if d.name == "zroot/jails/db")
    assert (db.used, db.refer, db.quota, db.mountpoint, db.origin) == (
        678193834, 545353728, 10737418240, "/usr/local/jails/db", "")
    assert ds[-1].origin == "zroot/jails/web.quarantine-20261202T0400Z@good"


@pytest.mark.parametrize("data,detail", [
    (LIST[:-1], "cut short"),
    (b"zroot\t1\t2\t3\t0\t/zroot\n", "6 fields, expected 7"),
    (b"zroot\tlots\t2\t3\t0\t/zroot\t-\n", "used is not a number"),
    (b"zroot@s\t1\t-\t3\t-\t-\t-\n", "a snapshot in a file system list"),
    (b"\t1\t2\t3\t0\t/x\t-\n", "empty name"),
])
def test_parse_datasets_malformed(data: bytes, detail: str) -> None:
    with pytest.raises(ParseError, match=detail):
        parse_datasets(data)


def test_parse_snapshots() -> None:
    snaps = parse_snapshots(b"zroot/jails/web@a\t1796180000\t0\t146800640\n"
                            b"zroot/jails/web@jailtui-x\t1796185000\t8192\t146800640\n")
    assert [(s.short, s.creation, s.used) for s in snaps] == [("a", 1796180000, 0),
                                                               ("jailtui-x", 1796185000, 8192)]
    assert parse_snapshots(b"") == []
    with pytest.raises(ParseError, match="not a snapshot"):
        parse_snapshots(b"zroot/jails/web\t1\t2\t3\n")
    with pytest.raises(ParseError, match="cut short"):
        parse_snapshots(b"zroot/jails/web@a\t1796180000\t0\t1468")


def test_parse_mount_p_and_locate() -> None:
    mounts = parse_mount_p(MOUNTS)
    assert mounts[0].point == "/" and mounts[-1].readonly
    ds = parse_datasets(LIST)
    db = locate("/usr/local/jails/db", ds, mounts)
    assert db is not None and db.dataset is not None and db.dataset.name == "zroot/jails/db"
    assert [c.name for c in db.children] == ["zroot/jails/db/var"]
    assert "quota 10G" in db.summary()
    staging = locate("/usr/local/jails/staging", ds, mounts)
    assert staging is not None and staging.fstype == "ufs" and staging.dataset is None
    assert staging.summary() == "UFS /dev/ada1p1 mounted at /usr/local/jails/staging"
    inside = locate("/usr/local/jails/other", ds, mounts)
    assert inside is not None and inside.dataset is None and inside.device == "zroot/jails"
    web = locate("/usr/local/jails/web", ds, mounts)
    assert web is not None and "a clone of zroot/jails/web.quarantine" in web.summary()
    below = [m.point for m in mounts_below(mounts, "/usr/local/jails/db")]
    assert below == ["/usr/local/jails/db", "/usr/local/jails/db/var",
                     "/usr/local/jails/db/dev", "/usr/local/jails/db/mnt"]


@pytest.mark.parametrize("data,detail", [
    (b"", "empty output"),
    (MOUNTS[:-3], "cut short"),
    (b"/home/a b\t/usr/local/jails/x\tnullfs\tro\t0 0\n", "7 fields"),
    (b"zroot\tzroot\tzfs\trw\t0 0\n", "not a path"),
])
def test_parse_mount_p_malformed(data: bytes, detail: str) -> None:
    with pytest.raises(ParseError, match=detail):
        parse_mount_p(data)


def make(sim_dir: Path, policy: Policy) -> tuple[snapmod.Snapshots, MemorySink]:
    runner = SimRunner(sim_dir)
    sink = MemorySink()
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    return snapmod.Snapshots(Controller(host, policy, audit=sink)), sink


def test_delegate_snapshots_only_their_own_jail(sim_dir: Path) -> None:
    policy = Policy(Role.DELEGATE, "alice", 1001, scope=frozenset({"web"}),
                    actions=frozenset({Action.VIEW, Action.SNAPSHOT}))
    snaps, sink = make(sim_dir, policy)
    res = asyncio.run(snaps.create("web", "mine"))
    assert res.ok, res.message
    assert [s.short for s in asyncio.run(snaps.listing("web")).snapshots] == ["mine"]
    with pytest.raises(PolicyDenied) as denied:
        asyncio.run(snaps.create("db", "theirs"))
    assert "db" not in str(denied.value)
    with pytest.raises(PolicyDenied) as denied:
        asyncio.run(snaps.listing("db"))
    assert "db" not in str(denied.value)
    results = [(r.action, r.jail, r.result.split(":")[0]) for r in sink.records]
    assert results == [("snapshot", "web", "ok"), ("snapshot", None, "denied"),
                       ("view", None, "denied")]
    # Without the snapshot action in the policy file: refused, audited.
    ro, sink2 = make(sim_dir, Policy(Role.DELEGATE, "bob", 1002, scope=frozenset({"web"}),
                                     actions=frozenset({Action.VIEW})))
    with pytest.raises(PolicyDenied, match="snapshot is not permitted for bob"):
        asyncio.run(ro.destroy("web", "mine"))
    assert sink2.records[0].denied


def test_read_only_may_list_not_create(sim_dir: Path) -> None:
    snaps, sink = make(sim_dir, Policy(Role.READ_ONLY, "guest", 1003))
    assert asyncio.run(snaps.listing("web")).snapshots == ()
    with pytest.raises(PolicyDenied, match="read-only session"):
        asyncio.run(snaps.create("web"))
    assert sink.records[0].denied


def cli(sim_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})


def test_cli_snapshot_list_create_destroy(sim_dir: Path) -> None:
    r = cli(sim_dir, "snapshot", "create", "db", "before-upgrade")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "created snapshot zroot/jails/db@before-upgrade\n"
    r = cli(sim_dir, "snapshot", "create", "db")
    assert r.returncode == 0 and "zroot/jails/db@jailtui-" in r.stdout
    r = cli(sim_dir, "snapshot", "list", "db")
    lines = r.stdout.splitlines()
    assert "ZFS dataset zroot/jails/db" in lines[0] and "SIMULATED" in lines[0]
    assert lines[2].split()[:5] == ["NAME", "CREATED", "(UTC)", "AGE", "USED"]
    assert lines[3].startswith("zroot/jails/db@jailtui-")  # newest first
    assert lines[4].startswith("zroot/jails/db@before-upgrade")
    doc = json.loads(cli(sim_dir, "snapshot", "list", "db", "--json").stdout)
    assert doc["storage"]["children"][0]["name"] == "zroot/jails/db/var"
    assert [s["snapshot"] for s in doc["snapshots"]][1] == "before-upgrade"
    r = cli(sim_dir, "snapshot", "create", "db", "before-upgrade")
    assert r.returncode == 1
    assert r.stderr == ("cannot create snapshot 'zroot/jails/db@before-upgrade': dataset "
                        "already exists\n")
    r = cli(sim_dir, "snapshot", "destroy", "db", "zroot/jails/db@before-upgrade")
    assert r.returncode == 0 and r.stdout == "destroyed snapshot zroot/jails/db@before-upgrade\n"
    r = cli(sim_dir, "snapshot", "list", "staging")
    assert r.returncode == 1 and "not a ZFS dataset of its own (UFS /dev/ada1p1" in r.stderr
    audit = (sim_dir / "audit.log").read_text()
    assert 'action=snapshot jail=db jid=2 result=ok detail="create zroot/jails/db@before' in audit


def test_cli_through_shims_on_path(sim_dir: Path, shim_path: str) -> None:
    """--host local: the real zfs and mount executables found on PATH."""
    r = subprocess.run([sys.executable, "-m", "jailtui", "--host", "local", "--root",
                        str(sim_dir / "root"), "--readonly", "snapshot", "list", "web",
                        "--json"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PATH": shim_path})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["storage"]["dataset"]["name"] == "zroot/jails/web"


def test_backup_keep_prunes_only_the_consoles_own(sim_dir: Path, tmp_path: Path) -> None:
    """[backup] keep = 2: the oldest jailtui- snapshots go, others and the newest stay;
    one a clone depends on is refused and said so."""
    from jailtui.sim.commands import dispatch

    for name in ("jailtui-20261201T000000Z", "jailtui-20261201T010000Z", "manual"):
        assert dispatch(sim_dir, ["zfs", "snapshot", "-r", f"zroot/jails/db@{name}"])[0] == 0
    assert dispatch(sim_dir, ["zfs", "clone", "zroot/jails/db@jailtui-20261201T000000Z",
                              "zroot/jails/dbcopy"])[0] == 0
    config = tmp_path / "config.toml"
    config.write_text("[backup]\nkeep = 2\n")
    r = cli(sim_dir, "--config", str(config), "snapshot", "create", "db",
            "jailtui-20261202T000000Z")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("created snapshot zroot/jails/db@jailtui-20261202T000000Z; "
                               "could not prune: jailtui-20261201T000000Z (cannot destroy")
    dispatch(sim_dir, ["zfs", "destroy", "zroot/jails/dbcopy"])
    r = cli(sim_dir, "--config", str(config), "snapshot", "create", "db",
            "jailtui-20261203T000000Z")
    assert r.stdout == ("created snapshot zroot/jails/db@jailtui-20261203T000000Z; pruned 2 "
                        "older (keep = 2): jailtui-20261201T000000Z, jailtui-20261201T010000Z\n")
    rc, out, _ = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name", "-t", "snapshot", "-r",
                                    "zroot/jails/db"])
    assert out.decode().split() == [
        "zroot/jails/db@manual", "zroot/jails/db@jailtui-20261202T000000Z",
        "zroot/jails/db@jailtui-20261203T000000Z", "zroot/jails/db/var@manual",
        "zroot/jails/db/var@jailtui-20261202T000000Z",
        "zroot/jails/db/var@jailtui-20261203T000000Z"]
    config.write_text("[backup]\nkeep = -1\n")
    r = cli(sim_dir, "--config", str(config), "snapshot", "create", "db")
    assert r.returncode == 1 and "[backup] keep must be a whole number" in r.stderr


def test_snapshot_age_finding_in_check(sim_dir: Path, tmp_path: Path) -> None:
    """[check] snapshot_max_age: off by default; set, a jail with an old or no snapshot
    is a WARNING (jailtui check --json through the real entry point)."""
    from jailtui.sim.commands import dispatch

    # Taken three days ago (the simulated clock pinned for this one command).
    dispatch(sim_dir, ["zfs", "snapshot", "zroot/jails/web@fresh"], env={
        **os.environ, "JAILTUI_SIM_NOW": str(time.time() - 3 * 86_400)})
    r = cli(sim_dir, "check", "--json")
    assert "snapshot-age" not in r.stdout
    config = tmp_path / "config.toml"
    config.write_text("[check]\nsnapshot_max_age = 86400\n")
    r = cli(sim_dir, "--config", str(config), "check", "--json")
    doc = json.loads(r.stdout)
    ages = {f["jail"]: f["message"] for f in doc["findings"] if f["kind"] == "snapshot-age"}
    assert ages["web"].startswith("web: newest snapshot zroot/jails/web@fresh is 3d00h old "
                                  "(snapshot_max_age 1d00h)")
    assert ages["db"] == "db: no snapshot of zroot/jails/db (snapshot_max_age 1d00h)"
    assert "staging" not in ages  # UFS: no snapshots to age
