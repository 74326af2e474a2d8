"""The simulated host's zfs(8) and mount(8), through the shims on PATH.

What is checked is OpenZFS's behaviour (docs/freebsd.md 12): -H -p output,
snapshots as real copies, the destroy/rollback refusals and their messages,
rename and clone moving real files, zfs diff's line format, mount -p.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def run(shim_path: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": shim_path})


def root_of(sim_dir: Path, path: str) -> Path:
    return sim_dir / "root" / path.lstrip("/")


def test_list_parsable_one_dataset_per_jail_root(sim_dir: Path, shim_path: str) -> None:
    r = run(shim_path, "zfs", "list", "-H", "-p", "-o",
            "name,used,avail,refer,quota,mountpoint,origin")
    assert r.returncode == 0, r.stderr
    rows = {line.split("\t")[0]: line.split("\t") for line in r.stdout.splitlines()}
    assert all(len(v) == 7 for v in rows.values())
    web = rows["zroot/jails/web"]
    assert web[5] == "/usr/local/jails/web" and web[6] == "-" and web[4] == "0"
    assert int(web[3]) >= 140 * 1024 ** 2  # the base system is counted
    assert "zroot/jails/db/var" in rows  # a child for /var
    assert "zroot/bastille/jails/shop/root" in rows
    # staging stays on UFS: no dataset of its own.
    assert "zroot/jails/staging" not in rows
    used_db = int(rows["zroot/jails/db"][1])
    assert used_db == int(rows["zroot/jails/db"][3]) + int(rows["zroot/jails/db/var"][1])


def test_list_depth_types_and_missing(sim_dir: Path, shim_path: str) -> None:
    r = run(shim_path, "zfs", "list", "-H", "-o", "name", "-d", "1", "zroot/jails")
    names = r.stdout.split()
    assert "zroot/jails/web" in names and "zroot/jails/db/var" not in names
    r = run(shim_path, "zfs", "list", "-H", "-o", "name", "zroot/nope", "zroot/jails/web")
    assert r.returncode == 1
    assert r.stderr == "cannot open 'zroot/nope': dataset does not exist\n"
    assert r.stdout == "zroot/jails/web\n"
    r = run(shim_path, "zfs", "list", "-o", "name,bogus")
    assert r.returncode == 2 and "bad property list: invalid property 'bogus'" in r.stderr
    r = run(shim_path, "zfs", "list", "-t", "snapshot")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "no datasets available\n"


def test_snapshot_is_a_real_copy_and_diff_shows_changes(sim_dir: Path, shim_path: str) -> None:
    assert run(shim_path, "zfs", "snapshot", "-r", "zroot/jails/db@good").returncode == 0
    r = run(shim_path, "zfs", "snapshot", "-r", "zroot/jails/db@good")
    assert r.returncode == 1
    assert r.stderr == "cannot create snapshot 'zroot/jails/db@good': dataset already exists\n"
    r = run(shim_path, "zfs", "list", "-H", "-p", "-t", "snapshot", "-o", "name,creation,used",
            "-r", "zroot/jails/db")
    assert [ln.split("\t")[0] for ln in r.stdout.splitlines()] == [
        "zroot/jails/db@good", "zroot/jails/db/var@good"]
    etc = root_of(sim_dir, "/usr/local/jails/db/etc")
    (etc / "backdoor").write_text("evil\n")
    with open(etc / "rc.conf", "a") as f:
        f.write('sshd_enable="YES"\n')
    os.rename(etc / "passwd", etc / "passwd.old")
    (root_of(sim_dir, "/usr/local/jails/db/tmp") / "a b").write_text("x")
    r = run(shim_path, "zfs", "diff", "zroot/jails/db@good")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "M\t/usr/local/jails/db/etc",
        "+\t/usr/local/jails/db/etc/backdoor",
        "R\t/usr/local/jails/db/etc/passwd -> /usr/local/jails/db/etc/passwd.old",
        "M\t/usr/local/jails/db/etc/rc.conf",
        "M\t/usr/local/jails/db/tmp",
        "+\t/usr/local/jails/db/tmp/a\\0040b",
    ]
    r = run(shim_path, "zfs", "diff", "-FH", "zroot/jails/db@good", "zroot/jails/db")
    assert "R\tF\t/usr/local/jails/db/etc/passwd\t/usr/local/jails/db/etc/passwd.old" in \
        r.stdout.splitlines()
    # The snapshot's "used" is now what only it holds (the old rc.conf and passwd).
    r = run(shim_path, "zfs", "list", "-H", "-p", "-o", "used", "zroot/jails/db@good")
    assert int(r.stdout) > 0


def test_destroy_refusals(sim_dir: Path, shim_path: str) -> None:
    run(shim_path, "zfs", "snapshot", "zroot/jails/web@a")
    r = run(shim_path, "zfs", "destroy", "zroot/jails/web")
    assert r.returncode == 1
    assert r.stderr == ("cannot destroy 'zroot/jails/web': filesystem has children\n"
                        "use '-r' to destroy the following datasets:\nzroot/jails/web@a\n")
    assert run(shim_path, "jail", "-r", "web").returncode == 0
    assert run(shim_path, "zfs", "clone", "zroot/jails/web@a", "zroot/jails/web2").returncode == 0
    assert (root_of(sim_dir, "/usr/local/jails/web2/etc/rc.conf")).is_file()
    r = run(shim_path, "zfs", "destroy", "zroot/jails/web@a")
    assert r.stderr == ("cannot destroy 'zroot/jails/web@a': snapshot has dependent clones\n"
                        "use '-R' to destroy the following datasets:\nzroot/jails/web2\n")
    r = run(shim_path, "zfs", "destroy", "-r", "zroot/jails/web")
    assert r.stderr.startswith("cannot destroy 'zroot/jails/web': filesystem has dependent "
                               "clones\nuse '-R' to destroy the following datasets:\n")
    r = run(shim_path, "zfs", "destroy", "-nv", "-R", "zroot/jails/web")
    assert r.returncode == 0 and "would destroy zroot/jails/web2" in r.stdout
    assert run(shim_path, "zfs", "list", "zroot/jails/web2").returncode == 0
    r = run(shim_path, "zfs", "destroy", "zroot/jails/nope@x")
    assert r.stderr == "cannot open 'zroot/jails/nope': dataset does not exist\n"


def test_rollback_only_to_newest_without_r(sim_dir: Path, shim_path: str) -> None:
    run(shim_path, "zfs", "snapshot", "zroot/jails/dns@one")
    rc = root_of(sim_dir, "/usr/local/jails/dns/etc/rc.conf")
    before = rc.read_text()
    rc.write_text("changed\n")
    run(shim_path, "zfs", "snapshot", "zroot/jails/dns@two")
    r = run(shim_path, "zfs", "rollback", "zroot/jails/dns@one")
    assert r.returncode == 1
    assert r.stderr == ("cannot rollback to 'zroot/jails/dns@one': more recent snapshots or "
                        "bookmarks exist\nuse '-r' to force deletion of the following snapshots "
                        "and bookmarks:\nzroot/jails/dns@two\n")
    assert run(shim_path, "zfs", "rollback", "-r", "zroot/jails/dns@one").returncode == 0
    assert rc.read_text() == before
    assert run(shim_path, "zfs", "list", "zroot/jails/dns@two").returncode == 1


def test_rename_moves_files_and_snapshots_busy_when_running(sim_dir: Path,
                                                            shim_path: str) -> None:
    run(shim_path, "zfs", "snapshot", "-r", "zroot/jails/db@good")
    r = run(shim_path, "zfs", "rename", "zroot/jails/db", "zroot/jails/db.q")
    assert r.returncode == 1
    assert r.stderr == "cannot unmount '/usr/local/jails/db': pool or dataset is busy\n"
    assert run(shim_path, "jail", "-r", "db").returncode == 0
    assert run(shim_path, "zfs", "rename", "zroot/jails/db", "zroot/jails/db.q").returncode == 0
    assert root_of(sim_dir, "/usr/local/jails/db.q/etc/rc.conf").is_file()
    assert root_of(sim_dir, "/usr/local/jails/db.q/var").is_dir()
    r = run(shim_path, "zfs", "list", "-H", "-o", "name,mountpoint", "-t", "all", "-r",
            "zroot/jails/db.q")
    assert r.stdout.splitlines() == [
        "zroot/jails/db.q\t/usr/local/jails/db.q", "zroot/jails/db.q@good\t-",
        "zroot/jails/db.q/var\t/usr/local/jails/db.q/var", "zroot/jails/db.q/var@good\t-"]
    assert run(shim_path, "zfs", "set", "readonly=on", "zroot/jails/db.q").returncode == 0
    r = run(shim_path, "zfs", "clone", "-o", "mountpoint=/usr/local/jails/db",
            "zroot/jails/db.q@good", "zroot/jails/db")
    assert r.returncode == 0, r.stderr
    r = run(shim_path, "zfs", "list", "-H", "-o", "origin,mountpoint,readonly",
            "zroot/jails/db", "zroot/jails/db.q")
    assert r.stdout.splitlines() == ["zroot/jails/db.q@good\t/usr/local/jails/db\toff",
                                     "-\t/usr/local/jails/db.q\ton"]
    r = run(shim_path, "zfs", "rename", "zroot/jails/db.q", "zroot/jails/db")
    assert r.stderr == "cannot rename to 'zroot/jails/db': dataset already exists\n"


def test_mount_p_and_nullfs(sim_dir: Path, shim_path: str) -> None:
    r = run(shim_path, "mount", "-p")
    lines = r.stdout.splitlines()
    assert lines[0] == "/dev/ada0p2\t\t/\t\t\tufs\trw\t\t1 1"
    assert "zroot/jails/web\t\t/usr/local/jails/web\tzfs\trw,nfsv4acls \t0 0" in lines
    assert "/dev/ada1p1\t\t/usr/local/jails/staging ufs\trw\t\t2 2" in lines
    assert any(ln.split()[1] == "/usr/local/jails/web/dev" for ln in lines)
    r = run(shim_path, "mount", "-t", "nullfs", "-o", "ro", "/home/admin",
            "/usr/local/jails/web/tmp")
    assert r.returncode == 0, r.stderr
    assert any(ln.split()[:3] == ["/home/admin", "/usr/local/jails/web/tmp", "nullfs"]
               for ln in run(shim_path, "mount", "-p").stdout.splitlines())
    plain = run(shim_path, "mount").stdout.splitlines()
    assert "/home/admin on /usr/local/jails/web/tmp (nullfs, local, read-only)" in plain
    assert "devfs on /dev (devfs)" in plain
    assert run(shim_path, "umount", "/usr/local/jails/web/tmp").returncode == 0
    r = run(shim_path, "umount", "/usr/local/jails/web/tmp")
    assert r.returncode == 1


@pytest.mark.parametrize("n,text", [(0, "0B"), (4096, "4K"), (140 * 1024 ** 2, "140M"),
                                    (1_386_000, "1.32M"), (4_831_838_208, "4.50G")])
def test_nicenum(n: int, text: str) -> None:
    from jailtui.sim.zfs import nicenum

    assert nicenum(n) == text
