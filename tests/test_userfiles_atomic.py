"""core/userfiles.write_atomic: one step, no temporary left behind (issue 16 trimmed
its syscalls: the temporary is unlinked only when it was not renamed)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jailtui.core.userfiles import write_atomic


def test_replaces_in_one_step_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state" / "db.json"
    write_atomic(target, b"one\n", own_dir=True)
    write_atomic(target, b"two\n", own_dir=True)
    assert target.read_bytes() == b"two\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert os.listdir(target.parent) == ["db.json"]


def test_refused_overwrite_loses_nothing_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "db.json"
    write_atomic(target, b"first\n", mode=0o644)
    with pytest.raises(FileExistsError):
        write_atomic(target, b"second\n", overwrite=False)
    assert target.read_bytes() == b"first\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["db.json"]


def test_failed_rename_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "db.json"
    target.mkdir()                      # os.replace onto a directory fails
    with pytest.raises(OSError):
        write_atomic(target, b"x\n")
    assert os.listdir(tmp_path) == ["db.json"]
    assert target.is_dir()


def test_durable_syncs_the_file_before_the_rename_and_the_directory_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A restore's journal must survive a power loss: the data is synced before the
    rename makes it the journal, the directory entry after."""
    target = tmp_path / "db.json"
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomic(target, b"journal\n", durable=True)
    assert events == ["fsync file", "rename", "fsync dir"]
    events.clear()
    write_atomic(target, b"cache\n")
    assert events == ["rename"]
    assert target.read_bytes() == b"cache\n"
