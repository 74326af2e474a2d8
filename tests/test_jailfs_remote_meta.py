"""The remote walk of a jail root (jailfs.astat_remote; the posture over SSH).

The script runs with this machine's sh, test(1) and find(1), as it runs on a
remote host, through LocalRunner: the same rules as lstat_under_root and
list_files_under_root (docs/security.md 8): no symlinked component followed,
the last component described itself, a root that cannot be entered said once.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jailtui.core.transport import jailfs
from jailtui.core.transport.runner import LocalRunner


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "jail"
    (r / "bin").mkdir(parents=True)
    (r / "var/log").mkdir(parents=True)
    (r / "var/log/messages").write_text("x")
    (r / "var/log/auth\nlog").write_text("x")  # a name with a newline
    (r / "var/log/fifo").mkdir()  # a directory: not a regular file, left out
    os.symlink("/etc/passwd", r / "var/log/evil")  # a symlink: left out
    os.symlink("/", r / "usr")  # followed, usr/bin would be the host's
    os.symlink("/nonexistent", r / "dangling")
    return r


async def walk(root: Path, *rels: tuple[str, bool]) -> list[jailfs.RemoteStat]:
    return await jailfs.astat_remote(LocalRunner(), str(root), list(rels), shown_root="/j")


async def test_present_missing_and_symlinks(root: Path) -> None:
    bin_, usr_bin, missing, dangling, dots = await walk(
        root, ("bin", False), ("usr/bin", False), ("sbin", False), ("dangling", False),
        ("bin/../../etc", False))
    assert bin_.present and bin_.path == "/j/bin"
    assert not usr_bin.present and "not followed" in usr_bin.reason
    assert missing.missing and not missing.present
    assert dangling.present  # described itself, like lstat: never followed
    assert not dots.present and "not a path inside" in dots.reason


async def test_listing_keeps_regular_files_only(root: Path) -> None:
    (logs,) = await walk(root, ("var/log", True))
    assert logs.entries == ("auth\nlog", "messages")
    (through_link,) = await walk(root, ("usr", True))
    assert not through_link.present and "not followed" in through_link.reason


async def test_unreadable_root_is_said(tmp_path: Path) -> None:
    (got,) = await walk(tmp_path / "gone", ("bin", False))
    assert got.root_unreadable and not got.present and "cannot enter" in got.reason
