"""Action flows of the console: the questions asked, the steps taken, the results shown.

Every step that changes something is a call on the row's own controller
(the one gate, core/actions/control.py); this module only decides what to
ask first (confirm texts), what follows (start-then-shell, the restart offer
after a saved config) and how a result is reported (action log +
notification, always ``markup=False``). The App holds the wiring and hands
these flows its hosts, journal and screens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from textual.content import Content

from jailtui.core.actions import control
from jailtui.core.actions.control import ActionResult, OwnerEdit
from jailtui.core.actions.policy import Action
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.model import Jail, JailState, Process
from jailtui.core.owners import EditKind
from jailtui.core.owners import messages as owner_messages
from jailtui.core.text import one_line, visible
from jailtui.widgets.jobs import job

# The screens of the flows are imported where a flow starts, not here: the
# first frame needs none of them (issue 18: start; tests/test_import_hygiene.py).

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp

#: The notification while a lifecycle action runs.
VERBS = {"start": "starting", "stop": "stopping", "restart": "restarting"}


def lifecycle_question(action: str, jail: Jail) -> Content:
    """``Stop jail web on beta (jid 3)?`` and what it does (plain text, never markup)."""
    return Content.assemble(
        (f"{action.capitalize()} jail ", "bold"), (visible(jail.name, 64), "bold $accent"),
        (f" on {visible(jail.host_name, 32)}" if jail.host_name is not None else "", "bold"),
        (f" (jid {jail.jid})" if jail.jid is not None else "", "bold"), "?\n",
        ("Its processes will be ended"
         + (" and the jail started again." if action == "restart" else "."),
         "$foreground-muted"),
        *dependents_warning(action, jail))


def dependents_warning(action: str, jail: Jail) -> list[tuple[str, str]]:
    """``git depends on it: stopped first, not started again`` (docs/freebsd.md 3.7)."""
    if not jail.dependents or action not in ("stop", "restart"):
        return []
    names = ", ".join(visible(n, 64) for n in jail.dependents)
    they = "it depends" if len(jail.dependents) == 1 else "they depend"
    again = " and stays stopped" if len(jail.dependents) == 1 else " and stay stopped"
    return [("\nAlso stops ", "$warning"), (names, "bold $warning"),
            (f" first ({they} on it: jail.conf depend){again if action == 'restart' else ''}.",
             "$warning")]


def bulk_question(action: str, jails: Sequence[Jail],
                  left_out: Sequence[tuple[Jail, str]]) -> Content:
    """``Stop 3 jails?`` naming every one (with its host and jid), then those left
    out and why; a jail no manager owns is said to go through jail(8)."""
    parts: list[str | tuple[str, str]] = [
        (f"{action.capitalize()} {len(jails)} jail{'s' if len(jails) != 1 else ''}?", "bold"),
        "\n"]
    for j in jails:
        parts += ["  ", (visible(j.name, 64), "bold $accent"),
                  f" on {visible(j.host_name, 32)}" if j.host_name is not None else "",
                  f" (jid {j.jid})" if j.jid is not None else "",
                  (" with jail(8): no manager owns it" if j.owner == "unknown" else "",
                   "$warning"),
                  *([("; also stops ", "$warning"),
                     (", ".join(visible(n, 64) for n in j.dependents), "bold $warning")]
                    if action != "start" and j.dependents else []),
                  "\n"]
    if action != "start":
        parts.append(("Their processes will be ended"
                      + (" and the jails started again." if action == "restart" else "."),
                      "$foreground-muted"))
    for j, reason in left_out:
        parts += ["\n", ("left out: ", "$foreground-muted"), visible(j.name, 64),
                  (f" ({visible(reason, 200)})", "$foreground-muted")]
    return Content.assemble(*parts)


def unknown_owner_question(action: str, jail: Jail) -> Content:
    """``Stop jail X with jail(8)?`` and why: no manager owns it (docs/managers.md 1.8)."""
    return Content.assemble(
        (f"{action.capitalize()} jail ", "bold"), (visible(jail.name, 64), "bold $accent"),
        (f" on {visible(jail.host_name, 32)}" if jail.host_name is not None else "", "bold"),
        " with jail(8)?\n",
        (visible(owner_messages.unknown_question(jail.name, jail.owner_reason), 600),
         "$foreground-muted"))


def restart_question(jail: Jail) -> Content:
    """After a saved config: ``Restart jail web (jid 3) to apply?``."""
    return Content.assemble(
        ("Restart jail ", "bold"), (visible(jail.name, 64), "bold $accent"),
        (f" (jid {jail.jid})" if jail.jid is not None else "", "bold"), (" to apply?", "bold"),
        "\n", ("The saved configuration takes effect when the jail starts again; its "
               "processes will be ended.", "$foreground-muted"))


def where(name: str, host: str | None) -> str:
    """The raw title of an action in the log: ``web`` or ``beta:web``."""
    return name if host is None else f"{host}:{name}"


class Flows:
    """The console's action flows, on the app's hosts, screens and journal."""

    def __init__(self, app: JailtuiApp) -> None:
        self.app = app

    # -- jail actions ----------------------------------------------------------------

    def jail_action(self, action: str, jail: Jail) -> None:
        """start / stop / restart / shell / services / exec / edit (already allowed)."""
        from jailtui.screens.confirm import ConfirmScreen
        from jailtui.screens.exec import ExecScreen
        from jailtui.screens.services import ServicesScreen

        app = self.app
        # Many hosts: the jail's own host becomes the focus, so the shell, the
        # editor and their follow-ups (restart offer) act on that host.
        app.focus_host(jail.host_name)
        if action == "services":
            # Reading: no controller needed (issue 13 item 24).
            app.push_screen(ServicesScreen(jail))
            return
        if action == "console_log":
            from jailtui.screens.console_log import ConsoleLogScreen

            app.push_screen(ConsoleLogScreen(jail))
            return
        if action == "limits":
            from jailtui.screens.limits import LimitsScreen

            app.push_screen(LimitsScreen(jail))
            return
        if action == "snapshots":
            from jailtui.screens.snapshots import SnapshotsScreen

            app.push_screen(SnapshotsScreen(jail))
            return
        if action == "restore":
            from jailtui.screens.snapshots import SnapshotsScreen

            # Pick the known-good snapshot there, then B (screens/snapshots.py).
            app.push_screen(SnapshotsScreen(jail, restoring=True))
            return
        if app.controller is None:
            return
        if action == "backup":
            from jailtui.screens.backup import BackupScreen

            app.push_screen(BackupScreen(jail))
            return
        if action == "shell" and jail.state is JailState.STOPPED:
            self.start_then_shell(jail)
        elif action == "shell":
            self.open_shell(jail)
        elif action == "exec":
            app.push_screen(ExecScreen(jail))
        elif action == "edit":
            self.edit_config(jail)
        elif jail.owner == "unknown" and action in ("start", "stop", "restart"):
            # jail(8) on a jail no manager owns only after saying so (docs/managers.md 1.8).
            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.run_lifecycle(action, jail, unknown_ok=True)

            app.push_screen(ConfirmScreen(unknown_owner_question(action, jail),
                                          yes=action.capitalize()), confirmed)
        elif action == "start":
            self.run_lifecycle("start", jail)
        elif action in ("stop", "restart"):
            def answered(yes: bool | None) -> None:
                if yes:
                    self.run_lifecycle(action, jail)

            app.push_screen(ConfirmScreen(lifecycle_question(action, jail),
                                          yes=action.capitalize()), answered)

    def start_then_shell(self, jail: Jail) -> None:
        """``x`` on a stopped jail: "Start it?", then the shell (screens/shell_start.py)."""
        from jailtui.screens.confirm import ConfirmScreen
        from jailtui.screens.shell_start import shell_when_started, start_question

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_lifecycle("start", jail,
                                   then=lambda result: shell_when_started(self.app, jail, result))

        self.app.push_screen(ConfirmScreen(start_question(jail), yes="Start", danger=False),
                             answered)

    def bulk_lifecycle(self, action: str, jails: Sequence[Jail],
                       left_out: Sequence[tuple[Jail, str]], *,
                       done: Callable[[], None]) -> None:
        """start / stop / restart of every marked jail: one question naming each
        (and each left out, with why), then one after the other through the gate,
        each reported as if alone; ``done`` (clear the marks) once they ran."""
        from jailtui.screens.confirm import ConfirmScreen

        app = self.app

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            done()

            async def each() -> None:
                for jail in jails:
                    await self.lifecycle_once(action, jail, unknown_ok=True)

            app.run_worker(job(each), group=f"action-{action}", exit_on_error=False,
                           description=f"{action} {len(jails)} jails")

        app.push_screen(ConfirmScreen(bulk_question(action, jails, left_out),
                                      yes=f"{action.capitalize()} {len(jails)}"), answered)

    async def lifecycle_once(self, action: str, jail: Jail, *,
                             unknown_ok: bool = False) -> ActionResult | None:
        """One start / stop / restart through the jail's controller, with its
        notification, pending mark, report and poll (None: a read-only host)."""
        app = self.app
        controller = app.controller_for(jail.host_name)
        if controller is None:
            return None
        name = jail.name
        shown = visible(name, 64) + (f" on {visible(jail.host_name, 32)}" if jail.host_name else "")
        app.notify(f"{VERBS[action]} {shown}…", markup=False, timeout=3)
        app.pending.begin(jail, action)
        method = {"start": controller.start, "stop": controller.stop,
                  "restart": controller.restart}[action]
        try:
            result = await (method(name, expect=jail, unknown_ok=True) if unknown_ok
                            else method(name, expect=jail))
        except JailtuiError as exc:
            result = ActionResult(False, describe(exc))
        app.pending.finish(jail, result.ok)
        self.report(f"{action} {where(name, jail.host_name)}", result, jail=name,
                    host_name=jail.host_name)
        app.poll_host(jail.host_name)
        return result

    def run_lifecycle(self, action: str, jail: Jail,
                      then: Callable[[ActionResult], Awaitable[None]] | None = None, *,
                      unknown_ok: bool = False) -> None:
        """``unknown_ok``: the user confirmed jail(8) on a jail no manager owns."""
        app = self.app
        if app.controller_for(jail.host_name) is None:
            return

        async def run() -> None:
            result = await self.lifecycle_once(action, jail, unknown_ok=unknown_ok)
            if then is not None and result is not None:
                await then(result)

        app.run_worker(job(run), group=f"action-{action}", exit_on_error=False,
                       description=f"{action} a jail")

    def report(self, title: str, result: ActionResult, *, jail: str | None = None,
               host_name: str | None = None, notify: bool = True) -> None:
        """A result in the action log, on the event timeline (of ``jail`` on
        ``host_name``: None, the focus host) and as a notification (sanitised, no markup).

        ``notify`` False: the screen that ran the action shows its result
        itself and cannot be left while it runs (the restore's steps, which
        a notification covered at 80x24)."""
        self.app.journal.add(title, result.ok, result.message, result.output)
        self.app.fleet.timeline.action(host_name or self.app.fleet.focus, jail, title, result.ok,
                                       one_line(result.message, 300))
        if not notify:
            return
        message = one_line(result.message, 300) or ("done" if result.ok else "failed")
        if not result.ok and result.output.strip():
            message += "  (L: full output)"
        self.app.notify(message, severity="information" if result.ok else "error",
                        markup=False, timeout=5 if result.ok else 10)

    # -- processes -----------------------------------------------------------------------

    def signal_process(self, proc: Process) -> None:
        from jailtui.screens.signal import SignalScreen

        def chosen(sig: str | None) -> None:
            if sig:
                self.send_signal(proc, sig)

        self.app.push_screen(SignalScreen(proc, control.SIGNALS), chosen)

    def send_signal(self, proc: Process, sig: str) -> None:
        app = self.app
        controller = app.controller_for(proc.host_name)
        if controller is None:
            return
        title = f"SIG{sig} {where(str(proc.pid), proc.host_name)}"

        async def run() -> None:
            try:
                result = await controller.signal(proc.pid, sig, proc)
            except JailtuiError as exc:
                result = ActionResult(False, describe(exc))
            self.report(title, result, jail=proc.jail, host_name=proc.host_name)
            app.poll_host(proc.host_name)

        app.run_worker(job(run), group="action-signal", exit_on_error=False,
                       description="send a signal")

    # -- the terminal ------------------------------------------------------------------

    def open_shell(self, jail: Jail) -> None:
        """``x``: the controller's gate (re-resolved, same jid), then the shell in
        the suspended terminal; the controller audits it once it has ended."""
        app = self.app
        controller = app.controller
        if controller is None:
            return

        where = f" (jid {jail.jid})" if jail.jid is not None else ""
        label = app.host.label
        banner = (f"jailtui: shell in jail {jail.name}{where} on {jail.host_name or label}"
                  f"{' (SIMULATED)' if label.upper() == 'SIMULATED' else ''}.\n"
                  "Leave it (exit or ctrl+d) to return to the console.")

        async def run() -> None:
            try:
                shell = await controller.prepare_shell(jail.name, jail)
            except JailtuiError as exc:
                self.report(f"shell {jail.name}", ActionResult(False, describe(exc)),
                            jail=jail.name, host_name=jail.host_name)
                return
            code = self.in_terminal(shell.argv, lambda: controller.run_shell(shell),
                                    banner=banner)
            if code is not None:
                app.journal.add(f"shell {jail.name}", code == 0, f"exit status {code}")

        app.run_worker(job(run), group="action-shell", exit_on_error=False,
                       description="open a shell")

    def run_interactive(self, argv: Sequence[str]) -> int | None:
        """Run ``argv`` (an editor) on the real terminal through the controller."""
        controller = self.app.controller
        if controller is None:
            return None
        return self.in_terminal(argv, lambda: controller.run_interactive(list(argv)))

    def in_terminal(self, argv: Sequence[str], run: Callable[[], int],
                    banner: str | None = None) -> int | None:
        """Call ``run`` (which runs ``argv``) on the real terminal, the console
        suspended meanwhile.

        The controller runs it on a fresh pty (core/transport/ptyrelay.py) so
        a jailed process never holds our terminal (TIOCSTI). It blocks the
        event loop on purpose: timers, and so the pollers, stop while the
        shell runs (docs/textual.md 2.4). The console polls again as soon
        as it is back.
        """
        from jailtui.screens.suspend import lend_terminal

        app = self.app
        app.stop_polling()
        try:
            # argv is a list built by the controller; never a shell string.
            # Always resumes, whatever the run raises (screens/suspend.py).
            return lend_terminal(app, run, what="a shell", program=argv[0], banner=banner)
        finally:
            app.poll_now()

    # -- the configuration ---------------------------------------------------------------

    def edit_config(self, jail: Jail) -> None:
        """``e``: the jail's configuration in the editor for this role, then
        an offer to restart the jail so a saved change applies.

        Host admin: the block in a built-in editor (whole file in $EDITOR on
        ctrl+o); delegate: a form of the allowed parameters
        (screens/config_editor.py).
        """
        from jailtui.screens.config_editor import config_screen

        controller = self.app.controller
        if controller is None:
            return
        try:
            owned = controller.owner_edit(jail.name)
            if owned is None:
                session = controller.open_config(jail.name)
        except JailtuiError as exc:
            self.report(f"edit {jail.name}", ActionResult(False, describe(exc)),
                        jail=jail.name, host_name=jail.host_name)
            return
        if owned is not None:
            self.edit_owned(jail, owned)
            return

        def saved(done: bool | None) -> None:
            if done:
                self.offer_restart(jail)

        self.app.push_screen(config_screen(controller, session, jail), saved)

    def edit_owned(self, jail: Jail, owned: OwnerEdit) -> None:
        """A managed jail whose configuration is not jail.conf syntax: iocage's
        properties in a form (``iocage get -a``, saved with ``iocage set``), another
        manager's file read-only with the command that changes it (docs/managers.md 1.8)."""
        from jailtui.screens.owner_config import OwnerFileScreen, PropertyFormScreen

        app = self.app
        controller = app.controller
        if controller is None:
            return
        if owned.info.kind is not EditKind.PROPERTIES:
            app.push_screen(OwnerFileScreen(jail, owned.info.file, owned.text, owned.note))
            return

        def saved(done: bool | None) -> None:
            if done:
                self.offer_restart(jail)

        async def load() -> None:
            try:
                props = await controller.owner_properties(jail.name, expect=jail)
            except JailtuiError as exc:
                self.report(f"edit {jail.name}", ActionResult(False, describe(exc)),
                        jail=jail.name, host_name=jail.host_name)
                return
            app.push_screen(PropertyFormScreen(controller, props, jail), saved)

        app.run_worker(job(load), group="owner-properties", exit_on_error=False,
                       description="iocage get -a")

    def offer_restart(self, jail: Jail) -> None:
        """A saved config applies when the jail starts again: offer the
        restart (the usual lifecycle path) if it runs, else say when."""
        from jailtui.screens.confirm import ConfirmScreen

        app = self.app
        snap = app.snapshot_for(jail.host_name)
        now = (snap.jail(jail.name) if snap is not None else None) or jail
        name = visible(jail.name, 64)
        if now.state is not JailState.RUNNING:
            app.notify(f"{name} is not running: the change applies at its next start.",
                       markup=False, timeout=6)
            return
        reason = app.gate_reason(Action.RESTART, now)
        if reason is not None:
            app.notify(f"Restart {name} for the change to apply ({reason}).",
                       severity="warning", markup=False, timeout=8)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_lifecycle("restart", now)
            else:
                app.notify(f"Not restarted: the change applies when {name} next starts.",
                           markup=False, timeout=6)

        app.push_screen(ConfirmScreen(restart_question(now), yes="Restart"), answered)


__all__ = ["VERBS", "Flows", "lifecycle_question", "restart_question", "where"]
