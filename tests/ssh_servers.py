"""Throwaway OpenSSH servers on loopback, each in front of its own simulated host.

Used by tests/test_ssh_*.py and benchmarks/ssh_poll.py. Nothing is
installed here: Debian's ``/usr/sbin/sshd`` (package ``openssh-server``)
must be present; if it is not, :func:`require_sshd` skips the test with the
package to install, or fails it when ``CI`` is set (tests/conftest.py).

Each server gets its own directory with host key, ``sshd_config``,
``authorized_keys`` and pid file; the session finds the simulator's shims
first on PATH through sshd_config(5) ``SetEnv`` (no ForceCommand, no
~/.ssh/environment). Everything is on 127.0.0.1, ports from the kernel.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "ssh-keygen"

#: The package line CI needs (.ci/run) for these tests.


class ServerError(RuntimeError):
    """sshd could not be set up; the message says what to do."""


def require_sshd() -> str:
    """Path of sshd; skipped, or failed when ``CI`` is set, without it
    (tests/conftest.py :func:`require_tool`)."""
    from conftest import require_tool

    require_tool("ssh")
    require_tool("ssh-keygen")
    return require_tool("sshd", SSHD)


def sshd_version() -> tuple[int, int]:
    """(major, minor) of sshd; ``sshd -V`` prints "OpenSSH_9.2p1 ..." (9.2 and later)."""
    res = subprocess.run([SSHD, "-V"], capture_output=True, text=True, check=False)
    m = re.search(r"OpenSSH_(\d+)\.(\d+)", res.stderr + res.stdout)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def free_port() -> int:
    """A loopback TCP port nobody listens on now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path) -> Path:
    """An ed25519 key pair without passphrase at ``path`` (and ``path.pub``)."""
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "jailtui-test",
                    "-f", str(path)], check=True, capture_output=True)
    return path


@dataclass
class Client:
    """What the client side needs: a key and a private known_hosts file."""

    key: Path
    known_hosts: Path
    #: Short directory for ControlPath sockets (unix socket paths are short).
    control_dir: str

    def ssh_options(self, port: int) -> tuple[str, ...]:
        return (
            "-i", str(self.key),
            # ssh_config(5) IdentitiesOnly: only the test key, never the agent's.
            "-o", "IdentitiesOnly=yes",
            "-o", f"UserKnownHostsFile={self.known_hosts}",
            # ssh_config(5) StrictHostKeyChecking=accept-new: first contact
            # records the key, a changed key still fails.
            "-o", "StrictHostKeyChecking=accept-new",
            "-p", str(port),
        )

    @classmethod
    def create(cls, workdir: Path) -> Client:
        require_sshd()
        workdir.mkdir(parents=True, exist_ok=True)
        return cls(keygen(workdir / "id_ed25519"), workdir / "known_hosts",
                   tempfile.mkdtemp(prefix="jt-ssh-"))

    def close(self) -> None:
        shutil.rmtree(self.control_dir, ignore_errors=True)


@dataclass
class Server:
    """One sshd on 127.0.0.1:port whose sessions see one simulated host."""

    name: str
    workdir: Path
    client: Client
    jails: int | None = None
    port: int = 0
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def simdir(self) -> Path:
        return self.workdir / "sim"

    @property
    def bindir(self) -> Path:
        return self.workdir / "bin"

    @property
    def log(self) -> Path:
        return self.workdir / "sshd.log"

    @property
    def destination(self) -> str:
        return f"{pwd.getpwuid(os.geteuid()).pw_name}@127.0.0.1"

    def ssh_options(self) -> tuple[str, ...]:
        return self.client.ssh_options(self.port)

    def prepare(self) -> None:
        """Simulated host, shims, host key and sshd_config (validated with sshd -t)."""
        from jailtui.sim.builder import init_host
        from jailtui.sim.shims import write_shims

        require_sshd()
        self.workdir.mkdir(parents=True, exist_ok=True)
        init_host(self.simdir, jails=self.jails)
        write_shims(self.simdir, self.bindir)
        hostkey = self.workdir / "ssh_host_ed25519_key"
        if not hostkey.exists():
            keygen(hostkey)
        auth = self.workdir / "authorized_keys"
        auth.write_text(Path(f"{self.client.key}.pub").read_text())
        self.port = self.port or free_port()
        if os.geteuid() == 0:
            # sshd(8) running as root needs its privilege separation
            # directory (normally made by systemd's RuntimeDirectory).
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        lines = [
            "ListenAddress 127.0.0.1",
            f"Port {self.port}",
            f"HostKey {hostkey}",
            f"PidFile {self.workdir / 'sshd.pid'}",
            # sshd_config(5): no PAM (no system login stack in a test),
            # keys only, and root only with a key.
            "UsePAM no",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            f"AuthorizedKeysFile {auth}",
            # StrictModes: the test's files live under a world-readable tmp.
            "StrictModes no",
            # SetEnv (OpenSSH 8.7+): the shims first on PATH; SHLVL=1 keeps
            # bash (a login shell of root) from sourcing ~/.bashrc for ssh
            # commands, which could put other directories before the shims.
            f"SetEnv PATH={self.bindir}:/usr/bin:/bin SHLVL=1",
            # Many hosts polled at once (benchmark) and a shared master.
            "MaxSessions 64",
            "MaxStartups 64:30:128",
            "LogLevel INFO",
        ]
        if sshd_version() >= (9, 8):
            # sshd_config(5) PerSourcePenalties (9.8+): the killed-server
            # test must not get 127.0.0.1 refused afterwards.
            lines.append("PerSourcePenalties no")
        config = self.workdir / "sshd_config"
        config.write_text("\n".join(lines) + "\n")
        res = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True,
                             check=False)
        if res.returncode != 0:
            raise ServerError(f"sshd -t rejected {config}: {res.stderr.strip()}")

    def start(self, timeout: float = 10.0) -> None:
        """Run sshd in the foreground (-D) with logs in sshd.log (-E), until it answers."""
        if self.proc is not None and self.proc.poll() is None:
            return
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-f", str(self.workdir / "sshd_config"), "-E", str(self.log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"sshd {self.name} exited ({self.proc.returncode}): "
                                  f"{self.log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(OSError), \
                    socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                if s.recv(4).startswith(b"SSH-"):
                    return
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"sshd {self.name} did not answer on port {self.port}")

    def stop(self) -> None:
        """Kill the listener AND its connection processes (sshd forks one per
        connection, in a session of its own), as a host that goes down would."""
        proc = self.proc
        if proc is None:
            return
        victims: list[psutil.Process] = []
        with contextlib.suppress(psutil.Error):
            parent = psutil.Process(proc.pid)
            victims = [parent, *parent.children(recursive=True)]
        for p in victims:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(victims, timeout=5)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def start_servers(base: Path, names: list[str], client: Client,
                  jails: list[int | None] | None = None) -> list[Server]:
    """Prepare and start one server per name; stops the started ones on failure."""
    servers: list[Server] = []
    try:
        for i, name in enumerate(names):
            srv = Server(name, base / name, client, jails=(jails or [None] * len(names))[i])
            srv.prepare()
            srv.start()
            servers.append(srv)
    except BaseException:
        for srv in servers:
            srv.stop()
        raise
    return servers
