"""Pick a signal for a process (htop's ``k`` / F9 menu).

The dialog names the process by pid, command and jail, all sanitised; the
controller re-checks just before sending that the pid is still the same
process (pids are reused), so choosing here is the confirmation.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from jailtui.console.keys import bindings_for
from jailtui.core.model import Process
from jailtui.core.text import visible

#: What each signal usually means for a daemon (signal(3), rc.subr).
MEANING = {
    "TERM": "ask it to exit (the default of kill)",
    "HUP": "reload its configuration (most daemons)",
    "INT": "interrupt, like ctrl+c",
    "QUIT": "quit with a core dump, like ctrl+\\",
    "KILL": "kill it at once; it cannot clean up",
    "STOP": "pause it (cannot be caught); CONT resumes",
    "CONT": "resume a stopped process",
    "TSTP": "stop request, like ctrl+z (can be caught)",
    "USR1": "daemon-specific (log rotation for some)",
    "USR2": "daemon-specific",
    "WINCH": "terminal size changed (some daemons: graceful stop)",
    "INFO": "print status, like ctrl+t (dd, fetch, ...)",
    "ALRM": "timer expired (daemon-specific)",
}

#: FreeBSD's numbers (sys/sys/signal.h; not Linux's: USR1 is 30 there).
NUMBER = {"HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "ALRM": 14, "TERM": 15, "STOP": 17,
          "TSTP": 18, "CONT": 19, "WINCH": 28, "INFO": 29, "USR1": 30, "USR2": 31}


def signal_named(text: str, offered: tuple[str, ...]) -> str | None:
    """``9``, ``-9``, ``KILL``, ``sigkill`` -> ``KILL`` if offered, else None."""
    word = text.strip().removeprefix("-").upper().removeprefix("SIG")
    if word.isdigit():
        word = next((name for name, n in NUMBER.items() if n == int(word)), "")
    return word if word in offered else None


class SignalScreen(ModalScreen[str | None]):
    """A list of signals; dismisses with the signal name or None."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("signal"))

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
                Option(Content.assemble((f"{NUMBER.get(s, ''):>2} SIG{s:<6}", "bold"), "  ",
                                        (MEANING.get(s, ""), "$foreground-muted")), id=s)
                for s in self.signals], id="signal-list")
            yield Input(placeholder="or type one: a number or a name (9, KILL, -HUP)",
                        id="signal-entry")
            yield Static(Content.styled("Enter: send   Tab: type a signal   Escape: cancel",
                                        "$foreground-muted"), id="signal-help", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#signal-entry")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        name = signal_named(event.value, self.signals)
        if name is not None:
            self.dismiss(name)
            return
        shown = visible(event.value.strip(), 32) or "(nothing)"
        self.query_one("#signal-help", Static).update(Content.assemble(
            (f"{shown}: not one of these signals ", "bold $error"),
            ("(a FreeBSD number or name from the list)", "$foreground-muted")))

    def action_cancel(self) -> None:
        self.dismiss(None)
