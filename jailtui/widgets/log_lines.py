"""A followed text file, a line per row, drawn with Textual's line API.

Only the rows on screen are drawn (``render_line``, as toolong draws its
logs), so a log of 20,000 lines costs what its visible 20 do. Bytes arrive in
chunks (core/consolelog.py); a chunk may end inside a line or inside a UTF-8
sequence, so the unfinished tail is kept as bytes and shown provisionally.
Every line is made visible (core/text.py ``visible``): the log is the jail's
output, and an escape sequence in it must not reach the terminal.

Follow as ``tail -f`` and htop-like viewers do: new lines scroll into view
while the view is at the bottom; once the user scrolls up, the view keeps its
place until they go back to the end (``G``/End).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jailtui.console.keys import bindings_for
from jailtui.core.text import visible

#: Lines kept: the oldest go first (the file itself keeps everything).
MAX_LINES = 20_000
#: Longest line kept whole (cut with ``…``, as visible() cuts).
LINE_LIMIT = 4096


class LogLines(ScrollView, can_focus=True):
    """The lines of a log, the matches of a search marked."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("table"))

    DEFAULT_CSS = """
    LogLines { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._lines: list[str] = []
        self._tail = b""
        self._width = 0
        self._term = ""
        self._current: int | None = None
        self._following = False

    # -- content ----------------------------------------------------------------------

    @property
    def lines(self) -> list[str]:
        """Every line shown, the unfinished last one included."""
        return [*self._lines, *([self._shown_tail()] if self._tail else [])]

    def clear(self) -> None:
        self._lines = []
        self._tail = b""
        self._width = 0
        self._current = None
        self._resize()

    def feed(self, data: bytes) -> None:
        """Append bytes of the file; follows when the view was at the end."""
        if not data:
            return
        following = self.following
        *done, self._tail = (self._tail + data).split(b"\n")
        new = [visible(line.rstrip(b"\r"), LINE_LIMIT) for line in done]
        self._lines.extend(new)
        if len(self._lines) > MAX_LINES:
            cut = len(self._lines) - MAX_LINES
            del self._lines[:cut]
            if self._current is not None:
                self._current = self._current - cut if self._current >= cut else None
        self._width = max([self._width, *(len(x) for x in new), len(self._shown_tail())])
        self._resize()
        if following:
            # After the refresh: the new virtual size is laid out by then, so the
            # end is the new end (scrolling now would clamp to the old one).
            self._following = True
            self.call_after_refresh(self._to_end)

    def _to_end(self) -> None:
        self.scroll_end(animate=False, immediate=True)
        self._following = False

    @property
    def following(self) -> bool:
        """At the end of the log (or on its way there after new lines)."""
        return self._following or self.scroll_offset.y >= self.max_scroll_y

    def _shown_tail(self) -> str:
        return visible(self._tail.rstrip(b"\r"), LINE_LIMIT) if self._tail else ""

    def _resize(self) -> None:
        self.virtual_size = Size(self._width, len(self.lines))
        self.refresh()

    # -- search -------------------------------------------------------------------------

    @property
    def term(self) -> str:
        return self._term

    def matches(self) -> list[int]:
        """Indexes of the lines holding the search term (case-insensitive)."""
        if not self._term:
            return []
        t = self._term.lower()
        return [i for i, line in enumerate(self.lines) if t in line.lower()]

    def search(self, term: str) -> tuple[int, int]:
        """Mark ``term`` and jump to its first match at or after the view's top.

        Returns (position of the current match, 1-based; number of matches),
        (0, 0) when there is none.
        """
        self._term = term
        self._current = None
        found = self.matches()
        if not found:
            self.refresh()
            return (0, 0)
        top = self.scroll_offset.y
        self._current = next((i for i in found if i >= top), found[0])
        self._show(self._current)
        return (found.index(self._current) + 1, len(found))

    def step(self, direction: int) -> tuple[int, int]:
        """The next (1) or previous (-1) match, wrapping around like less(1)'s n/N."""
        found = self.matches()
        if not found:
            return (0, 0)
        if self._current is None or self._current not in found:
            return self.search(self._term)
        k = (found.index(self._current) + direction) % len(found)
        self._current = found[k]
        self._show(self._current)
        return (k + 1, len(found))

    def _show(self, index: int) -> None:
        height = max(1, self.size.height)
        if not self.scroll_offset.y <= index < self.scroll_offset.y + height:
            self.scroll_to(y=max(0, index - height // 3), animate=False, immediate=True)
        self.refresh()

    # -- cursor keys of the table surface (console/keys.py "table") ------------------

    def action_cursor(self, delta: int) -> None:
        self.scroll_to(y=self.scroll_offset.y + delta, animate=False, immediate=True)

    def action_page(self, direction: int) -> None:
        step = max(1, self.size.height - 1)
        self.scroll_to(y=self.scroll_offset.y + direction * step, animate=False,
                       immediate=True)

    def action_edge(self, end: int) -> None:
        if end:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_home(animate=False, immediate=True)

    def action_scroll_cols(self, step: int) -> None:
        self.scroll_to(x=max(0, self.scroll_offset.x + step), animate=False, immediate=True)

    # -- drawing --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        index = scroll_y + y
        lines = self._lines
        if index < len(lines):
            text = lines[index]
        elif index == len(lines) and self._tail:
            text = self._shown_tail()
        else:
            return Strip.blank(width, base)
        segments = self._segments(text, index, base)
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, base)

    def _segments(self, text: str, index: int, base: Style) -> list[Segment]:
        if not self._term or self._term.lower() not in text.lower():
            return [Segment(text, base)]
        # Reverse video: readable without colours (NO_COLOR, TERM=vt100).
        mark = base + Style(reverse=True, bold=index == self._current)
        low, term = text.lower(), self._term.lower()
        if len(low) != len(text):  # a character whose lower case is longer ("İ")
            low, term = text, self._term
        out: list[Segment] = []
        at = 0
        while (hit := low.find(term, at)) >= 0:
            if hit > at:
                out.append(Segment(text[at:hit], base))
            out.append(Segment(text[hit:hit + len(term)], mark))
            at = hit + len(term)
        if at < len(text):
            out.append(Segment(text[at:], base))
        return out
