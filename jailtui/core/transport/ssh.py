"""Commands on a remote jail host over OpenSSH, one round trip per poll.

:class:`SSHRunner` implements the :class:`~jailtui.core.transport.runner.Runner`
interface with the system's OpenSSH client (``ssh``), so everything that
works locally (poll, actions, health checks) works on a remote host
unchanged. Why the OpenSSH client and not a Python SSH library: it is what
the admin already trusts and has configured. ``~/.ssh/config`` (``Host``
aliases, ``User``, ``Port``, ``IdentityFile``, ``ProxyJump``), the agent,
``known_hosts`` and hardware keys all work because we never pass ``-F``.

Cost. A poll must stay cheap with a fleet of hosts polled every two
seconds, so:

- the connection is shared: the first ``ssh`` becomes the master and every
  later command is a new session on it (ssh_config(5) ``ControlMaster``,
  ``ControlPersist``, ``ControlPath``); a warm command costs one round
  trip, no TCP or key exchange;
- :meth:`SSHRunner.run_many` sends several argvs as ONE remote script
  (``jls`` and ``ps`` of a tick in one round trip). The script runs each
  command with its stdout, stderr and exit status captured separately and
  prints them framed by a random marker with byte lengths, so the output
  of one command can never be mistaken for another's, nor for the login
  shell's noise (motd, rc files) or ssh's own diagnostics.

Quoting. The remote side necessarily runs a shell: sshd hands the command
to the user's login shell (``$SHELL -c``), which may be csh. So the
command line is only the fixed text ``/bin/sh -s`` and the script goes
through ssh's stdin, where no login shell parses it. Inside the script
every argv is quoted with :func:`shlex.join`, and run through ``env`` so a
shell builtin of the same name (``kill``!) is never used instead of the
tool.

Failures. A host that cannot be reached (ssh exit 255 with no answer, or
a timeout) is marked unreachable and retried with exponential backoff
(2, 4, 8 ... 60 s): in between, commands fail at once with
:class:`HostUnreachable` ("unreachable since 12:03:04, retrying in 8 s")
instead of hammering the host or stalling the console. :meth:`state`
exposes the link for the UI.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fnmatch
import ipaddress
import os
import re
import secrets
import shlex
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from jailtui.core.errors import (
    CommandError,
    CommandNotFound,
    CommandTimeout,
    JailtuiError,
    ParseError,
)
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import DEFAULT_TIMEOUT, FREEBSD_PATH, CommandResult, clean_env

__all__ = [
    "CONNECT_TIMEOUT", "CONTROL_PERSIST", "HostTimeout", "HostUnreachable", "LinkState",
    "RemoteFileError", "RemoteFiles", "SSHRunner", "build_script", "parse_output",
    "default_name", "private_control_dir", "short_host",
]

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

#: Backoff after a failure: first delay, growth factor and cap, in seconds.
BACKOFF_FIRST = 2.0
BACKOFF_FACTOR = 2.0
BACKOFF_CAP = 60.0

#: Exit status ssh(1) uses for its own errors ("ssh exits with the exit
#: status of the remote command or with 255 if an error occurred").
SSH_ERROR = 255

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


class HostUnreachable(CommandError):
    """ssh could not reach the host, or the host is waiting for its next retry.

    ``host`` names the host; ``link`` is the state when the error was raised.
    """

    def __init__(self, host: str, argv: Sequence[str], message: str,
                 link: LinkState, stderr: str = "") -> None:
        self.host = host
        self.link = link
        super().__init__(argv, message, returncode=SSH_ERROR, stderr=stderr)


class HostTimeout(CommandTimeout):
    """A command over SSH did not finish in time; the ssh client was killed.

    The message names the host: with several hosts, "ps: timed out" alone
    would not say where.
    """

    def __init__(self, host: str, argv: Sequence[str], timeout: float) -> None:
        super().__init__(argv, timeout)
        self.host = host
        self.message = f"{host}: {self.message}"
        self.args = (self.message,)


@dataclass(frozen=True, slots=True)
class LinkState:
    """The SSH link to one host, for the UI's per-host indicator.

    Times are wall-clock (``time.time()``) so they can be shown as clock
    times; ``next_retry`` is None unless the host is unreachable.
    """

    host: str
    #: The last round trip succeeded.
    connected: bool
    #: When the last round trip succeeded (None: never).
    last_ok: float | None = None
    #: When the current run of failures started (None: not failing).
    unreachable_since: float | None = None
    #: When the next attempt is allowed (None: now).
    next_retry: float | None = None
    #: Consecutive failures.
    failures: int = 0
    #: The last failure, raw (ssh's own message); sanitise before showing.
    error: str | None = None

    @property
    def status(self) -> str:
        """``connected``, ``unreachable`` or ``connecting`` (never tried yet)."""
        if self.connected:
            return "connected"
        return "unreachable" if self.unreachable_since is not None else "connecting"

    def retry_in(self, now: float | None = None) -> float | None:
        """Seconds until the next attempt; 0 when due; None when not failing."""
        if self.next_retry is None:
            return None
        return max(0.0, self.next_retry - (time.time() if now is None else now))

    def describe(self, now: float | None = None) -> str:
        """One line: ``unreachable since 12:03:04, retrying in 8 s``."""
        if self.unreachable_since is None:
            return self.status
        since = time.strftime("%H:%M:%S", time.localtime(self.unreachable_since))
        wait = self.retry_in(now)
        retry = "retrying now" if not wait else f"retrying in {wait:.0f} s"
        return f"unreachable since {since}, {retry}"


class _Link:
    """Thread-safe backoff bookkeeping (RemoteFiles calls from worker threads)."""

    def __init__(self, host: str, first: float, cap: float,
                 clock: Callable[[], float]) -> None:
        self.host = host
        self.first = first
        self.cap = cap
        self.clock = clock
        self._lock = threading.Lock()
        self._state = LinkState(host, connected=False)

    def state(self) -> LinkState:
        with self._lock:
            return self._state

    def blocked(self) -> LinkState | None:
        """The state if the host is waiting for its retry time, else None."""
        with self._lock:
            st = self._state
            if st.next_retry is not None and self.clock() < st.next_retry:
                return st
            return None

    def ok(self) -> None:
        with self._lock:
            self._state = LinkState(self.host, connected=True, last_ok=self.clock())

    def failed(self, error: str) -> LinkState:
        with self._lock:
            st = self._state
            now = self.clock()
            failures = st.failures + 1
            delay = min(self.cap, self.first * BACKOFF_FACTOR ** (failures - 1))
            self._state = LinkState(
                self.host, connected=False, last_ok=st.last_ok,
                unreachable_since=st.unreachable_since or now, next_retry=now + delay,
                failures=failures, error=error)
            return self._state

    def retry_now(self) -> None:
        with self._lock:
            st = self._state
            if st.next_retry is not None:
                self._state = LinkState(
                    self.host, connected=False, last_ok=st.last_ok,
                    unreachable_since=st.unreachable_since, next_retry=self.clock(),
                    failures=st.failures, error=st.error)


# -- the batch protocol -----------------------------------------------------------


#: Bytes copied as they are into a printf format; everything else is written
#: as a \\ooo octal escape (printf(1): "\\ddd ... octal"), so input bytes of any
#: value reach the remote file exactly, with no quoting by hand.
_PRINTF_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:/=+@")
_PRINTF_CHUNK = 2048


def _printf_input(data: bytes) -> list[str]:
    """Script lines that write ``data`` to ``$t/in`` byte for byte."""
    lines = [': >"$t/in"']
    for start in range(0, len(data), _PRINTF_CHUNK):
        chunk = data[start:start + _PRINTF_CHUNK]
        fmt = "".join(chr(b) if b in _PRINTF_PLAIN else f"\\{b:03o}" for b in chunk)
        lines.append(f"printf '{fmt}' >>\"$t/in\"")
    return lines


def build_script(argvs: Sequence[Sequence[str]], marker: str,
                 input: bytes | None = None) -> bytes:
    """The POSIX sh script that runs ``argvs`` on the host and frames their output.

    Every command runs concurrently (like ``asyncio.gather`` locally), with
    stdin from /dev/null (the first one from ``input`` when given), and its
    stdout, stderr and exit status in files of a private temporary
    directory, removed on exit (also on HUP/PIPE/TERM: the EXIT trap runs
    after a trapped signal's ``exit``). Then the statuses, the byte sizes
    and the outputs are printed in the frame :func:`parse_output` reads.
    The marker is random per batch. PATH gets the FreeBSD
    tool directories appended (never prepended: an admin's or a test's own
    directories stay first), since a non-login session may lack /usr/sbin.
    """
    if not re.fullmatch(r"[A-Za-z0-9-]+", marker):
        raise ValueError("marker must be alphanumeric")
    lines = [
        "umask 077",
        f'PATH="${{PATH:+$PATH:}}{FREEBSD_PATH}"; export PATH',
        't=$(mktemp -d "${TMPDIR:-/tmp}/jailtui.XXXXXXXXXX") || exit 125',
        "trap 'rm -rf -- \"$t\"' EXIT",
        "trap 'exit 129' HUP",
        "trap 'exit 130' INT",
        "trap 'exit 141' PIPE",
        "trap 'exit 143' TERM",
    ]
    if input is not None:
        lines.extend(_printf_input(input))
    for i, argv in enumerate(argvs):
        if not argv:
            raise ValueError("empty argv")
        if "=" in argv[0]:
            # env(1) would take it for a NAME=VALUE assignment.
            raise ValueError(f"not a command name: {argv[0]!r}")
        cmd = shlex.join(["env", "--", *argv])
        stdin = '"$t/in"' if input is not None and i == 0 else "/dev/null"
        lines.append(f'{{ {cmd}; echo $? >"$t/{i}.s"; }} <{stdin} >"$t/{i}.o" 2>"$t/{i}.e" &')
    lines.append("wait")
    # Statuses with the read builtin, every size in one wc(1), every output
    # in one cat(1): the framing costs two processes, whatever the count.
    lines.append("S=")
    files = " ".join(f'"$t/{i}.o" "$t/{i}.e"' for i in range(len(argvs)))
    for i in range(len(argvs)):
        lines.append(f'if read s 2>/dev/null <"$t/{i}.s"; then S="$S $s"; else S="$S x"; fi')
    lines.append(f"printf '%s\\n' '{marker} begin'")
    lines.append(f"printf '%s\\n' \"{marker} status$S\"")
    lines.append(f"wc -c {files}")
    lines.append(f"printf '%s\\n' '{marker} data'")
    lines.append(f"cat {files}")
    lines.append(f"printf '%s\\n' '{marker} end'")
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True, slots=True)
class _Part:
    status: int | None
    stdout: bytes
    stderr: bytes


class _Incomplete(ParseError):
    """The framed output stops early (connection lost, or the script was killed)."""


def parse_output(out: bytes, marker: str, count: int, host: str) -> list[_Part]:
    """Split the framed output of :func:`build_script` into ``count`` parts::

        MARKER begin
        MARKER status S0 S1 ...        (x: no status, the command was killed)
        <wc -c: "SIZE path" per stdout/stderr file, then a total line>
        MARKER data
        <stdout 0><stderr 0><stdout 1>...   (exactly the sizes above)
        MARKER end

    Anything before ``MARKER begin`` (login banners, rc-file chatter) is
    skipped. The sizes, not a search for the marker, delimit the outputs,
    so no output can fake a frame. Raises ParseError naming the host when
    a marker is missing or a line does not match.
    """
    command = f"ssh {host}"
    mark = marker.encode()
    begin = mark + b" begin\n"
    start = out.find(begin)
    if start < 0:
        raise _Incomplete(command, "no answer from the remote shell (begin marker missing)")
    pos = start + len(begin)
    data = out.find(b"\n" + mark + b" data\n", pos)
    if data < 0:
        raise _Incomplete(command, "output cut off before the data marker")
    head = out[pos:data].split(b"\n")
    status_line = head[0].split()
    if status_line[:2] != [mark, b"status"] or len(status_line) != 2 + count:
        raise ParseError(command, "bad status line")
    try:
        statuses = [None if s == b"x" else int(s) for s in status_line[2:]]
        sizes = [int(line.split()[0]) for line in head[1:1 + 2 * count]]
    except (ValueError, IndexError):
        raise ParseError(command, "bad size line") from None
    if len(sizes) != 2 * count:
        raise ParseError(command, f"{len(sizes)} sizes for {count} commands")
    pos = data + len(mark) + 7
    if len(out) < pos + sum(sizes):
        raise _Incomplete(command, "output cut off")
    parts: list[_Part] = []
    for i in range(count):
        olen, elen = sizes[2 * i], sizes[2 * i + 1]
        parts.append(_Part(statuses[i], out[pos:pos + olen], out[pos + olen:pos + olen + elen]))
        pos += olen + elen
    if not out.startswith(mark + b" end\n", pos):
        raise _Incomplete(command, "end marker missing")
    return parts


def _env_not_found(argv0: str, stderr: bytes) -> bool:
    """env(1) exits 127 and says "env: NAME: No such file or directory" when
    NAME is not on PATH. The wording is localised and GNU quotes NAME
    (‘NAME’ in a UTF-8 locale), so only the prefix and the name are compared;
    a tool of its own exiting 127 with such a first line is not credible.
    """
    first = stderr.decode("utf-8", "replace").split("\n", 1)[0]
    return first.startswith("env: ") and argv0 in first


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
                 ssh: str = "ssh", clock: Callable[[], float] = time.time) -> None:
        self.check_destination(destination)
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
        self._link = _Link(self.name, backoff_first, backoff_cap, clock)
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
        marker, script, ssh_argv = self._prepare(batch, None)
        try:
            proc = subprocess.run(ssh_argv, input=script, capture_output=True, env=self._env,
                                  timeout=timeout, close_fds=True, start_new_session=True,
                                  check=False)
        except FileNotFoundError as exc:
            raise CommandNotFound([self._ssh]) from exc
        except subprocess.TimeoutExpired:  # subprocess.run has killed ssh
            self._link.failed(f"timed out after {timeout:g} s")
            raise HostTimeout(self.name, batch[0] if len(batch) == 1 else ("ssh", self.name),
                              timeout) from None
        return self._finish(batch, marker, proc.returncode, proc.stdout, proc.stderr)

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
        try:
            out, err = await asyncio.wait_for(proc.communicate(script), seconds)
        except TimeoutError:
            _kill(proc)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 2)
            self._link.failed(f"timed out after {seconds:g} s")
            raise HostTimeout(self.name, batch[0] if len(batch) == 1 else ("ssh", self.name),
                              seconds) from None
        except asyncio.CancelledError:
            _kill(proc)
            raise
        rc = proc.returncode if proc.returncode is not None else -1
        return self._finish(batch, marker, rc, out, err)

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
        marker = f"JAILTUI-{secrets.token_hex(16)}"
        return marker, build_script(batch, marker, input), self.batch_argv()

    def _unreachable_message(self, st: LinkState) -> str:
        reason = f" ({st.error})" if st.error else ""
        return f"{self.name}: {st.describe(self._link.clock())}{reason}"

    def _finish(self, batch: list[tuple[str, ...]], marker: str, rc: int, out: bytes,
                err: bytes) -> list[CommandResult]:
        try:
            parts = parse_output(out, marker, len(batch), self.name)
        except _Incomplete as exc:
            if rc != SSH_ERROR:
                raise ParseError(exc.command, _with_stderr(exc.detail, err)) from None
            # ssh's own failure: connect, authentication, host key, lost link.
            st = self._link.failed(_last_line(err) or "ssh failed")
            raise HostUnreachable(self.name, batch[0], f"{self.name}: unreachable ({st.error})",
                                  st, err.decode("utf-8", "replace")) from None
        self._link.ok()
        results = []
        for argv, part in zip(batch, parts, strict=True):
            status = part.status if part.status is not None else -1
            if status == 127 and _env_not_found(argv[0], part.stderr):
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


def _last_line(data: bytes) -> str:
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _with_stderr(detail: str, err: bytes) -> str:
    line = _last_line(err)
    return f"{detail}: {line}" if line else detail


def _kill(proc: asyncio.subprocess.Process) -> None:
    """Kill ssh and its process group (it was started in its own session).

    A master forked by this ssh has daemonised into its own session by then,
    so the shared connection survives a killed command.
    """
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, 9)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


# -- the host's files over the same connection ----------------------------------------

#: One file: ``MTIME SIZE`` (stat -L: follow symlinks, like os.stat), then
#: the content. FreeBSD stat(1) takes ``-f FORMAT`` (%m mtime, %z size);
#: GNU stat (the simulated host on Linux) ``-c FORMAT`` (%Y, %s), and reads
#: BSD's ``-f`` as "file system" and fails, so the second form runs.
#: Exit 3: no such file; 4: not a regular file (stat line only).
_FILE_SCRIPT = """f=$1
[ -e "$f" ] || exit 3
s=$(stat -L -f '%m %z' -- "$f" 2>/dev/null) || s=$(stat -L -c '%Y %s' -- "$f") || exit 5
printf '%s\\n' "$s"
[ -f "$f" ] || exit 4
exec cat -- "$f"
"""

#: Pathname expansion of one pattern, one match a line (names with a newline
#: are skipped: they cannot be meant). IFS is empty so the pattern is not
#: split on blanks; unmatched patterns expand to themselves, hence the test.
_GLOB_SCRIPT = """IFS=
for f in $1; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  case $f in *'
'*) continue;; esac
  printf '%s\\n' "$f"
done
"""

#: What the Host reads every poll (confsource): fetched together on first use.
WARM_PATHS = ("/etc/rc.conf", "/etc/jail.conf")
WARM_GLOBS = ("/etc/jail.conf.d/*.conf", "/etc/jail.*.conf")

#: Seconds before cached files are checked again (the issue: "re-read at
#: most every ~30 s or when asked").
FILES_MAX_AGE = 30.0


class RemoteFileError(OSError):
    """A remote file could not be read for a reason open() has no errno for
    (host unreachable, no stat(1)); errno EIO. Missing files and denied
    access raise FileNotFoundError and PermissionError, as locally."""


@dataclass(slots=True)
class _File:
    #: (mtime_ns, size) as the console compares it; None: no such file.
    sig: tuple[int, int] | None
    text: str | None
    error: OSError | None
    #: stat's own (mtime_ns, size), and how many times the content changed
    #: under an unchanged one (stat has whole seconds only: see _store).
    base: tuple[int, int] | None = None
    generation: int = 0


class RemoteFiles:
    """The host's files (jail.conf, rc.conf ...) read over an :class:`SSHRunner`.

    Implements :class:`jailtui.core.hosts.host.HostFiles`. The Host asks for the
    same handful of files (and for many that do not exist: rc.d/jail's
    per-jail lookups) on every poll, so every answer is cached, missing
    files included, and nothing is asked again for ``max_age`` seconds or
    until :meth:`invalidate`. Then one round trip re-reads everything known
    (contents are a few KiB: reading them costs no more than a stat, and
    a second round trip for "what changed" would cost more).

    The calls are synchronous (the HostFiles interface; the Host calls it
    from a worker thread) and block for a round trip when the cache cannot
    answer. If the host cannot be reached, cached answers are served
    (stale) and uncached ones raise :class:`RemoteFileError`.
    """

    def __init__(self, runner: SSHRunner, *, paths: PathMap | None = None,
                 max_age: float = FILES_MAX_AGE, timeout: float = 15.0,
                 warm_paths: Sequence[str] = WARM_PATHS,
                 warm_globs: Sequence[str] = WARM_GLOBS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.runner = runner
        #: Host paths -> paths on the remote machine (identity on FreeBSD; a
        #: simulated host keeps its "/" in a directory).
        self.paths = paths or PathMap()
        self.max_age = max_age
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.RLock()
        self._files: dict[str, _File] = {}
        self._globs: dict[str, list[str]] = {}
        self._warm = (tuple(warm_paths), tuple(warm_globs))
        self._checked_at: float | None = None
        #: Round trips made so far (tests and the benchmark read it).
        self.fetches = 0
        #: Why the last fetch failed (None after a good one).
        self.last_error: JailtuiError | None = None

    # -- HostFiles -----------------------------------------------------------

    def read_text(self, host_path: str) -> str:
        f = self._file(host_path)
        if f.error is not None:
            raise f.error
        # OSError(errno, ...) is FileNotFoundError / IsADirectoryError, as
        # open() would raise locally.
        if f.sig is None:
            raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), host_path)
        if f.text is None:
            raise OSError(errno.EISDIR, os.strerror(errno.EISDIR), host_path)
        return f.text

    def stat(self, host_path: str) -> tuple[int, int] | None:
        f = self._file(host_path)
        return f.sig

    def glob(self, pattern: str) -> list[str]:
        with self._lock:
            self._ensure((), (pattern,))
            return list(self._globs.get(pattern, []))

    def local_path(self, host_path: str) -> str | None:
        return None

    # -- cache control ---------------------------------------------------------

    def invalidate(self) -> None:
        """Re-read everything at the next access (after an action, or on request)."""
        with self._lock:
            self._checked_at = None

    def prefetch(self, paths: Sequence[str] = (), globs: Sequence[str] = ()) -> None:
        """Fetch these (and anything due) in one round trip, e.g. every jail's
        etc/rc.conf before a health check reads them one by one."""
        with self._lock:
            self._ensure(tuple(paths), tuple(globs))

    def _file(self, host_path: str) -> _File:
        if not host_path.startswith("/"):
            raise ValueError(f"not an absolute pathname: {host_path}")
        with self._lock:
            self._ensure((host_path,), ())
            f = self._files.get(host_path)
            if f is None:
                missing = self._glob_says_missing(host_path)
                if missing is None:  # fetch failed and nothing cached
                    why = str(self.last_error) if self.last_error else "cannot read"
                    raise RemoteFileError(errno.EIO, why, host_path)
                return missing
            return f

    # -- fetching ---------------------------------------------------------------

    def _ensure(self, paths: tuple[str, ...], globs: tuple[str, ...]) -> None:
        now = self._clock()
        due = self._checked_at is None or now - self._checked_at >= self.max_age
        if due:
            want_paths = [*self._warm[0], *self._files, *paths] if self._checked_at is None \
                else [*self._files, *paths]
            want_globs = [*self._warm[1], *self._globs, *globs] if self._checked_at is None \
                else [*self._globs, *globs]
        else:
            want_paths = [p for p in paths if p not in self._files]
            want_globs = [g for g in globs if g not in self._globs]
        # Paths a glob of this fetch (or a cached one) will answer for.
        covering = [*want_globs, *self._globs]
        want_paths = [p for p in want_paths if p in self._files or not _covered(p, covering)]
        if not want_paths and not want_globs:
            return
        try:
            self._fetch(list(dict.fromkeys(want_paths)), list(dict.fromkeys(want_globs)))
        except (CommandError, ParseError) as exc:
            # Unreachable: keep serving what we have; the runner's backoff
            # keeps this from hammering the host.
            self.last_error = exc
            return
        self.last_error = None
        if due:
            self._checked_at = now
        # Files a glob just found: read them now, in one more round trip,
        # since the caller is about to ask for each.
        new = [p for ps in self._globs.values() for p in ps if p not in self._files]
        if new:
            with contextlib.suppress(CommandError, ParseError):
                self._fetch(list(dict.fromkeys(new)), [])

    def _fetch(self, paths: list[str], globs: list[str]) -> None:
        real = self.paths.real
        argvs = [["sh", "-c", _FILE_SCRIPT, "sh", real(p)] for p in paths]
        argvs += [["sh", "-c", _GLOB_SCRIPT, "sh", real(g)] for g in globs]
        self.fetches += 1
        results = self.runner.run_many_blocking(argvs, timeout=self.timeout)
        for p, res in zip(paths, results[:len(paths)], strict=True):
            self._store(p, res)
        for g, res in zip(globs, results[len(paths):], strict=True):
            names = res.stdout.decode("utf-8", "surrogateescape").split("\n")
            found: list[str] = []
            for n in names:
                if n:
                    with contextlib.suppress(ValueError):  # outside the root: not the host's
                        found.append(self.paths.host(n))
            self._globs[g] = sorted(found)

    def _store(self, path: str, res: CommandResult) -> None:
        """Cache one file's answer.

        FreeBSD stat(1) %m has whole seconds, so an edit within the same
        second and of the same size would keep its signature and the console
        would keep the old parse. The content is here anyway: when it changed
        under an unchanged stat, the signature's nanoseconds count the
        changes (the signature is only ever compared).
        """
        old = self._files.get(path)
        if res.returncode == 3:
            self._files[path] = _File(None, None, None)
            return
        head, _, body = res.stdout.partition(b"\n")
        fields = head.split()
        base: tuple[int, int] | None = None
        if len(fields) == 2 and all(f.isdigit() for f in fields):
            base = (int(fields[0]) * 1_000_000_000, int(fields[1]))
        if base is None or res.returncode not in (0, 4):
            # Exists (stat line) but unreadable, or no stat(1) at all.
            msg = _last_line(res.stderr) or f"cannot read (status {res.returncode})"
            err: OSError
            if "ermission denied" in msg:
                err = OSError(errno.EACCES, os.strerror(errno.EACCES), path)
            else:
                err = RemoteFileError(errno.EIO, msg, path)
            self._files[path] = _File(base, None, err, base)
            return
        text = body.decode("utf-8", "surrogateescape") if res.returncode == 0 else None
        gen = 0
        if old is not None and old.base == base:
            gen = old.generation + (1 if old.text != text else 0)
        self._files[path] = _File((base[0] + gen, base[1]), text, None, base, gen)

    def _glob_says_missing(self, path: str) -> _File | None:
        """A negative answer from a cached glob of the same directory.

        rc.d/jail's lookup asks for /etc/jail.NAME.conf and
        /etc/jail.conf.d/NAME.conf of every jail; the globs fetched with the
        warm set already list every such file that exists.
        """
        for pattern, found in self._globs.items():
            if _covered(path, (pattern,)) and path not in found:
                return _File(None, None, None)
        return None

    async def refresh(self) -> None:
        """Re-read everything known now, without blocking the event loop."""
        self.invalidate()
        await asyncio.to_thread(self.prefetch)


def _covered(path: str, patterns: Sequence[str]) -> bool:
    """Would one of these globs list ``path`` if it existed?

    Same directory (with no wildcard in it) and the name matches; names
    starting with a dot are never listed by ``*`` (sh and glob alike).
    """
    d, base = os.path.split(path)
    if base.startswith("."):
        return False
    for pattern in patterns:
        pd, pbase = os.path.split(pattern)
        if pd == d and not any(c in pd for c in "*?[") and fnmatch.fnmatchcase(base, pbase):
            return True
    return False
