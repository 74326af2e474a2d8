"""The console App: wiring only (host, poller, controller, screens, keys).

The poller
    One poll at a time, re-armed with ``set_timer`` only after the previous
    one finished (dolphie's pattern; docs/textual.md 1.9 item 4). Not an
    exclusive worker on ``set_interval``, which starves a poll slower than
    its interval (docs/textual.md 2.2, measured: 10 started, 0 finished).
    A failed poll keeps the last good snapshot, marks it stale with the
    sanitised error, and retries with a doubling delay (docs/architecture.md).
    ``r`` polls at once; if a poll is running, once more right after it.

The gate
    Every action that changes something goes to the controller. The app
    only asks it what is allowed (for the footer) and reports results
    (notification + action log), all with ``markup=False``.

Many hosts
    With ``fleet`` (jailtui/fleetview.py) every host has its own poller and
    controller; ``host``, ``controller`` and ``poll_state`` stand for the
    *focus* host (the viewed one, or the row's host when a row is opened or
    acted on), so the single-host screens work unchanged on it, and every
    action on a row goes to the row's own host (model.Jail.host). Without
    ``fleet`` nothing of this runs: one host is exactly as before.

Nothing from a jail reaches the terminal title: ``TITLE`` is fixed and no
screen sets ``sub_title`` (docs/security.md 4.3).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.markup import escape as escape_markup
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer

from jailtui.core.actions import control
from jailtui.core.actions.control import ActionResult
from jailtui.core.actions.policy import Action, Role, valid_for_state
from jailtui.core.config.settings import Settings
from jailtui.core.errors import JailtuiError
from jailtui.core.model import HostSnapshot, Jail, JailState, Process
from jailtui.core.text import one_line, visible
from jailtui.screens.config_editor import config_screen
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.contracts import ConfigController, ConsoleController, ConsoleHost
from jailtui.screens.detail import DetailScreen
from jailtui.screens.exec import CommandHistory, ExecScreen
from jailtui.screens.guard import GuardedScreen
from jailtui.screens.health import HealthScreen
from jailtui.screens.help import HelpScreen, all_bindings
from jailtui.screens.hosts import HostsScreen, ViewChoice
from jailtui.screens.keys import APP_BINDINGS, FLEET_IDS, GUARDED, HELP_TEXT, split_keys
from jailtui.screens.log import LogScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.services import ServicesScreen
from jailtui.screens.shell_start import offers_start, shell_when_started, start_question
from jailtui.screens.signal import SignalScreen
from jailtui.screens.suspend import lend_terminal
from jailtui.widgets.action_log import ActionLog
from jailtui.widgets.health_state import HealthMonitor
from jailtui.widgets.jobs import job
from jailtui.widgets.pending import PendingActions
from jailtui.widgets.poll_state import PollState

if TYPE_CHECKING:
    from jailtui.fleetview import FleetConsole

#: Steps of ``+``/``-`` (seconds). A value set with --interval between two
#: steps moves to the next step in the chosen direction.
INTERVAL_STEPS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0)


def step_interval(current: float, direction: int) -> float:
    """The next step of :data:`INTERVAL_STEPS` up (``direction > 0``) or down."""
    if direction > 0:
        return next((s for s in INTERVAL_STEPS if s > current + 1e-9), INTERVAL_STEPS[-1])
    return next((s for s in reversed(INTERVAL_STEPS) if s < current - 1e-9), INTERVAL_STEPS[0])


#: Longest wait between two tries while polls fail.
MAX_BACKOFF = 60.0

#: Binding ids of the modal screens, also valid in [keys].
_MODAL_IDS = frozenset({"confirm_yes", "confirm_no", "signal_cancel", "help_close",
                        "log_back", "filter_clear", "hosts_close"})

_VERBS = {"start": "starting", "stop": "stopping", "restart": "restarting"}


class JailtuiApp(App[None]):
    """The live console for one jail host."""

    CSS_PATH = "app.tcss"
    TITLE = "jailtui"
    BINDINGS: ClassVar[list[BindingType]] = list(APP_BINDINGS)
    # Responsive classes on every screen (app.tcss: the detail screen uses two
    # columns from 120 cells).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    def __init__(self, host: ConsoleHost, controller: ConsoleController | None, *,
                 interval: float | None = None, settings: Settings | None = None,
                 clock: Callable[[], float] = time.time,
                 fleet: FleetConsole | None = None) -> None:
        super().__init__()
        self.host = host
        self.controller = controller
        #: Several hosts (None: one host, as always).
        self.fleet = fleet
        self.settings = settings or Settings()
        self._clock = clock
        first = interval if interval is not None else self.settings.interval
        self._state = PollState(interval=first)
        #: Published after every change of :attr:`poll_state`.
        self.poll_signal: Signal[PollState] = Signal(self, "poll")
        self.journal = ActionLog()
        #: start/stop/restart in progress, shown on the jail's row (widgets/pending.py).
        self.pending = PendingActions(self)
        #: Command lines run with ``!`` this session (screens/exec.py).
        self.exec_history = CommandHistory()
        #: Health checks on a slower cadence than the poll (widgets/health_state.py).
        self.health = HealthMonitor(self)
        self._timer: Timer | None = None
        self._polling = False
        self._poll_again = False
        self._user_keys: dict[str, str] = dict(self.settings.keys)
        if self._user_keys:
            self.set_keymap(self._user_keys)
        if fleet is not None:
            # Before the screens mount: they subscribe to fleet.signal.
            fleet.attach(self, interval=first, journal=self.journal, max_backoff=MAX_BACKOFF,
                         on_focus=self._set_state)
            self.host, self.controller = fleet.host(fleet.focus), fleet.controller(fleet.focus)

    # -- what widgets read ---------------------------------------------------------------

    @property
    def poll_state(self) -> PollState:
        return self._state

    def _set_state(self, state: PollState) -> None:
        self._state = state
        self.poll_signal.publish(state)

    @property
    def backend_label(self) -> str:
        return self.host.label

    @property
    def identity(self) -> str:
        """``user · role`` for the status line (role as the controller says)."""
        c = self.controller
        if c is None:
            return "read-only (no actions)"
        user = visible(c.user, 32)
        if c.role is Role.DELEGATE:
            return f"{user} · delegate of {visible(c.scope or '?', 64)}"
        if c.role is Role.HOST_ADMIN:
            return f"{user} · host admin"
        return f"{user} · read-only"

    def now(self) -> float:
        return self._clock()

    # -- start ---------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen()

    def on_mount(self) -> None:
        theme = self.settings.theme
        if theme:
            if theme in self.available_themes:
                self.theme = theme
            else:
                self._warn(f"config: unknown theme {theme!r}; using the default")
        for warning in self.settings.warnings:
            self._warn(warning)
        known = set(all_bindings()) | _MODAL_IDS
        for binding_id in self._user_keys:
            if binding_id not in known:
                self._warn(f"config: [keys] {binding_id}: no such binding id (see ? for ids)")
        self.health.start()  # before the first poll: it evaluates that poll's snapshot
        if self.fleet is not None:
            self.fleet.start()
        else:
            self.poll_now()

    def _warn(self, message: str) -> None:
        self.journal.add("config", None, message)
        self.notify(visible(message), severity="warning", markup=False, timeout=8)

    # -- the poller ------------------------------------------------------------------------------

    def poll_now(self) -> None:
        """Poll at once; if a poll is running, poll again right after it.

        Many hosts: the hosts on screen (the viewed one, or all), each on its
        own poller.
        """
        if self.fleet is not None:
            self.fleet.poll_now()
            return
        if self._polling:
            self._poll_again = True
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._polling = True
        self.run_worker(job(self._poll), name="poll", group="poll", exit_on_error=False,
                        description="jls + ps")

    async def _poll(self) -> None:
        try:
            snapshot = await self.host.poll()
        except Exception as exc:  # the console must survive any poll failure
            self._poll_failed(exc)
        else:
            self._poll_ok(snapshot)
        finally:
            self._polling = False
            self._arm()

    def _poll_ok(self, snapshot: HostSnapshot) -> None:
        old = self._state.snapshot
        if snapshot.warnings and (old is None or old.warnings != snapshot.warnings):
            for w in snapshot.warnings:
                self.journal.add("warning", None, w)
        if self._state.stale:
            self.journal.add("poll", True, "polling works again")
        self._set_state(replace(self._state, snapshot=snapshot, error=None, failures=0,
                                retry_in=None))

    def _poll_failed(self, exc: Exception) -> None:
        raw = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        if not isinstance(exc, JailtuiError):
            raw = f"{type(exc).__name__}: {raw}"
        message = one_line(raw, 300)
        failures = self._state.failures + 1
        delay = min(self._state.interval * (2 ** failures), max(self._state.interval, MAX_BACKOFF))
        if message != self._state.error:
            self.journal.add("poll failed", False, raw)
        self._set_state(replace(self._state, error=message, failures=failures, retry_in=delay))

    def _arm(self) -> None:
        if self._poll_again:
            self._poll_again = False
            self.poll_now()
            return
        if self._state.paused or not self.is_running:
            return
        delay = self._state.retry_in if self._state.stale else self._state.interval
        self._timer = self.set_timer(delay or self._state.interval, self.poll_now, name="poll")

    def _rearm(self) -> None:
        """A new interval or a resume: wait the full new interval from now."""
        if self._polling:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._arm()

    # -- app-wide actions ----------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.poll_now()

    def action_pause(self) -> None:
        paused = not self._state.paused
        self._set_state(replace(self._state, paused=paused))
        if self.fleet is not None:
            self.fleet.set_paused(paused)
        elif paused:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
        else:
            self.poll_now()
        self.notify("Polling paused (p resumes; r polls once)" if paused else "Polling resumed",
                    markup=False, timeout=2)

    def action_interval(self, direction: int) -> None:
        if self.fleet is not None:  # each host on screen, from its own interval
            self.fleet.step_interval(lambda current: step_interval(current, direction))
            return
        new = step_interval(self._state.interval, direction)
        self._set_state(replace(self._state, interval=new))
        self._rearm()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_log(self) -> None:
        if not isinstance(self.screen, LogScreen):
            self.push_screen(LogScreen())

    def action_health(self) -> None:
        """``H``: open the health view, or close it again."""
        if isinstance(self.screen, HealthScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HealthScreen())

    def open_detail(self, name: str, host: str | None = None) -> None:
        self.focus_host(host)
        self.push_screen(DetailScreen(name))

    # -- many hosts -------------------------------------------------------------------------

    def focus_host(self, name: str | None) -> None:
        """Make ``name`` the host that host/controller/poll_state stand for
        (many hosts only; None or one host: nothing to do)."""
        fleet = self.fleet
        if fleet is None or name is None or name == fleet.focus:
            return
        fleet.focus = name
        self.host, self.controller = fleet.host(name), fleet.controller(name)
        self._set_state(fleet.poll_state(name))

    def controller_for(self, host: str | None) -> ConsoleController | None:
        """The controller of ``host`` (a row's host); one host: the controller."""
        if self.fleet is None or host is None:
            return self.controller
        return self.fleet.controller(host)

    def snapshot_for(self, host: str | None) -> HostSnapshot | None:
        """The last snapshot of ``host``; one host: the snapshot."""
        if self.fleet is None or host is None:
            return self._state.snapshot
        return self.fleet.poll_state(host).snapshot

    def set_view(self, view: str | None) -> None:
        """Show one host (its panes exactly as a single-host console) or all hosts."""
        fleet = self.fleet
        if fleet is None:
            return
        fleet.set_view(view)
        if view is not None:
            self.focus_host(view)
            # Even when it already was the focus: the screen starts afresh on it.
            self._set_state(fleet.poll_state(view))

    def open_hosts(self) -> None:
        """The host switcher: pick a host or all hosts; ``c`` there reconnects one."""
        if self.fleet is None or isinstance(self.screen, HostsScreen):
            return

        def chosen(choice: ViewChoice | None) -> None:
            if choice is not None:
                self.set_view(choice.host)

        self.push_screen(HostsScreen(), chosen)

    def reconnect(self, host: str) -> None:
        """``c``: forget the host's backoff and poll it now."""
        if self.fleet is None:
            return
        link = self.fleet.fleet.link(host)
        shown = visible(host, 32)
        if link is not None and not link.connected:
            self.notify(f"{shown}: reconnecting…", markup=False, timeout=3)
        else:
            self.notify(f"{shown}: polling now", markup=False, timeout=2)
        self.fleet.reconnect(host)

    # -- keys -----------------------------------------------------------------------------------

    def binding_keys(self, binding: Binding) -> list[str]:
        """The keys a binding has now: the user's [keys] entry, else the default."""
        keys = self._user_keys.get(binding.id) if binding.id else None
        return split_keys(keys or binding.key)

    def key_display(self, binding: Binding, key: str) -> str:
        if key == binding.key and binding.key_display:
            return binding.key_display
        return self.get_key_display(binding.with_key(key, key_display=None))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every binding of the screen (and the app) in the command palette.

        Guarded actions call the screen's action method directly, which
        refuses with a reason when not allowed (``run_action`` would check
        ``check_action`` and do nothing, silently).
        """
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        targets: list[tuple[Any, Sequence[BindingType]]] = []
        if isinstance(screen, GuardedScreen):
            targets.append((screen, type(screen).BINDINGS))
        targets.append((self, self.BINDINGS))
        for namespace, bindings in targets:
            for b in bindings:
                if not isinstance(b, Binding) or not b.id or b.id in seen:
                    continue
                if b.id in FLEET_IDS and self.fleet is None:
                    continue
                seen.add(b.id)
                keys = ", ".join(self.key_display(b, k) for k in self.binding_keys(b))
                # The palette parses help as markup (textual/command.py,
                # build_prompt: Content.from_markup(hit.help)): escape it, the
                # keys may come from the user's config.
                help_text = escape_markup(f"{HELP_TEXT.get(b.id, b.description)} — key: {keys}")
                yield SystemCommand(_palette_title(b), help_text,
                                    self._command_callback(namespace, b))
        if self.fleet is not None and isinstance(screen, MainScreen):
            yield from self._host_commands()

    def _host_commands(self) -> Iterable[SystemCommand]:
        """``Show host NAME`` / ``Show all hosts``: the switcher by name."""
        fleet = self.fleet
        if fleet is None:
            return
        yield SystemCommand("Show all hosts", "every host's jails and processes, a HOST column",
                            lambda: self.set_view(None))
        for name in fleet.names():
            view = fleet.state.get(name)
            state = view.describe(self.now()) if view is not None else ""
            # The palette parses help as markup (see above): escape what
            # comes from the user's config and from ssh.
            yield SystemCommand(f"Show host {visible(name, 32)}", escape_markup(visible(state)),
                                partial(self.set_view, name))

    def _command_callback(self, namespace: Any, binding: Binding) -> Callable[[], Any]:
        if binding.action in GUARDED:
            method = getattr(namespace, f"action_{binding.action}")
            return lambda: method()

        async def run() -> None:
            await self.run_action(binding.action, namespace)

        return run

    # -- the gate ---------------------------------------------------------------------------------

    def gate_reason(self, action: Action, jail: Jail | None,
                    host: str | None = None) -> str | None:
        """Why the controller would refuse ``action`` on ``jail``; None if allowed.

        The controller of the jail's host (or of ``host``, for a host
        process) on a console of many hosts.
        """
        c = self.controller_for(host or (jail.host if jail is not None else None))
        if c is None:
            return "read-only session: no actions"
        if jail is None and action is not Action.SIGNAL:
            return "no jail selected"
        if action is Action.EDIT and getattr(c, "open_config", None) is None \
                and getattr(c, "edit_config", None) is None:
            return "editing the jail's configuration is not available yet"
        if action is Action.SHELL and jail is not None and offers_start(c, jail):
            return None  # x on a stopped jail: "Start it?" (screens/shell_start.py)
        if c.allowed(action, jail):
            return None
        if c.role is Role.READ_ONLY:
            return "read-only session"
        if jail is not None and not valid_for_state(action, jail):
            name = visible(jail.name, 64)
            if action is Action.START:
                return f"{name} is already {jail.state.value}"
            if action is Action.EDIT:
                return f"{name} is not in jail.conf (created by hand)"
            return f"{name} is not running"
        return f"{action.value} is not permitted for {self.identity}"

    def signal_reason(self, proc: Process) -> str | None:
        snap = self.snapshot_for(proc.host)
        jail = snap.jail(proc.jail) if snap is not None and proc.jail is not None else None
        if proc.jail is not None and jail is None:
            return "the process's jail is gone"
        return self.gate_reason(Action.SIGNAL, jail, host=proc.host)

    def refuse(self, action: str, reason: str) -> None:
        self.notify(f"{action}: refused — {reason}", severity="warning", markup=False)

    # -- actions ----------------------------------------------------------------------------------

    def jail_action(self, action: str, jail: Jail | None) -> None:
        """start / stop / restart / shell / edit on ``jail`` (already allowed by the screen)."""
        if jail is None:
            return
        # Many hosts: the jail's own host becomes the focus, so the shell, the
        # editor and their follow-ups (restart offer) act on that host.
        self.focus_host(jail.host)
        if self.controller is None:
            return
        if action == "shell" and jail.state is JailState.STOPPED:
            self._start_then_shell(jail)
        elif action == "shell":
            self.open_shell(jail)
        elif action == "services":
            self.push_screen(ServicesScreen(jail))
        elif action == "exec":
            self.push_screen(ExecScreen(jail))
        elif action == "edit":
            self.edit_config(jail)
        elif action == "start":
            self._run_lifecycle("start", jail)
        elif action in ("stop", "restart"):
            question = Content.assemble(
                (f"{action.capitalize()} jail ", "bold"), (visible(jail.name, 64), "bold $accent"),
                (f" on {visible(jail.host, 32)}" if jail.host is not None else "", "bold"),
                (f" (jid {jail.jid})" if jail.jid is not None else "", "bold"), "?\n",
                ("Its processes will be ended"
                 + (" and the jail started again." if action == "restart" else "."),
                 "$foreground-muted"))

            def answered(yes: bool | None) -> None:
                if yes:
                    self._run_lifecycle(action, jail)

            self.push_screen(ConfirmScreen(question, yes=action.capitalize()), answered)

    def _start_then_shell(self, jail: Jail) -> None:
        """``x`` on a stopped jail: "Start it?", then the shell (screens/shell_start.py)."""
        def answered(yes: bool | None) -> None:
            if yes:
                self._run_lifecycle("start", jail,
                                    then=lambda result: shell_when_started(self, jail, result))

        self.push_screen(ConfirmScreen(start_question(jail), yes="Start", danger=False), answered)

    def _run_lifecycle(self, action: str, jail: Jail,
                       then: Callable[[ActionResult], Awaitable[None]] | None = None) -> None:
        controller = self.controller_for(jail.host)
        if controller is None:
            return
        name = jail.name
        shown = visible(name, 64) + (f" on {visible(jail.host, 32)}" if jail.host else "")
        title = f"{action} {name}" if jail.host is None else f"{action} {jail.host}:{name}"
        self.notify(f"{_VERBS[action]} {shown}…", markup=False, timeout=3)
        self.pending.begin(jail, action)

        async def run() -> None:
            method = {"start": controller.start, "stop": controller.stop,
                      "restart": controller.restart}[action]
            try:
                result = await method(name, expect=jail)
            except JailtuiError as exc:
                result = ActionResult(False, getattr(exc, "message", None) or str(exc))
            self.pending.finish(jail, result.ok)
            self.report(title, result)
            self._poll_host(jail.host)
            if then is not None:
                await then(result)

        self.run_worker(job(run), group=f"action-{action}", exit_on_error=False,
                        description=f"{action} a jail")

    def _poll_host(self, host: str | None) -> None:
        """After an action: poll the host it changed (one host: poll)."""
        if self.fleet is not None and host is not None:
            self.fleet.poll_now([host])
        else:
            self.poll_now()

    def report(self, title: str, result: ActionResult) -> None:
        """A result in the action log and as a notification (sanitised, no markup)."""
        self.journal.add(title, result.ok, result.message, result.output)
        message = one_line(result.message, 300) or ("done" if result.ok else "failed")
        if not result.ok and result.output.strip():
            message += "  (L: full output)"
        self.notify(message, severity="information" if result.ok else "error", markup=False,
                    timeout=5 if result.ok else 10)

    def signal_process(self, proc: Process) -> None:
        def chosen(sig: str | None) -> None:
            if sig:
                self._send_signal(proc, sig)

        self.push_screen(SignalScreen(proc, control.SIGNALS), chosen)

    def _send_signal(self, proc: Process, sig: str) -> None:
        controller = self.controller_for(proc.host)
        if controller is None:
            return
        title = f"SIG{sig} {proc.pid}" if proc.host is None else f"SIG{sig} {proc.host}:{proc.pid}"

        async def run() -> None:
            try:
                result = await controller.signal(proc.pid, sig, proc)
            except JailtuiError as exc:
                result = ActionResult(False, getattr(exc, "message", None) or str(exc))
            self.report(title, result)
            self._poll_host(proc.host)

        self.run_worker(job(run), group="action-signal", exit_on_error=False,
                        description="send a signal")

    def open_shell(self, jail: Jail) -> None:
        controller = self.controller
        if controller is None:
            return
        try:
            argv = controller.shell_argv(jail.name, jail)
        except JailtuiError as exc:
            self.report(f"shell {jail.name}", ActionResult(False, str(exc)))
            return
        where = f" (jid {jail.jid})" if jail.jid is not None else ""
        host = jail.host or self.host.label
        banner = (f"jailtui: shell in jail {jail.name}{where} on {host}"
                  f"{' (SIMULATED)' if self.host.label.upper() == 'SIMULATED' else ''}.\n"
                  "Leave it (exit or ctrl+d) to return to the console.")
        code = self.run_interactive(argv, banner=banner)
        if code is not None:
            self.journal.add(f"shell {jail.name}", code == 0, f"exit status {code}")

    def run_interactive(self, argv: Sequence[str], banner: str | None = None) -> int | None:
        """Run ``argv`` on the real terminal, the console suspended meanwhile.

        ``subprocess.call`` blocks the event loop on purpose: timers, and so
        the poller, stop while the shell runs (docs/textual.md 2.4). The
        console polls again as soon as it is back.
        """
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        env_of = getattr(getattr(self.host, "runner", None), "interactive_env", None)
        env = env_of() if callable(env_of) else None
        on_pty = getattr(self.controller, "run_interactive", None)

        def run() -> int:
            # argv is a list built by the controller; never a shell string.
            # The controller runs it on a fresh pty (core/ptyrelay.py) so a
            # jailed process never holds our terminal (TIOCSTI).
            if callable(on_pty):
                return int(on_pty(list(argv)))
            return subprocess.call(list(argv), env=env)

        try:
            # Always resumes, whatever run() raises (screens/suspend.py).
            return lend_terminal(self, run, what="a shell", program=argv[0],
                                 path=env.get("PATH") if env else None,
                                 banner=banner)
        finally:
            self.poll_now()

    def edit_config(self, jail: Jail) -> None:
        """``e``: the jail's configuration in the editor for this role, then
        an offer to restart the jail so a saved change applies.

        Host admin: the block in a built-in editor (whole file in $EDITOR on
        ctrl+o); delegate: a form of the allowed parameters
        (screens/config_editor.py). Without ``open_config`` (the tests'
        fake controller) an ``edit_config`` argv is run as before, or the
        key says it is not available.
        """
        controller = self.controller
        if controller is not None and callable(getattr(controller, "open_config", None)):
            editing = cast(ConfigController, controller)
            try:
                session = editing.open_config(jail.name)
            except JailtuiError as exc:
                self.report(f"edit {jail.name}",
                            ActionResult(False, getattr(exc, "message", None) or str(exc)))
                return

            def saved(done: bool | None) -> None:
                if done:
                    self._offer_restart(jail)

            self.push_screen(config_screen(editing, session, jail), saved)
            return
        edit = getattr(self.controller, "edit_config", None)
        if edit is None:
            self.notify("Editing the jail's configuration is not available yet.",
                        severity="information", markup=False)
            return
        try:
            argv = edit(jail.name)
        except JailtuiError as exc:
            self.report(f"edit {jail.name}", ActionResult(False, str(exc)))
            return
        if isinstance(argv, list) and all(isinstance(a, str) for a in argv):
            code = self.run_interactive(argv)
            if code is not None:
                self.journal.add(f"edit {jail.name}", code == 0, f"exit status {code}")

    def _offer_restart(self, jail: Jail) -> None:
        """A saved config applies when the jail starts again: offer the
        restart (the usual lifecycle path) if it runs, else say when."""
        snap = self._state.snapshot
        now = (snap.jail(jail.name) if snap is not None else None) or jail
        name = visible(jail.name, 64)
        if now.state is not JailState.RUNNING:
            self.notify(f"{name} is not running: the change applies at its next start.",
                        markup=False, timeout=6)
            return
        reason = self.gate_reason(Action.RESTART, now)
        if reason is not None:
            self.notify(f"Restart {name} for the change to apply ({reason}).",
                        severity="warning", markup=False, timeout=8)
            return
        question = Content.assemble(
            ("Restart jail ", "bold"), (name, "bold $accent"),
            (f" (jid {now.jid})" if now.jid is not None else "", "bold"), (" to apply?", "bold"),
            "\n", ("The saved configuration takes effect when the jail starts again; its "
                   "processes will be ended.", "$foreground-muted"))

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_lifecycle("restart", now)
            else:
                self.notify(f"Not restarted: the change applies when {name} next starts.",
                            markup=False, timeout=6)

        self.push_screen(ConfirmScreen(question, yes="Restart"), answered)


def _palette_title(binding: Binding) -> str:
    titles = {"start": "Start jail", "stop": "Stop jail", "restart": "Restart jail",
              "shell": "Shell in jail (jexec)", "edit": "Edit jail configuration",
              "signal": "Send a signal to the process", "detail": "Jail detail",
              "host_wide": "Toggle host-wide processes", "tree": "Toggle process tree",
              "pause": "Pause / resume polling", "refresh": "Refresh now",
              "interval_up": "Poll less often", "interval_down": "Poll more often",
              "log": "Action log", "health": "Health checks",
              "help": "Keys (help)", "quit": "Quit",
              "filter": "Filter the focused pane", "clear_filter": "Clear the filter",
              "switch_pane": "Switch pane", "back": "Back",
              "hosts": "Hosts: switch host or show all hosts",
              "reconnect": "Reconnect to the selected host now",
              "services": "Daemons of the jail (rc.d services)",
              "exec": "Run a command in the jail",
              "service_start": "Start the selected service",
              "service_stop": "Stop the selected service",
              "service_restart": "Restart the selected service",
              "exec_clear": "Clear the command output"}
    return titles.get(binding.id or "", binding.description or binding.action)


__all__ = ["JailtuiApp", "INTERVAL_STEPS"]
