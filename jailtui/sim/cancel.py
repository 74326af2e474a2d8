"""Cancelling a simulated command whose caller gave up (SimRunner's timeout).

The simulator answers a command in a worker thread (sim/runner.py), and a
thread cannot be killed. What it waits on, though, is always a real child
process (a jexec'd command, an exec.start hook): every such child is started
through :func:`run_captured` / :func:`spawn`, in its own session, and
registered with the command's :class:`Token`. When the runner's timeout
expires it calls :meth:`Token.cancel`: the children's process groups are
killed at once (as LocalRunner kills its child), and the thread, woken by
their death, stops at its next :func:`checkpoint`, before it saves any state
(sim/state.py). So a command reported "timed out (killed)" has changed
nothing afterwards, and quitting does not wait for it.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence

__all__ = ["Cancelled", "Token", "checkpoint", "run_captured", "running", "spawn"]


class Cancelled(Exception):
    """The command was cancelled by its caller; nothing more may happen."""


class Token:
    """One simulated command: cancelled or not, and the children it started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._procs: set[subprocess.Popen[bytes]] = set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Mark cancelled and SIGKILL every registered child's process group."""
        with self._lock:
            self._cancelled = True
            procs = list(self._procs)
        for proc in procs:
            _kill_group(proc)

    def _add(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.add(proc)
            cancelled = self._cancelled
        if cancelled:  # cancelled while it was being started
            _kill_group(proc)

    def _discard(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)


_CURRENT: contextvars.ContextVar[Token | None] = contextvars.ContextVar(
    "jailtui_sim_token", default=None)


@contextlib.contextmanager
def running(token: Token) -> Iterator[None]:
    """Run the block as the command ``token`` stands for (in its thread)."""
    reset = _CURRENT.set(token)
    try:
        yield
    finally:
        _CURRENT.reset(reset)


def checkpoint() -> None:
    """Raise :class:`Cancelled` if the current command was cancelled."""
    token = _CURRENT.get()
    if token is not None and token.cancelled:
        raise Cancelled()


def spawn(argv: Sequence[str], **kwargs: object) -> subprocess.Popen[bytes]:
    """``subprocess.Popen`` in a new session, registered with the current
    command so that cancelling it kills the child and its group."""
    checkpoint()
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        list(argv), start_new_session=True, close_fds=True, **kwargs)
    token = _CURRENT.get()
    if token is not None:
        token._add(proc)
    return proc


def run_captured(argv: Sequence[str], *, cwd: str | None, env: Mapping[str, str],
                 input: bytes, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """``subprocess.run(argv, capture_output=True, timeout=...)``, through
    :func:`spawn`: on timeout the whole process group is killed (not only the
    child) and TimeoutExpired carries what came; cancelled: :class:`Cancelled`."""
    proc = spawn(argv, cwd=cwd, env=dict(env), stdin=subprocess.PIPE,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    token = _CURRENT.get()
    try:
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            raise subprocess.TimeoutExpired(list(argv), timeout, out, err) from None
    finally:
        if token is not None:
            token._discard(proc)
    checkpoint()
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
