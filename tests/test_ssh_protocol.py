"""The SSH runner's own logic, without a server: batch script, framing,
backoff, timeouts, cached files, host specs and the fleet.

A fake ``ssh`` (a shell script given as ``ssh=``) runs the batch script
with the local /bin/sh, or fails the way ssh does (exit 255 and a message),
or hangs. The real thing is in test_ssh_hosts.py.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from jailtui.core.errors import CommandNotFound, ParseError
from jailtui.core.hosts.fleet import (
    Fleet,
    FleetError,
    HostSpec,
    load_hosts_config,
    parse_host_arg,
    parse_hosts,
    resolve_hosts,
)
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.ssh import (
    HostTimeout,
    HostUnreachable,
    LinkState,
    RemoteFileError,
    RemoteFiles,
    SSHRunner,
    build_script,
    default_name,
    parse_output,
    private_control_dir,
)

MARK = "JAILTUI-0123abcd"


def run_locally(script: bytes) -> bytes:
    return subprocess.run(["/bin/sh", "-s"], input=script, capture_output=True,
                          check=True).stdout


# -- script and framing --------------------------------------------------------------


def test_script_round_trip_keeps_argv_bytes_and_status_exact() -> None:
    weird = ["it's", 'say "hi"', "$(echo pwned)", "`id`", "a\nb", "; exit 9", "ünï", "*", ""]
    argvs = [["cat"], ["printf", "%s\\0", *weird],
             ["sh", "-c", "printf 'o\\0'; printf e >&2; exit 3"], ["kill", "-l"], ["cat"]]
    data = bytes(range(256)) * 3
    out = run_locally(build_script(argvs, MARK, input=data))
    parts = parse_output(b"motd noise\n" + out, MARK, 5, "web1")
    assert parts[0].stdout == data  # input reaches the first command, byte for byte
    assert parts[4].stdout == b""  # ... and only the first
    assert parts[1].stdout.split(b"\0")[:-1] == [w.encode() for w in weird]
    assert (parts[2].status, parts[2].stdout, parts[2].stderr) == (3, b"o\0", b"e")
    assert parts[3].status == 0 and b"HUP" in parts[3].stdout  # kill(1), not sh's builtin


def test_script_refuses_what_env_would_misread() -> None:
    with pytest.raises(ValueError):
        build_script([["FOO=bar", "x"]], MARK)
    with pytest.raises(ValueError):
        build_script([[]], MARK)


def test_script_leaves_no_temporary_directory(tmp_path: Path) -> None:
    script = build_script([["true"]], MARK)
    subprocess.run(["/bin/sh", "-s"], input=script, capture_output=True, check=True,
                   env={"PATH": os.environ["PATH"], "TMPDIR": str(tmp_path)})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out, detail", [
    (b"", "begin marker missing"),
    (b"This account is currently not available.\n", "begin marker missing"),
    (f"{MARK} begin\n{MARK} status 0\n".encode(), "cut off before the data marker"),
    (f"{MARK} begin\n{MARK} status 0\n 5 f\n 0 g\n 5 total\n{MARK} data\nab".encode(),
     "cut off"),
    (f"{MARK} begin\n{MARK} status 0\n0 f\n0 g\n{MARK} data\n".encode(), "end marker missing"),
    (f"{MARK} begin\ngarbage\n{MARK} data\n{MARK} end\n".encode(), "bad status line"),
    (f"{MARK} begin\n{MARK} status 0 0\n0 f\n0 g\n{MARK} data\n".encode(), "bad status line"),
    (f"{MARK} begin\n{MARK} status 0\nxx f\n0 g\n{MARK} data\n".encode(), "bad size line"),
    (f"{MARK} begin\n{MARK} status 0\n0 f\n{MARK} data\n{MARK} end\n".encode(), "sizes"),
])
def test_malformed_output_is_a_parse_error_naming_the_host(out: bytes, detail: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_output(out, MARK, 1, "db1")
    assert str(err.value).startswith("ssh db1: ") and detail in str(err.value)


def test_marker_inside_a_commands_output_cannot_confuse_the_parser() -> None:
    evil = f"{MARK} end\n{MARK} data\n{MARK} status 0 0\n"
    out = run_locally(build_script([["printf", "%s", evil], ["echo", "two"]], MARK))
    parts = parse_output(out, MARK, 2, "h")
    assert parts[0].stdout == evil.encode() and parts[1].stdout == b"two\n"


# -- a fake ssh ----------------------------------------------------------------------------


def fake_ssh(tmp_path: Path, body: str, name: str = "ssh") -> str:
    """An executable standing in for ssh(1); every call is logged in calls.log."""
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\necho x >>{tmp_path}/calls.log\n{body}\n")
    path.chmod(0o755)
    return str(path)


def calls(tmp_path: Path) -> int:
    log = tmp_path / "calls.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


REFUSED = ('cat >/dev/null; echo "ssh: connect to host web1 port 22: Connection refused" >&2; '
           "exit 255")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def runner(tmp_path: Path, body: str, **kw: object) -> SSHRunner:
    return SSHRunner("admin@web1.example.org", ssh=fake_ssh(tmp_path, body),
                     control_dir=str(tmp_path), **kw)  # type: ignore[arg-type]


async def test_batch_through_a_fake_ssh(tmp_path: Path) -> None:
    r = runner(tmp_path, "exec /bin/sh -s")
    res = await r.run_many([["echo", "a"], ["sh", "-c", "echo b >&2; exit 2"]])
    assert [(x.returncode, x.stdout, x.stderr) for x in res] == [(0, b"a\n", b""),
                                                                 (2, b"", b"b\n")]
    assert res[0].argv == ("echo", "a")
    assert calls(tmp_path) == 1  # one round trip for the batch
    with pytest.raises(CommandNotFound):
        await r.run(["surely-not-a-tool"])
    assert r.state().connected and r.state().status == "connected"


async def test_unreachable_backs_off_exponentially_and_recovers(tmp_path: Path) -> None:
    clock = Clock()
    down = tmp_path / "down"
    down.touch()
    r = runner(tmp_path, f'if [ -e {down} ]; then {REFUSED}; fi\nexec /bin/sh -s', clock=clock)
    delays = []
    for i in range(8):
        if i:
            clock.now = r.state().next_retry or clock.now  # due again
        with pytest.raises(HostUnreachable) as err:
            await r.run(["true"])
        st = r.state()
        delays.append(st.next_retry - clock.now if st.next_retry else None)
    assert delays == [2, 4, 8, 16, 32, 60, 60, 60]
    assert "Connection refused" in str(err.value) and str(err.value).startswith("web1: ")
    assert calls(tmp_path) == 8

    st = r.state()
    assert st.status == "unreachable" and st.failures == 8
    assert st.unreachable_since == 1_000_000  # the first failure, kept
    with pytest.raises(HostUnreachable) as err:  # not due yet: ssh is not even started
        await r.run(["true"])
    assert calls(tmp_path) == 8
    assert "unreachable since" in str(err.value) and "retrying in 60 s" in str(err.value)

    down.unlink()
    r.retry_now()  # the user asked
    assert (await r.run(["echo", "ok"])).stdout == b"ok\n"
    st = r.state()
    assert st.connected and st.failures == 0 and st.unreachable_since is None
    assert st.last_ok == clock.now


async def test_timeout_kills_ssh_and_counts_as_unreachable(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    r = runner(tmp_path, f"echo $$ >{pidfile}; exec sleep 30")
    with pytest.raises(HostTimeout) as err:
        await r.run(["jls"], timeout=0.5)
    assert str(err.value).startswith("web1: jls: timed out after 0.5 s")
    pid = int(pidfile.read_text())
    # Killed, not left sleeping its 30 s: gone (the kill is asynchronous).
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert r.state().status == "unreachable"


def test_blocking_path_shares_the_state(tmp_path: Path) -> None:
    r = runner(tmp_path, REFUSED)
    with pytest.raises(HostUnreachable):
        r.run_many_blocking([["true"]])
    assert r.state().failures == 1
    with pytest.raises(HostUnreachable):  # in backoff for the async path too
        asyncio.run(r.run(["true"]))
    assert calls(tmp_path) == 1


async def test_a_login_shell_that_refuses_is_a_parse_error_not_unreachable(
        tmp_path: Path) -> None:
    r = runner(tmp_path, 'cat >/dev/null; echo "This account is currently not available."; exit 1')
    with pytest.raises(ParseError) as err:
        await r.run(["jls"])
    assert not isinstance(err.value, HostUnreachable)
    assert str(err.value).startswith("ssh web1: ")
    assert r.state().failures == 0


async def test_missing_ssh_client_is_command_not_found(tmp_path: Path) -> None:
    r = SSHRunner("web1", ssh=str(tmp_path / "no-ssh"), control_dir=str(tmp_path))
    with pytest.raises(CommandNotFound):
        await r.run(["jls"])


def test_argv_of_ssh(tmp_path: Path) -> None:
    r = SSHRunner("admin@db1.example.org", ssh_options=["-p", "2222"],
                  control_dir=str(tmp_path), connect_timeout=3)
    argv = r.batch_argv()
    assert argv[1:3] == ["-p", "2222"]
    joined = " ".join(argv)
    for opt in ("ControlMaster=auto", "ControlPersist=60",
                f"ControlPath={tmp_path}/%C", "ConnectTimeout=3", "ServerAliveInterval=15",
                "BatchMode=yes", "ClearAllForwardings=yes"):
        assert opt in joined
    assert "-F" not in argv  # ~/.ssh/config stays in charge
    assert argv[-3:] == ["--", "admin@db1.example.org", "/bin/sh -s"]
    assert r.label == "ssh:db1" and r.name == "db1"


@pytest.mark.parametrize("dest", ["-oProxyCommand=touch /tmp/x", "a b", "web\n1", ""])
def test_destinations_that_ssh_would_misread_are_refused(dest: str) -> None:
    with pytest.raises(ValueError):
        SSHRunner(dest, control_dir="/tmp")


def test_link_state_describe() -> None:
    st = LinkState("web1", connected=False, unreachable_since=time.time() - 5,
                   next_retry=time.time() + 7.6, failures=3, error="refused")
    text = st.describe()
    assert text.startswith("unreachable since ") and text.endswith("retrying in 8 s")
    assert LinkState("web1", connected=False).describe() == "connecting"
    assert LinkState("web1", connected=True).describe() == "connected"


def test_control_dir_is_private(tmp_path: Path) -> None:
    run = Path(tempfile.mkdtemp(prefix="run", dir="/tmp"))  # short: socket paths are
    path, temporary = private_control_dir({"XDG_RUNTIME_DIR": str(run)})
    assert (path, temporary) == (str(run / "jailtui-ssh"), False)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    os.chmod(path, 0o770)  # someone loosened it: not used
    other, temporary = private_control_dir({"XDG_RUNTIME_DIR": str(run)})
    assert other != path and temporary and stat.S_IMODE(os.stat(other).st_mode) == 0o700
    os.rmdir(other)
    deep = tmp_path / ("x" * 90)
    deep.mkdir()
    far, temporary = private_control_dir({"XDG_RUNTIME_DIR": str(deep)})
    assert temporary and len(far) + 41 <= 100
    os.rmdir(far)
    shutil.rmtree(run)


# -- files over the runner -------------------------------------------------------------------


def test_remote_files_with_gnu_stat_and_stale_cache(tmp_path: Path) -> None:
    root = tmp_path / "host"
    (root / "etc/jail.conf.d").mkdir(parents=True)
    (root / "etc/jail.conf").write_text('web { path = "/j/web"; }\n')
    (root / "etc/jail.conf.d/a.conf").write_text("a {}\n")
    (root / "etc/jail.conf.d/.hidden.conf").write_text("h {}\n")
    (root / "etc/jail.conf.d/sub dir.conf").mkdir()
    clock = Clock()
    down = tmp_path / "down"
    r = runner(tmp_path, f'if [ -e {down} ]; then {REFUSED}; fi\nexec /bin/sh -s',
               clock=clock)
    files = RemoteFiles(r, paths=PathMap(root=str(root)), clock=clock)
    assert files.read_text("/etc/jail.conf") == 'web { path = "/j/web"; }\n'
    assert files.glob("/etc/jail.conf.d/*.conf") == ["/etc/jail.conf.d/a.conf",
                                                     "/etc/jail.conf.d/sub dir.conf"]
    assert files.read_text("/etc/jail.conf.d/a.conf") == "a {}\n"
    with pytest.raises(IsADirectoryError):
        files.read_text("/etc/jail.conf.d/sub dir.conf")
    assert files.stat("/etc/jail.conf.d/sub dir.conf") is not None
    assert files.stat("/etc/rc.conf") is None
    assert files.fetches == 2  # warm set + the files its globs found

    down.touch()
    clock.now += 60  # due, but unreachable: the cache answers (stale)
    assert files.read_text("/etc/jail.conf") == 'web { path = "/j/web"; }\n'
    assert isinstance(files.last_error, HostUnreachable)
    with pytest.raises(RemoteFileError):  # never fetched: nothing to answer with
        files.read_text("/etc/other.conf")


# -- host specs and the config file -------------------------------------------------------


def test_host_args() -> None:
    assert parse_host_arg("local") == HostSpec("local", None)
    assert parse_host_arg("web1.example.org") == HostSpec("web1", "web1.example.org")
    assert parse_host_arg("admin@db1") == HostSpec("db1", "admin@db1")
    assert parse_host_arg("10.0.0.5") == HostSpec("10.0.0.5", "10.0.0.5")
    assert parse_host_arg("edge=root@10.0.0.9") == HostSpec("edge", "root@10.0.0.9")
    assert default_name("ssh://admin@[fd00::5]:2222") == "fd00::5"
    configured = {"web1": HostSpec("web1", "admin@w1", interval=5.0)}
    assert parse_host_arg("web1", configured).interval == 5.0
    for bad in ("-oProxyCommand=x", "bad name=web1", ""):
        with pytest.raises(FleetError):
            parse_host_arg(bad)


def test_resolve_hosts_makes_names_unique() -> None:
    specs = resolve_hosts(["web1.a.org", "web1.b.org", "db1", "db1", "local"])
    assert [s.name for s in specs] == ["web1.a.org", "web1.b.org", "db1", "local"]
    with pytest.raises(FleetError):
        resolve_hosts(["x=a.org", "x=b.org"])
    conf = {"a": HostSpec("a", "a.org"), "b": HostSpec("b", "b.org")}
    assert [s.name for s in resolve_hosts(["all"], conf)] == ["a", "b"]
    with pytest.raises(FleetError):
        resolve_hosts(["all"], {})


def test_hosts_tables() -> None:
    conf = parse_hosts({"hosts": {
        "web1": {"destination": "admin@web1.example.org", "interval": 5,
                 "start_method": "service", "ssh_options": ["-p", "2222"]},
        "db1": {"connect_timeout": 3, "colour": "red"},
        "local": {"interval": 1},
    }})
    web1, db1, local = conf.hosts["web1"], conf.hosts["db1"], conf.hosts["local"]
    assert web1.destination == "admin@web1.example.org" and web1.interval == 5.0
    assert web1.start_method == "service" and web1.ssh_options == ("-p", "2222")
    assert db1.destination == "db1" and db1.connect_timeout == 3.0  # default: the name
    assert local.is_local
    assert conf.warnings == ("config: unknown key [hosts.db1] colour ignored",)
    bads: list[dict[str, object]] = [
        {"x": {"interval": 0}}, {"x": {"start_method": "boot"}},
        {"x": {"ssh_options": "-p 22"}}, {"x": {"destination": "-oFoo=bar"}},
        {"all": {}}, {"x": {"root": "relative"}}, {"x": 3}]
    for bad in bads:
        with pytest.raises(FleetError):
            parse_hosts({"hosts": bad})


def test_hosts_config_file(tmp_path: Path) -> None:
    assert load_hosts_config(env={"XDG_CONFIG_HOME": str(tmp_path)}).hosts == {}
    with pytest.raises(FleetError):
        load_hosts_config(tmp_path / "missing.toml")
    f = tmp_path / "jailtui" / "config.toml"
    f.parent.mkdir()
    f.write_text('[console]\ninterval = 2\n\n[hosts.web1]\ndestination = "admin@web1"\n')
    assert list(load_hosts_config(env={"XDG_CONFIG_HOME": str(tmp_path)}).hosts) == ["web1"]
    f.write_text("[hosts.web1\n")
    with pytest.raises(FleetError) as err:
        load_hosts_config(f)
    assert str(f) in str(err.value)


# -- the fleet ------------------------------------------------------------------------------


async def test_fleet_polls_concurrently_and_isolates_failures(
        tmp_path: Path, sim_dir: Path, shim_path: str) -> None:
    # Concurrent, shown without a clock: the good host (polled first) answers
    # only once the slow host's command has started, which a sequential
    # poll would never let happen (good would give up after 100 tries).
    started = tmp_path / "slow.started"
    good = fake_ssh(tmp_path, f'i=0; while [ ! -e "{started}" ] && [ $i -lt 100 ]; do '
                    f'sleep 0.1; i=$((i+1)); done; [ -e "{started}" ] || exit 255; '
                    f'PATH="{shim_path}"; export PATH; exec /bin/sh -s', "ssh-good")
    bad = fake_ssh(tmp_path, REFUSED, "ssh-bad")
    slow = fake_ssh(tmp_path, f'touch "{started}"; exec sleep 30', "ssh-slow")
    specs = [HostSpec("good", "admin@good", root=str(sim_dir / "root")),
             HostSpec("bad", "admin@bad"), HostSpec("slow", "admin@slow")]
    fleet = Fleet.from_specs(specs, control_dir=str(tmp_path))
    for name, exe in (("good", good), ("bad", bad), ("slow", slow)):
        fleet.host(name).runner._ssh = exe  # type: ignore[attr-defined]
    import jailtui.core.hosts.host as hostmod

    old = hostmod.POLL_TIMEOUT
    hostmod.POLL_TIMEOUT = 15.0
    try:
        out = {s.name: s for s in await fleet.poll_all()}
    finally:
        hostmod.POLL_TIMEOUT = old
    assert out["good"].ok and out["good"].snapshot is not None
    assert out["good"].snapshot.jail("web") is not None
    assert out["good"].snapshot.jail("staging") is not None  # jail.conf read via RemoteFiles
    assert isinstance(out["bad"].error, HostUnreachable) and out["bad"].snapshot is None
    assert isinstance(out["slow"].error, HostTimeout)
    assert out["bad"].describe().startswith("unreachable since")
    assert [s.name for s in fleet.statuses()] == ["good", "bad", "slow"]
    fleet.close()
