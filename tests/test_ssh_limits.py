"""Issue 14 item 3 over SSH: a remote tool that floods hits the same cap, with
the same message, as a local one (core/transport/capture.py, reused by
core/transport/ssh/runner.py).

The CLI test goes through a real sshd in front of a simulated host
(tests/ssh_servers.py) whose ``ps`` shim is replaced by one that writes too
much; the others through a fake ssh, for what a real server cannot be made
to do on demand (a login shell that floods before the frame).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ssh_servers import Client, Server, ServerError, start_servers

from jailtui.core.errors import OutputTooLarge
from jailtui.core.transport.ssh import SSHRunner

ROOT = Path(__file__).resolve().parent.parent

MIB = 1024 * 1024

#: A ps that writes 3 MiB and exits: over a 1 MiB cap, but finite, so the
#: remote side finishes and the frame comes back whole.
FLOODING_PS = "#!/bin/sh\nhead -c 3145728 /dev/zero | tr '\\0' y\n"


@pytest.fixture(scope="module")
def flood(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One sshd whose host's ``ps`` floods (its own: the shared servers of
    tests/test_ssh_hosts.py keep their tools)."""
    base = tmp_path_factory.mktemp("sshd-flood")
    client = Client.create(base / "client")
    try:
        (srv,) = start_servers(base, ["flood"], client)
    except ServerError as exc:
        client.close()
        pytest.fail(str(exc), pytrace=False)
    ps = srv.bindir / "ps"
    ps.unlink()
    ps.write_text(FLOODING_PS)
    ps.chmod(0o755)
    try:
        yield srv
    finally:
        srv.stop()
        client.close()


def config(tmp_path: Path, srv: Server | None = None) -> Path:
    lines = ["[limits]", "output_mib = 1", ""]
    if srv is not None:
        lines += [f"[hosts.{srv.name}]", f'destination = "{srv.destination}"',
                  f"ssh_options = {json.dumps(list(srv.ssh_options()))}",
                  f'root = "{srv.simdir / "root"}"', ""]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines))
    return path


def jailtui(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "jailtui", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


def test_a_remote_ps_that_floods_says_what_a_local_one_says(flood: Server, tmp_path: Path,
                                                             shim_path: str) -> None:
    remote = jailtui("--config", str(config(tmp_path, flood)), "--host", flood.name, "list")
    bindir = Path(shim_path.split(os.pathsep, 1)[0])
    (bindir / "ps").unlink()
    (bindir / "ps").write_text(FLOODING_PS)
    (bindir / "ps").chmod(0o755)
    local = jailtui("--config", str(config(tmp_path)), "--host", "local", "list",
                    path=shim_path)
    line = "ps: output too large (more than 1M on stdout; killed)"
    assert local.returncode == 1 and local.stderr.strip().splitlines() == [line], local.stderr
    assert remote.returncode == 1, remote.stdout + remote.stderr
    assert remote.stderr.strip().splitlines()[-1].endswith(line), remote.stderr
    assert "Traceback" not in remote.stderr


# -- a fake ssh: what a real server cannot be made to do -------------------------------


def fake_ssh(tmp_path: Path, body: str) -> str:
    path = tmp_path / "ssh"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def runner(tmp_path: Path, body: str) -> SSHRunner:
    return SSHRunner("admin@web1.example.org", ssh=fake_ssh(tmp_path, body),
                     control_dir=str(tmp_path), max_output=MIB)


async def test_a_login_shell_that_floods_is_capped_and_named(tmp_path: Path) -> None:
    """Endless output before the frame: ssh is killed at the wire cap (2 streams
    of one command plus the frame's slack), and the error names ssh."""
    pidfile = tmp_path / "pid"
    r = runner(tmp_path, f"echo $$ >{pidfile}; exec yes")
    with pytest.raises(OutputTooLarge) as err:
        await r.run(["jls"], timeout=60)
    assert str(err.value).startswith("ssh: output too large (more than 3M on stdout"), err.value
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_the_command_over_the_cap_is_named_not_its_siblings(tmp_path: Path) -> None:
    r = runner(tmp_path, "exec /bin/sh -s")
    with pytest.raises(OutputTooLarge) as err:
        await r.run_many([["echo", "fine"],
                          ["sh", "-c", "head -c 1100000 /dev/zero >&2"]], timeout=60)
    assert str(err.value) == "sh: output too large (more than 1M on stderr; killed)"
    assert err.value.argv[0] == "sh"
    # At the cap exactly is not over it.
    (res,) = await r.run_many([["head", "-c", str(MIB), "/dev/zero"]], timeout=60)
    assert len(res.stdout) == MIB


def test_the_blocking_path_has_the_same_cap(tmp_path: Path) -> None:
    """RemoteFiles and remote edits read files through run_many_blocking."""
    r = runner(tmp_path, "exec /bin/sh -s")
    with pytest.raises(OutputTooLarge, match=r"^head: output too large"):
        r.run_many_blocking([["head", "-c", str(2 * MIB), "/dev/zero"]], timeout=60)

    async def from_a_coroutine() -> list[bytes]:
        # A synchronous caller on the event loop's thread: still one answer.
        return [x.stdout for x in r.run_many_blocking([["echo", "ok"]], timeout=60)]
    assert asyncio.run(from_a_coroutine()) == [b"ok\n"]
