"""The console's poll names the jails' numeric users while ps is parsed (issue 18):
``JailUsers.naming()`` into ``ps.parse_ps(text, namer)``, then ``JailUsers.settle``.
Over sequences of polls (users appearing, passwd files changing, jails vanishing,
a jid taken by another jail) the rows are the very ones the reference path gives
(``parse_ps`` then ``JailUsers.name_users``), with the same reads of the files, and
a poll where nothing changed makes no second Process (core/hosts/jailusers.py)."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from pathlib import Path

from jailtui.core.freebsd import jls, ps
from jailtui.core.hosts.jailusers import PASSWD, JailUsers
from jailtui.core.model import Jail, JailState, Process
from jailtui.core.transport import jailfs
from jailtui.sim.builder import init_host
from jailtui.sim.commands import dispatch


class Files:
    """The host's two callables over real files (jail paths under ``base``), counting reads."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.reads: list[str] = []

    def real(self, root: str) -> str:
        return str(self.base / root.lstrip("/"))

    async def read(self, root: str, rels: Sequence[str]) -> list[jailfs.FileRead]:
        self.reads.append(root)
        return [await jailfs.aread_under_root(self.real(root), rel) for rel in rels]

    async def identities(self, roots: Sequence[str], rel: str
                         ) -> list[jailfs.Identity | None] | None:
        return await jailfs.aidentities_under_root([self.real(r) for r in roots], rel)


class Both:
    """The reference and the named-in-the-parse path, each with its own cache."""

    def __init__(self, base: Path) -> None:
        self.ref_files, self.opt_files = Files(base), Files(base)
        self.ref = JailUsers(self.ref_files.read, identities=self.ref_files.identities)
        self.opt = JailUsers(self.opt_files.read, identities=self.opt_files.identities)
        self.parsed: tuple[Process, ...] = ()

    async def poll(self, ps_out: bytes, jails: Sequence[Jail]) -> tuple[Process, ...]:
        want = await self.ref.name_users(ps.parse_ps(ps_out), jails)
        naming = self.opt.naming()
        self.parsed = ps.parse_ps(ps_out, naming)
        got = await self.opt.settle(self.parsed, jails, naming)
        assert got == want
        assert [p.user for p in got] == [p.user for p in want]
        assert self.opt_files.reads == self.ref_files.reads  # the same files read, in order
        return got


def row(pid: int, jid: int, user: str) -> dict[str, str]:
    return {"pid": str(pid), "ppid": "1", "jail-id": str(jid),
            "jail-name": f"j{jid}" if jid else "-", "user": user, "state": "SJ" if jid else "S",
            "percent-cpu": "0.0", "percent-memory": "0.1", "virtual-size": "100", "rss": "50",
            "elapsed-time": "01:02", "start-time": "Mon Jun  2 08:00:01 2025",
            "command": "sh"}


def doc(rows: Sequence[dict[str, str]]) -> bytes:
    return json.dumps({"process-information": {"process": list(rows)}}).encode()


def line(name: str, uid: int) -> str:
    return f"{name}:*:{uid}:{uid}:User &:/home/{name}:/bin/sh\n"


def write_passwd(base: Path, root: str, text: str) -> None:
    path = base / root.lstrip("/") / PASSWD
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.stat() if path.exists() else None
    path.write_text(text)
    if old is not None:  # a change within the clock's tick still shows
        os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns + 1_000_000))


def running(name: str, jid: int, root: str) -> Jail:
    return Jail(name, jid, JailState.RUNNING, path=root)


async def test_a_sequence_of_polls(tmp_path: Path) -> None:
    write_passwd(tmp_path, "/j/a", line("git", 1001))
    write_passwd(tmp_path, "/j/b", line("www", 1002))
    write_passwd(tmp_path, "/j/c", line("pg", 1002) + line("redis", 1003))
    rows = [row(1, 0, "root"), row(2, 0, "1001"), row(10, 1, "1001"), row(11, 1, "root"),
            row(12, 1, "1001"), row(20, 2, "1002"), row(21, 2, "1003"), row(22, 2, "1002")]
    a, b = running("a", 1, "/j/a"), running("b", 2, "/j/b")
    both = Both(tmp_path)

    def users(got: Sequence[Process]) -> list[str]:
        return [p.user for p in got]

    # The first poll knows no map yet: the parse names nothing, settle names.
    got = await both.poll(doc(rows), [a, b])
    assert users(got) == ["root", "1001", "git", "root", "git", "www", "1003", "www"]
    # Nothing changed: the parse named every row and settle made no Process.
    got = await both.poll(doc(rows), [a, b])
    assert got is both.parsed
    assert users(got) == ["root", "1001", "git", "root", "git", "www", "1003", "www"]
    # A user appears in b's passwd and a's is edited (another name for 1001).
    write_passwd(tmp_path, "/j/b", line("www", 1002) + line("ftp", 1003))
    write_passwd(tmp_path, "/j/a", line("hg", 1001))
    got = await both.poll(doc(rows), [a, b])
    assert users(got) == ["root", "1001", "hg", "root", "hg", "www", "ftp", "www"]
    # A user leaves a's passwd: back to the number.
    write_passwd(tmp_path, "/j/a", line("other", 7))
    got = await both.poll(doc(rows), [a, b])
    assert users(got)[2] == "1001"
    # b vanishes from jls while ps still lists its rows (the two are not one
    # instant): the numbers stay; then jid 2 is another jail with another root.
    got = await both.poll(doc(rows), [a])
    assert users(got)[5:] == ["1002", "1003", "1002"]
    got = await both.poll(doc(rows), [a, running("c", 2, "/j/c")])
    assert users(got)[5:] == ["pg", "redis", "pg"]
    # A jail without a path, then a jail whose passwd is missing.
    got = await both.poll(doc(rows), [a, Jail("c", 2, JailState.RUNNING)])
    assert users(got)[5:] == ["1002", "1003", "1002"]
    got = await both.poll(doc(rows), [a, running("c", 2, "/j/none")])
    assert users(got)[5:] == ["1002", "1003", "1002"]
    # New rows with users no poll named before, and no jailed numeric user at all.
    more = [*rows, row(30, 1, "7"), row(31, 2, "1001")]
    await both.poll(doc(more), [a, b])
    got = await both.poll(doc([row(1, 0, "root"), row(10, 1, "root")]), [a, b])
    assert users(got) == ["root", "root"]
    got = await both.poll(doc(more), [a, b])
    assert users(got)[-2:] == ["other", "1001"]


async def test_random_sequences(tmp_path: Path) -> None:
    rng = random.Random(18)
    roots = [f"/j/r{i}" for i in range(6)]
    names = ["git", "www", "pg", "ftp", "hg"]
    for r in roots:
        write_passwd(tmp_path, r, line(rng.choice(names), 1001))
    both = Both(tmp_path)
    for _step in range(40):
        if rng.random() < 0.4:
            r = rng.choice(roots)
            write_passwd(tmp_path, r, "".join(line(rng.choice(names), uid)
                                              for uid in rng.sample(range(1000, 1006), 3)))
        jails = [running(f"j{jid}", jid, rng.choice(roots))
                 for jid in range(1, 6) if rng.random() < 0.8]
        rows = [row(pid, rng.randrange(0, 7), rng.choice(["root", "1000", "1001", "1002",
                                                           "1003", "1004", "1005"]))
                for pid in range(1, 40)]
        await both.poll(doc(rows), jails)


async def test_simulated_host_polls(tmp_path: Path) -> None:
    """A simulated host's own jls and ps (its jails' passwd files): a jail's passwd
    edited, a jail gone, between polls."""
    sim = init_host(tmp_path / "h", jails=12, processes=300, seed=5, force=True, now=1.0e9)
    both = Both(sim / "root")

    async def poll(t: float, drop: str | None = None
                   ) -> tuple[tuple[Process, ...], tuple[Process, ...]]:
        env = {"JAILTUI_SIM_NOW": str(1.0e9 + t), "TZ": "UTC"}
        rc, ps_out, _ = dispatch(sim, ps.ps_argv(), env=env)
        assert rc == 0
        rc, jls_out, _ = dispatch(sim, jls.JLS_POLL_ARGV, env=env)
        assert rc == 0
        jails = [j for j in jls.parse_jls_verbose(jls_out).jails if j.name != drop]
        return await both.poll(ps_out, jails), ps.parse_ps(ps_out)

    got, raw = await poll(0)
    # A row ps printed as a number and the jail's passwd named.
    i = next(i for i, p in enumerate(raw) if p.jid and p.user.isdigit() and not got[i].user.isdigit())
    jid, name = raw[i].jid, got[i].user
    await poll(3)
    jail = next(j for j in jls.parse_jls_verbose(dispatch(sim, jls.JLS_POLL_ARGV)[1]).jails
                if j.jid == jid)
    text = (sim / "root" / jail.path.lstrip("/") / PASSWD).read_text()
    write_passwd(sim / "root", jail.path, text.replace(f"{name}:", "renamed:", 1))
    got, _ = await poll(7)
    assert "renamed" in {p.user for p in got if p.jid == jid}
    got, _ = await poll(9, drop=jail.name)
    assert "renamed" not in {p.user for p in got}
    await poll(60)
