"""Name a new snapshot: an Input holding the default ``jailtui-UTCTIME``, editable.

Enter takes it (a name the storage module refuses is said below the field and
nothing is taken), Escape takes none. The dataset is named in the question so
the user sees what will be snapshotted (with its children: ``zfs snapshot -r``).
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
from jailtui.core.storage.snapshots import name_problem
from jailtui.core.text import visible


class SnapshotNameScreen(ModalScreen[str | None]):
    """Dismisses with the name to take, or None."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("snapshot_name"))

    DEFAULT_CSS = """
    SnapshotNameScreen { align: center middle; background: $background 60%; }
    SnapshotNameScreen #snapname-box {
        width: 72; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2;
    }
    SnapshotNameScreen #snapname-problem { height: auto; color: $error; }
    """

    def __init__(self, dataset: str, children: int, default: str) -> None:
        super().__init__(id="snapshot_name")
        self.dataset = dataset
        self.child_count = children
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="snapname-box"):
            extra = (f" and its {self.child_count} child dataset"
                     f"{'s' if self.child_count != 1 else ''}") if self.child_count else ""
            yield Static(Content.assemble(
                ("Take a snapshot of ", "bold"), (visible(self.dataset, 120), "bold $accent"),
                (extra, "bold"), "\n",
                ("zfs snapshot -r DATASET@NAME   Enter: take   Escape: cancel",
                 "$foreground-muted")), markup=False)
            yield Input(self.default, id="snapname-input", max_length=200)
            yield Static("", id="snapname-problem", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        problem = name_problem(name)
        if problem is not None:
            self.query_one("#snapname-problem", Static).update(
                f"Not a name to take: {problem}")
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
