"""Editing jail.conf on a remote host over SSH: read, check with `jail -e`
and replace atomically THERE (core/remotefile.py), through real sshd servers
each in front of its own simulated host (tests/ssh_servers.py).

These servers are this module's own: the edits here must not change what
tests/test_ssh_hosts.py sees on its hosts.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ssh_servers import Client, Server, ServerError, start_servers

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.config import confedit, remotefile, safefile
from jailtui.core.errors import JailtuiError
from jailtui.core.hosts.fleet import Fleet, HostSpec
from jailtui.core.transport.ssh import RemoteFiles, SSHRunner

FAST = {"backoff_first": 0.4, "backoff_cap": 1.6}


@dataclass
class Hosts:
    client: Client
    alpha: Server
    beta: Server

    def spec(self, srv: Server) -> HostSpec:
        return HostSpec(srv.name, srv.destination, ssh_options=srv.ssh_options(),
                        root=str(srv.simdir / "root"))

    def fleet(self) -> Fleet:
        return Fleet.from_specs([self.spec(self.alpha), self.spec(self.beta)],
                                control_dir=self.client.control_dir, runner_options=FAST)

    def runner(self, srv: Server) -> SSHRunner:
        return SSHRunner(srv.destination, name=srv.name, ssh_options=srv.ssh_options(),
                         control_dir=self.client.control_dir)


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    base = tmp_path_factory.mktemp("sshd-edit")
    client = Client.create(base / "client")
    try:
        alpha, beta = start_servers(base, ["alpha", "beta"], client, jails=[None, 4])
    except ServerError as exc:
        client.close()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield Hosts(client, alpha, beta)
    finally:
        for srv in (alpha, beta):
            srv.stop()
        client.close()


@pytest.fixture
def fleet(hosts: Hosts) -> Iterator[Fleet]:
    """A fresh fleet per test; alpha's config files put back afterwards."""
    etc = hosts.alpha.simdir / "root" / "etc"
    saved = {p: p.read_bytes() for p in [etc / "jail.conf", *etc.glob("jail.conf.d/*.conf")]}
    f = hosts.fleet()
    try:
        yield f
    finally:
        f.close()
        for p, data in saved.items():
            if p.is_symlink():
                p.unlink()
            p.write_bytes(data)


def admin(fleet: Fleet, name: str) -> Controller:
    host = fleet.host(name)
    assert isinstance(host.files, RemoteFiles)
    return Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink())


def alpha_path(hosts: Hosts, host_path: str) -> Path:
    return hosts.alpha.simdir / "root" / host_path.lstrip("/")


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".jailtui" in p.name
                  and not p.name.endswith(".jailtui.lock"))  # flock's file, as local saves


async def test_change_hostname_on_alpha_only(hosts: Hosts, fleet: Fleet) -> None:
    """The issue's done-when, remotely: edit web on alpha, restart, see it; beta unchanged."""
    ctl = admin(fleet, "alpha")
    beta = fleet.host("beta")
    beta_before = {j.name: j.hostname for j in (await beta.poll()).jails}
    beta_conf = (hosts.beta.simdir / "root/etc/jail.conf").read_bytes()
    conf = alpha_path(hosts, "/etc/jail.conf")
    os.chown(conf, 1234, 4321)
    conf.chmod(0o640)
    old = conf.read_bytes()
    await ctl.host.poll()  # the cache holds the old file now

    session = ctl.open_config("web")
    assert session.path == "/etc/jail.conf" and session.remote is not None
    assert session.loaded.data == old
    assert session.loaded.sha256 == hashlib.sha256(old).hexdigest()
    candidate = confedit.candidate_from_params(session, {"host.hostname": "www.example.org"})
    await ctl.check_config(session, candidate)
    result = await ctl.save_config(session, candidate)
    assert result.ok, result.message
    assert "/etc/jail.conf: saved (backup /var/backups/jailtui/jail.conf." in result.message

    text = conf.read_text()
    assert text == candidate
    assert "host.hostname = www.example.org;" in text and "# public web server" in text
    st = conf.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), st.st_nlink) == (1234, 4321, 0o640, 1)
    bdir = alpha_path(hosts, "/var/backups/jailtui")
    assert stat.S_IMODE(bdir.stat().st_mode) == 0o700
    backups = list(bdir.iterdir())
    assert len(backups) == 1 and backups[0].read_bytes() == old
    assert leftovers(conf.parent) == []
    record = ctl.audit.records[-1]  # type: ignore[attr-defined]
    assert record.result == "ok" and "changed=host.hostname" in record.detail

    restarted = await ctl.restart("web")
    assert restarted.ok, restarted.message
    web = (await ctl.host.poll()).jail("web")
    assert web is not None and web.hostname == "www.example.org"
    assert ctl.host.config_block("web") is not None
    assert "www.example.org" in ctl.host.config_block("web")[2]  # type: ignore[index]
    assert {j.name: j.hostname for j in (await beta.poll()).jails} == beta_before
    assert (hosts.beta.simdir / "root/etc/jail.conf").read_bytes() == beta_conf
    # Put web back the way it was for the other tests.
    conf.write_bytes(old)
    assert (await ctl.restart("web")).ok


async def test_jail_e_runs_remotely_and_refuses_with_the_line(hosts: Hosts,
                                                              fleet: Fleet) -> None:
    ctl = admin(fleet, "alpha")
    conf = alpha_path(hosts, "/etc/jail.conf")
    before = conf.read_bytes()
    session = ctl.open_config("web")
    # Our parser accepts it; jail(8) on alpha does not (the second check).
    bad = session.text + '\nbroken { path = "/x/$nosuch"; }\n'
    with pytest.raises(confedit.ConfigCheckError) as info:
        await ctl.save_config(session, bad)
    assert 'variable "nosuch" not found' in info.value.message
    assert conf.read_bytes() == before and leftovers(conf.parent) == []

    # A syntax error straight to jail(8) over SSH: its line, the file's name.
    runner = hosts.runner(hosts.alpha)
    real = str(conf)
    msg = await remotefile.jail_check(runner, real, "/etc/jail.conf",
                                      b"web {\n  persist\n}\n")
    assert msg == "jail: /etc/jail.conf line 3: }: syntax error"
    assert await remotefile.jail_check(runner, real, "/etc/jail.conf", before) is None
    assert conf.read_bytes() == before and leftovers(conf.parent) == []

    block = session.block_text.replace("ip6.addr", "ip6.addr =", 1)
    with pytest.raises(confedit.ConfigCheckError) as info2:
        await ctl.save_config(session, confedit.candidate_from_block(session, block))
    assert "syntax error" in info2.value.message and info2.value.line is not None
    assert conf.read_bytes() == before and leftovers(conf.parent) == []
    runner.close()


async def test_concurrent_change_is_a_conflict_with_the_current_text(hosts: Hosts,
                                                                      fleet: Fleet) -> None:
    ctl = admin(fleet, "alpha")
    session = ctl.open_config("web")
    ours = confedit.candidate_from_params(session, {"host.hostname": "ours.example.org"})
    conf = alpha_path(hosts, "/etc/jail.conf")
    theirs = conf.read_text() + "\n# edited from another terminal\n"
    conf.write_text(theirs)
    with pytest.raises(safefile.ConflictError) as info:
        await ctl.save_config(session, ours)
    assert str(info.value).startswith("/etc/jail.conf: was modified")
    assert info.value.current == theirs.encode()
    assert info.value.current_sha256 == hashlib.sha256(theirs.encode()).hexdigest()
    assert conf.read_text() == theirs and leftovers(conf.parent) == []
    assert ctl.audit.records[-1].result.startswith("failed")  # type: ignore[attr-defined]
    # Reload: the next session starts from their version and saves.
    again = ctl.open_config("web")
    assert (await ctl.save_config(
        again, confedit.candidate_from_params(again, {"host.hostname": "ours.example.org"}))).ok
    assert "# edited from another terminal" in conf.read_text()


async def test_a_held_lock_is_busy(hosts: Hosts, fleet: Fleet) -> None:
    ctl = admin(fleet, "alpha")
    session = ctl.open_config("ci")
    assert session.path == "/etc/jail.conf.d/ci.conf"
    conf = alpha_path(hosts, session.path)
    before = conf.read_bytes()
    lock = conf.parent / ".ci.conf.jailtui.lock.d"
    lock.mkdir()
    try:
        candidate = confedit.candidate_from_params(session, {"host.hostname": "b.example.org"})
        with pytest.raises(safefile.BusyError) as info:
            await ctl.save_config(session, candidate)
        assert str(info.value).startswith("/etc/jail.conf.d/ci.conf: busy")
        assert "/etc/jail.conf.d/.ci.conf.jailtui.lock.d" in str(info.value)  # host path
        assert str(hosts.alpha.simdir) not in str(info.value)
        assert conf.read_bytes() == before and lock.is_dir()  # not ours to remove
    finally:
        lock.rmdir()
    assert (await ctl.save_config(session, candidate)).ok
    assert not lock.exists() and leftovers(conf.parent) == []


async def test_a_stale_lock_from_a_killed_save_is_taken_over(hosts: Hosts,
                                                                fleet: Fleet) -> None:
    """A lock dir older than 10 minutes (a save killed with -9) does not block forever."""
    import os
    import time

    ctl = admin(fleet, "alpha")
    session = ctl.open_config("ci")
    conf = alpha_path(hosts, session.path)
    lock = conf.parent / ".ci.conf.jailtui.lock.d"
    lock.mkdir()
    old = time.time() - 20 * 60
    os.utime(lock, (old, old))
    candidate = confedit.candidate_from_params(session, {"host.hostname": "c.example.org"})
    assert (await ctl.save_config(session, candidate)).ok
    assert b"c.example.org" in conf.read_bytes()
    assert not lock.exists() and leftovers(conf.parent) == []


async def test_a_symlinked_target_is_refused(hosts: Hosts, fleet: Fleet,
                                             tmp_path: Path) -> None:
    ctl = admin(fleet, "alpha")
    conf = alpha_path(hosts, "/etc/jail.conf.d/ci.conf")
    session = ctl.open_config("ci")
    target = tmp_path / "elsewhere.conf"
    target.write_bytes(conf.read_bytes())
    conf.unlink()
    conf.symlink_to(target)
    # Swapped after loading: the save refuses it on the host, under the lock.
    with pytest.raises(safefile.UnsafeTargetError, match="symbolic link"):
        await ctl.save_config(session, confedit.candidate_from_params(
            session, {"host.hostname": "x.example.org"}))
    assert conf.is_symlink() and target.read_bytes() == session.loaded.data
    # And a symlink is never loaded in the first place.
    ctl.host.files.invalidate()
    with pytest.raises(JailtuiError, match="^/etc/jail.conf.d/ci.conf: is a symbolic link"):
        ctl.open_config("ci")


def test_remote_load_refuses_hard_links_and_names_host_paths(hosts: Hosts,
                                                             tmp_path: Path) -> None:
    runner = hosts.runner(hosts.alpha)
    conf = alpha_path(hosts, "/etc/jail.conf")
    link = conf.parent / "jail.conf.hardlink"
    os.link(conf, link)
    try:
        with pytest.raises(safefile.UnsafeTargetError, match="^/etc/jail.conf: has 2 hard links"):
            remotefile.load(runner, str(conf), "/etc/jail.conf")
    finally:
        link.unlink()
    with pytest.raises(safefile.SaveError, match="^/etc/nothere.conf: No such file"):
        remotefile.load(runner, str(conf.parent / "nothere.conf"), "/etc/nothere.conf")
    loaded = remotefile.load(runner, str(conf), "/etc/jail.conf")
    assert loaded.data == conf.read_bytes() and loaded.sig.ino == conf.stat().st_ino
    runner.close()


def test_save_script_takes_data_only_as_arguments_and_stdin() -> None:
    """The scripts are fixed text: nothing of a path or a value is in them."""
    calls: list[tuple[list[str], bytes | None]] = []

    class Recorder:
        async def run(self, argv: list[str], *, timeout: float = 0,
                      input: bytes | None = None) -> object:
            from jailtui.core.transport.runner import CommandResult
            calls.append((list(argv), input))
            return CommandResult(tuple(argv), 0, b"\n", b"")

        def run_many_blocking(self, argvs: list[list[str]], *, timeout: float = 0) -> list[object]:
            raise AssertionError

    evil = "/etc/jail.conf.d/$(touch /tmp/pwn); `id`.conf"
    loaded = safefile.Loaded(evil, b"old", hashlib.sha256(b"old").hexdigest(),
                             safefile.StatSig(0, 0, 3, 0, 0, 0, 0o100644, 1, 0))
    asyncio.run(remotefile.save(Recorder(), loaded, b"new $(id)",  # type: ignore[arg-type]
                                host_path=evil, backup_dir="/var/backups/jailtui"))
    argv, stdin = calls[0]
    assert argv[:3] == ["sh", "-c", remotefile.SAVE_SCRIPT]
    assert argv[4:] == [evil, loaded.sha256, "/var/backups/jailtui", "10"]
    assert stdin == b"new $(id)"


async def test_a_killed_saves_temp_files_are_cleaned_on_the_host(hosts: Hosts,
                                                                 fleet: Fleet) -> None:
    """Issue 14 item 10, remotely: the next save removes what a SIGKILLed save
    or check left (our names, plain files owned by us, older than this save;
    check copies older than 10 minutes), and nothing else."""
    import time

    ctl = admin(fleet, "alpha")
    session = ctl.open_config("ci")
    d = alpha_path(hosts, session.path).parent
    old = time.time() - 20 * 60

    def planted(name: str, mtime: float = old) -> Path:
        p = d / name
        p.write_bytes(b"partial")
        os.utime(p, (mtime, mtime))
        return p
    gone = [planted(".ci.conf.jailtui-AbCdEf1234"), planted(".jailtui-check.Zz09Zz09Zz")]
    kept = [planted(".web.conf.jailtui-AbCdEf1234"),               # another file's
            planted(".ci.conf.jailtui-Future0000", time.time() + 3600),  # newer than the save
            planted(".jailtui-check.Recent0000", time.time() - 60),   # may be running
            planted("ci.conf.jailtui-AbCdEf1234")]                  # not dot-named: not ours
    try:
        candidate = confedit.candidate_from_params(session, {"host.hostname": "d.example.org"})
        assert (await ctl.save_config(session, candidate)).ok
        assert [p.name for p in gone if p.exists()] == []
        assert [p.name for p in kept if not p.exists()] == []
    finally:
        for p in kept:
            p.unlink(missing_ok=True)


class _Answer:
    """A runner whose remote save answers with a given status and stderr."""

    def __init__(self, status: int, stderr: bytes) -> None:
        self.status, self.stderr = status, stderr

    async def run(self, argv: object, *, timeout: float = 0,
                  input: bytes | None = None) -> object:
        from jailtui.core.transport.runner import CommandResult
        return CommandResult(("sh",), self.status, b"", self.stderr)

    def run_many_blocking(self, argvs: object, *, timeout: float = 0) -> list[object]:
        raise AssertionError("not used")


@pytest.mark.parametrize(("status", "stderr", "words"), [
    (remotefile.NO_WRITE, b"cat: stdout: No space left on device\ncannot write; nothing was "
     b"changed\n", "no space left on the file system holding /etc/jail.conf; free some space"),
    (remotefile.NO_TEMP, b"mktemp: mkstemp failed on /etc/.jail.conf.jailtui-XXXXXXXXXX: "
     b"Read-only file system\n", "the file system holding /etc/jail.conf is read-only"),
])
async def test_remote_write_failures_are_worded_as_local_ones(status: int, stderr: bytes,
                                                              words: str) -> None:
    loaded = safefile.Loaded("/etc/jail.conf", b"", hashlib.sha256(b"").hexdigest(),
                             safefile.StatSig(0, 0, 0, 0, 0, 0, 0o100644, 1, 0))
    with pytest.raises(safefile.SaveError) as info:
        await remotefile.save(_Answer(status, stderr), loaded, b"new\n",  # type: ignore[arg-type]
                              host_path="/etc/jail.conf")
    assert str(info.value).startswith(words) and str(info.value).endswith("nothing was changed")


async def test_rctl_persist_saves_rctl_conf_there(hosts: Hosts, fleet: Fleet) -> None:
    """jailtui rctl --persist on an SSH host: /etc/rctl.conf is created and saved THERE
    (core/actions/limits.py through remotefile), the kernel's rule set there too."""
    from jailtui.core.actions.limits import LimitChange
    from jailtui.core.freebsd import rctl

    ctl = admin(fleet, "alpha")
    conf = alpha_path(hosts, "/etc/rctl.conf")
    conf.unlink(missing_ok=True)
    rule = rctl.jail_rule("web", "nthr:deny=500")
    try:
        await ctl.host.poll()
        result = await ctl.rctl_change("web", LimitChange(rule, None, True))
        assert result.ok, result.message
        assert conf.read_text() == ("# BEGIN jailtui web\njail:web:nthr:deny=500\n"
                                    "# END jailtui web\n")
        assert stat.S_IMODE(conf.stat().st_mode) == 0o644
        assert "jail:web:nthr:deny=500" in [r.text for r in await ctl.rctl_rules("web")]
        assert leftovers(conf.parent) == []
    finally:
        await ctl.rctl_change("web", LimitChange(None, rule, False))
        conf.unlink(missing_ok=True)
