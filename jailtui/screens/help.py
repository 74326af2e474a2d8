"""``?``: every key, what it does, and the id to remap it with.

Built from the same binding lists the screens use, with the user's
``[keys]`` remapping applied, so it can never disagree with the keys.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from jailtui.core.owners import messages as owner_messages
from jailtui.screens.keys import (
    APP_BINDINGS,
    CONFIG_EDITOR_BINDINGS,
    CONFLICT_BINDINGS,
    DETAIL_BINDINGS,
    DIFF_BINDINGS,
    EXEC_BINDINGS,
    FLEET_GROUPS,
    GROUPS,
    GUARDED,
    HEALTH_BINDINGS,
    HELP_TEXT,
    MAIN_BINDINGS,
    SERVICES_BINDINGS,
)
from jailtui.widgets.keyed_table import KeyedTable

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp


def all_bindings() -> dict[str, Binding]:
    """Every user binding by id (the first definition wins)."""
    out: dict[str, Binding] = {}
    for b in [*APP_BINDINGS, *MAIN_BINDINGS, *DETAIL_BINDINGS, *KeyedTable.BINDINGS,
              *CONFIG_EDITOR_BINDINGS, *DIFF_BINDINGS, *CONFLICT_BINDINGS,
              *HEALTH_BINDINGS, *SERVICES_BINDINGS, *EXEC_BINDINGS]:
        if isinstance(b, Binding) and b.id and b.id not in out:
            out[b.id] = b
    out["command_palette"] = Binding("ctrl+p", "command_palette", "Commands",
                                     id="command_palette")
    return out


class HelpScreen(ModalScreen[None]):
    """The key table, grouped; Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help_close"),
    ]

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
        bindings = all_bindings()
        lines: list[Content] = [
            Content.assemble(("jailtui keys", "bold"), "   ", (app.identity, "$text-accent")),
            Content.styled("Only the actions your role may take are listed; one that does "
                           "not apply to the selected row is refused with a reason.",
                           "$foreground-muted"),
            Content.styled("Remap any key in ~/.config/jailtui/config.toml:  "
                           '[keys]  stop = "ctrl+d"  (ids on the right)', "$foreground-muted"),
        ]
        width = max(len(HELP_TEXT.get(i, "")) for _t, ids in GROUPS for i in ids) + 2
        longest_id = max(len(i) for _t, ids in GROUPS for i in ids)
        # Narrower than keys + text + id: the id follows its text instead of
        # being padded into a column that wraps onto a line of its own (issue
        # 13 item 35).
        columns = self.app.size.width - 6 >= 16 + width + longest_id
        groups = (*GROUPS, *FLEET_GROUPS) if app.fleet.several else GROUPS
        controller = app.controller

        def may(binding_id: str) -> bool:
            """Only what the role may do is listed (issue 13 item 24)."""
            gate = GUARDED.get(binding_id)
            return gate is None or (controller is not None and controller.may(gate))

        for title, ids in groups:
            lines.append(Content(""))
            lines.append(Content.styled(title, "bold $accent"))
            shown = [i for i in ids if bindings.get(i) is not None and may(i)]
            if not shown:
                lines.pop()  # a group of actions the role never takes: not listed
                lines.pop()
                continue
            for binding_id in shown:
                b = bindings[binding_id]
                # Keys as the user has them now: their [keys] remapping applied.
                keys = ", ".join(app.key_display(b, k) for k in app.binding_keys(b))
                text = HELP_TEXT.get(binding_id, b.description)
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
        # The OWN column's letters (docs/managers.md 1.0), wrapped to the box.
        lines += [Content(""), Content.styled("OWN column (who manages the jail)",
                                              "bold $accent")]
        lines += [Content("  " + part) for part in
                  textwrap.wrap(owner_messages.legend(), max(20, self.app.size.width - 8))]
        return Content("\n").join(lines)

    def action_close(self) -> None:
        self.dismiss()
