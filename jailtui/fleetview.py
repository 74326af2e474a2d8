"""The console's side of many hosts: one poller per host, the view, the focus.

Pollers
    Each host has its own :class:`HostPoller` with the single-host poller's
    rules (app.py, "The poller"): one poll at a time, re-armed with
    ``set_timer`` only after the previous one ended (never an exclusive
    worker on ``set_interval``, which starves a slow poll: docs/textual.md
    2.2), at the host's own interval (``[hosts.NAME] interval``, else the
    console's). A host whose ssh sits in ConnectTimeout therefore delays
    nobody else. A failed poll keeps the host's last good rows, marked stale
    with the error; an unreachable SSH host is tried again as soon as its
    link's backoff allows (core/transport/ssh/link.py ``LinkState.next_retry``), so it comes
    back by itself; ``c`` (reconnect) cuts the wait short.

View and focus
    The *view* is what the main screen shows: one host (then the screen is
    exactly the single-host console, fed that host's PollState) or all hosts
    (:class:`FleetState`, rows keyed by host). The *focus* is the host that
    ``app.host``, ``app.controller`` and ``app.poll_state`` stand for: the
    viewed host, or in the all-hosts view the host of the row last opened or
    acted on. Every screen written for one host (detail, shell, editor)
    therefore works unchanged on the row's own host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from textual.app import App
from textual.signal import Signal
from textual.timer import Timer

from jailtui.core.errors import JailtuiError
from jailtui.core.hosts.fleet import Fleet, HostStatus, tag_snapshot
from jailtui.core.hosts.host import Host
from jailtui.core.model import HostSnapshot
from jailtui.core.text import one_line
from jailtui.core.transport.ssh import HostUnreachable
from jailtui.screens.contracts import ConsoleController
from jailtui.widgets.action_log import ActionLog
from jailtui.widgets.fleet_state import FleetState, HostView
from jailtui.widgets.jobs import job
from jailtui.widgets.poll_state import PollState

#: Never retry sooner than this after a failure (a link whose retry time has
#: just passed would otherwise be polled in a tight loop by timer jitter).
MIN_RETRY = 0.2
#: Past the link's retry time, so the poll is not refused as "too early".
RETRY_MARGIN = 0.05


def error_text(exc: BaseException) -> str:
    """The raw (unsanitised) one-line reason of a failed poll.

    ``HostUnreachable``'s message bakes in "retrying in N s" as of when it
    was raised; the link's own error (ssh's last line) stays the same for
    the whole outage, so one outage is one entry in the action log.
    """
    if isinstance(exc, HostUnreachable):
        return f"unreachable ({exc.link.error})" if exc.link.error else "unreachable"
    raw = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if not isinstance(exc, JailtuiError):
        raw = f"{type(exc).__name__}: {raw}"
    return str(raw)


class HostPoller:
    """The poller of one host (see the module docstring)."""

    def __init__(self, owner: FleetConsole, app: App[Any], name: str, interval: float) -> None:
        self.owner = owner
        self.app = app
        self.name = name
        self.state = PollState(interval=interval)
        #: The last raw snapshot and its tagged copy: a failed poll returns
        #: the same snapshot again, which is not tagged twice.
        self._raw: HostSnapshot | None = None
        self._timer: Timer | None = None
        self._polling = False
        self._again = False

    @property
    def polling(self) -> bool:
        return self._polling

    def poll_now(self) -> None:
        """Poll at once; if a poll is running, poll again right after it."""
        if self._polling:
            self._again = True
            return
        self.stop()
        self._polling = True
        self.app.run_worker(job(self._poll), name=f"poll {self.name}", group=f"poll-{self.name}",
                            exit_on_error=False, description=f"jls + ps on {self.name}")

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    async def _poll(self) -> None:
        try:
            # Fleet.poll never raises for the host's own failure: it is in
            # status.error, with the last good snapshot kept.
            status = await self.owner.fleet.poll(self.name)
            self._took(status)
        finally:
            self._polling = False
            self._arm()

    def _took(self, status: HostStatus) -> None:
        st = self.state
        journal = self.owner.journal
        if status.error is None and status.snapshot is not None:
            snap = self._tag(status.snapshot)
            old = st.snapshot
            if snap.warnings and (old is None or old.warnings != snap.warnings):
                for w in snap.warnings:
                    journal.add(f"{self.name}: warning", None, w)
            if st.stale:
                journal.add(f"{self.name}: poll", True, "polling works again")
            self.set_state(replace(st, snapshot=snap, error=None, failures=0, retry_in=None))
            return
        exc = status.error or JailtuiError("no snapshot")
        raw = error_text(exc)
        message = one_line(raw, 300)
        failures = st.failures + 1
        link = status.link
        wait = link.retry_in() if link is not None else None
        if wait is not None:
            delay = max(MIN_RETRY, wait + RETRY_MARGIN)
        else:
            delay = min(st.interval * (2 ** failures), max(st.interval, self.owner.max_backoff))
        if message != st.error:
            journal.add(f"{self.name}: poll failed", False, raw)
        self.set_state(replace(st, error=message, failures=failures, retry_in=delay))

    def _tag(self, snapshot: HostSnapshot) -> HostSnapshot:
        if snapshot is self._raw and self.state.snapshot is not None:
            return self.state.snapshot
        self._raw = snapshot
        return tag_snapshot(snapshot, self.name)

    def set_state(self, state: PollState) -> None:
        self.state = state
        self.owner.changed(self.name)

    def _arm(self) -> None:
        if self._again:
            self._again = False
            self.poll_now()
            return
        st = self.state
        if st.paused or not self.app.is_running:
            return
        delay = st.retry_in if st.stale else st.interval
        self._timer = self.app.set_timer(delay or st.interval, self.poll_now,
                                         name=f"poll {self.name}")

    def rearm(self) -> None:
        """A new interval or a resume: wait the full new interval from now."""
        if self._polling:
            return
        self.stop()
        self._arm()


class FleetConsole:
    """Several hosts in one console: their pollers, controllers, view and focus.

    ``controllers`` has one entry per host of ``fleet`` (None: read-only,
    as for one host); ``intervals`` the hosts' own poll intervals (missing
    or None: the console's).
    """

    def __init__(self, fleet: Fleet, controllers: Mapping[str, ConsoleController | None], *,
                 intervals: Mapping[str, float | None] | None = None) -> None:
        names = fleet.names()
        if not names:
            raise ValueError("a fleet console needs at least one host")
        missing = [n for n in names if n not in controllers]
        if missing:
            raise ValueError(f"no controller for host {missing[0]!r}")
        self.fleet = fleet
        self._controllers = dict(controllers)
        self._intervals = dict(intervals or {})
        #: The host the panes show; None: all hosts (the start).
        self.view: str | None = None
        #: The host app.host / app.controller / app.poll_state stand for.
        self.focus: str = names[0]
        self.journal = ActionLog()
        self.max_backoff = 60.0
        self.signal: Signal[FleetState] | None = None
        self._pollers: dict[str, HostPoller] = {}
        self._on_focus: Callable[[PollState], None] = lambda _state: None
        self._state = FleetState()

    def attach(self, app: App[Any], *, interval: float, journal: ActionLog,
               max_backoff: float, on_focus: Callable[[PollState], None]) -> None:
        """Bind to the app (its timers, workers, journal); before it runs."""
        self.signal = Signal(app, "fleet")
        self.journal = journal
        self.max_backoff = max_backoff
        self._on_focus = on_focus
        for name in self.fleet.names():
            own = self._intervals.get(name)
            self._pollers[name] = HostPoller(self, app, name, own if own is not None else interval)
        self._state = self._build()

    # -- what the console reads -------------------------------------------------------

    def names(self) -> list[str]:
        return self.fleet.names()

    def host(self, name: str) -> Host:
        return self.fleet.host(name)

    def controller(self, name: str) -> ConsoleController | None:
        return self._controllers[name]

    def poll_state(self, name: str) -> PollState:
        return self._pollers[name].state

    @property
    def state(self) -> FleetState:
        """The last published state (links as of then; retry times are absolute)."""
        return self._state

    def on_screen(self) -> list[str]:
        """The hosts the main screen shows now."""
        return [self.view] if self.view is not None else self.names()

    def _build(self) -> FleetState:
        hosts = tuple(HostView(n, p.state, self.fleet.link(n)) for n, p in self._pollers.items())
        return FleetState.build(hosts, self.view)

    def changed(self, name: str | None = None) -> None:
        """A host's state (or the view) changed: publish; the focus host to the app too."""
        self._state = self._build()
        if name is not None and name == self.focus:
            self._on_focus(self._pollers[name].state)
        if self.signal is not None:
            self.signal.publish(self._state)

    # -- what the console does --------------------------------------------------------

    def start(self) -> None:
        """The first poll of every host, all at once."""
        self.poll_now(self.names())

    def poll_now(self, names: Iterable[str] | None = None) -> None:
        """Poll ``names`` (default: the hosts on screen) now."""
        for name in self.on_screen() if names is None else names:
            self._pollers[name].poll_now()

    def stop_timers(self) -> None:
        for p in self._pollers.values():
            p.stop()

    def set_paused(self, paused: bool) -> None:
        """Pause or resume every host (resuming polls them all at once)."""
        for p in self._pollers.values():
            p.state = replace(p.state, paused=paused)
            if paused:
                p.stop()
        self.changed(self.focus)
        if not paused:
            self.start()

    def step_interval(self, step: Callable[[float], float]) -> None:
        """``+``/``-``: a new interval for each host on screen, from its own."""
        for name in self.on_screen():
            p = self._pollers[name]
            p.state = replace(p.state, interval=step(p.state.interval))
            p.rearm()
            self.changed(name)

    def reconnect(self, name: str) -> None:
        """Cut the host's backoff short and poll it now (the user asked)."""
        self.fleet.retry_now(name)
        self._pollers[name].poll_now()

    def set_view(self, view: str | None) -> None:
        if view is not None and view not in self._pollers:
            raise KeyError(view)
        self.view = view
        self.changed()


__all__ = ["FleetConsole", "HostPoller", "error_text"]
