"""The services of a jail (``D``): its enabled rc.d services, their state, start/stop/restart.

Where each part comes from:

- the list: ``host.services(name)`` (``service -j NAME -e``, in rcorder),
  when the screen opens, on ``r`` and after every action;
- the state of each service: ``host.service_status(name, svc)``
  (``service -j NAME SVC status``), asked here and only here, on demand, at
  most :data:`STATUS_CONCURRENCY` at a time. Never per poll tick: that is a
  jexec per service (docs/architecture.md: "never fork a command per jail per
  tick");
- actions: ``controller.service(name, svc, verb)``, the one gate (policy,
  argv, one audit record); the result goes to the action log and a
  notification (``app.report``), then the list and states are read again.

Workers: loading runs in screen workers (``exclusive``: a reload cancels
the previous one; leaving the screen cancels them and nothing is lost). An
action runs in an *app* worker: leaving the screen must not cancel a
``service restart`` half-way, before the controller has written its audit
record.

Service names and tool messages come from the jail (its root owns its rc.d
scripts): they are shown through ``visible()`` in ``Content``/``Text``,
never as markup (docs/security.md 4).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.actions.control import ActionResult
from jailtui.core.checks.rcstatus import ServiceState, ServiceStatus
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.model import Jail, JailState
from jailtui.core.text import one_line, visible
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.guard import GuardedScreen
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.poll_state import PollState
from jailtui.widgets.service_table import ServiceRow, ServiceTable
from jailtui.widgets.status_bar import StatusBar

__all__ = ["STATUS_CONCURRENCY", "ServicesScreen"]

#: ``status`` commands in flight at once: a jail with 30 services must not
#: fork 30 jexecs in the same instant.
STATUS_CONCURRENCY = 4

#: The outcome of a verb that worked.
_DONE = {"start": "started", "stop": "stopped", "restart": "restarted"}

#: What a row says while an action runs on its service.
_BUSY = {"start": "starting…", "stop": "stopping…", "restart": "restarting…"}


class ServicesScreen(GuardedScreen):
    """One jail's rc.d services, by name (the jid may change while it is open)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("services"))

    DEFAULT_CSS = """
    ServicesScreen #services-title {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    ServicesScreen #services-message {
        height: auto;
        max-height: 3;
        padding: 0 1;
    }
    ServicesScreen #services-table {
        height: 1fr;
    }
    """

    def __init__(self, jail: Jail) -> None:
        super().__init__(id="services")
        self.jail_name = jail.name
        self.jail_host = jail.host_name
        self._jail: Jail | None = jail
        #: (state, jid) the list was loaded for: a restart of the jail reloads.
        self._loaded_for: tuple[JailState, int | None] | None = None
        self._rows: dict[str, ServiceRow] = {}
        #: Service -> "restarting…" while an action on it runs (until its
        #: state has been asked again).
        self._busy: dict[str, str] = {}
        self._load_line: Content = Content("")
        self._action_line: Content | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static("", id="services-title", markup=False)
        yield Static("", id="services-message", markup=False)
        yield ServiceTable(id="services-table")
        yield KeyFooter()

    @property
    def table(self) -> ServiceTable:
        return self.query_one("#services-table", ServiceTable)

    def selected_jail(self) -> Jail | None:
        return self._jail

    def selected_service(self) -> ServiceRow | None:
        return self.table.cursor_row

    # -- life cycle -------------------------------------------------------------------

    def on_mount(self) -> None:
        self.table.focus()
        self.console.poll_signal.subscribe(self, self.apply, immediate=True)
        self.apply(self.console.poll_state)

    def apply(self, state: PollState) -> None:
        """Follow the jail: its title, and a reload when it (re)starts."""
        snap = state.snapshot
        if snap is not None:
            self._jail = snap.jail(self.jail_name)
        jail = self._jail
        self._draw_title(jail)
        ident = (jail.state, jail.jid) if jail is not None else None
        if ident != self._loaded_for:
            self._loaded_for = ident
            if jail is not None and jail.state is JailState.RUNNING:
                self.load()
            else:
                self.workers.cancel_group(self, "services-load")
                self._busy.clear()
                self._rows = {}
                self.table.set_rows([])
                self._set_load_line(Content.styled(
                    "The jail is not running: its services run only while it runs.", "$warning"))
        self.refresh_bindings()

    def _draw_title(self, jail: Jail | None) -> None:
        name = visible(self.jail_name, 64)
        parts: list[str | tuple[str, str]] = [("Services of jail ", "bold"),
                                              (name, "bold $text-accent")]
        if self.jail_host is not None:
            parts += [" on ", (visible(self.jail_host, 32), "bold")]
        if jail is None:
            parts += ["  ", ("gone", "$warning")]
        elif jail.state is not JailState.RUNNING:
            parts += ["  ", (jail.state.value, "$warning")]
        elif jail.jid is not None:
            parts.append(f" (jid {jail.jid})")
        parts.append(("   enabled rc.d services (service -e), in boot order",
                      "$foreground-muted"))
        self.query_one("#services-title", Static).update(Content.assemble(*parts))

    # -- loading ------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    def load(self) -> None:
        """List the enabled services, then ask each for its state (one worker)."""
        host = self.console.host
        name = self.jail_name
        shown = visible(name, 64)
        self._set_load_line(Content.styled(f"loading… (service -j {shown} -e)",
                                           "$foreground-muted"))

        async def run() -> None:
            try:
                names = await host.services(name)
            except Exception as exc:  # every failure belongs on the screen, sanitised
                self._list_failed(exc)
                return
            old = self._rows
            # Rows keep their last known state while they are asked again:
            # no flicker to "checking…" on every reload.
            self._rows = {svc: replace(old[svc], order=i + 1) if svc in old
                          else ServiceRow(i + 1, svc)
                          for i, svc in enumerate(names)}
            for gone in set(self._busy) - set(self._rows):
                del self._busy[gone]
            self._show()
            await self._check_all(names)

        self.run_worker(job(run), group="services-load", exclusive=True, exit_on_error=False,
                        description="list a jail's services and their state")

    def _list_failed(self, exc: BaseException) -> None:
        self._busy.clear()
        self._rows = {}
        self.table.set_rows([])
        self._set_load_line(Content.assemble(
            ("Could not list the services: ", "bold $error"),
            (one_line(describe(exc), 300), "$error")))

    async def _check_all(self, names: Sequence[str]) -> None:
        host = self.console.host
        name = self.jail_name
        if names:
            self._set_load_line(Content.styled(
                f"asking {len(names)} services for their state "
                f"(service -j {visible(name, 64)} NAME status)…", "$foreground-muted"))
        limit = asyncio.Semaphore(STATUS_CONCURRENCY)

        async def check(svc: str) -> None:
            async with limit:
                try:
                    status = await host.service_status(name, svc)
                except Exception as exc:  # one service's failure is its row's
                    status = ServiceStatus(svc, ServiceState.UNKNOWN, None, describe(exc))
            self._update(status)

        await asyncio.gather(*(check(svc) for svc in names))
        self._set_load_line(self._summary())

    def _update(self, status: ServiceStatus) -> None:
        row = self._rows.get(status.service)
        if row is None:
            return
        self._rows[status.service] = replace(row, state=status.state.value, pid=status.pid,
                                             message=status.message)
        self._busy.pop(status.service, None)
        self._show()

    def _show(self) -> None:
        self.table.set_rows([replace(r, busy=self._busy.get(r.name))
                             for r in self._rows.values()])
        self.refresh_bindings()

    def _summary(self) -> Content:
        rows = list(self._rows.values())
        if not rows:
            return Content.styled("No rc.d service is enabled in this jail.", "$foreground-muted")
        count = {s: sum(1 for r in rows if r.state == s.value) for s in ServiceState}
        parts: list[str | tuple[str, str]] = [f"{len(rows)} enabled: "]
        parts.append((f"{count[ServiceState.RUNNING]} running", "$success"))
        if count[ServiceState.STOPPED]:
            parts += [", ", (f"{count[ServiceState.STOPPED]} not running", "bold $error")]
        if count[ServiceState.NO_STATUS]:
            parts += [", ", (f"{count[ServiceState.NO_STATUS]} one-shot (no status)",
                             "$foreground-muted")]
        if count[ServiceState.UNKNOWN]:
            parts += [", ", (f"{count[ServiceState.UNKNOWN]} unknown", "$warning")]
        return Content.assemble(*parts)

    def _set_load_line(self, line: Content) -> None:
        self._load_line = line
        lines = [line] if self._action_line is None else [line, self._action_line]
        self.query_one("#services-message", Static).update(Content("\n").join(lines))

    # -- actions ------------------------------------------------------------------------

    def guard_reason(self, action: str) -> str | None:
        reason = super().guard_reason(action)
        if reason is not None or not action.startswith("service_"):
            return reason
        row = self.selected_service()
        if row is None:
            return "no service selected"
        if row.name in self._busy:
            return f"{visible(row.name, 64)} is busy ({self._busy[row.name]})"
        # What the row says rules out the obvious no-ops (issue 13 item 46); a
        # one-shot or unknown service may be started or stopped either way.
        if action == "service_start" and row.state == ServiceState.RUNNING.value:
            return f"{visible(row.name, 64)} is already running"
        if action == "service_stop" and row.state == ServiceState.STOPPED.value:
            return f"{visible(row.name, 64)} is not running"
        return None

    def action_back(self) -> None:
        self.dismiss()

    def action_service_start(self) -> None:
        self._service_action("start")

    def action_service_stop(self) -> None:
        self._service_action("stop")

    def action_service_restart(self) -> None:
        self._service_action("restart")

    def _service_action(self, verb: str) -> None:
        if self.refuse_if_guarded(f"service_{verb}"):
            return
        row = self.selected_service()
        if row is None:
            return
        svc = row.name
        if verb == "start":
            self._run(verb, svc)
            return
        jail = self._jail
        question = Content.assemble(
            (f"{verb.capitalize()} service ", "bold"), (visible(svc, 64), "bold $accent"),
            (" in jail ", "bold"), (visible(self.jail_name, 64), "bold $accent"),
            (f" on {visible(self.jail_host, 32)}" if self.jail_host is not None else "", "bold"),
            (f" (jid {jail.jid})" if jail is not None and jail.jid is not None else "", "bold"),
            "?\n",
            (f"service -j {visible(self.jail_name, 64)} {visible(svc, 64)} {verb}",
             "$foreground-muted"))

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(verb, svc)

        self.app.push_screen(ConfirmScreen(question, yes=verb.capitalize()), answered)

    def _run(self, verb: str, svc: str) -> None:
        console = self.console
        controller = console.controller
        if controller is None:
            console.refuse(verb, "controlling services is not available in this session")
            return
        name, host = self.jail_name, self.jail_host
        title = f"{verb} {svc} in {name}" if host is None else f"{verb} {svc} in {host}:{name}"
        self._busy[svc] = _BUSY[verb]
        self._show()

        async def run() -> None:
            try:
                result = await controller.service(name, svc, verb)
            except JailtuiError as exc:
                result = ActionResult(False, describe(exc))
            if result.ok:
                # rc.d's last line ("Waiting for PIDS: 98.") is no outcome: say
                # what happened; rc.d's own lines stay in the action log.
                result = ActionResult(True, f"{svc} {_DONE[verb]}", result.output, result.argv)
            console.report(title, result)
            # An enabled daemon stopped is a health finding now, not at the
            # next health period (up to 30 s later).
            console.health.request()
            if not self.is_attached:
                return
            mark = (f"{glyphs().ok} ", "$success") if result.ok else (f"{glyphs().bad} ", "bold $error")
            self._action_line = Content.assemble(
                mark, (visible(title, 128), "bold"), ": ",
                one_line(result.message, 200) or ("done" if result.ok else "failed"),
                ("   L: action log", "$foreground-muted"))
            self.load()

        # An app worker: see the module docstring.
        self.app.run_worker(job(run), group="action-service", exit_on_error=False,
                            description="a service in a jail")
