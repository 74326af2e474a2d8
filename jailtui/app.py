"""The console App: wiring only (host, poller, controller, screens, keys).

The poller
    One poll at a time, re-armed with ``set_timer`` only after the previous
    one finished (dolphie's pattern; notes/textual.md 1.9 item 4). Not an
    exclusive worker on ``set_interval``, which starves a poll slower than
    its interval (notes/textual.md 2.2, measured: 10 started, 0 finished).
    A failed poll keeps the last good snapshot, marks it stale with the
    sanitised error, and retries with a doubling delay (architecture.md).
    ``r`` polls at once; if a poll is running, once more right after it.

The gate
    Every action that changes something goes to the controller. The app
    only asks it what is allowed (for the footer) and reports results
    (notification + action log), all with ``markup=False``.

Nothing from a jail reaches the terminal title: ``TITLE`` is fixed and no
screen sets ``sub_title`` (notes/security.md 4.3).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from textual.app import App, SuspendNotSupported, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.markup import escape as escape_markup
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer

from jailtui.core import control
from jailtui.core.control import ActionResult
from jailtui.core.errors import JailtuiError
from jailtui.core.model import HostSnapshot, Jail, Process
from jailtui.core.policy import Action, Role, valid_for_state
from jailtui.core.settings import Settings
from jailtui.core.text import one_line, visible
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.contracts import ConsoleController, ConsoleHost
from jailtui.screens.detail import DetailScreen
from jailtui.screens.guard import GuardedScreen
from jailtui.screens.help import HelpScreen, all_bindings
from jailtui.screens.keys import APP_BINDINGS, GUARDED, HELP_TEXT, split_keys
from jailtui.screens.log import LogScreen
from jailtui.screens.main import MainScreen
from jailtui.screens.signal import SignalScreen
from jailtui.widgets.action_log import ActionLog
from jailtui.widgets.jobs import job
from jailtui.widgets.poll_state import PollState

#: Steps of ``+``/``-`` (seconds). A value set with --interval between two
#: steps moves to the next step in the chosen direction.
INTERVAL_STEPS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0)

#: Longest wait between two tries while polls fail.
MAX_BACKOFF = 60.0

#: Binding ids of the modal screens, also valid in [keys].
_MODAL_IDS = frozenset({"confirm_yes", "confirm_no", "signal_cancel", "help_close",
                        "log_back", "filter_clear"})

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
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.host = host
        self.controller = controller
        self.settings = settings or Settings()
        self._clock = clock
        first = interval if interval is not None else self.settings.interval
        self._state = PollState(interval=first)
        #: Published after every change of :attr:`poll_state`.
        self.poll_signal: Signal[PollState] = Signal(self, "poll")
        self.journal = ActionLog()
        self._timer: Timer | None = None
        self._polling = False
        self._poll_again = False
        self._user_keys: dict[str, str] = dict(self.settings.keys)
        if self._user_keys:
            self.set_keymap(self._user_keys)

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
        self.poll_now()

    def _warn(self, message: str) -> None:
        self.journal.add("config", None, message)
        self.notify(visible(message), severity="warning", markup=False, timeout=8)

    # -- the poller ------------------------------------------------------------------------------

    def poll_now(self) -> None:
        """Poll at once; if a poll is running, poll again right after it."""
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
        if paused:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
        else:
            self.poll_now()
        self.notify("Polling paused (p resumes; r polls once)" if paused else "Polling resumed",
                    markup=False, timeout=2)

    def action_interval(self, direction: int) -> None:
        current = self._state.interval
        if direction > 0:
            new = next((s for s in INTERVAL_STEPS if s > current + 1e-9), INTERVAL_STEPS[-1])
        else:
            new = next((s for s in reversed(INTERVAL_STEPS) if s < current - 1e-9),
                       INTERVAL_STEPS[0])
        self._set_state(replace(self._state, interval=new))
        self._rearm()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_log(self) -> None:
        if not isinstance(self.screen, LogScreen):
            self.push_screen(LogScreen())

    def open_detail(self, name: str) -> None:
        self.push_screen(DetailScreen(name))

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
                seen.add(b.id)
                keys = ", ".join(self.key_display(b, k) for k in self.binding_keys(b))
                # The palette parses help as markup (textual/command.py,
                # build_prompt: Content.from_markup(hit.help)): escape it, the
                # keys may come from the user's config.
                help_text = escape_markup(f"{HELP_TEXT.get(b.id, b.description)} — key: {keys}")
                yield SystemCommand(_palette_title(b), help_text,
                                    self._command_callback(namespace, b))

    def _command_callback(self, namespace: Any, binding: Binding) -> Callable[[], Any]:
        if binding.action in GUARDED:
            method = getattr(namespace, f"action_{binding.action}")
            return lambda: method()

        async def run() -> None:
            await self.run_action(binding.action, namespace)

        return run

    # -- the gate ---------------------------------------------------------------------------------

    def gate_reason(self, action: Action, jail: Jail | None) -> str | None:
        """Why the controller would refuse ``action`` on ``jail``; None if allowed."""
        c = self.controller
        if c is None:
            return "read-only session: no actions"
        if jail is None and action is not Action.SIGNAL:
            return "no jail selected"
        if action is Action.EDIT and getattr(c, "edit_config", None) is None:
            return "editing the jail's configuration is not available yet"
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
        snap = self._state.snapshot
        jail = snap.jail(proc.jail) if snap is not None and proc.jail is not None else None
        if proc.jail is not None and jail is None:
            return "the process's jail is gone"
        return self.gate_reason(Action.SIGNAL, jail)

    def refuse(self, action: str, reason: str) -> None:
        self.notify(f"{action}: refused — {reason}", severity="warning", markup=False)

    # -- actions ----------------------------------------------------------------------------------

    def jail_action(self, action: str, jail: Jail | None) -> None:
        """start / stop / restart / shell / edit on ``jail`` (already allowed by the screen)."""
        if jail is None or self.controller is None:
            return
        if action == "shell":
            self.open_shell(jail)
        elif action == "edit":
            self.edit_config(jail)
        elif action == "start":
            self._run_lifecycle("start", jail)
        elif action in ("stop", "restart"):
            question = Content.assemble(
                (f"{action.capitalize()} jail ", "bold"), (visible(jail.name, 64), "bold $accent"),
                (f" (jid {jail.jid})" if jail.jid is not None else "", "bold"), "?\n",
                ("Its processes will be ended"
                 + (" and the jail started again." if action == "restart" else "."),
                 "$foreground-muted"))

            def answered(yes: bool | None) -> None:
                if yes:
                    self._run_lifecycle(action, jail)

            self.push_screen(ConfirmScreen(question, yes=action.capitalize()), answered)

    def _run_lifecycle(self, action: str, jail: Jail) -> None:
        controller = self.controller
        if controller is None:
            return
        name = jail.name
        shown = visible(name, 64)
        self.notify(f"{_VERBS[action]} {shown}…", markup=False, timeout=3)

        async def run() -> None:
            method = {"start": controller.start, "stop": controller.stop,
                      "restart": controller.restart}[action]
            try:
                result = await method(name, expect=jail)
            except JailtuiError as exc:
                result = ActionResult(False, getattr(exc, "message", None) or str(exc))
            self.report(f"{action} {name}", result)
            self.poll_now()

        self.run_worker(job(run), group=f"action-{action}", exit_on_error=False,
                        description=f"{action} a jail")

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
        controller = self.controller
        if controller is None:
            return

        async def run() -> None:
            try:
                result = await controller.signal(proc.pid, sig, proc)
            except JailtuiError as exc:
                result = ActionResult(False, getattr(exc, "message", None) or str(exc))
            self.report(f"SIG{sig} {proc.pid}", result)
            self.poll_now()

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
        code = self.run_interactive(argv)
        if code is not None:
            self.journal.add(f"shell {jail.name}", code == 0, f"exit status {code}")

    def run_interactive(self, argv: Sequence[str]) -> int | None:
        """Run ``argv`` on the real terminal, the console suspended meanwhile.

        ``subprocess.call`` blocks the event loop on purpose: timers, and so
        the poller, stop while the shell runs (notes/textual.md 2.4). The
        console polls again as soon as it is back.
        """
        if self.is_web:
            self.notify("A shell needs a terminal; not available in the browser.",
                        severity="warning", markup=False)
            return None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        env_of = getattr(getattr(self.host, "runner", None), "interactive_env", None)
        env = env_of() if callable(env_of) else None
        on_pty = getattr(self.controller, "run_interactive", None)
        try:
            with self.suspend():
                # argv is a list built by the controller; never a shell string.
                # The controller runs it on a fresh pty (core/ptyrelay.py) so a
                # jailed process never holds our terminal (TIOCSTI).
                if callable(on_pty):
                    return int(on_pty(list(argv)))
                return subprocess.call(list(argv), env=env)
        except SuspendNotSupported:
            self.notify("This terminal cannot be suspended (no real tty): no shell here.",
                        severity="warning", markup=False)
            return None
        except OSError as exc:
            self.report("shell", ActionResult(False, f"{argv[0]}: {exc.strerror or exc}"))
            return None
        finally:
            self.poll_now()

    def edit_config(self, jail: Jail) -> None:
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


def _palette_title(binding: Binding) -> str:
    titles = {"start": "Start jail", "stop": "Stop jail", "restart": "Restart jail",
              "shell": "Shell in jail (jexec)", "edit": "Edit jail configuration",
              "signal": "Send a signal to the process", "detail": "Jail detail",
              "host_wide": "Toggle host-wide processes", "tree": "Toggle process tree",
              "pause": "Pause / resume polling", "refresh": "Refresh now",
              "interval_up": "Poll less often", "interval_down": "Poll more often",
              "log": "Action log", "help": "Keys (help)", "quit": "Quit",
              "filter": "Filter the focused pane", "clear_filter": "Clear the filter",
              "switch_pane": "Switch pane", "back": "Back"}
    return titles.get(binding.id or "", binding.description or binding.action)


__all__ = ["JailtuiApp", "INTERVAL_STEPS"]
