"""Replacing a jail's root with a known-good snapshot, step by step (``B``).

The flow is core/storage/restore.py's, through the controller contract; this
screen shows each step as it ends (its time of day, its duration, its words),
then the total and where everything is; the same screen rolls back (discarding
the root), swaps the quarantined root back after a start that failed, and
finishes a run cut short (screens/resume.py asks at start). It runs in an app worker: leaving
the console's screens must not cut the flow between the rename and the clone.
Escape closes the screen only once the flow has ended.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.actions.control import ActionResult
from jailtui.core.errors import describe
from jailtui.core.model import Jail
from jailtui.core.storage.restore import (
    DISCARD_STEPS,
    RESUME_STEPS,
    STEPS,
    SWAP_BACK_STEPS,
    RestoreResult,
    StepResult,
)
from jailtui.core.storage.standby import STANDBY_STEPS
from jailtui.core.text import visible
from jailtui.screens.guard import GuardedScreen
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.status_bar import StatusBar

__all__ = ["MODES", "RestoreScreen", "step_line", "swap_back_question"]


def step_line(r: StepResult) -> Content:
    """``04:35:04.295Z   0.07s  ✓ stop            shop: stopped``."""
    stamp = time.strftime("%H:%M:%S", time.gmtime(r.started)) + f".{int(r.started % 1 * 1000):03d}Z"
    mark = (("– ", "$foreground-muted") if r.skipped else
            (f"{glyphs().ok} ", "$success") if r.ok else (f"{glyphs().bad} ", "bold $error"))
    return Content.assemble((stamp, "$foreground-muted"), f" {r.seconds:6.2f}s  ", mark,
                            (f"{r.step:<15}", "bold"), " ", visible(r.message, 800))


#: What each way of running the flow is called on screen, and its steps.
MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "restore": ("Restore jail ", STEPS),
    "discard": ("Roll back jail ", DISCARD_STEPS),
    "swap_back": ("Swap back jail ", SWAP_BACK_STEPS),
    "resume": ("Finish the restore of jail ", RESUME_STEPS),
    "standby": ("Restore jail ", STANDBY_STEPS),
}


def swap_back_question(name: str, quarantine: str) -> Content:
    """The swap back's question: what goes where, and that nothing is destroyed."""
    return Content.assemble(
        ("Put the old root of jail ", "bold"), (visible(name, 64), "bold $accent"),
        (" back?", "bold"), "\n",
        (f"The known-good copy is renamed aside (….failed-UTCTIME, kept), "
         f"{visible(quarantine or 'the quarantined root', 200)} is "
         + ("" if quarantine.startswith("/") else "made writable, ")  # UFS: a directory
         + "renamed back in place and the jail started as it was. That is the compromised root: "
         "do it only to get the service back while you look at it. Nothing is destroyed.",
         "$foreground-muted"))


class RestoreScreen(GuardedScreen):
    """One run of the restore flow for one jail: a restore from a snapshot, a rollback
    that discards the root, a swap back, or the end of a run cut short (``mode``);
    after a start that failed, the swap back runs on the same screen (``s``)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("restore"))

    DEFAULT_CSS = """
    RestoreScreen #restore-title { height: auto; padding: 0 1; background: $boost; }
    RestoreScreen #restore-steps { height: 1fr; padding: 0 1; }
    RestoreScreen #restore-summary { height: auto; padding: 0 1; }
    """

    def __init__(self, jail: Jail, snapshot: str, *, mode: str = "restore") -> None:
        super().__init__(id="restore")
        if mode not in MODES:
            raise ValueError(f"no such restore mode: {mode}")
        self._jail = jail
        self.snapshot = snapshot
        self.mode = mode
        self.done = False
        self.result: RestoreResult | None = None
        self._lines: list[Content] = []

    def selected_jail(self) -> Jail | None:
        return self._jail

    def _title(self) -> Content:
        head, steps = MODES[self.mode]
        what: list[str | tuple[str, str]] = [
            (head, "bold"), (visible(self._jail.name, 64), "bold $text-accent")]
        if self.mode in ("restore", "discard", "resume", "standby") and self.snapshot:
            what += [(" to " if self.mode == "discard" else " from ", "bold"),
                     (visible(self.snapshot, 200), "bold $accent")]
        if self.mode == "discard":
            what.append((", keeping nothing", "bold $error"))
        return Content.assemble(*what, "\n", (" → ".join(steps), "$foreground-muted"))

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(self._title(), id="restore-title", markup=False)
        with VerticalScroll(id="restore-steps"):
            yield Static("", id="restore-lines", markup=False)
        yield Static(Content.styled("running…", "$warning"), id="restore-summary",
                     markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._begin()

    def _begin(self) -> None:
        """Run the flow of :attr:`mode` in an app worker, each step shown as it ends."""
        controller = self.console.controller_for(self._jail.host_name)
        if controller is None:
            self._finish(None, "read-only session: no actions")
            return
        self.done, self.result, self._lines = False, None, []
        if self.is_attached:
            self.query_one("#restore-title", Static).update(self._title())
            self.query_one("#restore-lines", Static).update("")
            self.query_one("#restore-summary", Static).update(
                Content.styled("running…", "$warning"))
            self.refresh_bindings()
        name, snap, jail, mode = self._jail.name, self.snapshot, self._jail, self.mode

        def on_step(r: StepResult) -> None:
            self._lines.append(step_line(r))
            if self.is_attached:
                self.query_one("#restore-lines", Static).update(Content("\n").join(self._lines))
                # The newest step in view (at 80x24 a wrapped failure reason fell below
                # the fold); scroll_end waits for the layout of the new line.
                self.query_one("#restore-steps", VerticalScroll).scroll_end(animate=False)

        title = {"restore": f"restore {name} from {snap}",
                 "discard": f"roll back {name} to {snap}, discarding its root",
                 "swap_back": f"swap back {name}",
                 "resume": f"finish the restore of {name}",
                 "standby": f"restore {name} from its standby copy {snap}"}[mode]

        async def run() -> None:
            try:
                if mode == "swap_back":
                    result = await controller.restore_swap_back(name, jail, on_step)
                elif mode == "resume":
                    result = await controller.restore_resume(name, jail, on_step)
                elif mode == "standby":
                    result = await controller.restore_standby(name, jail, on_step)
                else:
                    result = await controller.restore(name, snap, jail, on_step,
                                                      discard=mode == "discard")
            except Exception as exc:  # a refusal before any step: said, not raised
                # Said on this screen (_finish): no notification over it.
                self.console.report(title, ActionResult(False, describe(exc)), notify=False)
                self._finish(None, describe(exc))
                return
            self.console.report(title, ActionResult(result.ok, result.summary), notify=False)
            self.console.health.request()
            self._finish(result, "")

        self.app.run_worker(job(run), group="action-restore", exit_on_error=False,
                            description="restore a jail from a snapshot")

    def _finish(self, result: RestoreResult | None, error: str) -> None:
        self.done = True
        self.result = result
        if not self.is_attached:
            return
        summary = self.query_one("#restore-summary", Static)
        if result is None:
            summary.update(Content.assemble(("Not started: ", "bold $error"),
                                            (visible(error, 600), "$error"),
                                            ("   Escape: close", "$foreground-muted")))
            self.refresh_bindings()
            return
        head = ((f"{glyphs().ok} done in {result.total:.2f}s", "bold $success") if result.ok
                else (f"{glyphs().bad} failed after {result.total:.2f}s", "bold $error"))
        keys = (["s: swap back (put the old root back)"] if result.swap_back else []) + (
            ["w: what changed in the quarantined root"] if self._quarantine() else []) + [
            "Escape: close"]
        summary.update(Content.assemble(head, "\n", visible(result.summary, 1200),
                                        ("\n" + "   ".join(keys), "$foreground-muted")))
        self.refresh_bindings()

    def _quarantine(self) -> str:
        """The quarantined root this run moved aside (or finished from); "" if none
        (a rollback keeps none; a swap back has put it back)."""
        r = self.result
        if r is None or self.mode in ("discard", "swap_back") or not r.quarantine:
            return ""
        return r.quarantine

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "what_changed":
            return bool(self._quarantine())
        if action == "restore_swap_back":
            if not (self.done and self.result is not None and self.result.swap_back):
                return False
        return super().check_action(action, parameters)

    def action_what_changed(self) -> None:
        q = self._quarantine()
        if not q:
            self.app.notify("No quarantined root to compare (the restore has not moved one "
                            "aside).", severity="warning", markup=False)
            return
        from jailtui.screens.changes import ChangesScreen

        self.app.push_screen(ChangesScreen(self._jail, q))

    def action_restore_swap_back(self) -> None:
        if self.refuse_if_guarded("restore_swap_back"):
            return
        if not (self.done and self.result is not None and self.result.swap_back):
            self.app.notify("Swap back is offered after a start that failed once the root "
                            "was swapped.", severity="warning", markup=False)
            return
        from jailtui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.mode = "swap_back"
                self._begin()

        self.app.push_screen(ConfirmScreen(swap_back_question(
            self._jail.name, self.result.quarantine), yes="Swap back"), answered)

    def action_close(self) -> None:
        if not self.done:
            self.app.notify("The restore is still running: it is closed when it has ended.",
                            severity="warning", markup=False)
            return
        self.dismiss()
