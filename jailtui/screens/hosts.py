"""``h``: the hosts of a console of many hosts, how each is doing, and the switcher.

One line per host: connected and fresh, or stale with why and since when
(``unreachable since 12:03:04, retrying in 8 s``, the SSH link's own
account: core/transport/ssh/link.py ``LinkState.describe``), its jails and the age of its
data; first "All hosts" with the compact summary. Enter shows the host (or
all hosts) in the panes; ``c`` reconnects the highlighted host at once.
The lines follow every poll and count the retry down each second.

Host names come from the user, errors from ssh and the host: everything is
plain text in ``Content.assemble`` (never markup) and through ``visible()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from jailtui.console.keys import bindings_for
from jailtui.core.text import one_line, visible
from jailtui.widgets.cells import age_text, interval_text
from jailtui.widgets.fleet_state import DOWN, OK, FleetState, HostView

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp
    from jailtui.console.fleet import FleetConsole

Part = str | tuple[str, str]

#: The mark of a host's health: (symbol, style).
MARKS = {OK: ("●", "$success"), DOWN: ("✕", "bold $error")}
WAITING_MARK = ("…", "$warning")


@dataclass(frozen=True, slots=True)
class ViewChoice:
    """What the switcher picked: a host's name, or None for all hosts."""

    host: str | None


def host_line(view: HostView, now: float, width: int, current: bool) -> Content:
    """One host: mark, name, state, jails up, interval, data age."""
    mark, style = MARKS.get(view.health, WAITING_MARK)
    parts: list[Part] = [(f"{mark} ", style),
                         (f"{visible(view.name, 32):<{width}}", "bold" if current else ""), "  "]
    state = view.state
    if view.health == OK:
        parts.append(("ok", "$success"))
    else:
        parts.append((visible(view.describe(now), 200), "$error" if view.health == DOWN
                      else "$warning"))
        link = view.link
        if link is not None and link.status == "unreachable" and link.error:
            # ssh's own words say why (refused, no route, host key, auth):
            # "unreachable" alone leaves the user guessing (issue 13 item 47).
            parts += [("  ssh: ", "$foreground-muted"),
                      (one_line(link.error.removeprefix("ssh: "), 160), "$error")]
    snap = state.snapshot
    if snap is not None:
        up, total = view.jails_up()
        parts += ["  ", f"{up}/{total}", (" jails up", "$foreground-muted"),
                  ("  data ", "$foreground-muted"), f"{age_text(now - snap.taken_at)} old"]
    parts += [("  every ", "$foreground-muted"), interval_text(state.interval)]
    if state.paused:
        parts += ["  ", (" PAUSED ", "reverse bold $warning")]
    return Content.assemble(*parts)


def all_line(fleet: FleetState, width: int, current: bool) -> Content:
    c = fleet.counts()
    parts: list[Part] = [("◆ ", "$accent"),
                         (f"{'All hosts':<{width}}", "bold" if current else ""), "  ",
                         f"{len(fleet.hosts)} hosts: ", (f"{c[OK]} ok", "$success")]
    if c[DOWN]:
        parts += [", ", (f"{c[DOWN]} down", "bold $error")]
    if c["connecting"]:
        parts += [", ", (f"{c['connecting']} connecting", "$warning")]
    return Content.assemble(*parts)


class HostsScreen(ModalScreen[ViewChoice | None]):
    """The host switcher (a console of many hosts only)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("hosts"))

    def __init__(self) -> None:
        super().__init__(id="hosts")

    @property
    def console(self) -> JailtuiApp:
        return cast("JailtuiApp", self.app)

    @property
    def fleet(self) -> FleetConsole:
        return self.console.fleet

    @property
    def options(self) -> OptionList:
        return self.query_one("#hosts-list", OptionList)

    def compose(self) -> ComposeResult:
        with Vertical(id="hosts-box"):
            yield Static(Content.assemble(
                ("Hosts", "bold"),
                ("   Enter shows it · c reconnects · Escape closes", "$foreground-muted")),
                id="hosts-title", markup=False)
            yield OptionList(*self._lines(), id="hosts-list")

    def on_mount(self) -> None:
        fleet = self.fleet
        # The line of what is shown now is highlighted first.
        names = fleet.names()
        self.options.highlighted = 0 if fleet.view is None else names.index(fleet.view) + 1
        self.options.focus()
        if fleet.signal is not None:
            fleet.signal.subscribe(self, lambda _state: self.redraw(), immediate=True)
        # Once a second: the retry countdown and the data age move on.
        self.set_interval(1.0, self.redraw, name="hosts-age")

    def _lines(self) -> list[Content]:
        fleet = self.fleet
        state = fleet.state
        width = max([len("All hosts"), *(len(visible(n, 32)) for n in fleet.names())])
        now = self.console.now()
        lines = [all_line(state, width, fleet.view is None)]
        lines += [host_line(h, now, width, fleet.view == h.name) for h in state.hosts]
        return lines

    def redraw(self) -> None:
        for i, line in enumerate(self._lines()):
            self.options.replace_option_prompt_at_index(i, line)

    def choice_at(self, index: int | None) -> ViewChoice | None:
        if index is None:
            return None
        if index == 0:
            return ViewChoice(None)
        names = self.fleet.names()
        return ViewChoice(names[index - 1]) if 0 < index <= len(names) else None

    @on(OptionList.OptionSelected, "#hosts-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choice_at(event.option_index))

    def action_reconnect(self) -> None:
        choice = self.choice_at(self.options.highlighted)
        if choice is None:
            return
        names = [choice.host] if choice.host is not None else self.fleet.names()
        for name in names:
            self.console.reconnect(name)

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["HostsScreen", "ViewChoice", "all_line", "host_line"]
