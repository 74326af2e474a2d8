"""``U``: show only one user's processes (htop's ``u``; ``u`` starts a jail here).

A list of the users running the processes of the pane's scope (the jail's,
or the whole host's with ``a``), most processes first, and "All users" on
top. Enter picks one; Escape leaves the filter as it was. User names come
from ps (a jail's passwd can name a user anything): shown through
``visible()`` as plain text, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from jailtui.console.keys import bindings_for
from jailtui.core.text import visible


@dataclass(frozen=True, slots=True)
class UserChoice:
    """What the list picked: a user name, or None for all users."""

    user: str | None


class UsersScreen(ModalScreen[UserChoice | None]):
    """The users of the processes pane; dismissed with the choice, or None."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("users"))

    def __init__(self, users: list[tuple[str, int]], current: str | None) -> None:
        super().__init__(id="users")
        self._users = users
        self._current = current

    def compose(self) -> ComposeResult:
        options: list[Option] = [Option(Content.assemble(
            ("All users", "bold"), ("  every process", "$foreground-muted")), id="")]
        width = max((len(visible(u, 32)) for u, _n in self._users), default=4)
        for n, (user, count) in enumerate(self._users):
            mark = "● " if user == self._current else "  "
            options.append(Option(Content.assemble(
                (mark, "$accent"), (f"{visible(user, 32):<{width}}", "bold"),
                (f"  {count} process{'es' if count != 1 else ''}", "$foreground-muted")),
                id=f"u{n}"))
        with Vertical(id="users-box"):
            yield Static(Content.assemble(("Whose processes?", "bold"),
                                          ("  Enter: only theirs, Escape: as before",
                                           "$foreground-muted")), id="users-title")
            yield OptionList(*options, id="users-list")

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        names = [u for u, _n in self._users]
        listing.highlighted = names.index(self._current) + 1 if self._current in names else 0
        listing.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        self.dismiss(UserChoice(None if index == 0 else self._users[index - 1][0]))

    def action_close(self) -> None:
        self.dismiss(None)
