"""Run jail(8)'s host-side commands (exec.prestart, exec.poststop ...) for real.

jail(8) runs every ``exec.*`` command except exec.start, command and
exec.stop on the host, as the invoking user (docs/freebsd.md 3.7, 4.3), so the
simulator runs them on this machine, as this user. How a command string
becomes a process follows command.c exactly:

- a string containing any of ``!"$&'()*;<>?[\\]`{|}~`` is run as
  ``/bin/sh -c STRING`` -- that is jail(8)'s own behaviour, the one place
  where the project hands a string to a shell, and only a string the
  administrator wrote in jail.conf;
- otherwise it is split on whitespace and exec'd directly;
- a single trailing ``&`` runs it in the background (its own session).

Every command has a timeout: ``exec.timeout`` when set (jail(8) then says
``timed out``), else :data:`DEFAULT_TIMEOUT` so a hung hook cannot hang the
console.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from jailtui.sim import cancel

#: command.c: strpbrk(comstring, "!\"$&'()*;<>?[\\]`{|}~").
METACHARACTERS = "!\"$&'()*;<>?[\\]`{|}~"

DEFAULT_TIMEOUT = 120.0


def command_argv(command: str) -> tuple[list[str], bool]:
    """``(argv, background)`` for one exec.* string, as command.c builds it."""
    for i, c in enumerate(command):
        if c in METACHARACTERS:
            if c == "&" and i == len(command) - 1:
                return command[:i].split(), True
            # jail(8) hands such strings to /bin/sh -c (docs/freebsd.md 3.7).
            return ["/bin/sh", "-c", command], False
    return command.split(), False


@dataclass
class Outcome:
    """How a command ended."""

    returncode: int
    out: bytes = b""
    err: bytes = b""
    timed_out: bool = False
    #: Signal number when it was killed by one.
    signal: int = 0
    not_found: str = ""


def run(argv: list[str], *, env: Mapping[str, str], cwd: str | None, timeout: float | None,
        background: bool = False, stdin: bytes | None = None) -> Outcome:
    """Run ``argv`` and capture its output; kill its process group on timeout."""
    limit = timeout if timeout and timeout > 0 else DEFAULT_TIMEOUT
    try:
        # Registered with the command, so that a timed-out caller kills it
        # (sim/cancel.py); in its own session like every hook.
        proc = cancel.spawn(
            argv, cwd=cwd, env=dict(env),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL if background else subprocess.PIPE,
            stderr=subprocess.DEVNULL if background else subprocess.PIPE)
    except FileNotFoundError as e:
        return Outcome(1, not_found=e.strerror or "No such file or directory")
    except PermissionError as e:
        return Outcome(1, not_found=e.strerror or "Permission denied")
    if background:
        return Outcome(0)
    try:
        out, err = proc.communicate(stdin, timeout=limit)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return Outcome(-1, out, err, timed_out=True)
    cancel.checkpoint()
    if proc.returncode < 0:
        return Outcome(proc.returncode, out, err, signal=-proc.returncode)
    return Outcome(proc.returncode, out, err)
