"""Replacing a jail's root with a known-good snapshot, step by step (``B``).

The flow is core/storage/restore.py's, through the controller contract; this
screen shows each step as it ends (its time of day, its duration, its words),
then the total and where everything is. It runs in an app worker: leaving
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
from jailtui.core.storage.restore import STEPS, RestoreResult, StepResult
from jailtui.core.text import visible
from jailtui.screens.guard import GuardedScreen
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.status_bar import StatusBar

__all__ = ["RestoreScreen", "step_line"]


def step_line(r: StepResult) -> Content:
    """``04:35:04.295Z   0.07s  ✓ stop            shop: stopped``."""
    stamp = time.strftime("%H:%M:%S", time.gmtime(r.started)) + f".{int(r.started % 1 * 1000):03d}Z"
    mark = (("– ", "$foreground-muted") if r.skipped else
            (f"{glyphs().ok} ", "$success") if r.ok else (f"{glyphs().bad} ", "bold $error"))
    return Content.assemble((stamp, "$foreground-muted"), f" {r.seconds:6.2f}s  ", mark,
                            (f"{r.step:<15}", "bold"), " ", visible(r.message, 800))


class RestoreScreen(GuardedScreen):
    """One run of the restore flow for one jail."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("restore"))

    DEFAULT_CSS = """
    RestoreScreen #restore-title { height: auto; padding: 0 1; background: $boost; }
    RestoreScreen #restore-steps { height: 1fr; padding: 0 1; }
    RestoreScreen #restore-summary { height: auto; padding: 0 1; }
    """

    def __init__(self, jail: Jail, snapshot: str) -> None:
        super().__init__(id="restore")
        self._jail = jail
        self.snapshot = snapshot
        self.done = False
        self.result: RestoreResult | None = None
        self._lines: list[Content] = []

    def selected_jail(self) -> Jail | None:
        return self._jail

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(Content.assemble(
            ("Restore jail ", "bold"), (visible(self._jail.name, 64), "bold $text-accent"),
            (" from ", "bold"), (visible(self.snapshot, 200), "bold $accent"), "\n",
            (" → ".join(STEPS), "$foreground-muted")), id="restore-title", markup=False)
        with VerticalScroll(id="restore-steps"):
            yield Static("", id="restore-lines", markup=False)
        yield Static(Content.styled("running…", "$warning"), id="restore-summary",
                     markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        controller = self.console.controller_for(self._jail.host_name)
        if controller is None:
            self._finish(None, "read-only session: no actions")
            return
        name, snap, jail = self._jail.name, self.snapshot, self._jail

        def on_step(r: StepResult) -> None:
            self._lines.append(step_line(r))
            if self.is_attached:
                self.query_one("#restore-lines", Static).update(Content("\n").join(self._lines))

        async def run() -> None:
            try:
                result = await controller.restore(name, snap, jail, on_step)
            except Exception as exc:  # a refusal before any step: said, not raised
                self.console.report(f"restore {name}", ActionResult(False, describe(exc)))
                self._finish(None, describe(exc))
                return
            self.console.report(f"restore {name} from {snap}",
                                ActionResult(result.ok, result.summary))
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
            return
        head = ((f"{glyphs().ok} done in {result.total:.2f}s", "bold $success") if result.ok
                else (f"{glyphs().bad} failed after {result.total:.2f}s", "bold $error"))
        summary.update(Content.assemble(head, "\n", visible(result.summary, 1200),
                                        ("\nw: what changed in the quarantined root   "
                                         "Escape: close" if result.quarantine else
                                         "\nEscape: close", "$foreground-muted")))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "what_changed":
            return self.result is not None and bool(self.result.quarantine)
        return super().check_action(action, parameters)

    def action_what_changed(self) -> None:
        if self.result is None or not self.result.quarantine:
            self.app.notify("No quarantined root to compare (the restore has not moved one "
                            "aside).", severity="warning", markup=False)
            return
        from jailtui.screens.changes import ChangesScreen

        self.app.push_screen(ChangesScreen(self._jail, self.result.quarantine))

    def action_close(self) -> None:
        if not self.done:
            self.app.notify("The restore is still running: it is closed when it has ended.",
                            severity="warning", markup=False)
            return
        self.dismiss()
