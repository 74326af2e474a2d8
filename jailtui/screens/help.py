"""``?``: every key, what it does, and the id to remap it with.

Built from the key table the screens' bindings come from (console/keys.py),
with the user's ``[keys]`` remapping applied, so it can never disagree with
the keys.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from jailtui.console.keys import KEYS, bindings_for, group_specs
from jailtui.core.owners import messages as owner_messages

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp


#: The help box's width (cells, border included): keys, the longest help
#: text and the longest id side by side (16 + 77 + 20) with the border, the
#: padding and the scrollbar (6); narrower terminals get the wrapped layout.
BOX_WIDTH = 120
#: What the box takes beside its text: border 2, padding 2, scrollbar 2.
BOX_FRAME = 6


class HelpScreen(ModalScreen[None]):
    """The key table, grouped; Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("help"))

    DEFAULT_CSS = f"""
    HelpScreen #help-box {{ width: {BOX_WIDTH}; max-width: 100%; }}
    """

    def __init__(self) -> None:
        super().__init__(id="help")

    @property
    def console(self) -> JailtuiApp:
        return cast("JailtuiApp", self.app)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(self._content(), id="help-text", markup=False)

    def _content(self) -> Content:
        app = self.console
        lines: list[Content] = [
            Content.assemble(("jailtui keys", "bold"), "   ", (app.identity, "$text-accent")),
            Content.styled("Only the actions your role may take are listed; one that does "
                           "not apply to the selected row is refused with a reason.",
                           "$foreground-muted"),
            Content.styled("Remap any key in ~/.config/jailtui/config.toml:  "
                           '[keys]  stop = "ctrl+d"  (ids on the right)', "$foreground-muted"),
        ]
        width = max(len(s.help) for s in KEYS) + 2
        longest_id = max(len(s.id) for s in KEYS)
        # Narrower than keys + text + id: the id follows its text instead of
        # being padded into a column that wraps onto a line of its own (issue
        # 13 item 35).
        # The text's room is the box's, not the terminal's: the box stops at
        # BOX_WIDTH on a wide terminal.
        room = min(BOX_WIDTH, self.app.size.width) - BOX_FRAME
        columns = room >= 16 + width + longest_id
        for title, specs in group_specs(several_hosts=app.fleet.several):
            shown = [spec for spec in specs if app.offers(spec)]
            if not shown:
                continue  # a group of actions the role never takes: not listed
            lines.append(Content(""))
            lines.append(Content.styled(title, "bold $accent"))
            for spec in shown:
                binding_id = spec.id
                # Keys as the user has them now: their [keys] remapping applied.
                keys = app.keys_text(spec)
                text = spec.help
                if columns:
                    lines.append(Content.assemble(
                        (f"  {keys:<14}", "bold"), f"{text:<{width}}",
                        (binding_id, "$foreground-muted")))
                    continue
                # Wrapped under itself (a hanging indent), the id at its end.
                wrapped = textwrap.wrap(f"{text}  [{binding_id}]", max(20, room - 16)) or [""]
                for n, part in enumerate(wrapped):
                    lead = (f"  {keys:<14}", "bold") if n == 0 else " " * 16
                    words, _sep, tail = part.rpartition(f"[{binding_id}]")
                    if _sep and n == len(wrapped) - 1:
                        lines.append(Content.assemble(lead, words,
                                                      (f"[{binding_id}]", "$foreground-muted"),
                                                      tail))
                    else:
                        lines.append(Content.assemble(lead, part))
        # The OWN column's letters (docs/managers.md 1.0), wrapped to the box.
        lines += [Content(""), Content.styled("OWN column (who manages the jail)",
                                              "bold $accent")]
        lines += [Content("  " + part) for part in
                  textwrap.wrap(owner_messages.legend(), max(20, room - 2))]
        return Content("\n").join(lines)

    def action_close(self) -> None:
        self.dismiss()
