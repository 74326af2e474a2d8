"""``[backup] keep = N`` in the console: after a snapshot or a backup, ask before pruning.

The command line prunes by the rule (cli/backup_cmd.py, cli/snapshot_cmd.py); the
console asks first, naming every snapshot that would go (the console's own
``jailtui-*`` only, of the jail and of its backup: core/storage/backup.py
``prune_plan``), and prunes only on yes, each destroy audited. Nothing to prune:
nothing is asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.content import Content

from jailtui.core.actions.control import ActionResult
from jailtui.core.errors import describe
from jailtui.core.model import Jail
from jailtui.core.text import visible
from jailtui.widgets.jobs import job

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp

__all__ = ["offer_prune"]


def offer_prune(app: JailtuiApp, jail: Jail, done: Callable[[ActionResult], None]) -> None:
    """When ``[backup] keep`` is set and something is beyond it: ask, then prune;
    ``done`` gets the outcome (not called when nothing is to prune or the user says no)."""
    keep = app.settings.backup_keep
    controller = app.controller_for(jail.host_name)
    if keep <= 0 or controller is None:
        return

    async def plan() -> None:
        try:
            found = await controller.prune_plan(jail.name, keep, jail,
                                                app.settings.backup_target)
        except Exception as exc:  # said, not raised: the snapshot or backup was made
            done(ActionResult(False, f"could not plan the pruning: {describe(exc)}"))
            return
        if not found.any:
            return
        from jailtui.screens.confirm import ConfirmScreen

        question = Content.assemble(
            ("Prune the console's own snapshots of jail ", "bold"),
            (visible(jail.name, 64), "bold $accent"), (f" (keep = {keep})?", "bold"), "\n",
            (visible(found.text(), 1500) + ". Snapshots and files not named jailtui-* are "
             "never touched; a snapshot a clone depends on is refused by zfs and stays.",
             "$foreground-muted"))

        def answered(yes: bool | None) -> None:
            if not yes:
                return

            async def go() -> None:
                try:
                    result = await controller.prune(found, jail)
                except Exception as exc:  # every failure said on the screen
                    result = ActionResult(False, describe(exc))
                app.report(f"prune {jail.name} (keep {keep})", result)
                done(result)

            app.run_worker(job(go), group="action-prune", exit_on_error=False,
                           description="prune the console's snapshots")

        app.push_screen(ConfirmScreen(question, yes="Prune"), answered)

    app.run_worker(job(plan), group="action-prune", exit_on_error=False,
                   description="what keep = N would prune")
