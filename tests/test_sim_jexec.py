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
    assert sim.out("jexec", "-l", "-U", "root", "web", "/usr/sbin/service", "nginx", "status").startswith(
        "nginx is running as pid ")
    assert sim.out("jexec", "web", "/bin/hostname") == "web.example.org\n"


def test_jexec_real_command_runs_in_jail_root(sim: SimHost) -> None:
    """Confined (sim/confine.py): the jail's root is "/", its passwd, its uid."""
    root = sim.root / "usr/local/jails/web"
    assert sim.out("jexec", "web", "pwd") == "/\n"
    listing = sim.out("jexec", "web", "ls", "/").split()
    assert set(listing) >= {"etc", "usr", "var", "tmp", "root"}
    assert "work" not in listing and "home" in listing  # not this machine's /
    assert sim.out("jexec", "web", "cat", "/etc/passwd") == (root / "etc/passwd").read_text()
    (root / "tmp/mark").write_text("in the jail")
    assert sim.out("jexec", "web", "cat", "/tmp/mark") == "in the jail"
    assert sim.run("jexec", "db", "cat", "/tmp/mark").returncode == 1
    env = sim.out("jexec", "web", "env").splitlines()
    assert "JAILTUI_SIM_JAIL=web" in env
    assert any(ln.startswith("PATH=/.jailtui-sim/host/jailbin:") for ln in env)
    assert "USER=root" not in env  # no -l, no -U: jexec.c leaves the environment
    # the exit status is the command's; the streams stay apart
    res = sim.run("jexec", "web", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (res.returncode, res.stdout, res.stderr) == (7, b"out\n", b"err\n")
    # -U: the jail's passwd gives the uid (mapped in the user namespace)
    assert sim.out("jexec", "-U", "www", "web", "id", "-u") == "80\n"
    assert sim.out("jexec", "-U", "deploy", "web", "id", "-un") == "deploy\n"
    # with -l: the user's home inside the jail, a clean environment
    assert sim.out("jexec", "-l", "-U", "deploy", "web", "pwd") == "/home/deploy\n"
    env = sim.out("jexec", "-l", "-U", "deploy", "web", "env").splitlines()
    assert "USER=deploy" in env and "HOME=/home/deploy" in env and "SHELL=/bin/sh" in env
    # the simulated tools answer inside the confined shell too
    assert sim.out("jexec", "web", "sh", "-c", "hostname; ps -ax -o jid= | sort -u") == \
        "web.example.org\n1\n"


def test_jexec_l_without_U_uses_the_hosts_passwd(sim: SimHost) -> None:
    """jexec.c: -l without -U reads shell and home from the HOST's passwd before
    jail_attach (issue 11 item 8): the host root's bash is not in the jail."""
    res = sim.run("jexec", "-l", "web", env={"TERM": "dumb"})
    assert res.returncode == 1
    assert b"jexec: execlp: /usr/local/bin/bash: No such file or directory" in res.stderr
    env = sim.out("jexec", "-l", "web", "env").splitlines()
    assert "SHELL=/usr/local/bin/bash" in env and "HOME=/root" in env
    (sim.root / "usr/local/jails/dns/root").rmdir()
    res = sim.run("jexec", "-l", "dns", "true")
    assert (res.returncode, res.stderr) == (1, b"jexec: chdir: /root: No such file or directory\n")
    # -U root: the jail's passwd decides; what the product passes
    assert sim.out("jexec", "-l", "-U", "root", "web", "sh", "-c", "echo $SHELL") == "/bin/sh\n"


def test_jexec_without_confinement_runs_only_the_simulated_tools(sim: SimHost) -> None:
    off = {"JAILTUI_SIM_CONFINE": "none"}
    res = sim.run("jexec", "web", "ls", "/", env=off)
    assert res.returncode == 127 and res.stdout == b""
    assert b"SIMULATED jail is not confined" in res.stderr
    assert sim.run("jexec", "web", "hostname", env=off).stdout == b"web.example.org\n"
    assert sim.run("jexec", "-U", "www", "web", "id", env=off).stdout.startswith(b"uid=80(www)")
    shell = sim.run("jexec", "web", env=off, input=b"ls /\nhostname\nexit 4\n")
    assert shell.returncode == 4
    assert b"SIMULATED FreeBSD jail web" in shell.stderr and b"NOT confined" in shell.stderr
    assert b"web.example.org" in shell.stdout and b"bin\n" not in shell.stdout


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
        assert b"root@web:/ # " in first and b"SIMULATED FreeBSD jail web" in first
        os.write(master, b"pwd; id -u\n")
        out = _read_until(master, b"# ", timeout=10)
        assert b"/\r\n0\r\n" in out
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
