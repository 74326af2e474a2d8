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

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp


class HelpScreen(ModalScreen[None]):
    """The key table, grouped; Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("help"))

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
        columns = self.app.size.width - 6 >= 16 + width + longest_id
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
                room = max(20, self.app.size.width - 6 - 16)
                wrapped = textwrap.wrap(f"{text}  [{binding_id}]", room) or [""]
                for n, part in enumerate(wrapped):
                    lead = (f"  {keys:<14}", "bold") if n == 0 else " " * 16
                    words, _sep, tail = part.rpartition(f"[{binding_id}]")
                    if _sep and n == len(wrapped) - 1:
                        lines.append(Content.assemble(lead, words,
                                                      (f"[{binding_id}]", "$foreground-muted"),
                                                      tail))
                    else:
                        lines.append(Content.assemble(lead, part))
        return Content("\n").join(lines)

    def action_close(self) -> None:
        self.dismiss()
