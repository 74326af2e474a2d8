"""Runners: the one way commands are run (argv in, bytes out).

A runner takes an argv list and returns a :class:`CommandResult` with raw
bytes; parsers turn the bytes into models. The same argv runs locally
(:class:`LocalRunner`), in the simulated host (``jailtui.sim.runner``) or,
later, over SSH. Never a shell string: there is no way to pass one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from jailtui.core.errors import CommandNotFound, CommandTimeout

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


class LocalRunner:
    """Runs commands on this machine with asyncio subprocesses.

    Every command gets a timeout; on timeout or cancellation the child is
    killed (cancelling a task awaiting ``communicate()`` does not kill it,
    docs/textual.md section 2.2).
    """

    label = "local"

    def __init__(self, *, path: str | None = None, env: Mapping[str, str] | None = None) -> None:
        self._path = path
        self._env = clean_env(env, path=path)

    def which(self, tool: str) -> str | None:
        return shutil.which(tool, path=self._env.get("PATH"))

    async def run(self, argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT,
                  input: bytes | None = None) -> CommandResult:
        if not argv:
            raise ValueError("empty argv")
        exe = argv[0] if "/" in argv[0] else self.which(argv[0])
        if exe is None or not os.access(exe, os.X_OK):
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
        try:
            out, err = await asyncio.wait_for(proc.communicate(input), timeout)
        except TimeoutError:
            _kill(proc)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 2)
            raise CommandTimeout(argv, timeout) from None
        except asyncio.CancelledError:
            _kill(proc)
            raise
        return CommandResult(tuple(argv), proc.returncode if proc.returncode is not None else -1,
                             out, err)

    def interactive_argv(self, argv: Sequence[str]) -> list[str]:
        return list(argv)

    def interactive_env(self) -> dict[str, str]:
        return dict(self._env)


def _kill(proc: asyncio.subprocess.Process) -> None:
    """Kill the child and its process group (it was started in its own session)."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, 9)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
