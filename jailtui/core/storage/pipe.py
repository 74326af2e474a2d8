"""Two commands on one host joined by the console, never by a shell pipe.

``zfs send ... | zfs receive ...`` is two argv processes here: the console
reads the first one's stdout and writes it to the second one's stdin itself,
so it counts the bytes (progress and rate), notices a copy that has stalled
(no byte for :data:`IDLE_TIMEOUT` seconds) and can stop both at once (cancel).
Each runs in its own session; a cancel or a stall kills both process groups
(core/transport/runner.py's rule), so nothing keeps writing afterwards.

Where the commands run: the runner's :meth:`pipe_argv` is the argv that runs a
command on its host as a real process with plain pipes (itself locally, the
simulator's entry point for a simulated host, ``ssh -T`` for an SSH host: the
interactive ``ssh -t`` would put a terminal in the way of a binary stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jailtui.core.errors import CommandNotFound
from jailtui.core.transport.capture import kill_group
from jailtui.core.transport.runner import Runner

#: Bytes read and written per step.
CHUNK = 256 * 1024
#: A copy in which no byte moved for this long is stopped as hung.
IDLE_TIMEOUT = 120.0
#: How long the receiving side may take to finish once the stream has ended.
FINISH_TIMEOUT = 600.0
#: Kept of each command's stderr.
MAX_STDERR = 64 * 1024
#: Progress is reported at most this often (seconds).
REPORT_EVERY = 0.2


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a copy has come."""

    bytes: int
    seconds: float

    @property
    def rate(self) -> float:
        """Bytes a second so far."""
        return self.bytes / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class PipeOutcome:
    """How both ended: exit statuses (negative: killed by that signal), their stderr."""

    source_rc: int
    sink_rc: int
    source_err: str
    sink_err: str
    bytes: int
    seconds: float
    cancelled: bool = False
    stalled: bool = False

    @property
    def ok(self) -> bool:
        return (self.source_rc == 0 and self.sink_rc == 0 and not self.cancelled
                and not self.stalled)


def process_argv(runner: Runner, argv: Sequence[str]) -> list[str]:
    """The argv that runs ``argv`` on the runner's host with plain pipes."""
    return runner.pipe_argv(argv)


async def _drain(reader: asyncio.StreamReader | None, keep: bytearray) -> None:
    if reader is None:
        return
    while True:
        data = await reader.read(CHUNK)
        if not data:
            return
        room = MAX_STDERR - len(keep)
        if room > 0:
            keep += data[:room]


async def _start(runner: Runner, argv: Sequence[str], *, stdin: int) -> asyncio.subprocess.Process:
    full = process_argv(runner, argv)
    try:
        return await asyncio.create_subprocess_exec(
            *full, stdin=stdin, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=runner.interactive_env(), close_fds=True, start_new_session=True)
    except FileNotFoundError:
        raise CommandNotFound(list(argv)) from None


async def pipe(runner: Runner, source: Sequence[str], sink: Sequence[str], *,
               on_progress: Callable[[Progress], None] | None = None,
               cancel: asyncio.Event | None = None,
               idle_timeout: float = IDLE_TIMEOUT) -> PipeOutcome:
    """Run ``source`` and ``sink`` on the runner's host, ``source``'s stdout copied to
    ``sink``'s stdin by this process; return when both have ended (or were killed:
    ``cancel`` set, or no byte for ``idle_timeout`` seconds)."""
    cancel = cancel or asyncio.Event()
    started = time.monotonic()
    src = await _start(runner, source, stdin=asyncio.subprocess.DEVNULL)
    try:
        dst = await _start(runner, sink, stdin=asyncio.subprocess.PIPE)
    except BaseException:
        kill_group(src)
        await src.wait()
        raise
    assert src.stdout is not None and dst.stdin is not None
    src_err, dst_err, dst_out = bytearray(), bytearray(), bytearray()
    moved = 0
    stalled = False

    async def copy() -> None:
        nonlocal moved, stalled
        assert src.stdout is not None and dst.stdin is not None
        last = 0.0
        while True:
            try:
                data = await asyncio.wait_for(src.stdout.read(CHUNK), idle_timeout)
            except TimeoutError:
                stalled = True
                return
            if not data:
                break
            try:
                dst.stdin.write(data)
                await asyncio.wait_for(dst.stdin.drain(), idle_timeout)
            except TimeoutError:
                stalled = True
                return
            except (BrokenPipeError, ConnectionResetError):
                # The receiver ended first (it refused the stream): its stderr says why.
                kill_group(src)
                return
            moved += len(data)
            now = time.monotonic()
            if on_progress is not None and now - last >= REPORT_EVERY:
                last = now
                on_progress(Progress(moved, now - started))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            dst.stdin.close()
            await dst.stdin.wait_closed()

    side = asyncio.gather(_drain(src.stderr, src_err), _drain(dst.stderr, dst_err),
                          _drain(dst.stdout, dst_out))
    work = asyncio.ensure_future(copy())
    stop = asyncio.ensure_future(cancel.wait())
    try:
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        cancelled = stop.done() and not work.done()
        if cancelled or stalled:
            work.cancel()
            kill_group(src)
            kill_group(dst)
        else:
            await work
        if not (cancelled or stalled):
            try:
                await asyncio.wait_for(asyncio.gather(src.wait(), dst.wait()), FINISH_TIMEOUT)
            except TimeoutError:
                stalled = True
                kill_group(src)
                kill_group(dst)
        await asyncio.gather(src.wait(), dst.wait())
        with contextlib.suppress(asyncio.CancelledError):
            await side
    except BaseException:
        # Our caller was cancelled (the console quit): nothing may keep running.
        kill_group(src)
        kill_group(dst)
        raise
    finally:
        stop.cancel()
        if not work.done():
            work.cancel()
    seconds = time.monotonic() - started
    if on_progress is not None:
        on_progress(Progress(moved, seconds))
    return PipeOutcome(src.returncode if src.returncode is not None else -9,
                       dst.returncode if dst.returncode is not None else -9,
                       src_err.decode("utf-8", "replace"), dst_err.decode("utf-8", "replace"),
                       moved, seconds, cancelled=cancelled, stalled=stalled)
