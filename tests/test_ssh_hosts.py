"""Two real OpenSSH servers, each in front of its own simulated FreeBSD host.

Everything goes the way it goes in production: OpenSSH client with a shared
master, sshd, the user's login shell, ``/bin/sh -s``, the simulator's shims
as jls/ps/jail/jexec/service/kill. Nothing is skipped: without
/usr/sbin/sshd (Debian: openssh-server) the fixture fails saying so.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ssh_servers import Client, Server, ServerError, start_servers

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller, StartMethod
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.errors import CommandNotFound
from jailtui.core.hosts.fleet import Fleet, HostSpec
from jailtui.core.hosts.protocol import JailHost
from jailtui.core.model import JailState
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.ssh import HostUnreachable, RemoteFiles, SSHRunner

ROOT = Path(__file__).resolve().parent.parent

#: Backoff short enough for a test; the shape (doubling, cap) is the product's.
FAST = {"backoff_first": 0.4, "backoff_cap": 1.6}


@dataclass
class Hosts:
    client: Client
    alpha: Server
    beta: Server
    config: Path
    dead_port: int

    def spec(self, srv: Server, **kw: object) -> HostSpec:
        return HostSpec(srv.name, srv.destination, ssh_options=srv.ssh_options(),
                        root=str(srv.simdir / "root"), **kw)  # type: ignore[arg-type]

    def fleet(self, *servers: Server, clock: Callable[[], float] | None = None) -> Fleet:
        """A fleet of ``servers``; ``clock``: the wall clock their backoff counts on."""
        options: dict[str, object] = dict(FAST)
        if clock is not None:
            options["clock"] = clock
        return Fleet.from_specs([self.spec(s) for s in servers],
                                control_dir=self.client.control_dir, runner_options=options)


@pytest.fixture(scope="session")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    """alpha: the demo host (8 running jails, staging stopped); beta: 4 bench jails.

    Both sshd are stopped at the end of the session, whatever happened.
    """
    base = tmp_path_factory.mktemp("sshd")
    client = Client.create(base / "client")
    try:
        alpha, beta = start_servers(base, ["alpha", "beta"], client, jails=[None, 4])
    except ServerError as exc:
        client.close()
        pytest.fail(str(exc), pytrace=False)
    from ssh_servers import free_port

    dead_port = free_port()
    config = base / "config.toml"
    lines: list[str] = []
    for srv in (alpha, beta):
        lines += [f"[hosts.{srv.name}]", f'destination = "{srv.destination}"',
                  f"ssh_options = {json.dumps(list(srv.ssh_options()))}",
                  f'root = "{srv.simdir / "root"}"', ""]
    lines += ["[hosts.dead]", f'destination = "{alpha.destination}"',
              f"ssh_options = {json.dumps(list(client.ssh_options(dead_port)))}",
              "connect_timeout = 2", ""]
    config.write_text("\n".join(lines))
    try:
        yield Hosts(client, alpha, beta, config, dead_port)
    finally:
        for srv in (alpha, beta):
            srv.stop()
        client.close()


def jailtui(h: Hosts, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jailtui", "--config", str(h.config), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ))


def admin(host: JailHost, method: StartMethod = StartMethod.AUTO) -> Controller:
    return Controller(host, Policy(Role.HOST_ADMIN, "root", 0), audit=MemorySink(),
                      method=method)


# -- list / ps / check from the command line ------------------------------------------------


def test_list_json_names_the_host_of_every_row(hosts: Hosts) -> None:
    out = jailtui(hosts, "--host", "alpha", "--host", "beta", "list", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    by_host: dict[str, set[str]] = {}
    for r in rows:
        by_host.setdefault(r["host"], set()).add(r["name"])
    assert set(by_host) == {"alpha", "beta"}
    assert {"web", "db", "staging"} <= by_host["alpha"]
    assert len(by_host["beta"]) == 4 and not by_host["beta"] & by_host["alpha"]
    staging = next(r for r in rows if r["host"] == "alpha" and r["name"] == "staging")
    assert staging["state"] == "stopped" and staging["configured"] is True  # jail.conf read remotely


def test_single_ssh_host_matches_the_local_path(hosts: Hosts) -> None:
    """One --host over SSH reports what the same shims report locally."""
    via_ssh = jailtui(hosts, "--host", "alpha", "list", "--json")
    assert via_ssh.returncode == 0, via_ssh.stderr
    env = dict(os.environ, PATH=f"{hosts.alpha.bindir}{os.pathsep}{os.environ['PATH']}")
    local = subprocess.run([sys.executable, "-m", "jailtui", "--host", "local", "--root",
                            str(hosts.alpha.simdir / "root"), "list", "--json"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60, env=env)
    assert local.returncode == 0, local.stderr

    def key(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return sorted((r["name"], r["jid"], r["state"], r["configured"], r["enabled"])
                      for r in rows)

    rows = json.loads(via_ssh.stdout)
    assert key(rows) == key(json.loads(local.stdout))
    assert {r["host"] for r in rows} == {"alpha"}


def test_list_human_table_has_a_host_column(hosts: Hosts) -> None:
    out = jailtui(hosts, "--host", "alpha", "--host", "beta", "list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1].split()[0] == "HOST"
    assert {ln.split()[0] for ln in lines[2:]} == {"alpha", "beta"}


def test_ps_json_names_the_host_of_every_process(hosts: Hosts) -> None:
    out = jailtui(hosts, "--host", "alpha", "--host", "beta", "ps", "--json")
    assert out.returncode == 0, out.stderr
    procs = json.loads(out.stdout)
    assert {p["host"] for p in procs} == {"alpha", "beta"}
    assert any(p["host"] == "beta" and p["jid"] != 0 for p in procs)
    web = jailtui(hosts, "--host", "alpha", "--host", "beta", "ps", "--jail", "web", "--json")
    assert web.returncode == 0, web.stderr
    rows = json.loads(web.stdout)
    assert rows and {(p["host"], p["jail"]) for p in rows} == {("alpha", "web")}


def test_an_unreachable_host_is_one_line_and_the_others_still_print(hosts: Hosts) -> None:
    out = jailtui(hosts, "--host", "alpha", "--host", "dead", "list", "--json")
    assert out.returncode == 1
    assert {r["host"] for r in json.loads(out.stdout)} == {"alpha"}
    err = out.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("jailtui: dead: unreachable"), out.stderr
    assert "Connection refused" in err[0]


def test_check_takes_the_worst_state_and_names_hosts(hosts: Hosts) -> None:
    single = {}
    for name in ("alpha", "beta"):
        res = jailtui(hosts, "--host", name, "check", "--json")
        single[name] = json.loads(res.stdout)
        assert res.returncode == single[name]["exit_code"], res.stderr
    both = jailtui(hosts, "--host", "alpha", "--host", "beta", "check", "--json")
    doc = json.loads(both.stdout)
    rank = {"OK": 0, "WARNING": 1, "UNKNOWN": 2, "CRITICAL": 3}
    worst = max((s["status"] for s in single.values()), key=rank.__getitem__)
    assert doc["status"] == worst and both.returncode == doc["exit_code"]
    assert {n: h["status"] for n, h in doc["hosts"].items()} == {
        n: s["status"] for n, s in single.items()}
    for f in doc["findings"]:
        assert f["host"] in ("alpha", "beta")
    assert sorted((f["host"], f["message"]) for f in doc["findings"]) == sorted(
        (n, f["message"]) for n, s in single.items() for f in s["findings"])
    human = jailtui(hosts, "--host", "alpha", "--host", "beta", "check")
    first, *rest = human.stdout.splitlines()
    assert first.startswith(f"JAILS {worst} - 2 hosts: alpha ")
    assert all(ln.split(": ", 2)[1] in ("alpha", "beta") for ln in rest)


def test_check_with_an_unreachable_host_is_unknown_for_it(hosts: Hosts) -> None:
    out = jailtui(hosts, "--host", "beta", "--host", "dead", "check", "--json")
    doc = json.loads(out.stdout)
    assert doc["hosts"]["dead"]["status"] == "UNKNOWN"
    assert doc["hosts"]["beta"]["jails"]  # the other host was checked
    dead = [f for f in doc["findings"] if f["host"] == "dead"]
    assert len(dead) == 1 and dead[0]["severity"] == "UNKNOWN"
    assert dead[0]["message"].startswith("dead: unreachable")
    rank = {"OK": 0, "WARNING": 1, "UNKNOWN": 2, "CRITICAL": 3}  # health.Severity's order
    worst = max(doc["hosts"]["beta"]["status"], "UNKNOWN", key=rank.__getitem__)
    assert doc["status"] == worst and out.returncode == doc["exit_code"]


# -- the runner itself ---------------------------------------------------------------------


async def test_a_poll_is_one_round_trip(hosts: Hosts) -> None:
    fleet = hosts.fleet(hosts.alpha)
    host = fleet.host("alpha")
    runner = host.runner
    assert isinstance(runner, SSHRunner)
    spawned: list[list[str]] = []
    real = runner.batch_argv

    def counting() -> list[str]:
        argv = real()
        spawned.append(argv)
        return argv

    runner.batch_argv = counting  # type: ignore[method-assign]
    await host.poll()  # warm: the files are read once
    spawned.clear()
    snap = await host.poll()
    assert len(spawned) == 1  # jls and ps together, files from the cache
    assert snap.jail("web") is not None and snap.processes
    fleet.close()


async def test_run_many_keeps_outputs_apart(hosts: Hosts) -> None:
    runner = SSHRunner(hosts.alpha.destination, name="alpha",
                       ssh_options=hosts.alpha.ssh_options(),
                       control_dir=hosts.client.control_dir)
    weird = ["it's", 'say "hi"', "$(touch /tmp/pwned)", "a\nb", "; rm -rf /", "ünï", "*"]
    res = await runner.run_many([
        [sys.executable, "-c", "import json,sys; print(json.dumps(sys.argv[1:]))", *weird],
        ["sh", "-c", "printf 'out\\0bin'; echo err >&2; exit 7"],
        ["kill", "-l"],  # kill(1) from PATH, never the shell builtin
    ])
    assert json.loads(res[0].stdout) == weird
    assert (res[1].returncode, res[1].stdout, res[1].stderr) == (7, b"out\0bin", b"err\n")
    assert res[2].ok and res[2].stdout
    data = bytes(range(256)) * 20
    echoed = await runner.run(["cat"], input=data)
    assert echoed.stdout == data
    with pytest.raises(CommandNotFound):
        await runner.run(["no-such-tool-here"])
    assert runner.state().connected


def test_interactive_argv_shape(hosts: Hosts) -> None:
    runner = SSHRunner("admin@web1.example.org", ssh_options=("-p", "2222"),
                       control_dir=hosts.client.control_dir)
    argv = runner.interactive_argv(["jexec", "-l", "web"])
    assert os.path.basename(argv[0]) == "ssh" and argv[1] == "-t"
    assert argv[2:4] == ["-p", "2222"]  # the host's own options first: they win
    assert "BatchMode=yes" not in argv  # a passphrase may be asked for
    assert argv[-3:] == ["--", "admin@web1.example.org", "jexec -l web"]
    assert runner.label == "ssh:web1"


# -- every action through the SSH runner ------------------------------------------------------


async def _state(host: JailHost, name: str) -> JailState | None:
    jail = (await host.poll()).jail(name)
    return jail.state if jail else None


@pytest.mark.parametrize("method", [StartMethod.JAIL, StartMethod.SERVICE, StartMethod.AUTO])
async def test_stop_start_restart_over_ssh(hosts: Hosts, method: StartMethod) -> None:
    fleet = hosts.fleet(hosts.alpha)
    host = fleet.host("alpha")
    ctl = admin(host, method)
    before = (await host.poll()).jail("dns")
    assert before is not None and before.state is JailState.RUNNING
    stopped = await ctl.stop("dns", before)
    assert stopped.ok, stopped.message
    argv0 = "service" if method is StartMethod.SERVICE else stopped.argv[0]
    assert stopped.argv[0] == argv0
    assert await _state(host, "dns") is JailState.STOPPED
    started = await ctl.start("dns")
    assert started.ok, started.message
    after = (await host.poll()).jail("dns")
    assert after is not None and after.state is JailState.RUNNING and after.jid != before.jid
    restarted = await ctl.restart("dns", after)
    assert restarted.ok, restarted.message
    again = (await host.poll()).jail("dns")
    assert again is not None and again.state is JailState.RUNNING and again.jid != after.jid
    assert [r.result for r in ctl.audit.records] == ["ok", "ok", "ok"]  # type: ignore[attr-defined]
    fleet.close()


async def test_exec_service_and_kill_over_ssh(hosts: Hosts) -> None:
    fleet = hosts.fleet(hosts.alpha, hosts.beta)
    ctl = admin(fleet.host("alpha"))
    res = await ctl.exec("web", ["hostname"])
    assert res.ok and res.output.strip() == "web.example.org"
    status = await ctl.service("web", "nginx", "status")
    assert status.ok, status.message
    restarted = await ctl.service("web", "nginx", "restart")
    assert restarted.ok, restarted.message
    missing = await ctl.exec("nope", ["hostname"])
    assert not missing.ok and "nope" in missing.message

    beta = fleet.host("beta")
    snap = await beta.poll()
    victim = next(p for p in snap.processes if p.jid != 0 and p.ppid != 1 and p.jail)
    sent = await admin(beta).signal(victim.pid, "KILL", victim)
    assert sent.ok, sent.message
    assert (await beta.poll()).process(victim.pid) is None
    assert (await fleet.host("alpha").poll()).jail("web") is not None  # the other host untouched
    fleet.close()


def test_shell_through_interactive_argv_on_a_pty(hosts: Hosts) -> None:
    fleet = hosts.fleet(hosts.alpha)
    host = fleet.host("alpha")
    snap = asyncio.run(host.poll())
    argv = list(asyncio.run(admin(host).prepare_shell("web", snap.jail("web"))).argv)
    assert argv[1] == "-t" and argv[-1] == "jexec -l -U root web"
    runner = host.runner
    assert isinstance(runner, SSHRunner)
    master, slave = os.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                            env=dict(runner.interactive_env(), TERM="dumb"),
                            start_new_session=True)
    os.close(slave)
    seen = b""

    def read_until(needle: bytes, timeout: float = 20) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while needle not in seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {needle!r} in {seen[-500:]!r}"
            ready, _, _ = select.select([master], [], [], left)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break

    try:
        os.write(master, b"hostname; echo marker-$((6*7))\n")
        read_until(b"marker-42")
        lines = [ln.strip() for ln in seen.replace(b"\r", b"").split(b"\n")]
        # (typed ahead: the prompt may share the line with the output)
        assert lines[lines.index(b"marker-42") - 1].endswith(b"web.example.org")
        os.write(master, b"exit\n")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        fleet.close()


# -- files ---------------------------------------------------------------------------------


def test_remote_files_read_stat_glob_and_cache(hosts: Hosts) -> None:
    root = hosts.alpha.simdir / "root"
    runner = SSHRunner(hosts.alpha.destination, name="alpha",
                       ssh_options=hosts.alpha.ssh_options(),
                       control_dir=hosts.client.control_dir)
    now = [0.0]
    files = RemoteFiles(runner, paths=PathMap(root=str(root)), max_age=30,
                        clock=lambda: now[0])
    conf = root / "etc/jail.conf"
    assert files.read_text("/etc/jail.conf") == conf.read_text()
    st = conf.stat()
    assert files.stat("/etc/jail.conf") == (int(st.st_mtime) * 10**9, st.st_size)
    assert files.local_path("/etc/jail.conf") is None
    local_d = sorted("/etc/jail.conf.d/" + p.name for p in (root / "etc/jail.conf.d").glob("*.conf"))
    assert files.glob("/etc/jail.conf.d/*.conf") == local_d
    assert files.stat("/etc/jail.nothere.conf") is None
    with pytest.raises(FileNotFoundError):
        files.read_text("/etc/no-such-file")
    rc_web = root / "usr/local/jails/web/etc/rc.conf"
    assert files.read_text("/usr/local/jails/web/etc/rc.conf") == rc_web.read_text()

    fetches = files.fetches
    for _ in range(5):  # what every poll asks: answered from the cache
        files.read_text("/etc/jail.conf")
        files.stat("/etc/rc.conf")
        files.stat("/etc/jail.web.conf")  # a glob already said it does not exist
        files.glob("/etc/jail.conf.d/*.conf")
    assert files.fetches == fetches

    text = conf.read_text()
    edited = text.replace("mount.devfs;", "mount.devfz;", 1)  # same size
    assert edited != text and len(edited) == len(text)
    conf.write_text(edited)
    os.utime(conf, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime second too
    assert files.read_text("/etc/jail.conf") == text  # cached: not asked again yet
    now[0] += 31
    assert files.read_text("/etc/jail.conf") == edited  # one sweep after max_age
    assert files.stat("/etc/jail.conf") != (int(st.st_mtime) * 10**9, st.st_size)
    assert files.fetches == fetches + 1
    conf.write_text(text)
    files.invalidate()  # "when asked"
    assert files.read_text("/etc/jail.conf") == text


async def test_host_reads_jail_conf_remotely(hosts: Hosts) -> None:
    fleet = hosts.fleet(hosts.alpha)
    host = fleet.host("alpha")
    assert isinstance(host.files, RemoteFiles)
    snap = await host.poll()
    staging = snap.jail("staging")
    assert staging is not None and staging.configured and staging.state is JailState.STOPPED
    block = host.config_block("web")
    assert block is not None and block[0].startswith("/etc/jail.conf") and "web" in block[2]
    fleet.close()


# -- a host that goes away ---------------------------------------------------------------------


async def test_a_killed_server_backs_off_and_comes_back_by_itself(hosts: Hosts) -> None:
    """The backoff counts on an injected clock: "in backoff" is shown by ssh
    not being started at all, not by how fast the poll came back."""
    now = [time.time()]
    fleet = hosts.fleet(hosts.alpha, hosts.beta, clock=lambda: now[0])
    first = {s.name: s for s in await fleet.poll_all()}
    assert first["alpha"].ok and first["beta"].ok
    beta_runner = fleet.host("beta").runner
    assert isinstance(beta_runner, SSHRunner)
    spawned: list[int] = []
    real = beta_runner.batch_argv

    def counting() -> list[str]:
        spawned.append(1)
        return real()

    beta_runner.batch_argv = counting  # type: ignore[method-assign]
    hosts.beta.stop()  # mid-session: the master's connection dies with it
    try:
        down = {s.name: s for s in await fleet.poll_all()}
        assert down["alpha"].ok  # unaffected
        beta = down["beta"]
        assert isinstance(beta.error, HostUnreachable)
        assert beta.stale and beta.snapshot is first["beta"].snapshot  # last good kept
        assert beta.link is not None and beta.link.status == "unreachable"
        assert beta.link.failures == 1 and (beta.link.retry_in(now[0]) or 0) > 0
        assert beta.describe(now[0]).startswith("unreachable since ")
        assert "retrying in" in beta.describe(now[0])

        tries = len(spawned)
        again = {s.name: s for s in await fleet.poll_all()}  # the clock has not moved
        assert isinstance(again["beta"].error, HostUnreachable)
        assert len(spawned) == tries  # in backoff: ssh not even started
        assert again["alpha"].ok

        now[0] += FAST["backoff_first"] + 0.1  # past the first retry time: tried, fails
        third = {s.name: s for s in await fleet.poll_all()}
        assert len(spawned) == tries + 1
        assert third["beta"].link is not None and third["beta"].link.failures == 2
        assert third["beta"].link.unreachable_since == beta.link.unreachable_since
    finally:
        hosts.beta.start()

    deadline = time.monotonic() + 60  # a bound on waiting, not a timing assertion
    while True:  # nobody calls retry_now(): the next due poll reconnects
        now[0] += FAST["backoff_cap"]  # every poll is past its retry time
        st = await fleet.poll("beta")
        if st.ok:
            break
        assert time.monotonic() < deadline, st.describe(now[0])
        await asyncio.sleep(0.2)
    assert st.link is not None and st.link.status == "connected" and st.link.failures == 0
    assert st.snapshot is not None and st.snapshot.taken_at > first["beta"].snapshot.taken_at  # type: ignore[union-attr]
    assert (await fleet.poll("alpha")).ok
    fleet.close()


async def test_the_console_log_is_read_over_ssh_as_locally(hosts: Hosts) -> None:
    """``l`` on a remote host: the same tail and follow rules, run there by one
    fixed sh script (core/consolelog.py), through the same Host.console_log."""
    fleet = hosts.fleet(hosts.alpha)
    host = fleet.host("alpha")
    await host.poll()
    chunk = await host.console_log("web")
    assert chunk.ok, chunk.reason
    assert chunk.path == "/var/log/jail_console_web.log"
    assert b"Starting nginx." in chunk.data and chunk.mark is not None
    assert (await host.console_log("web", chunk.mark)).data == b""
    log = hosts.alpha.simdir / "root" / "var" / "log" / "jail_console_web.log"
    with log.open("ab") as f:
        f.write(b"\x1b[31mappended\n")
    more = await host.console_log("web", chunk.mark)
    assert more.data == b"\x1b[31mappended\n" and not more.restarted
    fleet.close()


# -- the security posture over SSH (issue 17; docs/freebsd.md 13.5) ------------------------


def test_posture_over_ssh_reads_flags_as_the_local_path_does(hosts: Hosts) -> None:
    """File flags, the userland and the databases over SSH: the jail root walked
    on the remote side, ``stat -f %Sf`` / ``%m`` there; the same items as the
    shims report locally (``--host local --root``), no "unknown" for lack of stat."""
    via_ssh = jailtui(hosts, "--host", "alpha", "posture", "--json", timeout=180)
    assert via_ssh.returncode == 0, via_ssh.stderr
    env = dict(os.environ, PATH=f"{hosts.alpha.bindir}{os.pathsep}{os.environ['PATH']}")
    local = subprocess.run([sys.executable, "-m", "jailtui", "--host", "local", "--root",
                            str(hosts.alpha.simdir / "root"), "posture", "--json"], cwd=ROOT,
                           capture_output=True, text=True, timeout=180, env=env)
    assert local.returncode == 0, local.stderr
    remote = {r["name"]: r for r in json.loads(via_ssh.stdout)}
    here = {r["name"]: r for r in json.loads(local.stdout)}
    cache = remote["cache"]
    assert cache["missing_flags"] == 11 and cache["mark"] == "deviates"
    flags = {i["title"]: i for i in cache["items"] if i["title"].startswith("flags ")}
    assert flags["flags /bin"]["verdict"] == "deviates" and flags["flags /bin"]["value"] == "-"
    assert "flags /var/log/messages" in flags
    db = {i["title"]: i for i in remote["db"]["items"]}
    assert db["flags /bin"]["verdict"] == "ok" and db["flags /bin"]["value"] == "schg"
    assert db["database (jail)"]["verdict"] == "ok"
    assert remote["mail"]["userland"] == "14.1-RELEASE-p3"
    assert {i["title"] for i in remote["mail"]["items"]} >= {"database (jail)"}
    mail_db = next(i for i in remote["mail"]["items"] if i["title"] == "database (jail)")
    assert mail_db["verdict"] == "deviates"  # 40 days old

    def key(r: dict[str, object]) -> list[tuple[object, ...]]:
        items = r["items"]
        assert isinstance(items, list)
        return [(i["title"], i["verdict"], i["value"]) for i in items
                if not str(i["title"]).startswith("database")]

    assert {n: key(r) for n, r in remote.items()} == {n: key(r) for n, r in here.items()}
