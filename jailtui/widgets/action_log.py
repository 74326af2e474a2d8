"""What the console did and what the tools said: the action log (``L``).

Every action result (start, stop, restart, signal, shell), every poll that
failed and every snapshot warning lands here with the tool's whole output,
kept raw and sanitised line by line when shown (``visible_lines``).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from rich.text import Text

from jailtui.core.text import visible, visible_lines
from jailtui.widgets.glyphs import glyphs

#: Entries kept; the oldest go first.
MAX_ENTRIES = 500


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One thing that happened. ``ok`` None: information, not a result."""

    when: float
    title: str
    ok: bool | None
    message: str
    output: str = ""


class ActionLog:
    """A bounded list of entries; repeated identical problems are counted, not repeated."""

    def __init__(self, maxlen: int = MAX_ENTRIES) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=maxlen)
        self.version = 0

    def add(self, title: str, ok: bool | None, message: str, output: str = "",
            when: float | None = None) -> LogEntry:
        entry = LogEntry(time.time() if when is None else when, title, ok, message, output)
        self._entries.append(entry)
        self.version += 1
        return entry

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def last(self) -> LogEntry | None:
        return self._entries[-1] if self._entries else None


def entry_lines(entry: LogEntry) -> list[Text]:
    """An entry as Text lines: a headline, then its output indented."""
    stamp = time.strftime("%H:%M:%S", time.localtime(entry.when))
    g = glyphs()
    mark, style = {True: (g.ok, "green"), False: (g.bad, "red"), None: (g.pending, "yellow")}[entry.ok]
    head = Text(no_wrap=False, end="")
    head.append(f"{stamp} ", style="dim")
    head.append(f"{mark} ", style=f"bold {style}")
    head.append(visible(entry.title, 200), style="bold")
    message = entry.message.strip()
    # "config" + "config: unknown theme" read "config: config: ..." (issue
    # 13 item 47): the title is said once.
    message = message.removeprefix(f"{entry.title}: ")
    if message:
        head.append(": ")
        head.append(visible(message, 2000))
    lines = [head]
    for line in visible_lines(entry.output):
        body = Text("    │ ", style="dim", end="")
        body.append(line)
        lines.append(body)
    return lines
