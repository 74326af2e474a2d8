"""A jail's backup as it runs (``b``): bytes copied, the rate, and cancel.

The copy is core/storage/backup.py's, through the controller contract; this
screen shows its progress events as they come and the result at the end. It
runs in an app worker, so the polls go on and the other screens stay live
meanwhile; ``c`` sets the cancel event (the flow kills send and receive and
leaves no half-received backup), Escape closes the screen once it has ended.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.actions.control import ActionResult
from jailtui.core.errors import describe
from jailtui.core.model import Jail
from jailtui.core.storage.backup import BackupResult, progress_text
from jailtui.core.storage.pipe import Progress
from jailtui.core.text import visible
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.contracts import ConsoleController
from jailtui.screens.guard import GuardedScreen
from jailtui.screens.prune import offer_prune
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.status_bar import StatusBar

__all__ = ["BackupScreen"]


#: How the copy is made (core/storage/backup.py; docs/freebsd.md 12.7, 12.8), said under the
#: title once the jail's root is located, before the copy starts.
METHOD_ZFS = ("snapshot -r → zfs send -R → zfs receive -u, into POOL/jailtui-backups/NAME "
              "(never mounted)")
METHOD_UFS = ("bsdtar -c --one-file-system --numeric-owner (file flags kept), an archive in "
              "[backup] target")
METHOD_UNKNOWN = "locating the root… (ZFS: zfs send -R; otherwise a bsdtar archive)"

class BackupScreen(GuardedScreen):
    """One backup of one jail."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("backup"))

    DEFAULT_CSS = """
    BackupScreen #backup-title { height: auto; padding: 0 1; background: $boost; }
    BackupScreen #backup-progress { height: auto; padding: 1 1 0 1; }
    BackupScreen #backup-summary { height: 1fr; padding: 1 1 0 1; }
    """

    def __init__(self, jail: Jail) -> None:
        super().__init__(id="backup")
        self._jail = jail
        self.done = False
        self.result: BackupResult | None = None
        #: What pruning after it did ([backup] keep, asked first); None: nothing pruned.
        self.pruned: ActionResult | None = None
        #: The standby copy made after a UFS archive (offered, asked first); None: none.
        self.standby: BackupResult | None = None
        self.cancel = asyncio.Event()
        self.last: Progress | None = None

    def selected_jail(self) -> Jail | None:
        return self._jail

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(Content.assemble(
            ("Back up jail ", "bold"), (visible(self._jail.name, 64), "bold $text-accent"),
            "\n", (METHOD_UNKNOWN, "$foreground-muted")),
            id="backup-title", markup=False)
        yield Static(Content.styled("starting…", "$warning"), id="backup-progress",
                     markup=False)
        yield Static(Content.styled("c: cancel", "$foreground-muted"), id="backup-summary",
                     markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        controller = self.console.controller_for(self._jail.host_name)
        if controller is None:
            self._finish(None, "read-only session: no actions")
            return
        name, jail = self._jail.name, self._jail

        def on_progress(p: Progress) -> None:
            self.last = p
            if self.is_attached and not self.done:
                self.query_one("#backup-progress", Static).update(Content.assemble(
                    ("copying: ", "bold"), progress_text(p)))

        async def run() -> None:
            try:
                # Which copy this will be, before it starts (core/storage/backup.py:
                # a dataset of its own is sent, anything else archived with bsdtar).
                where = await controller.storage(name, jail)
            except Exception:  # the backup itself says why it cannot locate the root
                where = None
            if where is not None and self.is_attached:
                self._show_method(where.own_dataset)
            try:
                # The location just read is handed on: not read a second time.
                result = await controller.backup(name, jail, on_progress, self.cancel,
                                                 self.console.settings.backup_target,
                                                 where=where)
            except Exception as exc:  # a refusal before anything started: said, not raised
                self.console.report(f"backup {name}", ActionResult(False, describe(exc)))
                self._finish(None, describe(exc))
                return
            self.console.report(f"backup {name}", ActionResult(result.ok, result.message))
            self._finish(result, "")
            if result.ok and not result.target.startswith("/"):
                # [backup] keep: asked, never silent (screens/prune.py).
                offer_prune(self.console, jail, self._pruned)
            elif result.ok:
                await self._offer_standby(controller, result)

        self.app.run_worker(job(run), group="action-backup", exit_on_error=False,
                            description="back a jail up")

    def _show_method(self, zfs: bool) -> None:
        self.query_one("#backup-title", Static).update(Content.assemble(
            ("Back up jail ", "bold"), (visible(self._jail.name, 64), "bold $text-accent"),
            "\n", (METHOD_ZFS if zfs else METHOD_UFS, "$foreground-muted")))

    def _finish(self, result: BackupResult | None, error: str) -> None:
        self.done = True
        self.result = result
        if not self.is_attached:
            return
        progress = self.query_one("#backup-progress", Static)
        summary = self.query_one("#backup-summary", Static)
        if result is None:
            progress.update(Content.styled("Not started", "bold $error"))
            summary.update(Content.assemble((visible(error, 600), "$error"),
                                            ("\nEscape: close", "$foreground-muted")))
            self.refresh_bindings()
            return
        if result.ok:
            head = (f"{glyphs().ok} done: {progress_text(Progress(result.bytes, result.seconds))}",
                    "bold $success")
        elif result.cancelled:
            head = (f"{glyphs().bad} cancelled", "bold $warning")
        else:
            head = (f"{glyphs().bad} failed", "bold $error")
        progress.update(Content.assemble(head))
        summary.update(Content.assemble(visible(result.message, 1200),
                                        ("\nEscape: close", "$foreground-muted")))
        self.refresh_bindings()

    async def _offer_standby(self, controller: ConsoleController, archive: BackupResult
                             ) -> None:
        """A UFS root that is a directory on its file system: its standby copy, made from
        the archive just written, is offered (asked first; core/storage/standby.py)."""
        from jailtui.core.storage.standby import make_question

        name, jail = self._jail.name, self._jail
        try:
            found = await controller.ufs_standby(name, jail)
        except Exception:  # the backup's own outcome stays on the screen
            return
        if found is None or found[1]:
            return
        settings = self.console.settings

        def answered(yes: bool | None) -> None:
            if not yes:
                return

            async def make() -> None:
                try:
                    made = await controller.standby_make(name, jail, None, None,
                                                         settings.backup_target)
                except Exception as exc:  # refused by the gate: said, not raised
                    made = BackupResult(False, name, message=describe(exc))
                self.standby = made
                self.console.report(f"standby copy of {name}",
                                    ActionResult(made.ok, made.message))
                self._pruned(ActionResult(made.ok, made.message))

            self.app.run_worker(job(make), group="action-backup", exit_on_error=False,
                                description="make a standby copy")

        self.app.push_screen(ConfirmScreen(Content(make_question(
            visible(name, 64), visible(found[0], 200), visible(archive.target, 200))),
            yes="Make it"), answered)

    def _pruned(self, result: ActionResult) -> None:
        """The pruning's outcome under the backup's."""
        self.pruned = result
        if not self.is_attached or self.result is None:
            return
        mark = ((f"{glyphs().ok} ", "$success") if result.ok
                else (f"{glyphs().bad} ", "bold $error"))
        self.query_one("#backup-summary", Static).update(Content.assemble(
            visible(self.result.message, 1200), "\n", mark, visible(result.message, 1200),
            ("\nEscape: close", "$foreground-muted")))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return not self.done and not self.cancel.is_set()
        return super().check_action(action, parameters)

    def action_cancel(self) -> None:
        if self.done:
            return
        self.cancel.set()
        if self.is_attached:
            self.query_one("#backup-summary", Static).update(
                Content.styled("cancelling: stopping zfs send and zfs receive…", "$warning"))
        self.refresh_bindings()

    def action_close(self) -> None:
        if not self.done:
            self.app.notify("The backup is still running: c cancels it; it is closed when it "
                            "has ended.", severity="warning", markup=False)
            return
        self.dismiss()
