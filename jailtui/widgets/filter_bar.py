"""The incremental filter (``/``): filters the focused pane as you type.

Enter keeps the filter and goes back to the table; Escape clears it (k9s
and htop behave the same way). The text is only ever compared with the
data, never rendered as markup: ``Input`` shows its value literally.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from jailtui.console.keys import bindings_for


class FilterBar(Input):
    """An ``Input`` that reports when the user is done with it."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("filter"))

    class Done(Message):
        """The user left the filter; ``cleared`` when with Escape."""

        def __init__(self, bar: FilterBar, cleared: bool) -> None:
            self.bar = bar
            self.cleared = cleared
            super().__init__()

        @property
        def control(self) -> FilterBar:
            return self.bar

    def __init__(self, *, id: str | None = None,  # noqa: A002 - Textual's name
                 placeholder: str = "filter…  (a|b: either; Enter keeps it, Escape clears it)"
                 ) -> None:
        super().__init__(placeholder=placeholder, id=id, select_on_focus=False)
        #: The pane the focus goes back to when the user is done.
        self.return_to: Widget | None = None

    def _give_back_focus(self) -> None:
        """Back to the pane at once, not when Done arrives: a key typed right
        after Enter in the same burst must reach the pane (console/key_order.py)."""
        if self.return_to is not None and self.screen.focused is self:
            self.screen.set_focus(self.return_to)

    def action_clear_filter(self) -> None:
        self.value = ""
        self._give_back_focus()
        self.post_message(self.Done(self, cleared=True))

    async def action_submit(self) -> None:
        self._give_back_focus()
        self.post_message(self.Done(self, cleared=False))
