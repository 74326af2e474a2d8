"""Pick a signal for a process (htop's ``k`` / F9 menu).

The dialog names the process by pid, command and jail, all sanitised; the
controller re-checks just before sending that the pid is still the same
process (pids are reused), so choosing here is the confirmation.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from jailtui.core.model import Process
from jailtui.core.text import visible

#: What each signal usually means for a daemon (signal(3), rc.subr).
MEANING = {
    "TERM": "ask it to exit (the default of kill)",
    "HUP": "reload its configuration (most daemons)",
    "INT": "interrupt, like ctrl+c",
    "KILL": "kill it at once; it cannot clean up",
    "USR1": "daemon-specific (log rotation for some)",
    "USR2": "daemon-specific",
}

NUMBER = {"HUP": 1, "INT": 2, "KILL": 9, "TERM": 15, "USR1": 30, "USR2": 31}


class SignalScreen(ModalScreen[str | None]):
    """A list of signals; dismisses with the signal name or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="signal_cancel"),
    ]

    def __init__(self, process: Process, signals: tuple[str, ...]) -> None:
        super().__init__(id="signal")
        self.process = process
        self.signals = signals

    def compose(self) -> ComposeResult:
        p = self.process
        where: list[str | tuple[str, str]] = (
            [" in jail ", (visible(p.jail, 64), "bold $text-accent")] if p.jail
            else [" on the host", ])
        title = Content.assemble(("Send a signal to pid ", ""), (str(p.pid), "bold"), *where,
                                 "\n", (visible(p.command, 200), "$foreground-muted"))
        with Vertical(id="signal-box"):
            yield Static(title, id="signal-title", markup=False)
            yield OptionList(*[
                Option(Content.assemble((f"{NUMBER.get(s, ''):>2} SIG{s:<5}", "bold"), "  ",
                                        (MEANING.get(s, ""), "$foreground-muted")), id=s)
                for s in self.signals], id="signal-list")
            yield Static(Content.styled("Enter: send   Escape: cancel", "$foreground-muted"),
                         markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
