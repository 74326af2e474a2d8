"""The SSH runner: argv lists on one remote host through the system's
OpenSSH client, with a shared master connection (ControlMaster).

See the package docstring (core/transport/ssh/__init__.py) for why the
OpenSSH client, the cost of a poll and the quoting rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from jailtui.core.errors import (
    CommandNotFound,
    CommandTimeout,
    OutputTooLarge,
    ParseError,
)
from jailtui.core.transport.capture import MAX_OUTPUT, collect
from jailtui.core.transport.runner import DEFAULT_TIMEOUT, CommandResult, clean_env
from jailtui.core.transport.ssh.framing import (
    IncompleteOutput,
    build_script,
    env_not_found,
    parse_header,
    parse_output,
)
from jailtui.core.transport.ssh.link import (
    BACKOFF_CAP,
    BACKOFF_FIRST,
    SSH_ERROR,
    HostTimeout,
    HostUnreachable,
    Link,
    LinkState,
)

__all__ = ["CONNECT_TIMEOUT", "CONTROL_PERSIST", "SSHRunner", "default_name", "last_line",
           "private_control_dir", "short_host"]

#: Seconds an idle master connection stays up after its last command
#: (ssh_config(5) ControlPersist). Long enough to span polls and
#: back-to-back CLI invocations; short enough not to linger.
CONTROL_PERSIST = 60

#: Seconds to wait for the TCP connection and the SSH handshake
#: (ssh_config(5) ConnectTimeout). Below the poll timeout (8 s), so a dead
#: host shows as "unreachable", not as a killed command.
CONNECT_TIMEOUT = 5.0

#: Keepalives on the master (ssh_config(5) ServerAliveInterval,
#: ServerAliveCountMax): a silently dead link is noticed within 15 * 3 s even
#: with no command running, and the next poll reconnects.
SERVER_ALIVE_INTERVAL = 15
SERVER_ALIVE_COUNT_MAX = 3

#: Variables ssh itself needs besides the runner allowlist: the agent socket
#: (keys in ssh-agent), and Kerberos credentials (GSSAPIAuthentication).
SSH_ENV = ("SSH_AUTH_SOCK", "KRB5CCNAME")

#: Unix socket paths are limited (104 bytes on FreeBSD, 108 on Linux); ssh
#: adds a 17-character random suffix to the ControlPath while it binds.
_SOCKET_PATH_MAX = 100
_CONTROL_NAME_LEN = 40  # %C: a SHA1 in hex

#: A destination as ssh(1) takes it: [user@]host or ssh://[user@]host[:port].
#: Never starting with "-" (it would be read as an option), no whitespace or
#: control characters.
_DESTINATION = re.compile(r"^[^\s\-][^\s\x00-\x1f\x7f]*$")

#: Bytes of a batch's answer besides the commands' outputs: the frame's head
#: (a status and two ``wc -c`` lines per command) and whatever the login
#: shell prints first (motd, rc files). Bounded too: a login shell that
#: floods is a host that floods.
FRAME_SLACK = 1024 * 1024

_T = TypeVar("_T")


# -- control sockets ----------------------------------------------------------------


def private_control_dir(env: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """A 0700 directory of ours for ControlPath sockets: (path, temporary).

    ``$XDG_RUNTIME_DIR/jailtui-ssh`` when there is a runtime dir (so the
    master survives between CLI invocations and is reused, and the system
    removes it at logout), else a fresh ``mkdtemp`` that the runner removes
    when closed. Whoever can connect to a control socket can run commands as
    us on the host without authenticating, hence: not a symlink, owned by
    us, mode 0700, and short enough for a socket path.
    """
    env = os.environ if env is None else env
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        path = os.path.join(runtime, "jailtui-ssh")
        if len(path) + 1 + _CONTROL_NAME_LEN <= _SOCKET_PATH_MAX:
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o700)
            with contextlib.suppress(OSError):
                st = os.lstat(path)
                if (stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid()
                        and stat.S_IMODE(st.st_mode) & 0o077 == 0):
                    return path, False
    base = env.get("TMPDIR") or "/tmp"
    if len(base) + 20 + _CONTROL_NAME_LEN > _SOCKET_PATH_MAX:
        base = "/tmp"
    return tempfile.mkdtemp(prefix="jailtui-ssh-", dir=base), True  # mode 0700


def short_host(destination: str) -> str:
    """The host part of an ssh destination: ``admin@db1.example.org`` -> ``db1.example.org``."""
    rest = destination.removeprefix("ssh://")
    rest = rest.rsplit("@", 1)[-1]
    if rest.startswith("["):  # [v6addr]:port
        return rest[1:].split("]", 1)[0]
    if rest.count(":") == 1:
        rest = rest.split(":", 1)[0]
    return rest


def default_name(destination: str) -> str:
    """The short name of a host: ``admin@web1.example.org`` -> ``web1``.

    Addresses stay whole (``10.0.0.5``, ``fd00::5``): their first "label"
    means nothing.
    """
    host = short_host(destination)
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        return host.split(".", 1)[0] or host


# -- the runner ---------------------------------------------------------------------


class SSHRunner:
    """Runs argv lists on one remote host through OpenSSH (Runner interface).

    ``destination`` is anything ssh(1) accepts (``web1``, ``admin@db1``,
    a ``Host`` alias of ~/.ssh/config). ``ssh_options`` are extra ssh
    arguments for this host (``["-p", "2222", "-o", "ProxyJump=bastion"]``);
    they come first on the command line, so they win over the defaults here
    and over ~/.ssh/config ("the first obtained value will be used",
    ssh_config(5)). ``control_dir`` holds the ControlPath sockets (default:
    :func:`private_control_dir`); ``backoff_first``/``backoff_cap`` shape
    the retry delays; ``clock`` is the wall clock they are counted on
    (tests pass a fake one).
    """

    def __init__(self, destination: str, *, name: str | None = None,
                 ssh_options: Sequence[str] = (), connect_timeout: float = CONNECT_TIMEOUT,
                 control_dir: str | None = None, control_persist: int = CONTROL_PERSIST,
                 backoff_first: float = BACKOFF_FIRST, backoff_cap: float = BACKOFF_CAP,
                 ssh: str = "ssh", clock: Callable[[], float] = time.time,
                 max_output: int = MAX_OUTPUT) -> None:
        self.check_destination(destination)
        #: Cap of each of stdout and stderr of one command, in bytes, as the
        #: local runner's (``[limits] output_mib``, core/transport/capture.py).
        self.max_output = max_output
        self.destination = destination
        self.name = name or default_name(destination)
        self.label = f"ssh:{self.name}"
        self.ssh_options = tuple(ssh_options)
        self.connect_timeout = connect_timeout
        self.control_persist = control_persist
        self._ssh = shutil.which(ssh) or ssh
        if control_dir is None:
            self.control_dir, self._temp_dir = private_control_dir()
        else:
            self.control_dir, self._temp_dir = control_dir, False
        self._link = Link(self.name, backoff_first, backoff_cap, clock)
        env = {k: os.environ[k] for k in SSH_ENV if k in os.environ}
        self._env = clean_env(env)

    # -- argv of ssh itself -------------------------------------------------

    def control_options(self) -> list[str]:
        """Connection sharing and liveness options (all sessions use them)."""
        return [
            # ssh_config(5) ControlMaster=auto: use the master if one is
            # running, else become it; ControlPersist: the master stays in
            # the background for that long after the last session.
            "-o", "ControlMaster=auto",
            "-o", f"ControlPersist={self.control_persist}",
            # ssh_config(5) ControlPath, TOKENS: %C is a hash of local host,
            # remote host, port and user: one socket per destination, short.
            "-o", f"ControlPath={os.path.join(self.control_dir, '%C')}",
            # ssh_config(5) ConnectTimeout, ServerAliveInterval/CountMax.
            "-o", f"ConnectTimeout={max(1, round(self.connect_timeout))}",
            "-o", f"ServerAliveInterval={SERVER_ALIVE_INTERVAL}",
            "-o", f"ServerAliveCountMax={SERVER_ALIVE_COUNT_MAX}",
        ]

    def _quiet_options(self) -> list[str]:
        return [
            # ssh(1) -T: no pty (a pty would mix stderr into stdout and
            # translate newlines); -a, -x: never forward the agent or X11
            # to the host for a poll.
            "-T", "-a", "-x",
            # ssh_config(5) ClearAllForwardings: port forwardings of the
            # user's config are not set up by every poll.
            "-o", "ClearAllForwardings=yes",
            # ssh_config(5) BatchMode: no password or host-key prompt; a
            # poll fails instead of waiting for a user who is not there.
            "-o", "BatchMode=yes",
        ]

    def batch_argv(self) -> list[str]:
        """The ssh argv of a batch: the script comes on stdin (see module doc)."""
        return [self._ssh, *self.ssh_options, *self.control_options(), *self._quiet_options(),
                "--", self.destination, "/bin/sh -s"]

    def interactive_argv(self, argv: Sequence[str]) -> list[str]:
        """``ssh -t ... DEST 'jexec -l web'``: the shell in the user's terminal.

        ``-t`` forces a pty (ssh(1)); no BatchMode, so a passphrase or a new
        host key can be asked for; the master is shared with the polls. The
        remote command is one shlex.join'd string: sshd runs it with the
        login shell, which splits it back into ``argv``.
        """
        if not argv:
            raise ValueError("empty argv")
        return [self._ssh, "-t", *self.ssh_options, *self.control_options(),
                "--", self.destination, shlex.join(argv)]

    def pipe_argv(self, argv: Sequence[str]) -> list[str]:
        """``ssh -T ... DEST 'zfs send ...'``: one command whose stdin and stdout are
        plain pipes (a binary stream, core/storage/pipe.py): no pty, no prompt, the
        master shared with the polls; the remote command one shlex.join'd string."""
        if not argv:
            raise ValueError("empty argv")
        return [self._ssh, *self.ssh_options, *self.control_options(), *self._quiet_options(),
                "--", self.destination, shlex.join(argv)]

    def interactive_env(self) -> dict[str, str]:
        """Environment for :meth:`interactive_argv`: the allowlist, the agent
        socket, and TERM (the remote pty is set up for the user's terminal)."""
        env = dict(self._env)
        if "TERM" in os.environ:
            env["TERM"] = os.environ["TERM"]
        return env

    # -- state -----------------------------------------------------------------

    def state(self) -> LinkState:
        """The link: connected, or unreachable since T with the next retry time."""
        return self._link.state()

    def link(self) -> LinkState:
        """:meth:`state` under the Runner protocol's name (core/transport/runner.py)."""
        return self._link.state()

    def blocking(self) -> SSHRunner:
        """This runner: it runs batches synchronously too (:meth:`run_many_blocking`)."""
        return self

    def retry_now(self) -> None:
        """Allow the next command at once (the user asked to reconnect)."""
        self._link.retry_now()

    # -- running -----------------------------------------------------------------

    # The Runner interface takes ``timeout`` (ASYNC109): the deadline kills
    # the ssh child, which asyncio.timeout() around the call would not.
    async def run(self, argv: Sequence[str], *,
                  timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
                  input: bytes | None = None) -> CommandResult:
        """Run one argv on the host (same protocol as a batch of one)."""
        (result,) = await self._batch([tuple(argv)], timeout, input)
        return result

    async def run_many(self, argvs: Sequence[Sequence[str]], *,
                       timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
                       ) -> list[CommandResult]:
        """Run all ``argvs`` in one round trip; results in the same order."""
        return await self._batch([tuple(a) for a in argvs], timeout, None)

    def run_many_blocking(self, argvs: Sequence[Sequence[str]], *,
                          timeout: float = DEFAULT_TIMEOUT) -> list[CommandResult]:
        """:meth:`run_many` for synchronous callers (worker threads, HostFiles).

        Blocks the calling thread for one round trip; shares the connection,
        the backoff and the state with the async path.
        """
        batch = [tuple(a) for a in argvs]
        return _run_blocking(self._batch(batch, timeout, None))

    async def _batch(self, batch: list[tuple[str, ...]], seconds: float,
                     input: bytes | None) -> list[CommandResult]:
        marker, script, ssh_argv = self._prepare(batch, input)
        try:
            proc = await asyncio.create_subprocess_exec(
                *ssh_argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=self._env, close_fds=True,
                start_new_session=True)
        except FileNotFoundError as exc:
            raise CommandNotFound([self._ssh]) from exc
        # capture.collect, as locally: the cap, the deadline, the process
        # group killed on every early stop (cancellation included).
        try:
            got = await collect(proc, ssh_argv, timeout=seconds, input=script,
                                max_output=self.wire_cap(len(batch)))
        except OutputTooLarge as exc:
            raise self._too_large(batch, marker, exc) from None
        except CommandTimeout:
            self._link.failed(f"timed out after {seconds:g} s")
            raise HostTimeout(self.name, batch[0] if len(batch) == 1 else ("ssh", self.name),
                              seconds) from None
        return self._finish(batch, marker, got.returncode, got.stdout, got.stderr)

    def wire_cap(self, count: int) -> int:
        """Cap of ssh's own stdout for a batch of ``count`` commands: every
        command may fill both of its streams up to :attr:`max_output`."""
        return 2 * count * self.max_output + FRAME_SLACK

    def _too_large(self, batch: list[tuple[str, ...]], marker: str,
                   exc: OutputTooLarge) -> OutputTooLarge:
        """The answer went over :meth:`wire_cap`: the error of the command
        that went over its own cap (the frame's head, which comes first, has
        every size), worded as locally; ``ssh`` itself when the head is not
        there (a login shell that floods before the frame)."""
        try:
            header = parse_header(exc.stdout, marker, len(batch), self.name)
        except ParseError:
            return OutputTooLarge(("ssh", self.name), exc.stream, exc.limit)
        return self._over_cap(batch, header.sizes) or OutputTooLarge(
            ("ssh", self.name), exc.stream, exc.limit)

    def _over_cap(self, batch: Sequence[tuple[str, ...]],
                  sizes: Sequence[int]) -> OutputTooLarge | None:
        for i, argv in enumerate(batch):
            for stream, size in (("stdout", sizes[2 * i]), ("stderr", sizes[2 * i + 1])):
                if size > self.max_output:
                    return OutputTooLarge(argv, stream, self.max_output)
        return None

    @staticmethod
    def check_destination(destination: str) -> None:
        """Raise ValueError unless ``destination`` can be given to ssh as one.

        A destination starting with ``-`` would be read as an option
        (``-oProxyCommand=...``); blanks and control characters are never
        part of a host name.
        """
        if not _DESTINATION.match(destination):
            raise ValueError(f"not an ssh destination: {destination!r}")

    def _prepare(self, batch: list[tuple[str, ...]],
                 input: bytes | None) -> tuple[str, bytes, list[str]]:
        if not batch:
            raise ValueError("no commands")
        blocked = self._link.blocked()
        if blocked is not None:
            raise HostUnreachable(self.name, batch[0], self._unreachable_message(blocked),
                                  blocked, blocked.error or "")
        import secrets  # here: a local `list` never talks SSH (issue 18: its imports)

        marker = f"JAILTUI-{secrets.token_hex(16)}"
        return marker, build_script(batch, marker, input), self.batch_argv()

    def _unreachable_message(self, st: LinkState) -> str:
        reason = f" ({st.error})" if st.error else ""
        return f"{self.name}: {st.describe(self._link.clock())}{reason}"

    def _finish(self, batch: list[tuple[str, ...]], marker: str, rc: int, out: bytes,
                err: bytes) -> list[CommandResult]:
        try:
            parts = parse_output(out, marker, len(batch), self.name)
        except IncompleteOutput as exc:
            if rc != SSH_ERROR:
                raise ParseError(exc.command, _with_stderr(exc.detail, err)) from None
            # ssh's own failure: connect, authentication, host key, lost link.
            st = self._link.failed(last_line(err) or "ssh failed")
            raise HostUnreachable(self.name, batch[0], f"{self.name}: unreachable ({st.error})",
                                  st, err.decode("utf-8", "replace")) from None
        self._link.ok()
        too_large = self._over_cap(batch, [n for p in parts for n in (len(p.stdout),
                                                                      len(p.stderr))])
        if too_large is not None:
            raise too_large
        results = []
        for argv, part in zip(batch, parts, strict=True):
            status = part.status if part.status is not None else -1
            if status == 127 and env_not_found(argv[0], part.stderr):
                raise CommandNotFound(argv)
            results.append(CommandResult(argv, status, part.stdout, part.stderr))
        return results

    # -- shutdown -----------------------------------------------------------------

    def close(self, *, stop_master: bool | None = None) -> None:
        """Stop the master (``ssh -O exit``, ssh(1)) and remove a temporary socket dir.

        By default the master is stopped only when its socket is in a
        temporary directory: one under $XDG_RUNTIME_DIR is left to
        ControlPersist, so the next invocation reuses it.
        """
        stop = self._temp_dir if stop_master is None else stop_master
        if stop:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run([self._ssh, *self.ssh_options, *self.control_options(),
                                "-O", "exit", "--", self.destination],
                               capture_output=True, env=self._env, timeout=5, check=False)
        if self._temp_dir:
            shutil.rmtree(self.control_dir, ignore_errors=True)


def _run_blocking(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` to its end from synchronous code, blocking.

    A worker thread (HostFiles) has no event loop: a private one. A caller
    on a thread whose loop is running (a synchronous API called from a
    coroutine) cannot nest one (asyncio.run refuses): a helper thread runs
    it. Either way the one collecting code (capture.collect) applies.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: list[_T] = []
    error: list[BaseException] = []

    def main() -> None:
        try:
            box.append(asyncio.run(coro))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(exc)

    t = threading.Thread(target=main, name="jailtui-ssh-blocking", daemon=True)
    t.start()
    t.join()
    if error:
        raise error[0]
    return box[0]


def last_line(data: bytes) -> str:
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _with_stderr(detail: str, err: bytes) -> str:
    line = last_line(err)
    return f"{detail}: {line}" if line else detail
