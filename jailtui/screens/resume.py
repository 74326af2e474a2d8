"""A restore cut short, said when the console starts: finish it, undo it, or later.

A console killed between the rename and the clone (its terminal closed, the
machine rebooted) leaves a journal (core/storage/journal.py); when the console
starts it asks the controller which jails have one whose flow is in fact half
done (``restore_pending_all``: read again from ``zfs list``, a delegate's own jails
only) and shows this prompt for each, one after the other, with what is where
now and the two ways out: ``f`` finishes the flow (``jailtui restore NAME
--resume``), ``u`` undoes it (``--swap-back``: the old root back in place), Escape
decides later (the next restore of that jail says it again). Either way out runs
on screens/restore.py, step by step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.errors import describe
from jailtui.core.text import visible
from jailtui.widgets.jobs import job

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp

__all__ = ["ResumeScreen", "check_half_done"]


class ResumeScreen(ModalScreen[str | None]):
    """One half-done restore; dismisses with ``"resume"``, ``"swap_back"`` or None."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("resume"))

    DEFAULT_CSS = """
    ResumeScreen { align: center middle; background: $background 60%; }
    ResumeScreen #resume-box {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ResumeScreen #resume-keys { height: auto; margin-top: 1; }
    """

    def __init__(self, jail: str, text: str, undoable: bool, host: str | None = None) -> None:
        super().__init__(id="resume")
        self.jail_name = jail
        self.text = text
        #: A swap back can undo it (a rollback cannot be undone: finish only).
        self.undoable = undoable
        self.host_name = host

    def compose(self) -> ComposeResult:
        with Vertical(id="resume-box"):
            yield Static(Content.assemble(
                ("A restore of jail ", "bold"), (visible(self.jail_name, 64), "bold $accent"),
                (" is half done", "bold"),
                (f" (on {visible(self.host_name, 32)})" if self.host_name else "", "bold"),
                "\n\n", visible(self.text, 1500)), id="resume-text", markup=False)
            keys = "f: finish it   " + ("u: undo it (put the old root back)   "
                                        if self.undoable else "") + "Escape: later"
            yield Static(Content.styled(keys, "$foreground-muted"), id="resume-keys",
                         markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return self.undoable
        return True

    def action_finish(self) -> None:
        self.dismiss("resume")

    def action_undo(self) -> None:
        if not self.undoable:
            self.app.notify("A rollback cannot be undone: finish it (f).", severity="warning",
                            markup=False)
            return
        self.dismiss("swap_back")

    def action_later(self) -> None:
        self.dismiss(None)


def check_half_done(app: JailtuiApp) -> None:
    """Once, at start: ask each host's controller for restores cut short, then show
    :class:`ResumeScreen` for each in turn; the choice runs on the restore screen."""

    async def run() -> None:
        found: list[tuple[str | None, str, str, bool]] = []
        for host in app.fleet.names():
            controller = app.fleet.controller(host)
            if controller is None:
                continue
            label = host if app.fleet.several else None
            try:
                found += [(label, n, t, u) for n, t, u in await controller.restore_pending_all()]
            except Exception as exc:  # said, never raised into the start
                app.journal.add("restore", None, f"could not read the restore journals of "
                                f"{host}: {describe(exc)}")
        ask(found)

    def ask(left: list[tuple[str | None, str, str, bool]]) -> None:
        if not left:
            return
        (host, name, text, undoable), rest = left[0], left[1:]

        def answered(choice: str | None) -> None:
            if choice is None:
                ask(rest)
                return
            async def opening() -> None:
                await open_flow(host, name, choice, rest)

            app.run_worker(job(opening), group="resume-open", exit_on_error=False,
                           description="open the restore screen")

        app.push_screen(ResumeScreen(name, text, undoable, host), answered)

    async def open_flow(host: str | None, name: str, mode: str,
                        rest: list[tuple[str | None, str, str, bool]]) -> None:
        from jailtui.screens.restore import RestoreScreen

        controller = app.controller_for(host)
        jail = await controller.resolve(name) if controller is not None else None
        if jail is None:
            app.notify(f"{visible(name, 64)}: not found on the host now; see jailtui restore "
                       f"{visible(name, 64)} --resume", severity="error", markup=False)
            ask(rest)
            return
        app.push_screen(RestoreScreen(jail, "", mode=mode), lambda _r: ask(rest))

    app.run_worker(job(run), group="resume-check", exit_on_error=False,
                   description="restores cut short")
