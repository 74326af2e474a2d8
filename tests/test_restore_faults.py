"""The restore flow in every fault (issue 16): discarding instead of keeping, a start
that fails after the swap and the swap back, a flow cut short and its journal (finish
or undo), destroying a quarantined root, and the simulator's faults (a full pool, a
snapshot that vanishes, a busy dataset, a jail that will not stop), each through the
real entry point on the simulated host, each leaving a consistent state it describes."""

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
from jailtui.core.errors import JailtuiError
from jailtui.core.hosts.host import Host
from jailtui.core.storage import quarantine as qmod
from jailtui.core.storage import restore as restoremod
from jailtui.sim.commands import dispatch
from jailtui.sim.runner import SimRunner

WEB = "/usr/local/jails/web"


def cli(sim_dir: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), *args],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def zfs_rows(sim_dir: Path, top: str = "zroot/jails") -> dict[str, str]:
    rc, out, err = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name,origin,readonly", "-r",
                                      top])
    assert rc == 0, err
    return dict(line.split("\t", 1) for line in out.decode().splitlines())


def running(sim_dir: Path, name: str) -> bool:
    rc, out, _ = dispatch(sim_dir, ["jls", "-j", name, "name"])
    return rc == 0 and out.decode().strip() == name


def real(sim_dir: Path, path: str) -> Path:
    return sim_dir / "root" / path.lstrip("/")


def quarantines(sim_dir: Path, ds: str = "zroot/jails/web") -> list[str]:
    return [n for n in zfs_rows(sim_dir) if n.startswith(f"{ds}.quarantine-")
            and "/" not in n[len(ds):]]


def controller(sim_dir: Path, policy: Policy | None = None) -> tuple[Controller, MemorySink]:
    runner = SimRunner(sim_dir)
    sink = MemorySink()
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    return Controller(host, policy or Policy(Role.HOST_ADMIN, "root", 0), audit=sink), sink


# -- discard ----------------------------------------------------------------------------

def test_discard_rolls_back_after_naming_what_is_lost(sim_dir: Path) -> None:
    assert cli(sim_dir, "snapshot", "create", "web", "good").returncode == 0
    assert cli(sim_dir, "snapshot", "create", "web", "later").returncode == 0
    (real(sim_dir, WEB) / "etc" / "backdoor").write_text("evil\n")
    r = cli(sim_dir, "restore", "web", "--from", "good", "--discard")
    assert r.returncode == 1
    assert ("--discard: everything written to web since good, and the newer snapshots later, "
            "is destroyed; no quarantined copy is kept: confirm with --yes") in r.stderr
    assert (real(sim_dir, WEB) / "etc" / "backdoor").exists() and running(sim_dir, "web")
    r = cli(sim_dir, "restore", "web", "--from", "good", "--discard", "--yes", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [s["step"] for s in doc["steps"]] == list(restoremod.DISCARD_STEPS)
    assert doc["steps"][3]["message"] == ("zroot/jails/web rolled back to @good; destroyed the "
                                          "newer snapshots: later")
    assert doc["summary"].endswith("(zroot/jails/web rolled back at /usr/local/jails/web); "
                                   "the discarded root was not kept")
    assert not (real(sim_dir, WEB) / "etc" / "backdoor").exists()
    assert quarantines(sim_dir) == [] and running(sim_dir, "web")
    rc, out, _ = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name", "-t", "snapshot", "-r",
                                    "zroot/jails/web"])
    assert out.decode().split() == ["zroot/jails/web@good"]


# -- a start that fails after the swap ---------------------------------------------------

def test_a_start_that_fails_after_the_swap_offers_the_swap_back(sim_dir: Path) -> None:
    cli(sim_dir, "snapshot", "create", "web", "good")
    (real(sim_dir, WEB) / "etc" / "backdoor").write_text("evil\n")
    assert cli(sim_dir, "sim", "fault", "nostart", "web").returncode == 0
    r = cli(sim_dir, "restore", "web", "--from", "good", "--json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["steps"][-1]["step"] == "start" and not doc["steps"][-1]["ok"]
    assert "jail: web: /bin/sh /etc/rc: failed" in doc["steps"][-1]["message"]
    assert doc["swap_back_offered"] is True
    assert "to put it back and start it as it was: jailtui restore web --swap-back" in \
        doc["summary"]
    (q,) = quarantines(sim_dir)
    assert zfs_rows(sim_dir)["zroot/jails/web"] == f"{q}@good\toff"
    # Any other restore says what is half done first.
    r = cli(sim_dir, "restore", "web", "--from", "good")
    assert r.returncode == 1 and "swapped the root but the jail did not start" in r.stderr
    cli(sim_dir, "sim", "fault", "--clear")
    r = cli(sim_dir, "restore", "web", "--swap-back")
    assert r.returncode == 0, r.stderr + r.stdout
    assert [ln.split()[2] for ln in r.stdout.splitlines()[1:8]] == [
        "stop", "verify", "mounts", "set", "put", "start", "verify"]
    assert "nothing was destroyed" in r.stdout.splitlines()[-1]
    rows = zfs_rows(sim_dir)
    failed = next(n for n in rows if n.startswith("zroot/jails/web.failed-"))
    assert rows["zroot/jails/web"] == "-\toff" and q not in rows
    assert rows[failed] == "zroot/jails/web@good\toff" and quarantines(sim_dir) == []
    # The old root is back in place (the evidence too): what the user chose.
    assert (real(sim_dir, WEB) / "etc" / "backdoor").read_text() == "evil\n"
    assert running(sim_dir, "web")
    r = cli(sim_dir, "restore", "web", "--swap-back")
    assert r.returncode == 1 and "nothing to swap back" in r.stderr


# -- a flow cut short --------------------------------------------------------------------

def _cut_short_at_clone(sim_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console killed as the clone starts (SystemExit is no step's failure)."""
    ctl, _ = controller(sim_dir)
    real_zfs = restoremod.Restore._zfs

    async def killed(self: restoremod.Restore, argv: list[str]) -> str:
        if argv[:2] == ["zfs", "clone"]:
            raise SystemExit("killed")
        return await real_zfs(self, argv)

    monkeypatch.setattr(restoremod.Restore, "_zfs", killed)
    with pytest.raises(SystemExit):
        asyncio.run(restoremod.Restore(ctl).run("web", "good"))
    monkeypatch.setattr(restoremod.Restore, "_zfs", real_zfs)


def test_a_flow_cut_short_is_said_and_finished(sim_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    cli(sim_dir, "snapshot", "create", "web", "good")
    (real(sim_dir, WEB) / "etc" / "backdoor").write_text("evil\n")
    _cut_short_at_clone(sim_dir, monkeypatch)
    (q,) = quarantines(sim_dir)
    assert "zroot/jails/web" not in zfs_rows(sim_dir)
    r = cli(sim_dir, "restore", "web", "--from", "good")
    assert r.returncode == 1
    assert "was cut short in step 'clone': its root dataset zroot/jails/web does not exist " \
           f"and {q} holds the old root" in r.stderr
    assert "to finish (clone zroot/jails/web@good in place, start it): jailtui restore web " \
           "--resume; to undo (put the old root back, start it): jailtui restore web " \
           "--swap-back" in r.stderr
    r = cli(sim_dir, "restore", "web", "--resume")
    assert r.returncode == 0, r.stderr + r.stdout
    assert r.stdout.splitlines()[-1].startswith("finished in ")
    assert zfs_rows(sim_dir)["zroot/jails/web"] == f"{q}@good\toff"
    assert not (real(sim_dir, WEB) / "etc" / "backdoor").exists() and running(sim_dir, "web")
    r = cli(sim_dir, "restore", "web", "--resume")
    assert r.returncode == 1 and "no restore to finish" in r.stderr


def test_a_flow_cut_short_is_undone(sim_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli(sim_dir, "snapshot", "create", "web", "good")
    (real(sim_dir, WEB) / "etc" / "backdoor").write_text("evil\n")
    _cut_short_at_clone(sim_dir, monkeypatch)
    r = cli(sim_dir, "restore", "web", "--swap-back", "--json")
    assert r.returncode == 0, r.stderr + r.stdout
    doc = json.loads(r.stdout)
    assert doc["steps"][3]["step"] == "set aside" and doc["steps"][3]["skipped"]
    assert doc["set_aside"] is None
    assert zfs_rows(sim_dir)["zroot/jails/web"] == "-\toff" and quarantines(sim_dir) == []
    assert (real(sim_dir, WEB) / "etc" / "backdoor").exists() and running(sim_dir, "web")


# -- destroying a quarantined root -------------------------------------------------------

def test_quarantine_list_and_destroy(sim_dir: Path) -> None:
    cli(sim_dir, "snapshot", "create", "db", "good")
    assert cli(sim_dir, "restore", "db", "--from", "good").returncode == 0
    (q,) = quarantines(sim_dir, "zroot/jails/db")
    doc = json.loads(cli(sim_dir, "quarantine", "list", "db", "--json").stdout)
    (item,) = doc["quarantined"]
    assert item["name"] == q and item["children"] == [f"{q}/var"]
    assert item["clones"] == ["zroot/jails/db", "zroot/jails/db/var"]
    r = cli(sim_dir, "quarantine", "destroy", "db", q)
    assert r.returncode == 1 and "confirm with --yes" in r.stderr and q in zfs_rows(sim_dir)
    r = cli(sim_dir, "quarantine", "destroy", "db", "zroot/jails/web", "--yes")
    assert r.returncode == 1 and "is not a quarantined root of db" in r.stderr
    r = cli(sim_dir, "quarantine", "destroy", "db", q, "--yes")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"destroyed {q} and its 1 child dataset and their snapshots "
                               "(promoted zroot/jails/db; promoted zroot/jails/db/var first)")
    rows = zfs_rows(sim_dir)
    assert q not in rows and rows["zroot/jails/db"] == "-\toff"
    assert rows["zroot/jails/db/var"] == "-\toff" and running(sim_dir, "db")
    rc, out, _ = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name", "-t", "snapshot", "-r",
                                    "zroot/jails/db"])
    assert out.decode().split() == ["zroot/jails/db@good", "zroot/jails/db/var@good"]
    audit = (sim_dir / "audit.log").read_text()
    assert f'action=restore jail=db jid=11 result=ok detail="destroy quarantine {q}"' in audit
    assert "no quarantined roots" in cli(sim_dir, "quarantine", "list", "db").stdout


def test_a_quarantine_the_swap_back_still_needs_is_not_destroyed(sim_dir: Path) -> None:
    """A start that failed keeps the journal: its swap back puts the quarantine back, so
    destroying it (which would promote the clone first) is refused until then."""
    cli(sim_dir, "snapshot", "create", "web", "good")
    assert cli(sim_dir, "sim", "fault", "nostart", "web").returncode == 0
    assert cli(sim_dir, "restore", "web", "--from", "good").returncode == 1
    (q,) = quarantines(sim_dir)
    r = cli(sim_dir, "quarantine", "destroy", "web", q, "--yes")
    assert r.returncode == 1
    assert f"{q}: a restore of web cut short still needs it: web: " in r.stderr
    assert q in zfs_rows(sim_dir) and zfs_rows(sim_dir)["zroot/jails/web"] == f"{q}@good\toff"
    cli(sim_dir, "sim", "fault", "--clear")
    assert cli(sim_dir, "restore", "web", "--swap-back").returncode == 0
    assert quarantines(sim_dir) == []


def test_a_delegate_never_destroys_another_jails_quarantine(sim_dir: Path) -> None:
    cli(sim_dir, "snapshot", "create", "db", "good")
    assert cli(sim_dir, "restore", "db", "--from", "good").returncode == 0
    (q,) = quarantines(sim_dir, "zroot/jails/db")
    ctl, sink = controller(sim_dir, Policy(Role.DELEGATE, "alice", 1001,
                                           scope=frozenset({"web"}),
                                           actions=frozenset({Action.VIEW, Action.RESTORE})))
    with pytest.raises(JailtuiError):
        asyncio.run(qmod.destroy(ctl, "db", q))
    assert sink.records and sink.records[0].denied
    # Their own jail's name with another jail's quarantine: refused as not theirs.
    with pytest.raises(JailtuiError, match="is not a quarantined root of web"):
        asyncio.run(qmod.destroy(ctl, "web", q))
    assert q in zfs_rows(sim_dir)


# -- the simulator's faults ---------------------------------------------------------------

def test_a_full_pool_fails_the_clone_and_puts_the_root_back(sim_dir: Path) -> None:
    cli(sim_dir, "snapshot", "create", "web", "good")
    cli(sim_dir, "sim", "fault", "nospace")
    r = cli(sim_dir, "snapshot", "create", "web", "more")
    assert r.returncode == 1 and "cannot create snapshot 'zroot/jails/web@more': out of " \
                                 "space" in r.stderr
    doc = json.loads(cli(sim_dir, "restore", "web", "--from", "good", "--json").stdout)
    last = doc["steps"][-1]
    assert last["step"] == "clone" and last["message"] == ("cannot create 'zroot/jails/web': "
                                                           "out of space")
    assert doc["summary"].startswith("stopped at step 'clone': nothing was swapped; its root "
                                     "is unchanged: zroot/jails/web at /usr/local/jails/web")
    assert zfs_rows(sim_dir)["zroot/jails/web"] == "-\toff" and quarantines(sim_dir) == []


def test_a_failed_clone_puts_a_local_mountpoint_back(sim_dir: Path) -> None:
    """A root whose mountpoint is its own (AppJail sets one: docs/freebsd.md 12.3): the
    quarantine moved it to ROOT.quarantine-UTC; undoing the rename sets it back, or the
    jail's root would be an empty directory with the old root mounted beside it."""
    assert dispatch(sim_dir, ["zfs", "set", f"mountpoint={WEB}", "zroot/jails/web"])[0] == 0
    cli(sim_dir, "snapshot", "create", "web", "good")
    (real(sim_dir, WEB) / "etc" / "backdoor").write_text("evil\n")
    cli(sim_dir, "sim", "fault", "nospace")
    doc = json.loads(cli(sim_dir, "restore", "web", "--from", "good", "--json").stdout)
    assert doc["steps"][-1]["step"] == "clone" and not doc["steps"][-1]["ok"]
    assert "nothing was swapped" in doc["summary"]
    cli(sim_dir, "sim", "fault", "--clear")
    rc, out, _ = dispatch(sim_dir, ["zfs", "get", "-H", "-o", "value,source", "mountpoint",
                                    "zroot/jails/web"])
    assert rc == 0 and out.decode().strip() == f"{WEB}\tlocal"
    assert zfs_rows(sim_dir)["zroot/jails/web"] == "-\toff" and quarantines(sim_dir) == []
    rc, out, _ = dispatch(sim_dir, ["mount", "-p"])
    assert f"zroot/jails/web\t\t{WEB}\tzfs" in out.decode() or any(
        line.split()[:2] == ["zroot/jails/web", WEB] for line in out.decode().splitlines())
    assert (real(sim_dir, WEB) / "etc" / "backdoor").read_text() == "evil\n"
    # And the next restore works from there.
    r = cli(sim_dir, "restore", "web", "--from", "good")
    assert r.returncode == 0, r.stderr
    assert not (real(sim_dir, WEB) / "etc" / "backdoor").exists()


def test_a_snapshot_that_vanishes_before_the_clone(sim_dir: Path) -> None:
    cli(sim_dir, "snapshot", "create", "web", "good")
    cli(sim_dir, "sim", "fault", "vanish", "good")
    doc = json.loads(cli(sim_dir, "restore", "web", "--from", "good", "--json").stdout)
    last = doc["steps"][-1]
    assert last["step"] == "clone" and last["message"].endswith("@good': dataset does not exist")
    assert "nothing was swapped" in doc["summary"]
    assert zfs_rows(sim_dir)["zroot/jails/web"] == "-\toff" and quarantines(sim_dir) == []
    assert cli(sim_dir, "sim", "fault").stdout == ""  # one-shot: used up


def test_a_busy_dataset_refuses_the_quarantine(sim_dir: Path) -> None:
    cli(sim_dir, "snapshot", "create", "web", "good")
    cli(sim_dir, "sim", "fault", "busy", "zroot/jails/web")
    doc = json.loads(cli(sim_dir, "restore", "web", "--from", "good", "--json").stdout)
    last = doc["steps"][-1]
    assert last["step"] == "quarantine"
    assert last["message"] == "cannot unmount '/usr/local/jails/web': pool or dataset is busy"
    assert doc["summary"] == ("stopped at step 'quarantine': nothing was swapped; its root is "
                              "unchanged: zroot/jails/web at /usr/local/jails/web; web is "
                              "stopped")
    assert zfs_rows(sim_dir)["zroot/jails/web"] == "-\toff"


def test_a_jail_that_will_not_stop(sim_dir: Path) -> None:
    cli(sim_dir, "snapshot", "create", "web", "good")
    cli(sim_dir, "sim", "fault", "nostop", "web")
    doc = json.loads(cli(sim_dir, "restore", "web", "--from", "good", "--json").stdout)
    last = doc["steps"][-1]
    assert last["step"] == "verify stopped" and not last["ok"]
    # exec.stop's rc.shutdown stopped the services; the 3 left do not exit.
    assert "web is dying (jid 1) but 3 of its processes have not exited (pid " in \
        last["message"]
    assert "nothing was swapped" in doc["summary"]
    assert zfs_rows(sim_dir)["zroot/jails/web"] == "-\toff"
    # The stuck processes hold the root: zfs itself refuses to move it.
    rc, _, err = dispatch(sim_dir, ["zfs", "rename", "zroot/jails/web", "zroot/jails/web2"])
    assert rc == 1 and b"pool or dataset is busy" in err
    cli(sim_dir, "sim", "fault", "--clear", "nostop")
    r = cli(sim_dir, "restore", "web", "--from", "good")
    assert r.returncode == 0, r.stderr + r.stdout


def test_sim_fault_lists_refuses_and_clears(sim_dir: Path) -> None:
    r = cli(sim_dir, "sim", "fault", "busy")
    assert r.returncode == 2 and "fault busy takes DATASET" in r.stderr
    assert cli(sim_dir, "sim", "fault", "bogus").returncode == 2
    r = cli(sim_dir, "sim", "fault", "nospace")
    assert r.stdout.startswith("nospace: the pool is full")
    assert cli(sim_dir, "sim", "fault", "--clear").stdout == ""
    assert not (sim_dir / "faults.json").exists()


def test_a_ufs_root_says_what_to_do_by_hand(sim_dir: Path, shim_path: str) -> None:
    """staging lives on UFS, its root the mount point of /dev/ada1p1: no snapshot, no
    rename swap; the refusal names the commands, through --sim and over the shims."""
    before = sorted(p.name for p in real(sim_dir, "/usr/local/jails/staging").iterdir())
    local = subprocess.run(
        [sys.executable, "-m", "jailtui", "--host", "local", "--root", str(sim_dir / "root"),
         "restore", "staging", "--from", "good"], capture_output=True, text=True,
        timeout=180, stdin=subprocess.DEVNULL, env={**os.environ, "PATH": shim_path})
    for r in (cli(sim_dir, "restore", "staging", "--from", "good"), local):
        assert r.returncode == 1
        err = " ".join(r.stderr.split())
        assert err.startswith("staging: its root is not a ZFS dataset of its own (UFS /dev/ada1p1 "
                              "mounted at /usr/local/jails/staging)"), err
        assert "its root is the mount point of /dev/ada1p1" in err
        assert ("bsdtar -x -p --fflags --numeric-owner -f TARGET/jailtui-staging-UTCTIME.tar "
                "-C /usr/local/jails/staging") in err
    assert sorted(p.name for p in real(sim_dir, "/usr/local/jails/staging").iterdir()) == before
    assert not running(sim_dir, "staging")
