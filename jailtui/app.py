"""The console App: wiring only (hosts, pollers, controllers, screens, keys).

The hosts
    One host is a fleet of one: the App always has a
    :class:`~jailtui.console.fleet.FleetConsole`, one poller per host
    (jailtui/console/scheduler.py: one poll at a time, re-armed after the
    last one finished, backing off on failure). ``host``, ``controller`` and
    ``poll_state`` stand for the *focus* host (the viewed one, or the row's
    host when a row is opened or acted on), so the screens work unchanged on
    it, and every action on a row goes to the row's own host
    (model.Jail.host_name; None on a console of one host: the only one).

The gate
    Every action that changes something goes to the controller. The app
    only asks it what is allowed (for the footer) and reports results
    (notification + action log), all with ``markup=False``. What is asked
    and what follows an action are the flows' (jailtui/console/flows.py).

Nothing from a jail reaches the terminal title: ``TITLE`` is fixed and no
screen sets ``sub_title`` (docs/security.md 4.3).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.screen import Screen
from textual.signal import Signal

from jailtui.console import collector, palette
from jailtui.console.fleet import FleetConsole
from jailtui.console.flows import Flows
from jailtui.console.key_order import KeyDone, KeyOrder
from jailtui.console.keys import KeySpec, bindings_for, checked_keymap, split_keys
from jailtui.core.actions.control import ActionResult
from jailtui.core.actions.policy import READS, Action, Role, refused, state_refusal
from jailtui.core.config.settings import INTERVAL_STEPS, Settings, step_interval
from jailtui.core.model import HostSnapshot, Jail, Process
from jailtui.core.text import visible
from jailtui.core.userstate import StateStore
from jailtui.screens.contracts import ConsoleController, ConsoleHost
from jailtui.screens.main import MainScreen
from jailtui.screens.shell_start import offers_start
from jailtui.widgets.action_log import ActionLog
from jailtui.widgets.health_state import HealthMonitor
from jailtui.widgets.pending import PendingActions
from jailtui.widgets.poll_state import PollState

if TYPE_CHECKING:
    from jailtui.screens.exec import CommandHistory

# The other screens (detail, health, help, hosts, log, exec and the flows'
# screens) are imported when a key opens one: the first frame needs only the
# main screen (issue 18: start; tests/test_import_hygiene.py checks).

#: Seconds at most the collector waits for the first poll (console/collector.py).
FIRST_POLL_HOLD = 10.0

#: Themes of newer Textual releases -> the older release's equivalent.
_THEME_FALLBACK = {"ansi-dark": "textual-ansi", "ansi-light": "textual-ansi"}

class JailtuiApp(App[None]):
    """The live console for one jail host or several."""

    CSS_PATH = "app.tcss"
    TITLE = "jailtui"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("app"))
    #: The command palette lists our commands only (console/palette.py).
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        palette.ConsoleCommands}

    def __init__(self, host: ConsoleHost | None = None,
                 controller: ConsoleController | None = None, *,
                 interval: float | None = None, settings: Settings | None = None,
                 clock: Callable[[], float] = time.time,
                 fleet: FleetConsole | None = None, state: StateStore | None = None,
                 state_host: str | None = None, remember_view: bool | None = None) -> None:
        """``host`` and ``controller`` (None: read-only) for one host, or
        ``fleet`` for several (then ``host``/``controller`` are not given).

        ``state``: the user's state file (core/userstate.py; None: kept in
        memory for this run); ``state_host``: the name a console of one host
        keeps its notes under (``local``, ``sim:DIR``, the ssh destination);
        ``remember_view`` False: the last view is neither restored nor saved
        (``--no-state``; None: ``[console] remember_view``)."""
        super().__init__()
        if fleet is None:
            if host is None:
                raise ValueError("a console needs a host or a fleet")
            fleet = FleetConsole.of_one(host, controller)
        #: The console's hosts (one host: a fleet of one).
        self.fleet = fleet
        self.settings = settings or Settings()
        self._clock = clock
        #: What the console remembers between runs (core/userstate.py).
        self.state = state if state is not None else StateStore(None)
        self._state_host = state_host
        self.remember_view = (self.settings.remember_view if remember_view is None
                              else remember_view)
        first = interval if interval is not None else self.settings.interval
        self.host: ConsoleHost = fleet.host(fleet.focus)
        self.controller: ConsoleController | None = fleet.controller(fleet.focus)
        self._state = PollState(interval=first)
        #: Published after every change of :attr:`poll_state`.
        self.poll_signal: Signal[PollState] = Signal(self, "poll")
        self.journal = ActionLog()
        #: start/stop/restart in progress, shown on the jail's row (widgets/pending.py).
        self.pending = PendingActions(self)
        self._exec_history: CommandHistory | None = None
        #: Health checks on a slower cadence than the poll (widgets/health_state.py).
        self.health = HealthMonitor(self)
        #: Confirm texts, start-then-shell, restart offers (console/flows.py).
        self.flows = Flows(self)
        # Checked again here (the command line checks first, before anything
        # starts): a bad [keys] entry is an error, never a silent no-op.
        self._user_keys: dict[str, str] = checked_keymap(self.settings)
        if self._user_keys:
            self.set_keymap(self._user_keys)
        #: Keys one at a time, in order, each where the focus is then.
        self._key_order = KeyOrder(self)
        # Before the screens mount: they subscribe to fleet.signal.
        fleet.attach(self, interval=first, journal=self.journal, on_focus=self._set_state,
                     clock=self.now, history=self.settings.history)
        self._state = fleet.poll_state(fleet.focus)

    # -- keys in the order typed (console/key_order.py) -----------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._key_order.hold(event):
                return
            await super().on_event(event)
            self._key_order.forwarded(event)
            return
        await super().on_event(event)

    def on_key_done(self, marker: KeyDone) -> None:
        marker.stop()
        self._key_order.done(marker)

    # -- what widgets read ---------------------------------------------------------------

    @property
    def poll_state(self) -> PollState:
        return self._state

    @property
    def exec_history(self) -> CommandHistory:
        """Command lines run with ``!`` this session (screens/exec.py), made on first use."""
        if self._exec_history is None:
            from jailtui.screens.exec import CommandHistory

            self._exec_history = CommandHistory()
        return self._exec_history

    def _set_state(self, state: PollState) -> None:
        self._state = state
        self.poll_signal.publish(state)
        if collector.held() and (state.snapshot is not None or state.error is not None):
            # The first poll's answer (its data or its error) is on screen once
            # this refresh is done: the collector held off for the start runs
            # again (console/collector.py).
            self.call_after_refresh(collector.release)

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
        view = self.state.view if self.remember_view else None
        if not theme and view is not None and view.theme:
            # The last run's theme, unless config.toml pins one.
            theme = view.theme
        if theme and theme not in self.available_themes:
            # Textual 6.x (the ports tree's) has no ansi-dark/ansi-light, only
            # textual-ansi, the same idea: the terminal's own palette
            # (docs/packaging.md 1).
            theme = _THEME_FALLBACK.get(theme, theme)
        if theme:
            if theme in self.available_themes:
                self.theme = theme
            else:
                self._warn(f"config: unknown theme {theme!r}; using the default")
        for warning in self.settings.warnings:
            self._warn(warning)
        # A restore cut short (the console killed mid-flow) is said first, with the
        # ways out (screens/resume.py; its journal: core/storage/journal.py).
        from jailtui.screens.resume import check_half_done

        check_half_done(self)
        self.state_warnings()

    # -- the state file (core/userstate.py) ------------------------------------------------

    def state_warnings(self) -> None:
        """What went wrong with the state file, in the log and on screen, once."""
        for warning in self.state.take_warnings():
            self.journal.add("state", None, warning)
            self.notify(visible(warning, 400), severity="warning", markup=False, timeout=8)

    def note_host(self, host_name: str | None) -> str:
        """The host a row's note is kept under: the row's host on a console of
        several; the console's own name for one (``local``, ``sim:DIR``...)."""
        if host_name is not None:
            return host_name
        if self.fleet.several:
            return self.fleet.focus
        return self._state_host or self.fleet.names()[0]

    def edit_note(self, jail: Jail, done: Callable[[], None] | None = None) -> None:
        """``m``: the note dialog for ``jail``; the note is saved (or removed)
        at once, the panes and ``done`` (the detail view) redrawn."""
        from jailtui.screens.note import NoteScreen

        host = self.note_host(jail.host_name)
        current = self.state.note(host, jail.name)

        def written(text: str | None) -> None:
            if text is None or text == current:
                return
            saved = self.state.set_note(host, jail.name, text)
            self.state_warnings()
            if saved:
                what = "removed" if not text else "saved"
                self.notify(f"Note on {visible(jail.name, 64)} {what}.", markup=False,
                            timeout=3)
            for screen in self.screen_stack:
                if isinstance(screen, MainScreen):
                    screen.refresh_notes()
            if done is not None:
                done()

        shown_host = jail.host_name if self.fleet.several else None
        self.push_screen(NoteScreen(jail.name, shown_host, current), written)

    def save_view(self) -> None:
        """Remember the view on quit ([console] remember_view, --no-state)."""
        if not self.remember_view:
            return
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None or not main.is_mounted:
            return
        # A failed write leaves its warning in the store: the app is leaving,
        # so the command line prints it after the terminal is restored
        # (cli/main.py run_console).
        self.state.save_view(main.current_view(theme=self.theme))

    def on_load(self) -> None:
        """The first poll starts here, before the screens are composed and the
        first frame is drawn: jls and ps run while the CSS and the widgets are
        set up, so the first frame that shows data comes sooner (issue 18: start).
        The main screen picks up whatever the poll has by the time it mounts."""
        self.health.start()  # before the first poll: it evaluates that poll's snapshot
        self.fleet.start()
        if collector.held():
            # A first poll that neither answers nor fails (a hung link before its
            # timeout) does not keep the collector held off (console/collector.py).
            self.set_timer(FIRST_POLL_HOLD, collector.release)

    def _warn(self, message: str) -> None:
        self.journal.add("config", None, message)
        self.notify(visible(message), severity="warning", markup=False, timeout=8)

    # -- the pollers -----------------------------------------------------------------------------

    def poll_now(self) -> None:
        """Poll the hosts on screen at once (a poll in flight: once more right after it)."""
        self.fleet.poll_now()

    def poll_host(self, host_name: str | None) -> None:
        """After an action: poll the host it changed (None: the hosts on screen)."""
        self.fleet.poll_now([host_name] if host_name is not None else None)

    @property
    def polling(self) -> bool:
        """A poll of some host is in flight."""
        return any(self.fleet.poller(n).polling for n in self.fleet.names())

    def stop_polling(self) -> None:
        """Disarm every poller (a shell or an editor holds the terminal)."""
        self.fleet.stop_timers()

    # -- app-wide actions ----------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.poll_now()

    def action_pause(self) -> None:
        paused = not self._state.paused
        self.fleet.set_paused(paused)
        self.notify("Polling paused (p resumes; r polls once)" if paused else "Polling resumed",
                    markup=False, timeout=2)

    def action_interval(self, direction: int) -> None:
        """``+``/``-``: each host on screen, from its own interval."""
        self.fleet.step_interval(lambda current: step_interval(current, direction))

    def action_help(self) -> None:
        from jailtui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_log(self) -> None:
        from jailtui.screens.log import LogScreen

        if not isinstance(self.screen, LogScreen):
            self.push_screen(LogScreen())

    async def action_quit(self) -> None:
        """Quit, but never from an editor with unsaved changes: there quitting
        (F10, which the footer offers on every screen, or ctrl+q) leaves the
        editor the way Escape does, asking first when there are changes."""
        screen = self.screen
        cancel = getattr(screen, "action_cancel", None)
        if cancel is not None and any(isinstance(b, Binding) and b.id == "config_cancel"
                                      for b in type(screen).BINDINGS):
            result = cancel()
            if inspect.isawaitable(result):
                await result
            return
        self.save_view()
        await super().action_quit()

    def action_events(self) -> None:
        from jailtui.screens.events import EventsScreen

        if not isinstance(self.screen, EventsScreen):
            self.push_screen(EventsScreen())

    def action_health(self) -> None:
        """``H``: open the health view, or close it again."""
        from jailtui.screens.health import HealthScreen

        if isinstance(self.screen, HealthScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HealthScreen())

    def action_fleet_posture(self) -> None:
        """``F``: the fleet's posture table, or close it again."""
        from jailtui.screens.posture import FleetPostureScreen

        if isinstance(self.screen, FleetPostureScreen):
            self.screen.dismiss()
        else:
            self.push_screen(FleetPostureScreen())

    def open_posture(self, jail: Jail | None) -> None:
        """``S``: the security posture of ``jail`` (on its host)."""
        from jailtui.screens.posture import PostureScreen

        if jail is None:
            self.notify("Select a jail first.", markup=False, timeout=3)
            return
        self.push_screen(PostureScreen(jail, jail.host_name))

    def open_detail(self, name: str, host_name: str | None = None,
                    dying_jid: int | None = None) -> None:
        """The detail of jail ``name`` on ``host_name``; with ``dying_jid``, of
        that dying jail (it may share its name with a live or configured one)."""
        from jailtui.screens.detail import DetailScreen

        self.focus_host(host_name)
        self.push_screen(DetailScreen(name, dying_jid=dying_jid))

    # -- the hosts ---------------------------------------------------------------------------

    def focus_host(self, name: str | None) -> None:
        """Make ``name`` the host that host/controller/poll_state stand for
        (None, or already the focus: nothing to do)."""
        fleet = self.fleet
        if name is None or name == fleet.focus:
            return
        fleet.focus = name
        self.host, self.controller = fleet.host(name), fleet.controller(name)
        self._set_state(fleet.poll_state(name))

    def controller_for(self, host_name: str | None) -> ConsoleController | None:
        """The controller of ``host_name`` (a row's host; None: the focus host's)."""
        return self.controller if host_name is None else self.fleet.controller(host_name)

    def snapshot_for(self, host_name: str | None) -> HostSnapshot | None:
        """The last snapshot of ``host_name`` (None: the focus host's)."""
        if host_name is None:
            return self._state.snapshot
        return self.fleet.poll_state(host_name).snapshot

    def set_view(self, view: str | None) -> None:
        """Show one host (its panes exactly as a single-host console) or all hosts."""
        fleet = self.fleet
        fleet.set_view(view)
        if view is not None:
            self.focus_host(view)
            # Even when it already was the focus: the screen starts afresh on it.
            self._set_state(fleet.poll_state(view))

    def open_hosts(self) -> None:
        """The host switcher: pick a host or all hosts; ``c`` there reconnects one."""
        from jailtui.screens.hosts import HostsScreen, ViewChoice

        if not self.fleet.several or isinstance(self.screen, HostsScreen):
            return

        def chosen(choice: ViewChoice | None) -> None:
            if choice is not None:
                self.set_view(choice.host)

        self.push_screen(HostsScreen(), chosen)

    def reconnect(self, host_name: str) -> None:
        """``c``: forget the host's backoff and poll it now."""
        link = self.fleet.host(host_name).link()
        shown = visible(host_name, 32)
        if link is not None and not link.connected:
            self.notify(f"{shown}: reconnecting…", markup=False, timeout=3)
        else:
            self.notify(f"{shown}: polling now", markup=False, timeout=2)
        self.fleet.reconnect(host_name)

    # -- keys -----------------------------------------------------------------------------------

    def binding_keys(self, binding: Binding) -> list[str]:
        """The keys a binding has now: the user's [keys] entry, else the default."""
        keys = self._user_keys.get(binding.id) if binding.id else None
        return split_keys(keys or binding.key)

    def keys_text(self, spec: KeySpec) -> str:
        """``k, f9``: a key's keys as the user has them now (the help, the palette)."""
        binding = Binding(spec.keys, spec.action, key_display=spec.key_display, id=spec.id)
        return ", ".join(self.key_display(binding, k) for k in self.binding_keys(binding))

    def offers(self, spec: KeySpec) -> bool:
        """Whether the help and the palette list ``spec``: only what this console
        has (several hosts) and the role may ever do (issue 13 item 24)."""
        if spec.fleet_only and not self.fleet.several:
            return False
        if spec.gate is None or spec.gate in READS:
            return True
        return self.controller is not None and self.controller.may(spec.gate)

    def key_display(self, binding: Binding, key: str) -> str:
        if key == binding.key and binding.key_display:
            return binding.key_display
        return self.get_key_display(binding.with_key(key, key_display=None))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Our palette entries only (console/palette.py; none of Textual's own)."""
        return palette.entries(self, screen)

    # -- the gate ---------------------------------------------------------------------------------

    def gate_reason(self, action: Action, jail: Jail | None,
                    host_name: str | None = None) -> str | None:
        """Why the controller would refuse ``action`` on ``jail``; None if allowed.

        The controller of the jail's host (or of ``host_name``, for a host
        process) on a console of many hosts.
        """
        c = self.controller_for(host_name or (jail.host_name if jail is not None else None))
        if c is None and action in READS:
            # Reading needs no controller (issue 13 item 24); the jail's state may still rule it out.
            if jail is None:
                return "no jail selected"
            reason = state_refusal(action, jail)
            return visible(reason, 256) if reason is not None else None
        if c is None:
            return "read-only session: no actions"
        if jail is None and action not in (Action.SIGNAL, Action.PROCESS, Action.PROCESS_ENV):
            return "no jail selected"
        if action is Action.SHELL and jail is not None and offers_start(c, jail):
            return None  # x on a stopped jail: "Start it?" (screens/shell_start.py)
        reason = c.refusal(action, jail)
        return None if reason is None else visible(reason, 256)

    def signal_reason(self, proc: Process) -> str | None:
        snap = self.snapshot_for(proc.host_name)
        jail = snap.jail(proc.jail) if snap is not None and proc.jail is not None else None
        if proc.jail is not None and jail is None:
            return "the process's jail is gone"
        return self.gate_reason(Action.SIGNAL, jail, host_name=proc.host_name)

    def process_reason(self, proc: Process, action: Action = Action.PROCESS) -> str | None:
        """Why the process detail (or its environment) of ``proc`` is refused now."""
        snap = self.snapshot_for(proc.host_name)
        jail = snap.jail(proc.jail) if snap is not None and proc.jail is not None else None
        if proc.jail is not None and jail is None:
            return "the process's jail is gone"
        return self.gate_reason(action, jail, host_name=proc.host_name)

    def open_process(self, proc: Process) -> None:
        """The process screen of ``proc`` (screens/process.py), on the row's host."""
        from jailtui.screens.process import ProcessScreen

        self.focus_host(proc.host_name)
        self.push_screen(ProcessScreen(proc))

    def refuse(self, action: str, reason: str) -> None:
        self.notify(refused(action, reason), severity="warning", markup=False)

    # -- actions (the flows: console/flows.py) --------------------------------------------

    def jail_action(self, action: str, jail: Jail | None) -> None:
        """start / stop / restart / shell / edit on ``jail`` (already allowed by the screen)."""
        if jail is not None:
            self.flows.jail_action(action, jail)

    def report(self, title: str, result: ActionResult, *, jail: str | None = None,
               host_name: str | None = None, notify: bool = True) -> None:
        self.flows.report(title, result, jail=jail, host_name=host_name, notify=notify)

    def signal_process(self, proc: Process) -> None:
        self.flows.signal_process(proc)

    def open_shell(self, jail: Jail) -> None:
        self.flows.open_shell(jail)

    def run_interactive(self, argv: Sequence[str]) -> int | None:
        return self.flows.run_interactive(argv)

    def edit_config(self, jail: Jail) -> None:
        self.flows.edit_config(jail)



__all__ = ["JailtuiApp", "INTERVAL_STEPS"]
