"""``m``: the user's note on a jail, one short line kept per host (core/userstate.py).

Enter keeps what the field holds (empty: the note is removed), Escape keeps
the note as it was. The jail and host names come from the host (a jail can
be named anything the kernel takes): shown through ``visible()``. A note
that holds control characters (a state file edited by hand) is offered
escaped, as the panes show it, never written raw into the field.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from jailtui.console.keys import bindings_for
from jailtui.core.text import visible
from jailtui.core.userstate import NOTE_MAX


class NoteScreen(ModalScreen[str | None]):
    """Dismisses with the new note ("" removes it), or None to keep it."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("note"))

    DEFAULT_CSS = """
    NoteScreen { align: center middle; background: $background 60%; }
    NoteScreen #note-box {
        width: 72; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2;
    }
    """

    def __init__(self, jail: str, host: str | None, current: str) -> None:
        """``host`` None: a console of one host (not named)."""
        super().__init__(id="note")
        self.jail = jail
        self.host = host
        self.current = current if current.isprintable() else visible(current)

    @property
    def field(self) -> Input:
        return self.query_one("#note-input", Input)

    def compose(self) -> ComposeResult:
        where: list[str | tuple[str, str]] = []
        if self.host is not None:
            where = [(" on ", "bold"), (visible(self.host, 32), "bold")]
        with Vertical(id="note-box"):
            yield Static(Content.assemble(
                ("Note on ", "bold"), (visible(self.jail, 64), "bold $accent"), *where, "\n",
                ("Enter: keep it (empty: remove)   Escape: as it was", "$foreground-muted")))
            yield Input(self.current, id="note-input", max_length=NOTE_MAX,
                        placeholder="a few words: who owns it, why it is stopped…")

    def on_mount(self) -> None:
        self.field.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
