"""One command's output as it comes, bounded, cancellable (the console's ``!``).

``Runner.run`` buffers a command's whole output and returns it at the end:
``seq 1 100000`` froze the console for ~40 s and a few runs took ~1 GB
(issue 13 item 7). Here the child's stdout and stderr are read as they
come, in chunks, and handed to a sink; a line longer than
:data:`MAX_LINE` is cut into pieces so that nothing accumulates unbounded
here. The caller decides what to keep (the exec screen shows a capped number
of lines and spills the rest to a file).

The child runs in its own session; a timeout or a cancel kills its whole
process group (the runner's rule, core/transport/runner.py ``_kill``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from jailtui.core.transport.capture import kill_group

Stream = Literal["stdout", "stderr"]

#: Longest piece handed to the sink without a newline.
MAX_LINE = 64 * 1024

#: Read size per chunk.
CHUNK = 64 * 1024


@dataclass(frozen=True)
class StreamOutcome:
    """How the command ended: its exit status (negative: killed by a signal)."""

    returncode: int
    timed_out: bool = False
    cancelled: bool = False


async def _pump(reader: asyncio.StreamReader, stream: Stream,
                sink: Callable[[Stream, bytes], None]) -> None:
    while True:
        data = await reader.read(CHUNK)
        if not data:
            return
        for start in range(0, len(data), MAX_LINE):
            sink(stream, data[start:start + MAX_LINE])


async def stream_command(argv: Sequence[str], sink: Callable[[Stream, bytes], None], *,
                         env: Mapping[str, str] | None, timeout: float | None,
                         cancel: asyncio.Event) -> StreamOutcome:
    """Run ``argv`` (no shell), hand its output to ``sink`` as it comes.

    Ends when the child exits and both streams are drained, when
    ``timeout`` passes, or when ``cancel`` is set (then the process group is
    killed). Raises OSError if the program cannot be started.
    """
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=dict(env) if env is not None else None,
        close_fds=True, start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    pumps = asyncio.gather(_pump(proc.stdout, "stdout", sink), _pump(proc.stderr, "stderr", sink))
    done: asyncio.Future[Any] = asyncio.ensure_future(asyncio.gather(pumps, proc.wait()))
    cancelled: asyncio.Future[Any] = asyncio.ensure_future(cancel.wait())
    try:
        finished, _ = await asyncio.wait({done, cancelled}, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        if done in finished:
            return StreamOutcome(proc.returncode if proc.returncode is not None else -1)
        kill_group(proc)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), 5)
        return StreamOutcome(proc.returncode if proc.returncode is not None else -9,
                             timed_out=cancelled not in finished,
                             cancelled=cancelled in finished)
    except asyncio.CancelledError:
        kill_group(proc)
        raise
    finally:
        cancelled.cancel()
        if not done.done():
            done.cancel()
            with contextlib.suppress(BaseException):
                await done


__all__ = ["CHUNK", "MAX_LINE", "Stream", "StreamOutcome", "stream_command"]
