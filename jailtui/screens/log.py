"""The action log screen (``L``): results and output of actions, poll errors, warnings.

A ``RichLog`` fed with ``Text`` lines: nothing in it is parsed as markup
(``RichLog`` only parses ``str`` when ``markup=True``; docs/security.md 4.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import RichLog, Static

from jailtui.console.keys import bindings_for
from jailtui.widgets.action_log import entry_lines
from jailtui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp


class LogScreen(Screen[None]):
    """Newest at the bottom; follows new entries while open."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("log"))

    def __init__(self) -> None:
        super().__init__(id="log")
        self._shown = 0
        self._version = 0

    def compose(self) -> ComposeResult:
        yield Static("Action log: what was done, what the tools said", id="log-title",
                     markup=False)
        yield RichLog(id="log-view", markup=False, highlight=False, wrap=True)
        yield KeyFooter()

    @property
    def console(self) -> JailtuiApp:
        return cast("JailtuiApp", self.app)

    def on_mount(self) -> None:
        self.query_one(RichLog).focus()
        self._fill()
        self.set_interval(0.5, self._fill, name="log-follow")

    def _fill(self) -> None:
        view = self.query_one(RichLog)
        log = self.console.journal
        if not len(log) and not self._shown:
            view.write(Text("Nothing yet: actions, poll errors and warnings appear here.",
                            style="dim"))
            self._shown = -1
            return
        new = log.version - self._version
        if new <= 0:
            return
        if self._shown < 0:
            view.clear()
        entries = list(log)
        for entry in entries[-min(new, len(entries)):]:
            for line in entry_lines(entry):
                view.write(line)
        self._version = log.version
        self._shown = len(entries)

    def action_back(self) -> None:
        self.dismiss()
