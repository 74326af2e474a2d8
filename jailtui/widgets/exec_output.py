"""A running command's output: lines as they come, a cap on what is kept, the rest in a file.

The exec screen shows at most :data:`MAX_SHOWN_LINES` lines (and
:data:`MAX_SHOWN_BYTES`) of one command; everything after that goes, raw,
to a private file (0600, ``jailtui-exec-*.txt`` in the temp directory), and
the screen says "N more lines, saved to FILE". Memory stays bounded however
much a command prints (``seq 1 100000`` took ~1 GB before; issue 13 item 7).
The action log gets :meth:`OutputSpool.summary`: the first lines and the
count, never the whole output.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from jailtui.core.actions.exec_stream import Stream

MAX_SHOWN_LINES = 2000
MAX_SHOWN_BYTES = 1024 * 1024
#: Lines of a command's output kept in the action log.
SUMMARY_LINES = 20


class OutputSpool:
    """Collects one command's output (see the module docstring)."""

    def __init__(self, *, max_lines: int = MAX_SHOWN_LINES, max_bytes: int = MAX_SHOWN_BYTES,
                 spill_dir: str | None = None) -> None:
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self._spill_dir = spill_dir
        self._partial: dict[Stream, bytes] = {"stdout": b"", "stderr": b""}
        self._pending: list[tuple[Stream, bytes]] = []
        self._head: list[bytes] = []
        self.shown_lines = 0
        self.shown_bytes = 0
        self.more_lines = 0
        self.file: Path | None = None
        self._fd: int | None = None

    def feed(self, stream: Stream, data: bytes) -> None:
        """Bytes from ``stream``; complete lines are kept or spilled."""
        buf = self._partial[stream] + data
        *lines, rest = buf.split(b"\n")
        for line in lines:
            self._line(stream, line)
        if len(rest) >= 64 * 1024:  # a line without end: cut it (exec_stream.MAX_LINE)
            self._line(stream, rest)
            rest = b""
        self._partial[stream] = rest

    def finish(self) -> None:
        """The command ended: its last lines without a newline count too; close the file."""
        streams: tuple[Stream, ...] = ("stdout", "stderr")
        for stream in streams:
            rest = self._partial[stream]
            if rest:
                self._line(stream, rest)
                self._partial[stream] = b""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _line(self, stream: Stream, line: bytes) -> None:
        if self._fd is None and self.shown_lines < self.max_lines \
                and self.shown_bytes + len(line) <= self.max_bytes:
            self.shown_lines += 1
            self.shown_bytes += len(line) + 1
            self._pending.append((stream, line))
            if len(self._head) < SUMMARY_LINES:
                self._head.append(line)
            return
        if self._fd is None:
            fd, name = tempfile.mkstemp(prefix="jailtui-exec-", suffix=".txt",
                                        dir=self._spill_dir)
            self._fd, self.file = fd, Path(name)
        self.more_lines += 1
        os.write(self._fd, line + b"\n")

    def take(self) -> list[tuple[Stream, bytes]]:
        """The lines to show that arrived since the last call."""
        pending, self._pending = self._pending, []
        return pending

    def summary(self) -> str:
        """For the action log: the first lines, and how many more there were."""
        text = "\n".join(line.decode("utf-8", "replace") for line in self._head)
        hidden = self.shown_lines - len(self._head) + self.more_lines
        if hidden:
            text += f"\n… {hidden} more line{'s' if hidden != 1 else ''}"
            if self.file is not None:
                text += f" (all after line {self.shown_lines} in {self.file})"
        return text


__all__ = ["MAX_SHOWN_BYTES", "MAX_SHOWN_LINES", "OutputSpool", "SUMMARY_LINES"]
