"""The simulated host's bsdtar(1), through the shim on PATH: a pax archive of a jail
root with its file flags (SCHILY.fflags), --one-file-system stopping at a mount
below the root, ``@-`` copying an archive from stdin, extraction refusing ``..``,
and bsdtar's messages (docs/freebsd.md 12.8)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

from jailtui.sim.commands import dispatch


def run(shim_path: str, *argv: str, data: bytes | None = None
        ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(argv), input=data, capture_output=True, timeout=60,
                          env={**os.environ, "PATH": shim_path},
                          stdin=None if data is not None else subprocess.DEVNULL)


def flags(sim_dir: Path) -> dict[str, list[str]]:
    got: dict[str, list[str]] = json.loads((sim_dir / "state.json").read_text())["flags"]
    return got


def test_create_keeps_flags_and_stays_on_one_file_system(sim_dir: Path, shim_path: str) -> None:
    # A nullfs mount under staging's root: not crossed.
    assert dispatch(sim_dir, ["mount", "-t", "nullfs", "/home/admin",
                              "/usr/local/jails/staging/tmp"])[0] == 0
    (sim_dir / "root/home/admin/secret").write_text("host file\n")
    r = run(shim_path, "bsdtar", "-c", "--one-file-system", "--numeric-owner", "-f", "-",
            "-C", "/usr/local/jails/staging", ".")
    assert r.returncode == 0, r.stderr
    with tarfile.open(fileobj=io.BytesIO(r.stdout)) as tar:
        members = {m.name: m for m in tar}
    assert "./etc/rc.conf" in members and "./tmp" in members
    assert "./tmp/secret" not in members
    assert members["./bin"].pax_headers["SCHILY.fflags"] == "schg"
    assert members["./var/log/messages"].pax_headers["SCHILY.fflags"] == "sappnd"
    # @-: the same entries written to an archive on the host.
    w = run(shim_path, "bsdtar", "-c", "-f", "/var/backups/s.tar", "@-", data=r.stdout)
    assert w.returncode == 0, w.stderr
    with tarfile.open(sim_dir / "root/var/backups/s.tar") as tar:
        assert sorted(m.name for m in tar) == sorted(members)
    # Back out into a new directory, flags restored with --fflags.
    (sim_dir / "root/var/restore").mkdir()
    x = run(shim_path, "bsdtar", "-x", "--fflags", "-p", "-f", "/var/backups/s.tar", "-C",
            "/var/restore")
    assert x.returncode == 0, x.stderr
    assert (sim_dir / "root/var/restore/etc/rc.conf").read_bytes() == (
        sim_dir / "root/usr/local/jails/staging/etc/rc.conf").read_bytes()
    assert flags(sim_dir)["/var/restore/bin"] == ["schg"]


def test_messages(sim_dir: Path, shim_path: str) -> None:
    r = run(shim_path, "bsdtar", "-f", "x.tar")
    assert r.returncode == 1 and r.stderr == b"bsdtar: Must specify one of -c, -r, -t, -u, -x\n"
    r = run(shim_path, "bsdtar", "-c", "-f", "/nonexistent/dir/x.tar", "-C", "/etc", ".")
    assert r.returncode == 1 and r.stderr == b"bsdtar: Failed to open '/nonexistent/dir/x.tar'\n"
    r = run(shim_path, "bsdtar", "-c", "-f", "-", "-C", "/nope", ".")
    assert r.stderr == b"bsdtar: could not chdir to '/nope'\n"
    r = run(shim_path, "bsdtar", "-c", "-f", "-", "-C", "/etc", "passwd", "missing")
    assert r.returncode == 1
    assert r.stderr == (b"bsdtar: missing: Cannot stat: No such file or directory\n"
                        b"bsdtar: Error exit delayed from previous errors.\n")
    r = run(shim_path, "bsdtar", "-x", "-f", "-", "-C", "/tmp", data=b"not a tar")
    assert r.returncode == 1
    assert r.stderr == b"bsdtar: Error opening archive: Unrecognized archive format\n"
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("../../etc/evil")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    r = run(shim_path, "bsdtar", "-x", "-f", "-", "-C", "/tmp", data=evil.getvalue())
    assert r.returncode == 1 and b"../../etc/evil: Path contains '..'" in r.stderr
    assert not (sim_dir / "root/etc/evil").exists() and not (sim_dir / "etc/evil").exists()
