"""``C``: choose, hide and reorder the columns of the focused pane (htop's F2 setup).

Every column of the pane (core/columns.py), the shown ones first in their
order, then the hidden ones. ``space`` shows or hides the highlighted one,
``K``/``J`` (shift+up/down) move it, ``r`` goes back to the defaults, Enter
applies, Escape leaves everything as it was. NAME and PID cannot be hidden.
The choice is remembered in the state file (core/userstate.py), unless
config.toml's ``[columns]`` pins the pane: then it lasts this session, and
the dialog says so and where the pin is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from jailtui.console.keys import bindings_for
from jailtui.core.columns import PANES, ColumnInfo, default_order


@dataclass(frozen=True, slots=True)
class ColumnsChoice:
    """The columns to show, in order."""

    names: tuple[str, ...]


#: What the dialog says of a pane that only some views have.
_ONLY = {("processes", "jailed"), ("processes", "jid"), ("processes", "jail")}


class ColumnsScreen(ModalScreen[ColumnsChoice | None]):
    """The columns of one pane; dismissed with the choice, or None."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("columns"))

    DEFAULT_CSS = """
    ColumnsScreen { align: center middle; background: $background 60%; }
    ColumnsScreen #columns-box {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ColumnsScreen #columns-list { height: auto; max-height: 16; }
    ColumnsScreen #columns-problem { height: auto; color: $warning; }
    """

    def __init__(self, pane: str, shown: tuple[str, ...], *, pinned: str | None = None,
                 remembered: str | None = None) -> None:
        """``pane``: "jails" or "processes"; ``shown``: the columns shown now, in
        order; ``pinned``: the FILE:LINE of config.toml's [columns] entry;
        ``remembered``: where the choice is kept (None: this session only)."""
        super().__init__(id="columns")
        self.pane = pane
        self._info: dict[str, ColumnInfo] = {c.key: c for c in PANES[pane]}
        self._order: list[str] = [*shown, *(k for k in self._info if k not in shown)]
        self._shown: set[str] = set(shown)
        self._pinned = pinned
        self._remembered = remembered

    def compose(self) -> ComposeResult:
        where = (f"pinned by {self._pinned}: this choice lasts this session"
                 if self._pinned else
                 f"remembered in {self._remembered}" if self._remembered else
                 "this session only (no state file)")
        with Vertical(id="columns-box"):
            yield Static(Content.assemble(
                (f"Columns of the {self.pane} pane", "bold"), "\n",
                ("space show/hide  K/J move  r defaults  Enter apply  Escape cancel",
                 "$foreground-muted"), "\n", (where, "$foreground-muted")),
                id="columns-title")
            yield OptionList(*self._options(), id="columns-list")
            yield Static("", id="columns-problem", markup=False)

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        listing.highlighted = 0
        listing.focus()

    # -- drawing ----------------------------------------------------------------------------

    def _options(self) -> list[Option]:
        width = max(len(c.label) for c in self._info.values())
        out: list[Option] = []
        for key in self._order:
            info = self._info[key]
            on = key in self._shown
            mark = "[x]" if on else "[ ]"
            extra = " (a: host-wide)" if (self.pane, key) in _ONLY else ""
            out.append(Option(Content.assemble(
                (mark, "bold $accent" if on else "$foreground-muted"), " ",
                (f"{info.label:<{width}}", "bold" if on else "$foreground-muted"), " ",
                (f"{key:<8}", "$foreground-muted"), " ",
                (info.help + extra, "" if on else "$foreground-muted")), id=key))
        return out

    def _redraw(self, highlight: int) -> None:
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options(self._options())
        listing.highlighted = max(0, min(highlight, len(self._order) - 1))

    def _say(self, text: str) -> None:
        self.query_one("#columns-problem", Static).update(text)

    @property
    def _index(self) -> int:
        highlighted = self.query_one(OptionList).highlighted
        return highlighted if highlighted is not None else 0

    @property
    def order(self) -> tuple[str, ...]:
        """Every column of the pane, in the list's order."""
        return tuple(self._order)

    @property
    def choice(self) -> tuple[str, ...]:
        """The columns that would be shown, in order."""
        return tuple(k for k in self._order if k in self._shown)

    # -- keys -------------------------------------------------------------------------------

    def action_toggle_column(self) -> None:
        i = self._index
        key = self._order[i]
        if key in self._shown:
            if self._info[key].required:
                self._say(f"{self._info[key].label} is always shown: it names the row.")
                return
            self._shown.discard(key)
        else:
            self._shown.add(key)
        self._say("")
        self._redraw(i)

    def action_move(self, step: int) -> None:
        i = self._index
        j = i + step
        if not 0 <= j < len(self._order):
            return
        self._order[i], self._order[j] = self._order[j], self._order[i]
        self._say("")
        self._redraw(j)

    def action_defaults(self) -> None:
        shown = default_order(self.pane)
        self._order = [*shown, *(k for k in self._info if k not in shown)]
        self._shown = set(shown)
        self._say("The defaults (Enter applies them).")
        self._redraw(0)

    def action_apply(self) -> None:
        self.dismiss(ColumnsChoice(self.choice))

    def action_cancel(self) -> None:
        self.dismiss(None)
