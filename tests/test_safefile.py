"""Atomic save (security.md 5): refusals, conflicts, locks and faults."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from jailtui.core.config.safefile import (
    BusyError,
    ConflictError,
    SaveError,
    UnsafeTargetError,
    load,
    save,
)

OLD = b'# jails\nweb { path = "/j/web"; }\n'
NEW = b'# jails\nweb { path = "/j/web"; persist; }\n'


@pytest.fixture
def target(tmp_path: Path) -> Path:
    p = tmp_path / "jail.conf"
    p.write_bytes(OLD)
    return p


def leftovers(d: Path) -> list[str]:
    """Temp files of saves of jail.conf (safefile.temp_prefix) and check copies."""
    return sorted(n for n in os.listdir(d)
                  if n.startswith((".jail.conf.jailtui-", ".jailtui-check.")))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# ------------------------------------------------------------------ load

def test_load(target: Path) -> None:
    ld = load(str(target))
    assert ld.data == OLD and ld.text == OLD.decode()
    assert len(ld.sha256) == 64
    st = os.stat(target)
    assert (ld.sig.ino, ld.sig.size, ld.sig.mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)


def test_load_refuses_symlink(target: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.conf"
    link.symlink_to(target)
    with pytest.raises(UnsafeTargetError) as ei:
        load(str(link))
    assert str(ei.value) == f"{link}: is a symbolic link; refusing to edit it"


def test_load_refuses_non_regular_and_hard_links(tmp_path: Path, target: Path) -> None:
    with pytest.raises(UnsafeTargetError, match="not a regular file"):
        load(str(tmp_path))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeTargetError, match="not a regular file"):
        load(str(fifo))
    os.link(target, tmp_path / "other")
    with pytest.raises(UnsafeTargetError, match="2 hard links"):
        load(str(target))


def test_load_missing(tmp_path: Path) -> None:
    with pytest.raises(SaveError) as ei:
        load(str(tmp_path / "nope"))
    assert str(ei.value) == f"{tmp_path / 'nope'}: No such file or directory"


# ------------------------------------------------------------------ save

def test_save_replaces_and_keeps_owner_and_mode(target: Path, tmp_path: Path) -> None:
    os.chown(target, 1234, 5678)
    os.chmod(target, 0o640)
    ino = os.stat(target).st_ino
    ld = load(str(target))
    seen: list[tuple[str, int, int, int, bytes]] = []

    def validate(tmp: str) -> None:
        st = os.stat(tmp)
        seen.append((os.path.dirname(tmp), st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode),
                     Path(tmp).read_bytes()))

    saved = save(ld, NEW, validate=validate, backup_dir=str(tmp_path / "bak"))
    assert target.read_bytes() == NEW
    st = os.stat(target)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 5678, 0o640)
    assert st.st_ino != ino and st.st_nlink == 1
    assert seen == [(str(tmp_path), 1234, 5678, 0o640, NEW)]
    assert saved.backup is not None and Path(saved.backup).read_bytes() == OLD
    assert os.stat(saved.backup).st_ino == ino          # a hard link to the old inode
    assert stat.S_IMODE(os.stat(tmp_path / "bak").st_mode) == 0o700
    assert leftovers(tmp_path) == []
    # The saved file can be loaded and saved again (the backup link is gone
    # from the target's name, so it is not hard-linked).
    save(load(str(target)), OLD)
    assert target.read_bytes() == OLD


def test_backups_are_pruned(target: Path, tmp_path: Path) -> None:
    bak = tmp_path / "bak"
    for i in range(5):
        save(load(str(target)), OLD + str(i).encode(), backup_dir=str(bak), keep=3)
    names = sorted(os.listdir(bak))
    assert len(names) == 3 and all(n.startswith("jail.conf.") for n in names)
    assert Path(bak / names[-1]).read_bytes() == OLD + b"3"


def test_backup_copied_across_file_systems(target: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(*a: object, **k: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    monkeypatch.setattr(os, "link", no_link)
    saved = save(load(str(target)), NEW, backup_dir=str(tmp_path / "bak"))
    assert saved.backup is not None and Path(saved.backup).read_bytes() == OLD
    assert stat.S_IMODE(os.stat(saved.backup).st_mode) == 0o600


def test_fsyncs_file_and_directory(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kinds: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        kinds.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)
    monkeypatch.setattr(os, "fsync", spy)
    save(load(str(target)), NEW)
    assert "file" in kinds and kinds[-1] == "dir"


def test_validate_failure_aborts(target: Path, tmp_path: Path) -> None:
    class Invalid(Exception):
        pass

    def validate(tmp: str) -> None:
        raise Invalid("jail: line 1: }: syntax error")
    with pytest.raises(Invalid):
        save(load(str(target)), NEW, validate=validate, backup_dir=str(tmp_path / "bak"))
    assert target.read_bytes() == OLD and leftovers(tmp_path) == []
    assert not (tmp_path / "bak").exists() or os.listdir(tmp_path / "bak") == []


# ------------------------------------------------------------------ races

def test_concurrent_edit_is_a_conflict(target: Path, tmp_path: Path) -> None:
    ld = load(str(target))
    theirs = OLD + b"db { }\n"
    target.write_bytes(theirs)                  # someone else saved meanwhile
    with pytest.raises(ConflictError) as ei:
        save(ld, NEW)
    e = ei.value
    assert e.current == theirs and e.path == str(target)
    assert str(e) == f"{target}: was modified since it was loaded; nothing was saved"
    assert target.read_bytes() == theirs and leftovers(tmp_path) == []


def test_same_size_same_second_edit_is_a_conflict(target: Path) -> None:
    ld = load(str(target))
    st = os.stat(target)
    target.write_bytes(OLD.replace(b"web", b"www"))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))   # mtime and size unchanged
    with pytest.raises(ConflictError):
        save(ld, NEW)


def test_replaced_by_rename_is_a_conflict(target: Path, tmp_path: Path) -> None:
    ld = load(str(target))
    other = tmp_path / "x"
    other.write_bytes(OLD)                      # same bytes, another inode
    os.replace(other, target)
    with pytest.raises(ConflictError):
        save(ld, NEW)


def test_removed_is_a_conflict(target: Path) -> None:
    ld = load(str(target))
    target.unlink()
    with pytest.raises(ConflictError) as ei:
        save(ld, NEW)
    assert ei.value.current == b"" and not target.exists()


def test_held_lock_is_busy(target: Path, tmp_path: Path) -> None:
    ld = load(str(target))
    lock = tmp_path / "held.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(BusyError) as ei:
            save(ld, NEW, lock_path=str(lock))
        assert str(ei.value) == f"{target}: busy: another save of this file is in progress"
        # The default lock file is next to the target.
        dfd = os.open(tmp_path / ".jail.conf.jailtui.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(dfd, fcntl.LOCK_EX)
        try:
            with pytest.raises(BusyError):
                save(ld, NEW)
        finally:
            os.close(dfd)
    finally:
        os.close(fd)
    assert target.read_bytes() == OLD
    save(ld, NEW, lock_path=str(lock))
    assert target.read_bytes() == NEW


def test_symlink_swapped_in_after_load_is_refused(target: Path, tmp_path: Path) -> None:
    ld = load(str(target))
    elsewhere = tmp_path / "passwd"
    elsewhere.write_bytes(b"root:*:0:0\n")
    target.unlink()
    target.symlink_to(elsewhere)
    with pytest.raises(UnsafeTargetError, match="symbolic link"):
        save(ld, NEW)
    assert elsewhere.read_bytes() == b"root:*:0:0\n" and target.is_symlink()


def test_symlinked_lock_file_is_refused(target: Path, tmp_path: Path) -> None:
    (tmp_path / "victim").write_bytes(b"x")
    (tmp_path / "evil.lock").symlink_to(tmp_path / "victim")
    with pytest.raises(UnsafeTargetError, match="lock file"):
        save(load(str(target)), NEW, lock_path=str(tmp_path / "evil.lock"))
    assert (tmp_path / "victim").read_bytes() == b"x"


# ------------------------------------------------------------------ faults

@pytest.mark.parametrize("fn", ["write", "fsync"])
def test_disk_full(target: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   fn: str) -> None:
    def full(*a: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    ld = load(str(target))
    monkeypatch.setattr(os, fn, full)
    fds = open_fds()
    with pytest.raises(SaveError) as ei:
        save(ld, NEW, backup_dir=str(tmp_path / "bak"))
    monkeypatch.undo()
    assert str(ei.value) == (f"no space left on the file system holding {target}; "
                             "free some space, then save again; nothing was changed")
    assert target.read_bytes() == OLD and leftovers(tmp_path) == []
    assert open_fds() == fds  # no descriptor leaked (issue 14 item 10)


@pytest.mark.parametrize(("code", "words"), [
    (errno.EROFS, "the file system holding {t} is read-only; remount it read-write"),
    (errno.EDQUOT, "disk quota exceeded on the file system holding {t}"),
    (errno.EACCES, "permission denied in the directory of {t}; save as root"),
    (errno.EINVAL, "{t}: cannot write: Invalid argument; nothing was changed"),
])
def test_write_failures_say_what_to_do(target: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, code: int,
                                      words: str) -> None:
    def fail(*a: object) -> int:
        raise OSError(code, os.strerror(code))
    ld = load(str(target))
    fds = open_fds()
    monkeypatch.setattr(os, "write", fail)
    with pytest.raises(SaveError) as ei:
        save(ld, NEW)
    monkeypatch.undo()
    assert str(ei.value).startswith(words.format(t=target)), ei.value
    assert str(ei.value).endswith("; nothing was changed")
    assert target.read_bytes() == OLD and leftovers(tmp_path) == [] and open_fds() == fds


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_unwritable_directory(target: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              code: int) -> None:
    # Tests run as root, for whom chmod 0555 does not bite: simulate.
    def denied(*a: object, **k: object) -> tuple[int, str]:
        raise OSError(code, os.strerror(code))
    ld = load(str(target))
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(SaveError) as ei:
        save(ld, NEW)
    words = ("permission denied in the directory of" if code == errno.EACCES
             else "the file system holding")
    assert str(ei.value).startswith(f"{words} {target}"), ei.value
    assert str(ei.value).endswith("; nothing was changed")
    assert target.read_bytes() == OLD


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_for_real(target: Path, tmp_path: Path) -> None:
    ld = load(str(target))
    os.chmod(tmp_path, 0o555)
    try:
        with pytest.raises(SaveError):
            save(ld, NEW, lock_path=str(tmp_path.parent / "x.lock"))
    finally:
        os.chmod(tmp_path, 0o755)
    assert target.read_bytes() == OLD


def test_read_only_directory_chmod_as_root(target: Path, tmp_path: Path) -> None:
    # As root the chmod does not stop the save; it must still be atomic
    # and keep the target's own mode.
    os.chmod(target, 0o444)
    ld = load(str(target))
    os.chmod(tmp_path, 0o555)
    try:
        save(ld, NEW)
    except SaveError:
        assert target.read_bytes() == OLD         # non-root: refused, unchanged
    else:
        assert target.read_bytes() == NEW
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o444
    finally:
        os.chmod(tmp_path, 0o755)


def test_immutable_target_rename_fails(target: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def eperm(*a: object, **k: object) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))
    ld = load(str(target))
    monkeypatch.setattr(os, "replace", eperm)
    with pytest.raises(SaveError) as ei:
        save(ld, NEW, backup_dir=str(tmp_path / "bak"))
    monkeypatch.undo()
    assert "schg/uchg" in str(ei.value) and str(ei.value).startswith(str(target))
    assert target.read_bytes() == OLD and leftovers(tmp_path) == []
    assert os.stat(target).st_nlink == 1               # backup link removed again
    assert os.listdir(tmp_path / "bak") == []


def test_chown_failure(target: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    os.chown(target, 4321, 4321)

    def eperm(*a: object) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))
    ld = load(str(target))
    monkeypatch.setattr(os, "fchown", eperm)
    with pytest.raises(SaveError, match="Operation not permitted"):
        save(ld, NEW)
    assert target.read_bytes() == OLD and leftovers(tmp_path) == []


KILL_SCRIPT = textwrap.dedent("""
    import os, sys, time
    from jailtui.core.config import safefile
    target, marker, when = sys.argv[1], sys.argv[2], int(sys.argv[3])
    loaded = safefile.load(target)
    real = os.fsync
    calls = [0]
    def hook(fd):
        calls[0] += 1
        if calls[0] == when:
            open(marker, "w").close()
            time.sleep(60)          # killed here
        real(fd)
    os.fsync = hook
    safefile.save(loaded, open(sys.argv[4], "rb").read(), backup_dir=sys.argv[5])
    open(marker, "w").write("done")
""")


@pytest.mark.parametrize("when", [1, 2, 3, 4])
def test_kill_during_save_leaves_a_whole_file(target: Path, tmp_path: Path, when: int) -> None:
    marker = tmp_path / "marker"
    new_file = tmp_path / "new.bin"
    new_file.write_bytes(NEW * 1000)
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(target), str(marker), str(when), str(new_file),
         str(tmp_path / "bak")],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists(), "the save never reached the fsync hook"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    content = target.read_bytes()
    assert content in (OLD, NEW * 1000)
    if when <= 2:
        assert content == OLD                # killed before the rename
    # The next save cleans up the stale temp file and works.
    save(load(str(target)), b"fresh\n")
    assert target.read_bytes() == b"fresh\n" and leftovers(tmp_path) == []


def test_stale_temp_cleanup_ignores_other_files(target: Path, tmp_path: Path) -> None:
    """Only our own names, plain files with one link, owned by us, older than
    the save; a check copy only once it is STALE_CHECK_AGE old."""
    from jailtui.core.config.safefile import STALE_CHECK_AGE

    old = time.time() - 60
    def planted(name: str, mtime: float = old) -> Path:
        p = tmp_path / name
        p.write_bytes(b"partial")
        os.utime(p, (mtime, mtime))
        return p
    stale = planted(".jail.conf.jailtui-deadbeef")
    stale_check = planted(".jailtui-check.abcdefgh.conf", time.time() - STALE_CHECK_AGE - 60)
    keep = [planted(".other.conf.jailtui-abcdefgh"),       # another file's
            planted(".jail.conf.deadbeef.tmp"),             # not our pattern
            planted(".jail.conf.jailtui-x"),                # too short for mkstemp's
            planted(".jailtui-check.recent00.conf"),        # a check that may be running
            planted(".jail.conf.jailtui-future00", time.time() + 3600)]  # newer than the save
    linked = planted(".jail.conf.jailtui-linked00")
    os.link(linked, tmp_path / "elsewhere")                 # a second link: not a temp of ours
    link = tmp_path / ".jail.conf.jailtui-symlink0"
    link.symlink_to(tmp_path / "elsewhere")
    save(load(str(target)), NEW)
    assert not stale.exists() and not stale_check.exists()
    assert all(p.exists() for p in keep) and linked.exists() and link.is_symlink()
    if os.geteuid() == 0:
        # Owned by someone else: left alone even by root.
        foreign = planted(".jail.conf.jailtui-foreign0")
        os.chown(foreign, 4321, 4321)
        save(load(str(target)), OLD)
        assert foreign.exists()
