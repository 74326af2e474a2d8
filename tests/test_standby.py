"""The UFS standby swap (issue 16): ``jailtui backup NAME --standby`` makes ROOT.standby
beside a root that is a directory on UFS (``sim init --ufs-dir-jail``: legacy at
/ufs/jails/legacy on /dev/ada2p1), ``jailtui restore NAME --standby`` renames the
compromised root aside and the standby in, end to end through --sim and over the shims
(--host local: the simulated mv, mkdir, stat, bsdtar on PATH); and what fails: no
standby, one on another file system, a mount under the root, a mount-point root, a
second rename that fails, a run cut short (resume, swap back); mv(1)'s own semantics."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from ufs_host import beside, cli, controller, file_shims_path, make_ufs_sim, real

from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action
from jailtui.core.storage import standby as standbymod
from jailtui.core.storage.journal import Journal
from jailtui.core.storage.restore import Restore
from jailtui.sim.commands import dispatch

ROOT = "/ufs/jails/legacy"
STANDBY = ROOT + ".standby"


@pytest.fixture
def ufs_sim(tmp_path: Path) -> Path:
    return make_ufs_sim(tmp_path)


def running(sim_dir: Path, name: str = "legacy") -> bool:
    rc, out, _ = dispatch(sim_dir, ["jls", "-j", name, "name"])
    return rc == 0 and out.decode().strip() == name


@pytest.fixture
def file_shims(ufs_sim: Path, tmp_path: Path) -> str:
    return file_shims_path(ufs_sim, tmp_path)


@pytest.mark.parametrize("over_shims", [False, True])
def test_standby_made_then_swapped_in_keeps_the_compromised_root(
        ufs_sim: Path, file_shims: str, over_shims: bool) -> None:
    local = file_shims if over_shims else None
    # No archive yet: the root itself is copied.
    r = cli(ufs_sim, "backup", "legacy", "--standby", local=local)
    assert r.returncode == 0, r.stderr
    assert "made from the root itself" in r.stdout
    assert beside(ufs_sim) == ["legacy", "legacy.standby"]
    assert (real(ufs_sim, STANDBY) / "etc/rc.conf").read_bytes() == \
        (real(ufs_sim, ROOT) / "etc/rc.conf").read_bytes()
    r = cli(ufs_sim, "backup", "legacy", "--standby", local=local)
    assert r.returncode == 1 and f"{STANDBY} exists already" in r.stderr
    r = cli(ufs_sim, "sim", "compromise", "legacy")
    assert r.returncode == 0, r.stderr
    inode = os.stat(real(ufs_sim, ROOT)).st_ino
    r = cli(ufs_sim, "restore", "legacy", "--standby", "--json", local=local)
    assert r.returncode == 0, r.stderr + r.stdout
    doc = json.loads(r.stdout)
    assert [s["step"] for s in doc["steps"]] == list(standbymod.STANDBY_STEPS)
    assert all(s["ok"] for s in doc["steps"])
    q = doc["quarantine"]
    assert q.startswith(ROOT + ".quarantine-")
    assert beside(ufs_sim) == ["legacy", q.rsplit("/", 1)[1]]
    # A rename, not a copy: the evidence is the same directory (inode), planted files in it.
    assert os.stat(real(ufs_sim, q)).st_ino == inode
    assert (real(ufs_sim, q) / "usr/local/bin/.sysupd").exists()
    assert not (real(ufs_sim, ROOT) / "usr/local/bin/.sysupd").exists()
    assert running(ufs_sim)
    r = cli(ufs_sim, "diff", "legacy", q, "--json", local=local)
    assert r.returncode == 0, r.stderr
    flagged = {c["path"]: c["flags"] for c in json.loads(r.stdout)["flagged"]}
    assert flagged["/usr/local/bin/.sysupd"] == ["setuid"]


def test_the_standby_comes_from_the_newest_archive(ufs_sim: Path) -> None:
    r = cli(ufs_sim, "backup", "legacy")
    assert r.returncode == 0, r.stderr
    archive = r.stdout.split(" to ", 1)[1].split(" with bsdtar", 1)[0]
    (real(ufs_sim, ROOT) / "etc/after-the-archive").write_text("x\n")
    r = cli(ufs_sim, "backup", "legacy", "--standby")
    assert r.returncode == 0, r.stderr
    assert f"made from the archive {archive}" in r.stdout
    assert not (real(ufs_sim, STANDBY) / "etc/after-the-archive").exists()
    assert (real(ufs_sim, STANDBY) / "etc/rc.conf").exists()


def test_without_a_standby_nothing_is_stopped(ufs_sim: Path) -> None:
    r = cli(ufs_sim, "restore", "legacy", "--standby")
    assert r.returncode == 1
    assert f"no standby copy {STANDBY}: make one first (jailtui backup legacy --standby)" \
        in r.stderr
    assert running(ufs_sim) and beside(ufs_sim) == ["legacy"]
    # --from on such a root names the way.
    r = cli(ufs_sim, "restore", "legacy", "--from", "good")
    assert r.returncode == 1 and "jailtui restore legacy --standby" in r.stderr


def test_a_standby_on_another_file_system_is_refused(ufs_sim: Path) -> None:
    assert cli(ufs_sim, "backup", "legacy", "--standby").returncode == 0
    other = real(ufs_sim, "/var/elsewhere")
    other.mkdir(parents=True)
    rc, _, err = dispatch(ufs_sim, ["mount", "-t", "nullfs", "/var/elsewhere", STANDBY])
    assert rc == 0, err
    r = cli(ufs_sim, "restore", "legacy", "--standby")
    assert r.returncode == 1
    out = r.stdout + r.stderr
    assert f"/var/elsewhere on {STANDBY} (nullfs): unmount first" in out  # the mounts step
    assert running(ufs_sim) is False  # stopped, as the summary says
    assert "nothing was swapped; its root is unchanged at /ufs/jails/legacy" in r.stderr
    assert beside(ufs_sim) == ["legacy", "legacy.standby"]


def test_a_mount_under_the_root_is_refused(ufs_sim: Path) -> None:
    assert cli(ufs_sim, "backup", "legacy", "--standby").returncode == 0
    real(ufs_sim, "/var/shared").mkdir(parents=True)
    (real(ufs_sim, ROOT) / "mnt").mkdir(exist_ok=True)
    rc, _, err = dispatch(ufs_sim, ["mount", "-t", "nullfs", "/var/shared", ROOT + "/mnt"])
    assert rc == 0, err
    r = cli(ufs_sim, "restore", "legacy", "--standby")
    assert r.returncode == 1
    assert f"/var/shared on {ROOT}/mnt (nullfs)" in r.stdout
    assert beside(ufs_sim) == ["legacy", "legacy.standby"]


def test_a_mount_point_root_stays_refused_with_the_by_hand_text(ufs_sim: Path) -> None:
    for args in (("backup", "staging", "--standby"), ("restore", "staging", "--standby")):
        r = cli(ufs_sim, *args)
        assert r.returncode == 1
        assert "its root is the mount point of /dev/ada1p1" in r.stderr, r.stderr
    r = cli(ufs_sim, "restore", "staging", "--from", "good")
    assert "bsdtar -x -p --fflags --numeric-owner" in r.stderr


def test_rename_refuses_a_move_across_file_systems(ufs_sim: Path) -> None:
    """The check before mv: a target directory on another file system is refused (mv(1)
    would copy), and nothing moves."""
    c, _ = controller(ufs_sim)
    real(ufs_sim, "/var/tmp").mkdir(parents=True, exist_ok=True)
    with pytest.raises(standbymod.StandbyError, match="different file systems"):
        asyncio.run(standbymod.rename(c, ROOT, "/var/tmp/legacy"))
    assert beside(ufs_sim) == ["legacy"]


def test_a_failed_second_rename_puts_the_old_root_back(ufs_sim: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli(ufs_sim, "backup", "legacy", "--standby").returncode == 0
    c, sink = controller(ufs_sim)
    real_rename = standbymod.rename

    async def failing(ctl: Controller, source: str, target: str) -> str:
        if source == STANDBY:
            raise standbymod.StandbyError("mv: rename: Operation not permitted")
        return await real_rename(ctl, source, target)

    monkeypatch.setattr(standbymod, "rename", failing)
    result = asyncio.run(standbymod.StandbySwap(c).run_standby("legacy"))
    assert not result.ok and result.steps[-1].step == "put in place"
    assert "the old root is back at /ufs/jails/legacy" in result.steps[-1].message
    assert beside(ufs_sim) == ["legacy", "legacy.standby"]
    assert all(r.action == Action.RESTORE.value for r in sink.records
               if "step=" in r.detail)


def test_a_swap_cut_short_is_said_then_finished_or_undone(ufs_sim: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Killed between the two renames: the journal and stat say so; --resume renames the
    standby in and starts it; done again and undone with --swap-back (the standby copy
    set aside as ROOT.failed-UTC, never destroyed)."""
    assert cli(ufs_sim, "backup", "legacy", "--standby").returncode == 0
    c, _ = controller(ufs_sim)
    real_rename = standbymod.rename

    async def killed(ctl: Controller, source: str, target: str) -> str:
        if source == STANDBY:
            raise SystemExit("killed")  # the console killed mid-flow
        return await real_rename(ctl, source, target)

    monkeypatch.setattr(standbymod, "rename", killed)
    with pytest.raises(SystemExit):
        asyncio.run(standbymod.StandbySwap(c).run_standby("legacy"))
    monkeypatch.setattr(standbymod, "rename", real_rename)
    names = beside(ufs_sim)
    (q,) = [n for n in names if ".quarantine-" in n]
    assert names == [q, "legacy.standby"]
    r = cli(ufs_sim, "restore", "legacy", "--standby")
    assert r.returncode == 1
    assert "was cut short in step 'put in place'" in r.stderr
    assert "to finish (rename the standby in, start it): jailtui restore legacy --resume" \
        in r.stderr
    r = cli(ufs_sim, "restore", "legacy", "--resume")
    assert r.returncode == 0, r.stderr + r.stdout
    assert running(ufs_sim) and beside(ufs_sim) == ["legacy", q]
    assert Journal(Restore(c).host_key, "legacy").read() is None
    # And the other way out: cut short again, then put the old root back.
    r = cli(ufs_sim, "backup", "legacy", "--standby")
    assert r.returncode == 0, r.stderr
    real_aside = standbymod.aside_path
    monkeypatch.setattr(standbymod, "rename", killed)
    monkeypatch.setattr(standbymod, "aside_path",
                        lambda root, now, kind: f"{root}.{kind}-20991231T000000Z")
    with pytest.raises(SystemExit):
        asyncio.run(standbymod.StandbySwap(c).run_standby("legacy"))
    monkeypatch.setattr(standbymod, "rename", real_rename)
    monkeypatch.setattr(standbymod, "aside_path", real_aside)
    q2 = "legacy.quarantine-20991231T000000Z"
    r = cli(ufs_sim, "restore", "legacy", "--swap-back")
    assert r.returncode == 0, r.stderr + r.stdout
    assert "nothing was destroyed" in r.stdout
    assert running(ufs_sim)
    assert beside(ufs_sim) == ["legacy", q, "legacy.standby"]
    assert q2 not in beside(ufs_sim)


# -- the simulated mv(1), mkdir(1) and stat %d (bin/mv/mv.c, bin/mkdir/mkdir.c) ----------

def test_sim_mv_renames_on_one_file_system_and_copies_across(ufs_sim: Path) -> None:
    d = real(ufs_sim, "/ufs/jails")
    (d / "a").mkdir()
    (d / "a/f").write_text("x")
    ino = os.stat(d / "a").st_ino
    assert dispatch(ufs_sim, ["mv", "-n", "--", "/ufs/jails/a", "/ufs/jails/b"])[0] == 0
    assert os.stat(d / "b").st_ino == ino and not (d / "a").exists()
    # Into an existing directory, as mv does with a directory target.
    (d / "c").mkdir()
    assert dispatch(ufs_sim, ["mv", "/ufs/jails/b", "/ufs/jails/c"])[0] == 0
    assert (d / "c/b/f").read_text() == "x"
    # Across file systems: a copy (a new inode), the source removed.
    rc, _, err = dispatch(ufs_sim, ["mv", "/ufs/jails/c/b", "/var/b"])
    assert rc == 0, err
    assert (real(ufs_sim, "/var/b") / "f").read_text() == "x" and not (d / "c/b").exists()
    # A mount point is never moved.
    rc, _, err = dispatch(ufs_sim, ["mv", "/ufs", "/ufs2"])
    assert rc == 1 and err == b"mv: cannot rename a mount point\n"
    rc, _, err = dispatch(ufs_sim, ["mv", "/ufs/jails/nope", "/ufs/jails/x"])
    assert rc == 1 and err == b"mv: rename /ufs/jails/nope to /ufs/jails/x: No such file or " \
                              b"directory\n"
    rc, _, err = dispatch(ufs_sim, ["mv", "one"])
    assert rc == 64 and err.startswith(b"usage: mv ")
    # An immutable file cannot be renamed (ufs_rename: EPERM).
    (d / "g").write_text("y")
    assert dispatch(ufs_sim, ["chflags", "schg", "/ufs/jails/g"])[0] == 0
    rc, _, err = dispatch(ufs_sim, ["mv", "/ufs/jails/g", "/ufs/jails/h"])
    assert rc == 1 and b"Operation not permitted" in err and (d / "g").exists()


def test_sim_stat_d_is_the_simulated_file_system(ufs_sim: Path) -> None:
    def dev(path: str) -> str:
        rc, out, err = dispatch(ufs_sim, ["stat", "-f", "%d", "--", path])
        assert rc == 0, err
        return out.decode().strip()

    assert dev(ROOT) == dev("/ufs/jails") == dev("/ufs")
    assert dev("/ufs") != dev("/")
    assert dev("/usr/local/jails/staging") != dev("/usr/local/jails")


def test_sim_mkdir(ufs_sim: Path) -> None:
    assert dispatch(ufs_sim, ["mkdir", "-m", "0700", "--", "/ufs/jails/p"])[0] == 0
    assert os.stat(real(ufs_sim, "/ufs/jails/p")).st_mode & 0o7777 == 0o700
    rc, _, err = dispatch(ufs_sim, ["mkdir", "/ufs/jails/p"])
    assert rc == 1 and err == b"mkdir: /ufs/jails/p: File exists\n"
    rc, _, err = dispatch(ufs_sim, ["mkdir", "/ufs/none/q"])
    assert rc == 1 and err == b"mkdir: /ufs/none/q: No such file or directory\n"
    assert dispatch(ufs_sim, ["mkdir", "-p", "/ufs/none/q"])[0] == 0


def test_the_standby_keeps_file_flags(ufs_sim: Path) -> None:
    """bsdtar archives flags by default and -x --fflags restores them (docs/freebsd.md
    12.8): an schg file of the root is schg in its standby copy, from the root itself and
    from an archive."""
    rc, _, err = dispatch(ufs_sim, ["chflags", "schg", f"{ROOT}/etc/rc.conf"])
    assert rc == 0, err
    for first in ((), ("backup", "legacy")):
        if first:
            assert cli(ufs_sim, *first).returncode == 0
            rc, _, err = dispatch(ufs_sim, ["chflags", "-R", "noschg", STANDBY])
            assert rc == 0, err
            rc, _, err = dispatch(ufs_sim, ["mv", STANDBY, "/ufs/jails/old-standby"])
            assert rc == 0, err
        r = cli(ufs_sim, "backup", "legacy", "--standby")
        assert r.returncode == 0, r.stderr
        rc, out, err = dispatch(ufs_sim, ["stat", "-f", "%Sf", "--", f"{STANDBY}/etc/rc.conf"])
        assert rc == 0 and out.decode().strip() == "schg", (out, err)
