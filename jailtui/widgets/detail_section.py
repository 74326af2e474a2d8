"""One section of the jail detail screen: "loading…", then data or the error.

Slow facts (``jls -n all``, ``rctl -u``, ``who``, ``service -e``, disk usage)
load in workers; until each arrives its section says so, and a failure is
shown where the data would be, so one failing command never hides the
others.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.content import Content
from textual.widgets import Static

from jailtui.core.text import one_line


class DetailSection(Static):
    """A titled block whose body is ``Content`` (never markup)."""

    DEFAULT_CSS = """
    DetailSection {
        height: auto;
    }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(Content.styled("loading…", "$foreground-muted italic"), id=id, markup=False)
        # Titles are our own words, never host data (they go through markup).
        self.border_title = title
        self.load_state = "loading"
        self._render_for_width: Callable[[int], Content] | None = None

    def show_loading(self) -> None:
        self._render_for_width = None
        self.load_state = "loading"
        self.set_class(False, "-error")
        self.update(Content.styled("loading…", "$foreground-muted italic"))

    def show(self, content: Content) -> None:
        self._render_for_width = None
        self.load_state = "ok"
        self.set_class(False, "-error")
        self.update(content)

    def show_fitted(self, render: Callable[[int], Content]) -> None:
        """Show ``render(width)``, and render again whenever the width changes.

        For rows that wrap with a hanging indent: the width is known only
        after layout (0 before), and a resized terminal needs new breaks.
        """
        self.show(render(self.content_size.width))
        self._render_for_width = render

    def on_resize(self, event: events.Resize) -> None:
        if self._render_for_width is not None:
            render = self._render_for_width
            self.update(render(self.content_size.width))

    def note(self, text: str) -> None:
        """A fact that is not an error (racct disabled, jail not running)."""
        self._render_for_width = None
        self.load_state = "note"
        self.set_class(False, "-error")
        self.update(Content.styled(text, "$foreground-muted"))

    def fail(self, message: str) -> None:
        """Show a failure; ``message`` is raw tool text and is sanitised here."""
        self._render_for_width = None
        self.load_state = "error"
        self.set_class(True, "-error")
        self.update(Content.assemble(("error: ", "bold $error"), (one_line(message), "$error")))
