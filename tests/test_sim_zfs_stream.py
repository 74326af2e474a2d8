"""The simulated host's ``zfs send`` / ``zfs receive`` and ``zfs create``, through the shims.

What is checked is OpenZFS's behaviour (docs/freebsd.md 12.7): a replication
stream carries the descendants and their snapshots, an incremental one needs
the target's most recent snapshot to be its source, the refusals' messages, a
stream cut short or foreign refused, and the received files are the sent ones.
Send and receive run as two processes with the bytes copied between them by
the test, never through a shell pipe.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from jailtui.sim import zfs_model as zm


def run(shim_path: str, *argv: str, data: bytes | None = None
        ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(argv), input=data, capture_output=True, timeout=60,
                          env={**os.environ, "PATH": shim_path},
                          stdin=None if data is not None else subprocess.DEVNULL)


def ok(shim_path: str, *argv: str, data: bytes | None = None) -> bytes:
    r = run(shim_path, *argv, data=data)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def names(shim_path: str, dataset: str) -> list[str]:
    return ok(shim_path, "zfs", "list", "-H", "-o", "name", "-t", "all", "-r",
              dataset).decode().split()


def make_container(shim_path: str) -> None:
    ok(shim_path, "zfs", "create", "-o", "mountpoint=none", "zroot/jailtui-backups")


def test_create_refusals(sim_dir: Path, shim_path: str) -> None:
    make_container(shim_path)
    r = run(shim_path, "zfs", "create", "zroot/jailtui-backups")
    assert r.returncode == 1
    assert r.stderr == b"cannot create 'zroot/jailtui-backups': dataset already exists\n"
    r = run(shim_path, "zfs", "create", "zroot/no/such")
    assert r.stderr == b"cannot create 'zroot/no/such': parent does not exist\n"
    ok(shim_path, "zfs", "create", "-p", "zroot/no/such")
    assert "zroot/no" in names(shim_path, "zroot/no")
    got = ok(shim_path, "zfs", "get", "-H", "-o", "value", "mounted,mountpoint",
             "zroot/jailtui-backups").decode().split()
    assert got == ["no", "none"]


def test_replication_stream_full_then_incremental(sim_dir: Path, shim_path: str) -> None:
    make_container(shim_path)
    ok(shim_path, "zfs", "snapshot", "-r", "zroot/jails/db@one")
    stream = ok(shim_path, "zfs", "send", "-R", "zroot/jails/db@one")
    assert stream.startswith(b"JAILTUI-SIMULATED-ZFS-STREAM 1\n")
    ok(shim_path, "zfs", "receive", "-u", "-x", "mountpoint", "zroot/jailtui-backups/db",
       data=stream)
    assert names(shim_path, "zroot/jailtui-backups/db") == [
        "zroot/jailtui-backups/db", "zroot/jailtui-backups/db@one",
        "zroot/jailtui-backups/db/var", "zroot/jailtui-backups/db/var@one"]
    # Received unmounted, the mountpoint inherited from the container (none).
    assert ok(shim_path, "zfs", "get", "-H", "-o", "value", "mounted",
              "zroot/jailtui-backups/db").decode() == "no\n"
    # Same guid on both sides; the files are the sent ones (a clone of the backup).
    rc = root_of(sim_dir, "/usr/local/jails/db/etc/rc.conf")
    good = rc.read_bytes()
    rc.write_bytes(good + b"evil_enable=YES\n")
    ok(shim_path, "zfs", "snapshot", "-r", "zroot/jails/db@two")
    ok(shim_path, "zfs", "snapshot", "-r", "zroot/jails/db@three")
    inc = ok(shim_path, "zfs", "send", "-R", "-I", "@one", "zroot/jails/db@three")
    ok(shim_path, "zfs", "recv", "-u", "zroot/jailtui-backups/db", data=inc)
    snaps = [n for n in names(shim_path, "zroot/jailtui-backups/db") if "@" in n]
    assert [s for s in snaps if "/var" not in s] == [
        "zroot/jailtui-backups/db@one", "zroot/jailtui-backups/db@two",
        "zroot/jailtui-backups/db@three"]
    with zm.PoolStore(sim_dir).read() as pool:
        a, b = pool.snapshot("zroot/jails/db@two"), pool.snapshot("zroot/jailtui-backups/db@two")
        assert a is not None and b is not None and a.guid == b.guid
    ok(shim_path, "zfs", "clone", "zroot/jailtui-backups/db@one", "zroot/jails/dbcopy")
    assert root_of(sim_dir, "/usr/local/jails/dbcopy/etc/rc.conf").read_bytes() == good
    # The same incremental again: the target's newest is no longer its source.
    r = run(shim_path, "zfs", "recv", "-u", "zroot/jailtui-backups/db", data=inc)
    assert r.returncode == 1
    assert r.stderr == (b"cannot receive incremental stream: most recent snapshot of "
                        b"zroot/jailtui-backups/db does not\nmatch incremental source\n")


def root_of(sim_dir: Path, path: str) -> Path:
    return sim_dir / "root" / path.lstrip("/")


def test_receive_refusals(sim_dir: Path, shim_path: str) -> None:
    make_container(shim_path)
    ok(shim_path, "zfs", "snapshot", "-r", "zroot/jails/web@a")
    full = ok(shim_path, "zfs", "send", "-R", "zroot/jails/web@a")
    ok(shim_path, "zfs", "recv", "-u", "zroot/jailtui-backups/web", data=full)
    r = run(shim_path, "zfs", "recv", "-u", "zroot/jailtui-backups/web", data=full)
    assert r.stderr == (b"cannot receive new filesystem stream: destination "
                        b"'zroot/jailtui-backups/web' exists\nmust specify -F to overwrite it\n")
    r = run(shim_path, "zfs", "recv", "-F", "zroot/jailtui-backups/web", data=full)
    assert r.stderr == (b"cannot receive new filesystem stream: destination has snapshots "
                        b"(eg. zroot/jailtui-backups/web@a)\nmust destroy them to overwrite it\n")
    r = run(shim_path, "zfs", "recv", "zroot/nope/web", data=full)
    assert r.stderr == b"cannot receive new filesystem stream: dataset does not exist\n"
    r = run(shim_path, "zfs", "recv", "zroot/jailtui-backups/x", data=b"\x00\x00bac\n")
    assert r.stderr == b"cannot receive: invalid stream (bad magic number)\n"
    r = run(shim_path, "zfs", "recv", "zroot/jailtui-backups/x", data=b"")
    assert r.stderr == b"cannot receive: failed to read from stream\n"
    # Cut short: nothing of the snapshot being read stays.
    r = run(shim_path, "zfs", "recv", "zroot/jailtui-backups/x", data=full[:len(full) // 2])
    assert r.returncode == 1
    assert r.stderr == (b"cannot receive new filesystem stream: checksum mismatch or "
                        b"incomplete stream\n")
    assert "zroot/jailtui-backups/x" not in names(shim_path, "zroot/jailtui-backups")
    # A flipped byte inside a snapshot's records fails its checksum.
    bad = bytearray(full)
    at = bad.index(b"rc.conf")
    bad[at] ^= 0x20
    r = run(shim_path, "zfs", "recv", "zroot/jailtui-backups/y", data=bytes(bad))
    assert b"checksum mismatch or incomplete stream" in r.stderr
    # Incremental into nothing.
    ok(shim_path, "zfs", "snapshot", "zroot/jails/web@b")
    inc = ok(shim_path, "zfs", "send", "-i", "@a", "zroot/jails/web@b")
    r = run(shim_path, "zfs", "recv", "zroot/jailtui-backups/z", data=inc)
    assert r.stderr == (b"cannot receive incremental stream: destination "
                        b"'zroot/jailtui-backups/z' does not exist\n")
    r = run(shim_path, "zfs", "recv", "-q", "zroot/jailtui-backups/z", data=inc)
    assert r.returncode == 2 and r.stderr.startswith(b"invalid option 'q'\nusage:\n")


def test_full_pool_refuses_and_keeps_nothing(sim_dir: Path, shim_path: str) -> None:
    make_container(shim_path)
    ok(shim_path, "zfs", "snapshot", "-r", "zroot/jails/web@a")
    full = ok(shim_path, "zfs", "send", "-R", "zroot/jails/web@a")
    store = zm.PoolStore(sim_dir)
    with store.write() as pool:
        sp = zm.space(store, pool)
        pool.size = sum(sp.used[d.name] for d in pool.datasets if "/" not in d.name) + 4096
    r = run(shim_path, "zfs", "recv", "-u", "zroot/jailtui-backups/web", data=full)
    assert r.returncode == 1
    assert r.stderr == b"cannot receive new filesystem stream: out of space\n"
    assert names(shim_path, "zroot/jailtui-backups") == ["zroot/jailtui-backups"]


def test_send_refusals(sim_dir: Path, shim_path: str) -> None:
    ok(shim_path, "zfs", "snapshot", "-r", "zroot/jails/web@a")
    ok(shim_path, "zfs", "snapshot", "-r", "zroot/jails/web@b")
    r = run(shim_path, "zfs", "send", "zroot/jails/web@zz")
    assert r.returncode == 1
    assert r.stderr == b"cannot open 'zroot/jails/web@zz': dataset does not exist\n"
    r = run(shim_path, "zfs", "send", "-i", "@b", "zroot/jails/web@a")
    assert r.stderr == (b"cannot send 'zroot/jails/web@a': not an earlier snapshot from "
                        b"the same fs\n")
    r = run(shim_path, "zfs", "send", "-i", "zroot/jails/db@a", "zroot/jails/web@b")
    assert r.returncode == 2
    assert r.stderr.startswith(b"incremental source must be in same filesystem\nusage:\n")
    r = run(shim_path, "zfs", "send", "zroot/jails/web")
    assert r.returncode == 2 and r.stderr.startswith(b"argument must be a snapshot\n")
    r = run(shim_path, "zfs", "send")
    assert r.returncode == 2 and r.stderr.startswith(b"missing snapshot argument\n")


def test_send_refuses_a_terminal(sim_dir: Path, shim_path: str) -> None:
    import pty

    ok(shim_path, "zfs", "snapshot", "zroot/jails/web@a")
    leader, follower = pty.openpty()
    try:
        r = subprocess.run(["zfs", "send", "zroot/jails/web@a"], stdout=follower,
                           stderr=subprocess.PIPE, timeout=60,
                           env={**os.environ, "PATH": shim_path})
    finally:
        os.close(follower)
        os.close(leader)
    assert r.returncode == 1
    assert r.stderr == (b"Error: Stream can not be written to a terminal.\n"
                        b"You must redirect standard output.\n")
