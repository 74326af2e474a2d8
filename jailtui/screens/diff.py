"""What a save would change, and what to do when the file changed meanwhile.

:class:`DiffScreen` is the last step before a config save (visudo shows no
diff; sudoedit none either; we do, because a jail.conf mistake stops jails
at the next boot): the unified diff, coloured, then Save or back to the
edit. :class:`ConflictScreen` comes up when the file changed on disk
between open and save (``safefile.ConflictError``): the diff from what is
on disk *now* to the user's version, and "reload and keep my edit" or back
to the edit. Neither ever drops the user's text (docs/security.md 5
step 4: "abort with a diff").

The diff is file content: it is shown as a ``rich.text.Text`` built line by
line, each line through :func:`visible` (an ESC in a file must not reach
the terminal), never parsed as markup.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from jailtui.console.keys import bindings_for
from jailtui.core.text import visible

ResultT = TypeVar("ResultT")

#: Longest diff shown (lines); the rest is summarised. A whole-file rewrite
#: of a large jail.conf stays readable and quick to render.
MAX_LINES = 2000


def diff_text(diff: str) -> Text:
    """A unified diff as Text: additions green, removals red, hunks cyan.

    Tabs are expanded on the file's own columns (after the one-character
    prefix), so indentation reads as in an editor.
    """
    out = Text(no_wrap=True, overflow="ellipsis")
    lines = diff.splitlines()
    for n, line in enumerate(lines[:MAX_LINES]):
        if n:
            out.append("\n")
        shown = line[:1] + visible(line[1:].expandtabs(8))
        if line.startswith(("+++", "---")):
            out.append(shown, style="bold")
        elif line.startswith("@@"):
            out.append(shown, style="cyan")
        elif line.startswith("+"):
            out.append(shown, style="green")
        elif line.startswith("-"):
            out.append(shown, style="red")
        else:
            out.append(shown)
    if len(lines) > MAX_LINES:
        out.append(f"\n… {len(lines) - MAX_LINES} more lines", style="dim italic")
    return out


class _DiffView(ModalScreen[ResultT]):
    """A title, the diff in a scrolling pane, a key hint and buttons."""

    #: (button id, label, variant) of the buttons, left to right.
    BUTTONS: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    HINT = ""

    def __init__(self, title: Content, diff: str, *, id: str) -> None:
        super().__init__(id=id)
        self.title_content = title
        self.diff = diff

    def compose(self) -> ComposeResult:
        with Vertical(classes="diff-box"):
            yield Static(self.title_content, classes="diff-title", markup=False)
            with VerticalScroll(classes="diff-scroll"):
                yield Static(diff_text(self.diff), classes="diff-text", markup=False)
            yield Static(Content.styled(self.HINT, "$foreground-muted"), markup=False)
            with Horizontal(classes="diff-buttons"):
                for button_id, label, variant in self.BUTTONS:
                    yield Button(label, id=button_id, variant=variant)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        # The diff has the focus: arrows and page keys scroll it; the
        # buttons are a Tab away (nothing is saved by a stray Enter).
        self.query_one(".diff-scroll", VerticalScroll).focus()


class DiffScreen(_DiffView[bool]):
    """Save or not; dismisses True only on an explicit save."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("diff"))
    BUTTONS = (("save", "Save", "success"), ("cancel", "Cancel", "default"))
    HINT = "ctrl+s / y: save   Escape / n: back to the edit (nothing is lost)"

    def __init__(self, title: Content, diff: str) -> None:
        super().__init__(title, diff, id="diff")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "save")

    def action_save(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ConflictScreen(_DiffView[str | None]):
    """The file changed on disk: ``"reload"`` or None (back to the edit)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("conflict"))
    BUTTONS = (("reload", "Reload and keep my edit", "warning"), ("cancel", "Cancel", "default"))
    HINT = ("r: reload the file, your edit stays in the editor to merge and save again   "
            "Escape / n: back to the edit")

    def __init__(self, title: Content, diff: str) -> None:
        super().__init__(title, diff, id="conflict")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss("reload" if event.button.id == "reload" else None)

    def action_reload(self) -> None:
        self.dismiss("reload")

    def action_cancel(self) -> None:
        self.dismiss(None)
