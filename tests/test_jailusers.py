"""core/hosts/jailusers.py: a jail's passwd is read again only when its identity
changed (issue 18), and the stat that tells is as safe as the read
(core/transport/jailfs.py identity_under_root; docs/security.md 2.4)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from jailtui.core.hosts.jailusers import PASSWD, JailUsers
from jailtui.core.model import Jail, JailState, Process
from jailtui.core.transport import jailfs


def proc(pid: int, jid: int, user: str) -> Process:
    return Process(pid, 1, jid, f"j{jid}", user, "SJ", 0.0, 0.0, 100, 50, "01:02", 62,
                   "Mon Jun  2 08:00:01 2025", "sh")


class Counting:
    """The host's two callables over real files, counting the reads."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    async def read(self, root: str, rels: Sequence[str]) -> list[jailfs.FileRead]:
        self.reads.append(root)
        return [await jailfs.aread_under_root(root, rel) for rel in rels]

    async def identities(self, roots: Sequence[str], rel: str
                         ) -> list[jailfs.Identity | None] | None:
        return await jailfs.aidentities_under_root(roots, rel)


def jail_root(tmp: Path, name: str, passwd: str) -> Path:
    root = tmp / name
    (root / "etc").mkdir(parents=True)
    (root / PASSWD).write_text(passwd)
    return root


def line(name: str, uid: int) -> str:
    return f"{name}:*:{uid}:{uid}:User &:/home/{name}:/bin/sh\n"


async def test_an_unchanged_passwd_is_not_read_again(tmp_path: Path) -> None:
    a = jail_root(tmp_path, "a", line("git", 1001))
    b = jail_root(tmp_path, "b", line("www", 1002))
    jails = [Jail("a", 1, JailState.RUNNING, path=str(a)),
             Jail("b", 2, JailState.RUNNING, path=str(b))]
    procs = [proc(10, 1, "1001"), proc(11, 2, "1002"), proc(12, 0, "1001"),
             proc(13, 2, "1003")]
    io = Counting()
    users = JailUsers(io.read, identities=io.identities)
    first = await users.name_users(procs, jails)
    assert [p.user for p in first] == ["git", "www", "1001", "1003"]
    assert sorted(io.reads) == [str(a), str(b)]
    again = await users.name_users(procs, jails)
    assert again == first
    assert len(io.reads) == 2  # nothing read: both identities held

    # A change of a's passwd (same size, so only the times tell) is read.
    st = (a / PASSWD).stat()
    (a / PASSWD).write_text(line("hg_", 1001))
    os.utime(a / PASSWD, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    third = await users.name_users(procs, jails)
    assert [p.user for p in third] == ["hg_", "www", "1001", "1003"]
    assert io.reads[2:] == [str(a)]

    # Replaced by another file (a new inode): read again.
    (b / "etc/passwd.new").write_text(line("ftp", 1002))
    os.replace(b / "etc/passwd.new", b / PASSWD)
    fourth = await users.name_users(procs, jails)
    assert [p.user for p in fourth] == ["hg_", "ftp", "1001", "1003"]
    assert io.reads[3:] == [str(b)]


async def test_a_fifo_swapped_in_is_read_and_refused(tmp_path: Path) -> None:
    """A passwd that stops being a regular file has no identity: the read
    decides (a FIFO is refused without blocking) and the uids stay numbers."""
    a = jail_root(tmp_path, "a", line("git", 1001))
    jails = [Jail("a", 1, JailState.RUNNING, path=str(a))]
    io = Counting()
    users = JailUsers(io.read, identities=io.identities)
    assert [p.user for p in await users.name_users([proc(10, 1, "1001")], jails)] == ["git"]
    (a / PASSWD).unlink()
    os.mkfifo(a / PASSWD)
    got = await users.name_users([proc(10, 1, "1001")], jails)
    assert [p.user for p in got] == ["1001"] and len(io.reads) == 2


async def test_without_identities_every_poll_reads(tmp_path: Path) -> None:
    """A host that cannot stat (remote: its identities are None) reads as before;
    the read's own identity still spares the parse."""
    a = jail_root(tmp_path, "a", line("git", 1001))
    jails = [Jail("a", 1, JailState.RUNNING, path=str(a))]
    io = Counting()

    async def remote(roots: Sequence[str], rel: str) -> list[jailfs.Identity | None] | None:
        return None

    users = JailUsers(io.read, identities=remote)
    for _ in range(2):
        got = await users.name_users([proc(10, 1, "1001")], jails)
        assert [p.user for p in got] == ["git"]
    assert len(io.reads) == 2


def test_identity_is_resolved_as_the_read_resolves(tmp_path: Path) -> None:
    """identity_under_root opens what read_under_root reads: a link to
    /etc/passwd is the jail's own passwd, a FIFO, a directory or a link out of
    the root has none, and a change of content, mode or file changes it."""
    root = jail_root(tmp_path, "jail", line("git", 1001))
    outside = tmp_path / "host-passwd"
    outside.write_text(line("root", 0))
    (root / "etc/link").symlink_to("/etc/passwd")
    (root / "etc/out").symlink_to(f"../../../../../../../..{outside}")
    os.mkfifo(root / "etc/fifo")
    ident = jailfs.identity_under_root(str(root), PASSWD)
    got = jailfs.read_under_root(str(root), PASSWD)
    assert ident is not None and ident == got.identity
    assert jailfs.identity_under_root(str(root), "etc/link") == ident
    assert jailfs.identity_under_root(str(root), "etc/out") is None
    assert jailfs.read_under_root(str(root), "etc/out").missing is False  # not the host's
    assert jailfs.identity_under_root(str(root), "etc/fifo") is None
    assert jailfs.identity_under_root(str(root), "etc") is None
    assert jailfs.identity_under_root(str(root), "etc/nope") is None
    assert jailfs.identity_under_root(str(tmp_path / "nope"), PASSWD) is None
    os.chmod(root / PASSWD, 0o600)  # ctime moves, nothing else
    assert jailfs.identity_under_root(str(root), PASSWD) != ident
