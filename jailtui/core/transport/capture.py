"""Collecting a child's output with limits: the part every runner shares.

``Process.communicate()`` buffers without a limit (a ``ps`` that writes
``yes``-style output took ``list`` to 3 GB within its timeout, issue 14
item 3) and, when a child daemonizes and keeps stdout open, waits for an
EOF that only comes when the daemon exits. :func:`collect` reads both
streams itself with a per-stream cap, a deadline that keeps what came
(partial output is shown on timeout), and kills the child's process group
whenever it stops early: on the cap, the deadline, cancellation, or when the
child has exited but something it left behind still holds the pipes.

The local runner and the SSH runner both call it (the SSH runner with the
cap multiplied by the streams in its batch: core/transport/ssh/runner.py
then names the command that went over from the frame's head).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass

from jailtui.core.errors import CommandTimeout, OutputTooLarge

#: Default cap of one stream of one command, in bytes. ``ps -ax -ww`` of
#: 50,000 processes with long command lines is some 20 MiB; 64 MiB leaves
#: room and still bounds memory. ``[limits] output_mib`` in the config file.
MAX_OUTPUT = 64 * 1024 * 1024

#: Seconds to wait for the pipes to close once the child itself has exited.
#: Anything still holding them then is a process it left behind.
LINGER = 1.0

_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class Collected:
    returncode: int
    stdout: bytes
    stderr: bytes


def kill_tree(pid: int) -> None:
    """SIGKILL process ``pid`` and every process descended from it.

    For a child that shares our process group on purpose (the command line's
    ``exec``: ctrl+c must reach it, so no group of its own to kill), where
    ``kill(pid)`` alone leaves the command's own children running: a shell's
    background job, or on the simulated host bubblewrap, whose
    ``--die-with-parent`` (prctl(2) ``PR_SET_PDEATHSIG``, set by bwrap once it
    runs) misses a parent killed before that; CI caught its ``sleep`` alive
    after the timeout. Each process is stopped (SIGSTOP) before its children
    are read, so none forks a new one meanwhile, then all are killed. A process
    this user may not signal (another user's) is left, as ``kill(2)`` would.
    """
    import psutil

    try:
        todo = [psutil.Process(pid)]
    except psutil.Error:
        return
    stopped: list[psutil.Process] = []
    while todo:
        proc = todo.pop()
        with contextlib.suppress(psutil.Error):
            proc.suspend()
            stopped.append(proc)
            todo.extend(proc.children())
    for proc in stopped:
        with contextlib.suppress(psutil.Error):
            proc.kill()


def kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL the child's process group (it was started in its own session).

    The group is signalled even when the child has exited: a process it left
    behind in the group (a daemon holding stdout) is still there. A child that
    called setsid(2) itself is out of reach; the caller stops reading anyway.
    ``proc.kill()`` only when the group is gone: Popen.send_signal() polls
    first (CPython Lib/subprocess.py), reaping the child under asyncio's
    child watcher ("Unknown child process pid ..., will report returncode 255").
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)
        return
    except (ProcessLookupError, PermissionError):
        pass
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


class _Cap(Exception):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.stream = stream


async def _drain(reader: asyncio.StreamReader | None, buf: io.BytesIO, limit: int,
                 stream: str) -> None:
    if reader is None:
        return
    while True:
        chunk = await reader.read(_CHUNK)
        if not chunk:
            return
        buf.write(chunk)
        if buf.tell() > limit:  # only appended to: the position is the size
            raise _Cap(stream)


async def _feed(proc: asyncio.subprocess.Process, data: bytes | None) -> None:
    if data is None or proc.stdin is None:
        return
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.write(data)
        await proc.stdin.drain()
    with contextlib.suppress(OSError):
        proc.stdin.close()


#: How often the child's exit is looked at while its pipes are still open.
#: ``Process.wait()`` cannot tell: it returns only once every pipe is closed
#: (CPython asyncio/base_subprocess.py: the exit waiters are woken in
#: ``_call_connection_lost``), which a process left behind can delay forever.
_EXIT_POLL = 0.05


def _raise_failed(tasks: Sequence[asyncio.Future[None]]) -> None:
    for t in tasks:
        if t.done() and not t.cancelled() and t.exception() is not None:
            raise t.exception()  # type: ignore[misc]


async def _pipes(proc: asyncio.subprocess.Process, tasks: Sequence[asyncio.Future[None]],
                 deadline: float) -> bool:
    """Read until the pipes close (True) or the child exited and, after
    :data:`LINGER`, something it left behind still holds them (False).

    Raises a reader's exception (the cap) at once, TimeoutError at ``deadline``.
    """
    loop = asyncio.get_running_loop()
    exited_at: float | None = None
    while True:
        _raise_failed(tasks)
        pending = [t for t in tasks if not t.done()]
        if not pending:
            return True
        now = loop.time()
        if now >= deadline:
            raise TimeoutError
        if exited_at is None and proc.returncode is not None:
            exited_at = now
        if exited_at is not None and now - exited_at >= LINGER:
            return False
        await asyncio.wait(pending, timeout=min(_EXIT_POLL, deadline - now),
                           return_when=asyncio.FIRST_COMPLETED)


async def collect(proc: asyncio.subprocess.Process, argv: Sequence[str], *, timeout: float,
                  input: bytes | None = None, max_output: int = MAX_OUTPUT) -> Collected:
    """Feed ``input``, read stdout and stderr (each up to ``max_output``), wait.

    Raises :class:`OutputTooLarge` or :class:`CommandTimeout` (with the
    partial output) after killing the process group; on cancellation kills
    it too. The process is always reaped before returning or raising, so no
    transport outlives the event loop ("Exception ignored ... Event loop is
    closed").
    """
    # BytesIO, not a bytearray: its getvalue() hands over the buffer it grew
    # (shrunk to size in place) instead of copying it, so a 15 MB ps answer is
    # never alive twice (CPython Modules/_io/bytesio.c getvalue; issue 18, the
    # console's peak RSS). Same bytes either way.
    out, err = io.BytesIO(), io.BytesIO()
    tasks = [asyncio.ensure_future(_drain(proc.stdout, out, max_output, "stdout")),
             asyncio.ensure_future(_drain(proc.stderr, err, max_output, "stderr")),
             asyncio.ensure_future(_feed(proc, input))]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        try:
            if await _pipes(proc, tasks, deadline):
                left = deadline - loop.time()
                if left <= 0:
                    raise TimeoutError
                await asyncio.wait_for(proc.wait(), left)
            else:
                kill_group(proc)  # the child exited; what it left behind holds the pipes
        except _Cap as cap:
            kill_group(proc)
            raise OutputTooLarge(argv, cap.stream, max_output,
                                 stdout=out.getvalue()[:max_output]) from None
        except TimeoutError:
            kill_group(proc)
            raise CommandTimeout(argv, timeout, stdout=out.getvalue()[:max_output],
                                 stderr=err.getvalue()[:max_output]) from None
    except BaseException:
        kill_group(proc)
        raise
    finally:
        for t in tasks:
            if not t.done():
                t.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
        # Pipes not read to EOF (we stopped at the cap, or a process left
        # behind holds them) would keep the transport open until the garbage
        # collector closes it after the loop did ("Exception ignored ...
        # Event loop is closed", CPython asyncio/base_subprocess.py __del__),
        # and keep proc.wait() from returning: closed here, then the child
        # (SIGKILLed above when it had not exited) is reaped.
        transport = getattr(proc, "_transport", None)
        if transport is not None:
            for fd in (0, 1, 2):
                pipe = transport.get_pipe_transport(fd)
                if pipe is not None:
                    pipe.close()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(proc.wait(), 5)
    rc = proc.returncode if proc.returncode is not None else -1
    return Collected(rc, out.getvalue(), err.getvalue())
