"""jexec(8) of the simulated host: captured commands and a real shell on a pty (docs/freebsd.md 6)."""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path

import pytest
from sim_fixtures import SimHost, make_host


@pytest.fixture
def sim(tmp_path: Path) -> SimHost:
    """A fresh demo host (8 running jails + staging) with its shims."""
    return make_host(tmp_path)


def test_jexec_hostname_and_ps(sim: SimHost) -> None:
    assert sim.out("jexec", "web", "hostname") == "web.example.org\n"
    assert sim.out("jexec", "1", "hostname") == "web.example.org\n"
    ps = sim.out("jexec", "web", "ps", "-ax", "-o", "jid=", "-o", "command=")
    assert {ln.split()[0] for ln in ps.splitlines()} == {"1"}
    assert "nginx: master process /usr/local/sbin/nginx" in ps
    # FreeBSD paths of the tools reach the simulated ones (service.sh style)
    assert sim.out("jexec", "-l", "web", "/usr/sbin/service", "nginx", "status").startswith(
        "nginx is running as pid ")
    assert sim.out("jexec", "web", "/bin/hostname") == "web.example.org\n"


def test_jexec_real_command_runs_in_jail_root(sim: SimHost) -> None:
    root = sim.root / "usr/local/jails/web"
    assert sim.out("jexec", "web", "pwd") == f"{root}\n"
    env = sim.out("jexec", "web", "env")
    assert "JAILTUI_SIM_JAIL=web" in env.splitlines()
    assert f"PATH={sim.simdir / 'jailbin'}:/bin:/usr/bin" in env.splitlines()
    assert "USER=root" in env.splitlines()
    # the exit status is the command's
    assert sim.run("jexec", "web", "sh", "-c", "exit 7").returncode == 7
    # with -l: the user's home inside the jail
    assert sim.out("jexec", "-l", "-U", "deploy", "web", "pwd") == f"{root}/home/deploy\n"


def test_jexec_errors(sim: SimHost) -> None:
    res = sim.run("jexec", "nosuch", "hostname")
    assert (res.returncode, res.stdout, res.stderr) == (1, b"", b'jexec: jail "nosuch" not found\n')
    assert sim.run("jexec", "99", "id").stderr == b"jexec: jail 99 not found\n"
    res = sim.run("jexec", "-u", "nobodyhere", "web", "id")
    assert (res.returncode, res.stderr) == (1, b"jexec: nobodyhere: no such user\n")
    # "deploy" exists only in the web jail: -U finds it, -u (host passwd) does not
    assert sim.run("jexec", "-U", "deploy", "web", "true").returncode == 0
    assert sim.run("jexec", "-u", "deploy", "web", "true").stderr == \
        b"jexec: deploy: no such user\n"
    res = sim.run("jexec", "web", "/no/such/program")
    assert (res.returncode, res.stderr) == (
        1, b"jexec: execvp: /no/such/program: No such file or directory\n")
    res = sim.run("jexec")
    assert (res.returncode, res.stderr) == (
        1, b"usage: jexec [-l] [-u username | -U username] jail [command ...]\n")


def _read_until(fd: int, needle: bytes, timeout: float = 20.0) -> bytes:
    buf = b""
    end = time.monotonic() + timeout
    while needle not in buf:
        left = end - time.monotonic()
        assert left > 0, f"timed out waiting for {needle!r}; got {buf!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def test_interactive_shell_on_a_pty(sim: SimHost) -> None:
    master, slave = os.openpty()
    env = {"PATH": f"{sim.bindir}:/usr/bin:/bin", "HOME": str(sim.simdir), "TERM": "dumb",
           **sim.env}
    proc = subprocess.Popen([str(sim.bindir / "jexec"), "web"], stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    try:
        first = _read_until(master, b"# ")
        assert b"root@web:/ # " in first
        os.write(master, b"pwd\n")
        out = _read_until(master, b"# ", timeout=10)
        assert str(sim.root / "usr/local/jails/web").encode() in out
        os.write(master, b"hostname\n")
        out = _read_until(master, b"# ", timeout=10)
        assert b"web.example.org" in out
        os.write(master, b"exit\n")
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        os.close(master)
