"""Are you sure? Stop and restart ask first, naming the jail and its jid.

The question is built with ``Content.assemble`` (the jail name is plain
text), and Cancel has the focus: Enter on a surprise dialog must not stop a
jail. ``y`` confirms, ``n`` / Escape cancel.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from jailtui.console.keys import bindings_for
from jailtui.core.text import visible


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; dismisses with True only on an explicit yes."""

    #: Focus Cancel from the very first frame: on_mount alone leaves a window
    #: in which Textual's auto-focus has put the focus on the first button,
    #: and an Enter typed ahead (a fast typist, a paste, tmux send-keys)
    #: would confirm a stop (Screen.AUTO_FOCUS, applied when the screen is
    #: first shown).
    AUTO_FOCUS = "#no"

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("confirm"))

    def __init__(self, question: Content, *, yes: str, danger: bool = True) -> None:
        super().__init__(id="confirm")
        self.question = question
        self.yes_label = yes
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, id="confirm-question", markup=False)
            yield Static(Content.styled("y: yes   n / Escape: no", "$foreground-muted"),
                         id="confirm-hint", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(self.yes_label, id="yes",
                             variant="error" if self.danger else "primary")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def confirm_discard(screen: Screen[bool], jail_name: str, what: str, note: str) -> None:
    """Ask before an editor with unsaved changes is left; ``screen`` is
    dismissed with False (nothing saved) only on yes. One wording for every
    editor: "Discard your changes to web's configuration?"."""
    question = Content.assemble(
        ("Discard your changes to ", "bold"), (visible(jail_name, 64), "bold $accent"),
        (f"'s {what}?", "bold"), "\n", (note, "$foreground-muted"))

    def answered(yes: bool | None) -> None:
        if yes:
            screen.dismiss(False)

    screen.app.push_screen(ConfirmScreen(question, yes="Discard"), answered)
