"""Runners: the one way commands are run (argv in, bytes out).

A runner takes an argv list and returns a :class:`CommandResult` with raw
bytes; parsers turn the bytes into models. The same argv runs locally
(:class:`LocalRunner`), in the simulated host (``jailtui.sim.runner``) or,
later, over SSH. Never a shell string: there is no way to pass one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from jailtui.core.errors import CommandNotFound, CommandNotStarted
from jailtui.core.transport.capture import MAX_OUTPUT, collect

if TYPE_CHECKING:
    from jailtui.core.transport.ssh.link import LinkState

#: Default timeout of one command, in seconds. A hung jls or a jail whose
#: exec.stop never returns must not hang the console.
DEFAULT_TIMEOUT = 10.0

#: PATH for commands run on a FreeBSD host: the base system first, then ports
#: (rctl, sysctl live in /usr/bin and /sbin; sudo keeps the caller's PATH
#: unless secure_path is set, docs/security.md section 1.2).
FREEBSD_PATH = "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin"

#: Variables passed on to commands; everything else is dropped.
ENV_ALLOWLIST = ("PATH", "HOME", "USER", "LOGNAME", "TERM", "LANG", "TZ", "JAILTUI_SIM")


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command returned: exit code and raw output."""

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def tool(self) -> str:
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else "?"

    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", "replace")


@runtime_checkable
class Runner(Protocol):
    """Runs argv lists on one host."""

    #: Short label shown to the user: "local", "simulated", "ssh:web1".
    label: str

    async def run(self, argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT,
                  input: bytes | None = None) -> CommandResult:
        """Run ``argv`` and return its result; raise CommandNotFound or CommandTimeout."""
        ...

    def interactive_argv(self, argv: Sequence[str]) -> list[str]:
        """The argv to exec in the user's terminal for an interactive command.

        Locally that is ``argv`` itself; for the simulator it is the simulator
        entry point; over SSH ``ssh -t host ...``.
        """
        ...

    def interactive_env(self) -> dict[str, str]:
        """The environment an interactive command starts from (this runner's clean one)."""
        ...

    def pipe_argv(self, argv: Sequence[str]) -> list[str]:
        """The argv that runs ``argv`` on the host with plain pipes for stdin and stdout
        (a binary stream copied by the console, core/storage/pipe.py): no terminal."""
        ...

    async def run_many(self, argvs: Sequence[Sequence[str]], *,
                       timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - as run()
                       ) -> list[CommandResult]:
        """Run several commands as one batch; results in the same order.

        One round trip over SSH; concurrently elsewhere. When one fails, the
        others are killed at once (:func:`run_concurrently`).
        """
        ...

    def blocking(self) -> BlockingRunner | None:
        """A synchronous batch runner on the same host, for worker threads that
        must act *there* (a remote edit, core/config/remotefile.py); None where
        the host's files are this machine's and are read directly."""
        ...

    def link(self) -> LinkState | None:
        """The SSH link now; None for a host reached without one (local, simulated)."""
        ...

    def retry_now(self) -> None:
        """Cut a reconnect backoff short (the user asked); nothing without a link."""
        ...

    def close(self, *, stop_master: bool | None = None) -> None:
        """Release what the runner holds open (an SSH master); idempotent."""
        ...


class BlockingRunner(Protocol):
    """What a remote edit needs of a runner: one host, reached synchronously too."""

    async def run(self, argv: Sequence[str], *, timeout: float = ...,
                  input: bytes | None = None) -> CommandResult: ...

    def run_many_blocking(self, argvs: Sequence[Sequence[str]], *,
                          timeout: float = ...) -> list[CommandResult]: ...


class LinklessRunner:
    """The parts of :class:`Runner` that a runner without a link shares:
    no SSH link to report or retry, nothing to close, batches run
    concurrently. LocalRunner and the simulator's runner are such runners."""

    async def run(self, argv: Sequence[str], *,
                  timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the Runner protocol
                  input: bytes | None = None) -> CommandResult:
        raise NotImplementedError

    async def run_many(self, argvs: Sequence[Sequence[str]], *,
                       timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - as run()
                       ) -> list[CommandResult]:
        return await run_concurrently(self, argvs, timeout)

    def blocking(self) -> BlockingRunner | None:
        return None

    def link(self) -> LinkState | None:
        return None

    def retry_now(self) -> None:
        return None

    def close(self, *, stop_master: bool | None = None) -> None:
        return None


def clean_env(extra: Mapping[str, str] | None = None, *, path: str | None = None) -> dict[str, str]:
    """A minimal environment for child processes, from an allowlist.

    Nothing of the caller's environment reaches a command unless it is in
    :data:`ENV_ALLOWLIST` (docs/security.md section 2.2).
    """
    env = {k: v for k, v in os.environ.items() if k in ENV_ALLOWLIST}
    env["PATH"] = path if path is not None else env.get("PATH", FREEBSD_PATH)
    env.setdefault("LANG", "C.UTF-8")
    if extra:
        env.update(extra)
    return env


class LocalRunner(LinklessRunner):
    """Runs commands on this machine with asyncio subprocesses.

    Every command gets a timeout; on timeout or cancellation the child is
    killed (cancelling a task awaiting ``communicate()`` does not kill it,
    docs/textual.md section 2.2).
    """

    label = "local"

    def __init__(self, *, path: str | None = None, env: Mapping[str, str] | None = None,
                 max_output: int = MAX_OUTPUT) -> None:
        self._path = path
        self._env = clean_env(env, path=path)
        #: Cap of each of stdout and stderr of one command, in bytes.
        self.max_output = max_output

    def which(self, tool: str) -> str | None:
        return shutil.which(tool, path=self._env.get("PATH"))

    async def run(self, argv: Sequence[str], *,
                  timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the Runner protocol
                  input: bytes | None = None) -> CommandResult:
        if not argv:
            raise ValueError("empty argv")
        exe = argv[0] if "/" in argv[0] else self.which(argv[0])
        if exe is None:
            raise CommandNotFound(argv)
        try:
            proc = await asyncio.create_subprocess_exec(
                exe, *argv[1:],
                stdin=asyncio.subprocess.PIPE if input is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._env,
                close_fds=True,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise CommandNotFound(argv) from exc
        except OSError as exc:
            # ENOEXEC (not an executable format), EACCES, E2BIG ...: the child
            # never ran; one line, at once (issue 14 item 2).
            raise CommandNotStarted(argv, f"cannot run: {exc.strerror or exc}") from exc
        got = await collect(proc, argv, timeout=timeout, input=input,
                            max_output=self.max_output)
        return CommandResult(tuple(argv), got.returncode, got.stdout, got.stderr)

    def interactive_argv(self, argv: Sequence[str]) -> list[str]:
        return list(argv)

    def pipe_argv(self, argv: Sequence[str]) -> list[str]:
        return list(argv)

    def interactive_env(self) -> dict[str, str]:
        return dict(self._env)



async def run_all(runner: Runner, argvs: Sequence[Sequence[str]],
                  timeout: float) -> list[CommandResult]:
    """Run several commands as one batch (:meth:`Runner.run_many`)."""
    return await runner.run_many(argvs, timeout=timeout)


async def run_concurrently(runner: Runner | LinklessRunner, argvs: Sequence[Sequence[str]],
                           timeout: float) -> list[CommandResult]:
    """Run ``argvs`` at once with ``runner.run``; results in the same order.

    When one fails (not found, cannot start, timeout, too much output), the
    others are cancelled, and so killed, at once: plain ``gather`` leaves them
    running and waits for nothing (issue 13 item 5).
    """
    tasks = [asyncio.ensure_future(runner.run(a, timeout=timeout)) for a in argvs]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for t in tasks:
            if not t.done():
                t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
