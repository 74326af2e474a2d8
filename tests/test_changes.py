"""``jailtui sim compromise`` and ``jailtui diff``: what the intruder planted, found in
the quarantined root after a restore; the zfs diff parser on real-format bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jailtui.core.errors import ParseError
from jailtui.core.storage.changes import flags_of, parse_diff, unescape
from jailtui.sim.commands import dispatch


def cli(sim_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), *args],
                          capture_output=True, text=True, timeout=180,
                          env={**os.environ, "COLUMNS": "200"})


def test_parse_diff_real_format() -> None:
    data = (b"M\t/\t/usr/local/jails/web.q/etc\n"
            b"+\tF\t/usr/local/jails/web.q/etc/a\\0040b\n"
            b"R\tF\t/usr/local/jails/web.q/etc/passwd\t/usr/local/jails/web.q/etc/p2\n"
            b"-\t@\t/usr/local/jails/web.q/lib/link\n")
    changes = parse_diff(data)
    assert [(c.kind, c.ftype) for c in changes] == [("M", "/"), ("+", "F"), ("R", "F"),
                                                    ("-", "@")]
    assert changes[1].path == "/usr/local/jails/web.q/etc/a b"
    assert changes[2].new_path == "/usr/local/jails/web.q/etc/p2"
    assert unescape("\\0134x\\0012") == "\\x\n"


@pytest.mark.parametrize("data,detail", [
    (b"M\t/\t/x", "cut short"),
    (b"M\t/x\n", "not a zfs diff -FH line"),
    (b"R\tF\t/a\n", "not a zfs diff -FH line"),
    (b"Q\tF\t/a\n", "not a zfs diff -FH line"),
    (b"+\tFF\t/a\n", "bad file type or path"),
])
def test_parse_diff_malformed(data: bytes, detail: str) -> None:
    with pytest.raises(ParseError, match=detail):
        parse_diff(data)


def test_flags() -> None:
    from jailtui.core.storage.changes import Change

    assert flags_of(Change("+", "F", "", rel="/usr/local/etc/rc.d/x", mode=0o100755)) == (
        "new in /usr/local/etc", "rc.d script")
    assert flags_of(Change("M", "F", "", rel="/bin/sh", mode=0o104555)) == ("setuid",)
    assert flags_of(Change("-", "F", "", rel="/etc/x", mode=None)) == ()
    assert flags_of(Change("M", "F", "", rel="/etc/crontab", mode=0o100644)) == ("crontab",)


def test_compromise_restore_then_diff_finds_what_was_planted(sim_dir: Path) -> None:
    assert cli(sim_dir, "snapshot", "create", "db", "known-good").returncode == 0
    r = cli(sim_dir, "sim", "compromise", "db")
    assert r.returncode == 0, r.stderr
    assert "planted /usr/local/jails/db/usr/local/bin/.sysupd" in r.stdout
    assert cli(sim_dir, "restore", "db", "--from", "known-good").returncode == 0
    rc, out, _ = dispatch(sim_dir, ["zfs", "list", "-H", "-o", "name", "-d", "1",
                                    "zroot/jails"])
    quarantine = next(n for n in out.decode().split() if ".quarantine-" in n)
    r = cli(sim_dir, "diff", "db", quarantine.rsplit("/", 1)[1], "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["snapshot"] == f"{quarantine}@known-good"
    flagged = {c["path"]: (c["change"], c["mode"], c["flags"]) for c in doc["flagged"]}
    assert flagged == {
        "/root/.ssh/authorized_keys": ("added", "0600", ["new in /root"]),
        "/usr/local/bin/.sysupd": ("added", "4755", ["setuid"]),
        "/var/cron/tabs/root": ("added", "0600", ["crontab"]),
    }
    assert {"change": "modified", "path": "/etc/rc.conf"}.items() <= next(
        c for c in doc["changes"] if c["path"] == "/etc/rc.conf").items()
    text = cli(sim_dir, "diff", "db", quarantine).stdout.splitlines()
    assert text[1].strip().startswith("6 added, 0 removed, 4 modified, 0 renamed; 3 flagged")
    assert text[2] == "flagged:" and "[setuid]" in text[4]
    # The restored root has none of it.
    assert not (sim_dir / "root/usr/local/jails/db/usr/local/bin/.sysupd").exists()


def test_diff_refuses_another_datasets_copy(sim_dir: Path) -> None:
    r = cli(sim_dir, "diff", "db", "zroot/jails/web")
    assert r.returncode == 1
    assert "zroot/jails/web is not a quarantined copy of db" in r.stderr


def test_compromise_needs_a_running_writable_jail(sim_dir: Path) -> None:
    r = cli(sim_dir, "sim", "compromise", "staging")
    assert r.returncode == 1 and "is not running" in r.stderr
    dispatch(sim_dir, ["jail", "-r", "web"])
    dispatch(sim_dir, ["zfs", "set", "readonly=on", "zroot/jails/web"])
    dispatch(sim_dir, ["service", "jail", "start", "web"])
    r = cli(sim_dir, "sim", "compromise", "web")
    assert r.returncode == 1 and "Read-only file system (zroot/jails/web)" in r.stderr


def test_a_ufs_root_kept_aside_is_walked(sim_dir: Path, shim_path: str) -> None:
    """staging (UFS): its compromised root kept aside by hand beside it is compared with
    the root in place, by a walk of both (size, mtime, mode, flags, hash), through --sim
    and --host local over the shims; a link out of the root is an entry, never followed."""
    import shutil

    good = sim_dir / "root/usr/local/jails/staging"
    q = sim_dir / "root/usr/local/jails/staging.quarantine-20261202T000000Z"
    shutil.copytree(good, q, symlinks=True)
    (q / "usr/local/bin").mkdir(parents=True, exist_ok=True)
    (q / "usr/local/bin/.sysupd").write_bytes(b"\x7fELF")
    os.chmod(q / "usr/local/bin/.sysupd", 0o4755)
    rc = q / "etc/rc.conf"
    before = os.stat(rc)
    data = rc.read_bytes()
    rc.write_bytes(data[:-2] + b"X\n" if len(data) > 2 else b"X\n")  # same size
    os.utime(rc, ns=(before.st_atime_ns, before.st_mtime_ns))  # and mtime set back
    os.symlink("/etc/master.passwd", q / "root/.hist")
    gone = sorted(p for p in (q / "etc").iterdir() if p.is_file() and p.name != "rc.conf")[0]
    gone.unlink()
    qpath = "/usr/local/jails/staging.quarantine-20261202T000000Z"
    env = {**os.environ, "COLUMNS": "200"}
    runs = [subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "diff",
                            "staging", qpath, "--json"], capture_output=True, text=True,
                           timeout=180, env=env),
            subprocess.run([sys.executable, "-m", "jailtui", "--host", "local", "--root",
                            str(sim_dir / "root"), "diff", "staging", qpath, "--json"],
                           capture_output=True, text=True, timeout=180,
                           env={**env, "PATH": shim_path})]
    for r in runs:
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["quarantine"] == qpath and doc["snapshot"] == "/usr/local/jails/staging"
        got = {(c["change"], c["type"], c["path"]) for c in doc["changes"]}
        assert ("added", "F", "/usr/local/bin/.sysupd") in got
        assert ("modified", "F", "/etc/rc.conf") in got  # the hash saw it
        assert ("added", "@", "/root/.hist") in got
        assert ("removed", "F", "/etc/" + gone.name) in got
        flagged = {c["path"]: c["flags"] for c in doc["flagged"]}
        assert flagged["/usr/local/bin/.sysupd"] == ["setuid"]
    r = subprocess.run([sys.executable, "-m", "jailtui", "--sim", str(sim_dir), "diff",
                        "staging", "/usr/local/jails/web"], capture_output=True, text=True,
                       timeout=180, env=env)
    assert r.returncode == 1 and "is not a quarantined copy of staging's root" in r.stderr
