"""A jail's console log (``l``): its exec.consolelog, followed, searchable.

What jail(8) wrote there (the jail's /etc/rc at start, rc.shutdown at stop,
every exec.* command's output: core/consolelog.py) is where an admin looks
first when a jail does not come up. The file is read through the controller
(the ``console_log`` action: every role that sees the jail, a delegate only
their own), the tail first, then every second only what was appended
(``tail -f``); a rotated or truncated file starts over, said on screen. The
bytes are the jail's: shown literally (widgets/log_lines.py).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.events import Key
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.consolelog import LogChunk, LogMark
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.model import Jail
from jailtui.core.text import human_bytes, visible
from jailtui.screens.guard import GuardedScreen
from jailtui.widgets.filter_bar import FilterBar
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.log_lines import LogLines
from jailtui.widgets.status_bar import StatusBar

__all__ = ["FOLLOW_SECONDS", "ConsoleLogScreen"]

#: How often the file is read again while the screen is open.
FOLLOW_SECONDS = 1.0


class ConsoleLogScreen(GuardedScreen):
    """One jail's console log, by name (a restart keeps the same file)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("console_log"))

    DEFAULT_CSS = """
    ConsoleLogScreen #console-log-title { height: auto; padding: 0 1; background: $boost; }
    ConsoleLogScreen #console-log-state { height: 1; padding: 0 1; color: $foreground-muted; }
    ConsoleLogScreen #console-log-search { display: none; }
    ConsoleLogScreen #console-log-search.-shown { display: block; }
    """

    def __init__(self, jail: Jail) -> None:
        super().__init__(id="console_log")
        self.jail_name = jail.name
        self.jail_host = jail.host_name
        self._jail = jail
        self._mark: LogMark | None = None
        self._path = ""
        self._source = ""
        self._problem: str | None = None
        self._found = (0, 0)
        self._reading = False

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static("", id="console-log-title", markup=False)
        yield LogLines(id="console-log-lines")
        yield FilterBar(id="console-log-search",
                        placeholder="search…  (Enter: jump to it, n/N: next/previous, "
                                    "Escape: clear)")
        yield Static("", id="console-log-state", markup=False)
        yield KeyFooter()

    @property
    def lines(self) -> LogLines:
        return self.query_one(LogLines)

    def selected_jail(self) -> Jail | None:
        return self._jail

    def on_mount(self) -> None:
        self.lines.focus()
        self._draw_title()
        self._draw_state()
        self.read_more()
        self.set_interval(FOLLOW_SECONDS, self.read_more, name="console-log-follow")

    # -- reading ------------------------------------------------------------------------

    def read_more(self) -> None:
        """Read what was appended since the last read (one read at a time)."""
        if self._reading:
            return
        controller = self.console.controller_for(self.jail_host)
        if controller is None:
            self._problem = "no controller for this host: nothing can be read"
            self._draw_state()
            return
        self._reading = True

        async def read() -> None:
            try:
                chunk = await controller.console_log(self.jail_name, self._mark)
            except JailtuiError as exc:
                chunk = LogChunk(self._path, reason=describe(exc))
            finally:
                self._reading = False
            if self.is_attached:
                self._apply(chunk)

        self.run_worker(read(), group="console-log", exclusive=True)

    def _apply(self, chunk: LogChunk) -> None:
        if chunk.path or chunk.source:
            self._path, self._source = chunk.path, chunk.source
        if not chunk.ok:
            self._problem = chunk.reason
            self._draw_title()
            self._draw_state()
            return
        self._problem = None
        if chunk.restarted:
            self.lines.clear()
            self.lines.feed(b"--- the file was replaced or truncated: read again from its "
                            b"start ---\n")
        if chunk.skipped and self._mark is not None:
            self.lines.feed(f"--- {human_bytes(chunk.skipped)} not shown (the log grew "
                            "faster than it is followed) ---\n".encode())
        self._mark = chunk.mark
        self.lines.feed(chunk.data)
        if self.lines.term:
            self._found = (self._found[0], len(self.lines.matches()))
        self._draw_title()
        self._draw_state()
        self.call_after_refresh(self._draw_state)

    # -- search -------------------------------------------------------------------------

    def action_search(self) -> None:
        bar = self.query_one(FilterBar)
        bar.return_to = self.lines
        bar.add_class("-shown")
        bar.focus()

    def on_filter_bar_done(self, message: FilterBar.Done) -> None:
        message.stop()
        bar = message.bar
        bar.remove_class("-shown")
        self._found = self.lines.search("" if message.cleared else bar.value)
        if message.cleared:
            bar.value = ""
        self._draw_state()

    def action_search_step(self, direction: int) -> None:
        if self.lines.term:
            self._found = self.lines.step(direction)
            self._draw_state()

    # -- drawing ------------------------------------------------------------------------

    def _draw_title(self) -> None:
        parts: list[str | tuple[str, str]] = [("Console log of jail ", "bold"),
                                              (visible(self.jail_name, 64), "bold $text-accent")]
        if self.jail_host is not None:
            parts += [" on ", (visible(self.jail_host, 32), "bold")]
        if self._path:
            parts += ["\n", visible(self._path, 200)]
        if self._source:
            parts += ["  ", (f"({visible(self._source, 200)})", "$foreground-muted")]
        self.query_one("#console-log-title", Static).update(Content.assemble(*parts))

    def _draw_state(self) -> None:
        if self._problem is not None:
            text = f"nothing to show: {visible(self._problem, 300)}"
        else:
            n = len(self.lines.lines)
            at_end = self.lines.following
            text = f"{n} lines · " + ("following (tail -f)" if at_end
                                      else "scrolled up: End or G follows again")
            term = self.lines.term
            if term:
                k, total = self._found
                text += (f" · {visible(term, 40)!s}: " +
                         (f"match {k} of {total}" if total else "not found"))
        self.query_one("#console-log-state", Static).update(text)

    def on_mouse_scroll_up(self) -> None:
        self._draw_state()

    def on_mouse_scroll_down(self) -> None:
        self._draw_state()

    def on_key(self, event: Key) -> None:
        # Cursor keys move the view: the state line says whether it still follows.
        self.call_after_refresh(self._draw_state)

    def action_back(self) -> None:
        self.app.pop_screen()
