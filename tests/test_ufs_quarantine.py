"""A UFS root's quarantines (issue 16): ``jailtui restore NAME --standby`` leaves
ROOT.quarantine-UTCTIME beside the root (``sim init --ufs-dir-jail``: legacy at
/ufs/jails/legacy on /dev/ada2p1); ``quarantine list`` shows it and ``quarantine destroy``
removes exactly that directory (chflags -R -x of the flags that stop unlink, then rm -rfx),
end to end through --sim and over the shims; what is refused (the root, the standby, a
path outside, a mount under it, a delegate on another jail), what the securelevel stops;
and the simulator's rm -r / chflags -R as bin/rm/rm.c and bin/chflags/chflags.c do them."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest
from ufs_host import beside, cli, controller, file_shims_path, make_ufs_sim, real

from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action, Policy, Role
from jailtui.core.errors import JailtuiError
from jailtui.core.storage import quarantine as qmod
from jailtui.core.storage import standby as standbymod
from jailtui.sim.commands import dispatch
from jailtui.sim.state import Store

ROOT = "/ufs/jails/legacy"
STANDBY = ROOT + ".standby"
#: A quarantine made by hand for the tests that need one but not the whole restore.
QUARANTINE = ROOT + ".quarantine-20260101T000000Z"


@pytest.fixture
def ufs_sim(tmp_path: Path) -> Path:
    return make_ufs_sim(tmp_path)


@pytest.fixture
def file_shims(ufs_sim: Path, tmp_path: Path) -> str:
    return file_shims_path(ufs_sim, tmp_path)


def sim(sim_dir: Path, *argv: str) -> tuple[int, str, str]:
    rc, out, err = dispatch(sim_dir, list(argv))
    return rc, out.decode(), err.decode()


def flags(sim_dir: Path, path: str) -> str:
    rc, out, err = sim(sim_dir, "stat", "-f", "%Sf", "--", path)
    assert rc == 0, err
    return out.strip()


def hand_quarantine(sim_dir: Path) -> None:
    """ROOT.quarantine-UTCTIME as the by-hand way leaves it: a copy of the root beside it."""
    shutil.copytree(real(sim_dir, ROOT), real(sim_dir, QUARANTINE), symlinks=True)


def set_securelevel(sim_dir: Path, level: int) -> None:
    """What init(8) would do at boot (the simulated sysctl, like the kernel, only raises)."""
    with Store(sim_dir).write() as st:
        st.securelevel = level


@pytest.mark.parametrize("over_shims", [False, True])
def test_the_quarantine_a_standby_swap_leaves_is_listed_then_destroyed(
        ufs_sim: Path, file_shims: str, over_shims: bool) -> None:
    local = file_shims if over_shims else None
    assert cli(ufs_sim, "backup", "legacy", "--standby", local=local).returncode == 0
    assert cli(ufs_sim, "sim", "compromise", "legacy").returncode == 0
    r = cli(ufs_sim, "restore", "legacy", "--standby", "--json", local=local)
    assert r.returncode == 0, r.stderr + r.stdout
    q = json.loads(r.stdout)["quarantine"]
    # A new standby beside the restored root: the destroy must leave it and the root alone.
    assert cli(ufs_sim, "backup", "legacy", "--standby", local=local).returncode == 0
    assert beside(ufs_sim) == sorted(["legacy", "legacy.standby", q.rsplit("/", 1)[1]])

    r = cli(ufs_sim, "quarantine", "list", "legacy", local=local)
    assert r.returncode == 0, r.stderr
    assert "no quarantined roots" not in r.stdout and q in r.stdout and "DIRECTORY" in r.stdout
    r = cli(ufs_sim, "quarantine", "list", "legacy", "--json", local=local)
    assert json.loads(r.stdout) == {"jail": "legacy", "quarantined": [
        {"kind": "directory", "name": q, "path": q}]}

    # What makes a plain rm -rf fail: an immutable file, an append-only directory, a
    # user-immutable symlink; and a symlink out to the host's /etc, which must not be
    # followed (its target is schg: were it followed, chflags would clear that).
    for flag, path in (("schg", f"{q}/etc/rc.conf"), ("sappnd", f"{q}/etc"),
                       ("schg", "/etc/rc.conf")):
        assert sim(ufs_sim, "chflags", flag, path)[0] == 0
    os.symlink("/etc", real(ufs_sim, q) / "hostetc")
    os.symlink("../../../../etc/rc.conf", real(ufs_sim, q) / "rclink")
    assert sim(ufs_sim, "chflags", "-h", "uchg", f"{q}/rclink")[0] == 0

    r = cli(ufs_sim, "quarantine", "destroy", "legacy", q, local=local)
    assert r.returncode == 1 and "confirm with --yes" in r.stderr
    assert real(ufs_sim, q).is_dir()
    r = cli(ufs_sim, "quarantine", "destroy", "legacy", q, "--yes", local=local)
    assert r.returncode == 0, r.stderr + r.stdout
    assert f"destroyed {q}" in r.stdout
    assert beside(ufs_sim) == ["legacy", "legacy.standby"]
    assert (real(ufs_sim, ROOT) / "etc/rc.conf").is_file()
    assert (real(ufs_sim, STANDBY) / "etc/rc.conf").is_file()
    assert real(ufs_sim, "/etc/rc.conf").is_file() and flags(ufs_sim, "/etc/rc.conf") == "schg"
    with Store(ufs_sim).read() as st:
        assert not [p for p in st.flags if p.startswith(q)]
    if not over_shims:  # --sim keeps its audit log in the simulated host's directory
        audit = (ufs_sim / "audit.log").read_text()
        assert 'action=restore jail=legacy jid=' in audit
        assert f'result=ok detail="destroy quarantine {q}"' in audit
    assert "no quarantined roots" in cli(ufs_sim, "quarantine", "list", "legacy").stdout


@pytest.mark.parametrize("target", [ROOT, STANDBY, QUARANTINE + "/", "/etc",
                                    QUARANTINE + "/../legacy", QUARANTINE + "/etc",
                                    "/ufs/jails/legacy.quarantine-20250101T000000Z",
                                    "/ufs/jails/other.quarantine-20260101T000000Z"])
def test_only_exactly_one_of_the_jails_quarantines_is_destroyed(ufs_sim: Path,
                                                                 target: str) -> None:
    assert cli(ufs_sim, "backup", "legacy", "--standby").returncode == 0
    hand_quarantine(ufs_sim)
    real(ufs_sim, "/ufs/jails/other.quarantine-20260101T000000Z").mkdir()
    before = beside(ufs_sim)
    ctl, sink = controller(ufs_sim)
    with pytest.raises(JailtuiError, match=f"is not a quarantined root of legacy \\(these "
                       f"are: {QUARANTINE}\\)"):
        asyncio.run(qmod.destroy(ctl, "legacy", target))
    assert beside(ufs_sim) == before
    assert (real(ufs_sim, QUARANTINE) / "etc/rc.conf").is_file()
    (rec,) = sink.records
    assert rec.action == Action.RESTORE.value and rec.result.startswith("failed: ")


def test_the_cli_refuses_the_root_in_one_line(ufs_sim: Path) -> None:
    hand_quarantine(ufs_sim)
    r = cli(ufs_sim, "quarantine", "destroy", "legacy", ROOT, "--yes")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"jailtui: {ROOT} is not a quarantined root of legacy (these are: {QUARANTINE})"]
    assert real(ufs_sim, ROOT).is_dir()


def test_a_mount_under_the_quarantine_is_refused(ufs_sim: Path) -> None:
    hand_quarantine(ufs_sim)
    real(ufs_sim, "/var/shared").mkdir(parents=True)
    (real(ufs_sim, "/var/shared") / "keep").write_text("x\n")
    (real(ufs_sim, QUARANTINE) / "mnt").mkdir(exist_ok=True)
    assert sim(ufs_sim, "mount", "-t", "nullfs", "/var/shared", QUARANTINE + "/mnt")[0] == 0
    r = cli(ufs_sim, "quarantine", "destroy", "legacy", QUARANTINE, "--yes")
    assert r.returncode == 1
    assert f"/var/shared on {QUARANTINE}/mnt (nullfs): unmount first" in r.stderr
    assert (real(ufs_sim, "/var/shared") / "keep").is_file()
    assert real(ufs_sim, QUARANTINE).is_dir()


def test_system_flags_at_securelevel_1_are_said_and_nothing_is_removed(ufs_sim: Path) -> None:
    hand_quarantine(ufs_sim)
    assert sim(ufs_sim, "chflags", "schg", f"{QUARANTINE}/etc/rc.conf")[0] == 0
    set_securelevel(ufs_sim, 1)
    ctl, sink = controller(ufs_sim)
    result = asyncio.run(qmod.destroy(ctl, "legacy", QUARANTINE))
    assert not result.ok
    assert result.message == (f"{QUARANTINE} not destroyed: "
                              + qmod.securelevel_blocks(1, QUARANTINE))
    assert "securelevel 1" in result.message and "nothing was removed" in result.message
    assert (real(ufs_sim, QUARANTINE) / "etc/rc.conf").is_file()
    assert (real(ufs_sim, QUARANTINE) / "bin").is_dir()
    (rec,) = sink.records
    assert rec.result.startswith("failed: the host runs at securelevel 1")


def test_user_flags_clear_at_securelevel_1(ufs_sim: Path) -> None:
    """uchg/uappnd are not locking flags: root clears them at any securelevel."""
    hand_quarantine(ufs_sim)
    assert sim(ufs_sim, "chflags", "uchg", f"{QUARANTINE}/etc/rc.conf")[0] == 0
    assert sim(ufs_sim, "chflags", "uappnd", f"{QUARANTINE}/etc")[0] == 0
    set_securelevel(ufs_sim, 1)
    ctl, _ = controller(ufs_sim)
    result = asyncio.run(qmod.destroy(ctl, "legacy", QUARANTINE))
    assert result.ok, result.message
    assert beside(ufs_sim) == ["legacy"]


def test_a_symlink_with_schg_stops_rm_and_is_said(ufs_sim: Path) -> None:
    """chflags -R skips symlinks (FTS_SL), so an schg one (host root, or a jail with
    allow.chflags, set it with chflags -h) stays and rm says so; the rest is removed."""
    hand_quarantine(ufs_sim)
    os.symlink("/etc/rc.conf", real(ufs_sim, QUARANTINE) / "rclink")
    assert sim(ufs_sim, "chflags", "-h", "schg", f"{QUARANTINE}/rclink")[0] == 0
    ctl, sink = controller(ufs_sim)
    result = asyncio.run(qmod.destroy(ctl, "legacy", QUARANTINE))
    assert not result.ok
    assert result.message.startswith(
        f"{QUARANTINE} not destroyed: rm: {QUARANTINE}/rclink: Operation not permitted")
    assert sorted(p.name for p in real(ufs_sim, QUARANTINE).iterdir()) == ["rclink"]
    assert real(ufs_sim, "/etc/rc.conf").is_file()
    assert sink.records[-1].result.startswith(f"failed: rm: {QUARANTINE}/rclink")


def test_a_delegate_never_destroys_another_jails_quarantine(ufs_sim: Path) -> None:
    hand_quarantine(ufs_sim)
    ctl, sink = controller(ufs_sim, Policy(Role.DELEGATE, "alice", 1001,
                                           scope=frozenset({"web"}),
                                           actions=frozenset({Action.VIEW, Action.RESTORE})))
    with pytest.raises(JailtuiError):
        asyncio.run(qmod.destroy(ctl, "legacy", QUARANTINE))
    assert sink.records and sink.records[0].denied
    with pytest.raises(JailtuiError, match="is not a quarantined root of web"):
        asyncio.run(qmod.destroy(ctl, "web", QUARANTINE))
    assert real(ufs_sim, QUARANTINE).is_dir()


def test_a_quarantine_a_swap_cut_short_still_needs_is_refused(
        ufs_sim: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed between the two renames, the quarantine is the jail's only root: its
    journal names it, and destroying it is refused until the swap is finished or undone."""
    assert cli(ufs_sim, "backup", "legacy", "--standby").returncode == 0
    ctl, sink = controller(ufs_sim)
    real_rename = standbymod.rename

    async def killed(c: Controller, source: str, target: str) -> str:
        if source == STANDBY:
            raise SystemExit("killed")
        return await real_rename(c, source, target)

    monkeypatch.setattr(standbymod, "rename", killed)
    with pytest.raises(SystemExit):
        asyncio.run(standbymod.StandbySwap(ctl).run_standby("legacy"))
    monkeypatch.setattr(standbymod, "rename", real_rename)
    (q,) = [n for n in beside(ufs_sim) if ".quarantine-" in n]
    path = f"/ufs/jails/{q}"
    sink.records.clear()
    with pytest.raises(JailtuiError, match=f"{path}: a restore of legacy cut short still "
                                           "needs it: legacy: "):
        asyncio.run(qmod.destroy(ctl, "legacy", path))
    assert (real(ufs_sim, path) / "etc/rc.conf").is_file()
    assert sink.records[-1].result.startswith("failed: ")
    # Finished: the journal is gone, and the quarantine may go.
    assert cli(ufs_sim, "restore", "legacy", "--resume").returncode == 0
    assert asyncio.run(qmod.destroy(ctl, "legacy", path)).ok
    assert beside(ufs_sim) == ["legacy"]


# -- the simulator's rm -r and chflags -R (bin/rm/rm.c, bin/chflags/chflags.c) ------------

def test_sim_rm_r_removes_a_tree_without_following_symlinks(ufs_sim: Path) -> None:
    base = real(ufs_sim, "/ufs/t")
    (base / "d/e").mkdir(parents=True)
    (base / "d/e/f").write_text("x\n")
    os.symlink("/etc", base / "d/out")
    assert sim(ufs_sim, "chflags", "uchg", "/ufs/t/d/e/f")[0] == 0  # root's rm clears uchg
    assert sim(ufs_sim, "rm", "-r", "/ufs/t") == (0, "", "")
    assert not base.exists() and real(ufs_sim, "/etc/rc.conf").is_file()
    assert sim(ufs_sim, "rm", "-rf", "/ufs/t") == (0, "", "")
    assert sim(ufs_sim, "rm", "-r", "/ufs/t") == (1, "", "rm: /ufs/t: No such file or directory\n")


def test_sim_rm_r_says_what_stays(ufs_sim: Path) -> None:
    base = real(ufs_sim, "/ufs/t")
    (base / "d").mkdir(parents=True)
    (base / "d/locked").write_text("x\n")
    (base / "d/free").write_text("x\n")
    assert sim(ufs_sim, "chflags", "schg", "/ufs/t/d/locked")[0] == 0
    rc, out, err = sim(ufs_sim, "rm", "-rf", "/ufs/t")
    assert rc == 1 and out == ""
    assert err == ("rm: /ufs/t/d/locked: Operation not permitted\n"
                   "rm: /ufs/t/d: Directory not empty\n"
                   "rm: /ufs/t: Directory not empty\n")
    assert sorted(p.name for p in (base / "d").iterdir()) == ["locked"]
    # An append-only directory: nothing in it may be removed.
    assert sim(ufs_sim, "chflags", "noschg", "/ufs/t/d/locked")[0] == 0
    assert sim(ufs_sim, "chflags", "sappnd", "/ufs/t/d")[0] == 0
    rc, _, err = sim(ufs_sim, "rm", "-rf", "/ufs/t")
    assert rc == 1 and err.startswith("rm: /ufs/t/d/locked: Operation not permitted\n")


def test_sim_rm_refuses_dots_and_slash_and_x_stays_on_its_file_system(ufs_sim: Path) -> None:
    assert sim(ufs_sim, "rm", "-rf", "/ufs/..") == (1, "", 'rm: "." and ".." may not be removed\n')
    assert sim(ufs_sim, "rm", "-rf", "/") == (1, "", 'rm: "/" may not be removed\n')
    real(ufs_sim, "/var/shared").mkdir(parents=True)
    (real(ufs_sim, "/ufs/t/mnt")).mkdir(parents=True)
    assert sim(ufs_sim, "mount", "-t", "nullfs", "/var/shared", "/ufs/t/mnt")[0] == 0
    # The simulator keeps no files under a nullfs mount: one put there stands for the
    # mounted file system's.
    (real(ufs_sim, "/ufs/t/mnt") / "keep").write_text("x\n")
    (real(ufs_sim, "/ufs/t") / "mine").write_text("x\n")
    rc, _, err = sim(ufs_sim, "rm", "-rfx", "/ufs/t")
    assert rc == 1 and err == ("rm: /ufs/t/mnt: Device busy\n"
                               "rm: /ufs/t: Directory not empty\n")
    assert (real(ufs_sim, "/ufs/t/mnt") / "keep").is_file()
    assert not (real(ufs_sim, "/ufs/t") / "mine").exists()
    rc, _, err = sim(ufs_sim, "rm", "-rf", "/ufs/t")  # without -x it goes in (rm.c)
    assert rc == 1 and err.startswith("rm: /ufs/t/mnt: Device busy\n")
    assert not (real(ufs_sim, "/ufs/t/mnt") / "keep").exists()


def test_sim_chflags_r_skips_symlinks_and_x_stays_on_its_file_system(ufs_sim: Path) -> None:
    base = real(ufs_sim, "/ufs/t")
    (base / "d").mkdir(parents=True)
    (base / "d/f").write_text("x\n")
    os.symlink("/etc/rc.conf", base / "link")
    assert sim(ufs_sim, "chflags", "-R", "uchg", "/ufs/t") == (0, "", "")
    assert flags(ufs_sim, "/ufs/t/d/f") == "uchg" and flags(ufs_sim, "/ufs/t") == "uchg"
    assert flags(ufs_sim, "/ufs/t/link") == "-" and flags(ufs_sim, "/etc/rc.conf") == "-"
    rc, out, _ = sim(ufs_sim, "chflags", "-R", "-v", "nouchg", "/ufs/t")
    assert rc == 0 and out.split() == ["/ufs/t/d/f", "/ufs/t/d", "/ufs/t"]  # FTS_DP order
    assert sim(ufs_sim, "chflags", "-R", "-h", "uchg", "/ufs/t") == (
        1, "", "chflags: the -R and -h options may not be specified together\n")
    real(ufs_sim, "/var/shared").mkdir(parents=True)
    (base / "mnt").mkdir()
    assert sim(ufs_sim, "mount", "-t", "nullfs", "/var/shared", "/ufs/t/mnt")[0] == 0
    (base / "mnt/keep").write_text("x\n")  # stands for the mounted file system's file
    assert sim(ufs_sim, "chflags", "-R", "-x", "uchg", "/ufs/t")[0] == 0
    assert flags(ufs_sim, "/ufs/t/mnt/keep") == "-" and flags(ufs_sim, "/ufs/t/d/f") == "uchg"
    assert sim(ufs_sim, "chflags", "-R", "uchg", "/ufs/t")[0] == 0
    assert flags(ufs_sim, "/ufs/t/mnt/keep") == "uchg"
