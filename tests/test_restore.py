"""``jailtui restore NAME --from SNAPSHOT``: the swap to a known-good copy, end to end
on the simulated host (its zfs, mount, jail and managers), and every failure leaving a
consistent state that the output describes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.errors import PolicyDenied
from jailtui.core.hosts.host import Host
from jailtui.core.storage import restore as restoremod
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner


def cli(sim_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), *args],
                          capture_output=True, text=True, timeout=180,
                          env={**os.environ, "COLUMNS": "200"})


def zfs(sim_dir: Path, *args: str) -> str:
    rc, out, err = dispatch(sim_dir, ["zfs", *args])
    assert rc == 0, err
    return out.decode()


def running(sim_dir: Path, name: str) -> bool:
    rc, out, _ = dispatch(sim_dir, ["jls", "-j", name, "name"])
    return rc == 0 and out.decode().strip() == name


def root(sim_dir: Path, path: str) -> Path:
    return sim_dir / "root" / path.lstrip("/")


def test_restore_swaps_in_the_snapshot_and_keeps_the_evidence(sim_dir: Path) -> None:
    assert cli(sim_dir, "snapshot", "create", "db", "good").returncode == 0
    (root(sim_dir, "/usr/local/jails/db/etc") / "backdoor").write_text("evil\n")
    (root(sim_dir, "/usr/local/jails/db/var") / "planted").write_text("x\n")
    r = cli(sim_dir, "restore", "db", "--from", "good")
    assert r.returncode == 0, r.stderr + r.stdout
    lines = r.stdout.splitlines()
    assert lines[0] == "# restore db from good (SIMULATED FreeBSD host)"
    assert [ln.split()[2:4] for ln in lines[1:8]] == [
        ["stop", "ok"], ["verify", "stopped"], ["mounts", "ok"], ["quarantine", "ok"],
        ["clone", "ok"], ["start", "ok"], ["verify", "running"]]
    assert lines[8].startswith("done in ") and "db runs again from zroot/jails/db@good" in lines[8]
    # git depends on db (jail.conf): jail(8) stopped it first; it is started again.
    assert "also stopped git (depends on it)" in lines[1]
    assert lines[1].count("git") == 1, lines[1]  # said once, not by the stop and the flow
    assert "started again: git" in lines[6] and running(sim_dir, "git")
    assert not (root(sim_dir, "/usr/local/jails/db/etc") / "backdoor").exists()
    assert not (root(sim_dir, "/usr/local/jails/db/var") / "planted").exists()
    assert running(sim_dir, "db")
    rows = dict(line.split("\t", 1) for line in zfs(
        sim_dir, "list", "-H", "-o", "name,origin,readonly", "-r", "zroot/jails").splitlines())
    quarantine = next(n for n in rows if n.startswith("zroot/jails/db.quarantine-")
                      and "/" not in n[len("zroot/jails/"):])
    assert rows["zroot/jails/db"] == f"{quarantine}@good\toff"
    assert rows["zroot/jails/db/var"] == f"{quarantine}/var@good\toff"
    assert rows[quarantine] == "-\ton" and rows[f"{quarantine}/var"] == "-\ton"
    qpath = "/usr/local/jails/" + quarantine.rsplit("/", 1)[1]
    assert (root(sim_dir, qpath) / "etc" / "backdoor").read_text() == "evil\n"
    audit = (sim_dir / "audit.log").read_text()
    for step in restoremod.STEPS:
        assert f'action=restore jail=db jid=2 result=ok detail="step={step} ' in audit


def test_a_mount_under_the_root_stops_the_flow_before_anything_moves(sim_dir: Path) -> None:
    cli(sim_dir, "snapshot", "create", "web", "good")
    rc, _, err = dispatch(sim_dir, ["mount", "-t", "nullfs", "/home/admin",
                                    "/usr/local/jails/web/tmp"])
    assert rc == 0, err
    r = cli(sim_dir, "restore", "web", "--from", "good", "--json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert [s["step"] for s in doc["steps"]] == ["stop", "verify stopped", "mounts"]
    assert doc["steps"][-1]["message"] == ("mounted under /usr/local/jails/web: /home/admin on "
                                           "/usr/local/jails/web/tmp (nullfs): unmount first")
    assert doc["summary"] == ("stopped at step 'mounts': nothing was swapped; its root is "
                              "unchanged: zroot/jails/web at /usr/local/jails/web; web is stopped")
    assert "quarantine" not in zfs(sim_dir, "list", "-H", "-o", "name", "-r", "zroot/jails")


def test_a_missing_snapshot_changes_nothing(sim_dir: Path) -> None:
    r = cli(sim_dir, "restore", "web", "--from", "nope")
    assert r.returncode == 1
    assert r.stderr.strip().endswith("zroot/jails/web@nope: no such snapshot of web")
    assert running(sim_dir, "web")
    r = cli(sim_dir, "restore", "staging", "--from", "x")
    assert r.returncode == 1 and "not a ZFS dataset of its own" in r.stderr


def controller(sim_dir: Path, policy: Policy) -> tuple[Controller, MemorySink]:
    runner = SimRunner(sim_dir)
    sink = MemorySink()
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    return Controller(host, policy, audit=sink), sink


def test_delegate_needs_the_restore_action(sim_dir: Path) -> None:
    zfs(sim_dir, "snapshot", "zroot/jails/web@good")
    ctl, sink = controller(sim_dir, Policy(Role.DELEGATE, "alice", 1001,
                                           scope=frozenset({"web"}),
                                           actions=frozenset({Action.VIEW, Action.SNAPSHOT})))
    with pytest.raises(PolicyDenied, match="restore is not permitted for alice"):
        asyncio.run(restoremod.Restore(ctl).run("web", "good"))
    assert sink.records[0].action == "restore" and sink.records[0].denied
    assert running(sim_dir, "web")


def test_a_failed_clone_puts_the_compromised_root_back(sim_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    zfs(sim_dir, "snapshot", "-r", "zroot/jails/db@good")
    (root(sim_dir, "/usr/local/jails/db/etc") / "backdoor").write_text("evil\n")
    ctl, _ = controller(sim_dir, Policy(Role.HOST_ADMIN, "root", 0))
    real = restoremod.Restore._zfs

    async def failing(self: restoremod.Restore, argv: list[str]) -> str:
        if argv[:2] == ["zfs", "clone"] and argv[-1].endswith("/var"):
            raise restoremod.StepFailed("cannot create 'zroot/jails/db/var': out of space")
        return await real(self, argv)

    monkeypatch.setattr(restoremod.Restore, "_zfs", failing)
    seen: list[str] = []
    result = asyncio.run(restoremod.Restore(ctl, on_step=lambda s: seen.append(s.step)).run(
        "db", "good"))
    assert not result.ok and seen[-1] == "clone"
    assert "out of space" in result.steps[-1].message
    assert result.summary.startswith("stopped at step 'clone': nothing was swapped; its root is "
                                     "unchanged: zroot/jails/db at /usr/local/jails/db")
    rows = zfs(sim_dir, "list", "-H", "-o", "name,origin,readonly", "-r", "zroot/jails/db")
    assert rows.splitlines() == ["zroot/jails/db\t-\toff", "zroot/jails/db/var\t-\toff"]
    assert (root(sim_dir, "/usr/local/jails/db/etc") / "backdoor").is_file()


def test_a_daemon_that_does_not_come_up_is_said(sim_dir: Path) -> None:
    """The restored root's rc.conf enables a daemon that does not start: the jail runs,
    the known-good copy stays in place, and the last step says which daemon is missing."""
    rc = root(sim_dir, "/usr/local/jails/web/etc/rc.conf")
    rc.write_text(rc.read_text() + 'bogusd_enable="YES"\n')
    zfs(sim_dir, "snapshot", "zroot/jails/web@good")
    r = cli(sim_dir, "restore", "web", "--from", "good", "--json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    last = doc["steps"][-1]
    assert last["step"] == "verify running" and not last["ok"]
    assert last["message"].endswith("daemons enabled in its rc.conf are not: bogusd")
    assert doc["summary"].startswith("the known-good copy is in place (zroot/jails/web from "
                                     "zroot/jails/web@good, at /usr/local/jails/web) and web "
                                     "runs, but not all its daemons")
    assert running(sim_dir, "web")


def test_a_restore_cut_short_is_said_with_the_way_back(sim_dir: Path) -> None:
    """Killed between the rename and the clone: the next look says what is where."""
    zfs(sim_dir, "snapshot", "zroot/jails/web@good")
    dispatch(sim_dir, ["jail", "-r", "web"])
    q = "zroot/jails/web.quarantine-20261202T050000Z"
    zfs(sim_dir, "rename", "zroot/jails/web", q)
    zfs(sim_dir, "set", "readonly=on", q)
    for args in (("snapshot", "list", "web"), ("restore", "web", "--from", "good")):
        r = cli(sim_dir, *args)
        assert r.returncode == 1
        assert (f"web: a restore was cut short: its root dataset zroot/jails/web does not "
                f"exist and {q} holds the old root") in r.stderr
        assert f"zfs rename {q} zroot/jails/web" in r.stderr
