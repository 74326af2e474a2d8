"""``x`` on a stopped jail: "web is not running. Start it?", then the shell.

A shell needs a running jail (``jexec``), so ``x`` used to be refused on a
stopped one; the question saves the user the start-wait-``x`` dance. It is
offered only to a session that may do both: start the jail, and open a shell
in it once it runs (read-only users and delegates without START are still
refused, with the usual reason). The start is the ordinary lifecycle path
(``JailtuiApp._run_lifecycle``: row shows "starting…", result in the action
log); the shell opens only if the start succeeded.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.content import Content

from jailtui.core.actions.control import ActionResult
from jailtui.core.actions.policy import Action
from jailtui.core.errors import JailtuiError
from jailtui.core.model import Jail, JailState
from jailtui.core.text import visible
from jailtui.screens.contracts import ConsoleController

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp

__all__ = ["offers_start", "start_question", "shell_when_started"]


def offers_start(controller: ConsoleController, jail: Jail) -> bool:
    """May ``x`` on ``jail`` offer to start it first?

    The shell is asked of the policy for the jail as it will be (running):
    ``allowed`` also checks the state, and a stopped jail never passes that.
    """
    if jail.state is not JailState.STOPPED:
        return False
    return controller.allowed(Action.START, jail) and \
        controller.allowed(Action.SHELL, replace(jail, state=JailState.RUNNING))


def start_question(jail: Jail) -> Content:
    """The confirmation: names the jail (plain text, never markup)."""
    name = visible(jail.name, 64)
    return Content.assemble(
        (name, "bold $accent"),
        (f" on {visible(jail.host_name, 32)}" if jail.host_name is not None else "", "bold"),
        (" is not running. Start it?", "bold"), "\n",
        ("The shell opens when the jail has started.", "$foreground-muted"))


async def shell_when_started(app: JailtuiApp, jail: Jail, result: ActionResult) -> None:
    """After the start: open the shell in the jail as it runs now (new jid)."""
    if not result.ok:
        return
    now: Jail | None = None
    # Controller.resolve: the jail as the kernel sees it now (jls -j NAME),
    # so the shell's audit record carries the new jid.
    controller = app.controller_for(jail.host_name)
    if controller is not None:
        try:
            found = await controller.resolve(jail.name)
        except JailtuiError:
            found = None
        if found is not None:
            now = replace(found, host_name=jail.host_name)
    if now is None:
        now = replace(jail, state=JailState.RUNNING)
    # Suspending the terminal belongs to the message loop, not a worker.
    app.call_later(app.open_shell, now)
