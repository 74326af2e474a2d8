"""The hosts of a console: one poller each, the view, the focus. One host is a fleet of one.

Pollers
    Each host has its own :class:`HostPoller`, a :class:`~jailtui.console.
    scheduler.Repeating` loop: one poll at a time, the next one armed only
    after the last one ended, at the host's own interval (``[hosts.NAME]
    interval``, else the console's). A host whose ssh sits in ConnectTimeout
    therefore delays nobody else. A failed poll keeps the host's last good
    rows, marked stale with the error, and retries with a doubling delay; an
    unreachable SSH host is tried again as soon as its link's backoff allows
    (core/transport/ssh/link.py ``LinkState.next_retry``), so it comes back by
    itself; ``c`` (reconnect) cuts the wait short. One outage is one entry in
    the action log (:func:`error_text`), for one host as for many.

View and focus
    The *view* is what the main screen shows: one host (the panes of that
    host's PollState) or, with several hosts, all of them (:class:`FleetState`,
    rows keyed by host, a HOST column). The *focus* is the host that
    ``app.host``, ``app.controller`` and ``app.poll_state`` stand for: the
    viewed host, or in the all-hosts view the host of the row last opened or
    acted on. Every screen written for one host (detail, shell, editor)
    therefore works unchanged on the row's own host.

One host
    A console of one host is this same code: its view is that host, its
    rows are not tagged with a host name (``Jail.host_name`` stays None, no HOST
    column, log titles without a host prefix) and the keys that pick a host
    (``h``, ``c``) say there is only one (:attr:`FleetConsole.several`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from textual.app import App
from textual.signal import Signal

from jailtui.console.scheduler import Repeating
from jailtui.core.errors import describe
from jailtui.core.events import Timeline
from jailtui.core.history import DEFAULT_WINDOW, History
from jailtui.core.model import HostSnapshot
from jailtui.core.text import one_line
from jailtui.screens.contracts import ConsoleController, ConsoleHost
from jailtui.widgets.action_log import ActionLog
from jailtui.widgets.fleet_state import FleetState, HostView
from jailtui.widgets.poll_state import PollState

#: Never retry sooner than this after a failure (a link whose retry time has
#: just passed would otherwise be polled in a tight loop by timer jitter).
MIN_RETRY = 0.2
#: Past the link's retry time, so the poll is not refused as "too early".
RETRY_MARGIN = 0.05
#: Longest wait between two tries while polls fail (no SSH link to ask).
MAX_BACKOFF = 60.0


def error_text(exc: BaseException) -> str:
    """The raw (unsanitised) one-line reason of a failed poll.

    ``HostUnreachable``'s message bakes in "retrying in N s" as of when it
    was raised; the link's own error (ssh's last line) stays the same for
    the whole outage, so one outage is one entry in the action log.
    """
    # Imported here: a local console's first frame loads no SSH transport
    # (issue 18: start); the link module alone, at a poll that failed.
    from jailtui.core.transport.ssh.link import HostUnreachable

    if isinstance(exc, HostUnreachable):
        return f"unreachable ({exc.link.error})" if exc.link.error else "unreachable"
    return describe(exc)


def backoff(interval: float, failures: int, max_backoff: float = MAX_BACKOFF) -> float:
    """The wait after ``failures`` failed polls in a row: doubling, capped."""
    return float(min(interval * (2 ** failures), max(interval, max_backoff)))


class HostPoller:
    """The poller of one host (see the module docstring)."""

    def __init__(self, owner: FleetConsole, app: App[Any], name: str, interval: float) -> None:
        self.owner = owner
        self.name = name
        self.state = PollState(interval=interval)
        #: The last raw snapshot and its tagged copy: a failed poll returns
        #: the same snapshot again, which is not tagged twice.
        self._raw: HostSnapshot | None = None
        #: The last snapshot sampled into the history (a repeat is not a new sample).
        self._observed: HostSnapshot | None = None
        self.loop = Repeating(app, f"poll-{name}", self._poll, self._delay,
                              description=f"jls + ps on {name}")

    @property
    def polling(self) -> bool:
        return self.loop.running

    def poll_now(self) -> None:
        """Poll at once; if a poll is running, poll again right after it."""
        self.loop.now()

    def stop(self) -> None:
        self.loop.stop()

    def rearm(self) -> None:
        """A new interval or a resume: wait the full new interval from now."""
        self.loop.rearm()

    def _delay(self) -> float | None:
        st = self.state
        if st.paused:
            return None
        delay = st.retry_in if st.stale else st.interval
        return delay or st.interval

    async def _poll(self) -> None:
        host = self.owner.host(self.name)
        try:
            snapshot = await host.poll()
        except Exception as exc:  # noqa: BLE001 - the console survives any poll failure
            self._failed(exc, host)
        else:
            self.took(snapshot)

    def _title(self, what: str) -> str:
        return f"{self.name}: {what}" if self.owner.several else what

    def took(self, snapshot: HostSnapshot) -> None:
        """A snapshot arrived: publish it (the benchmarks feed recorded ones here)."""
        st = self.state
        journal = self.owner.journal
        snap = self._tag(snapshot)
        old = st.snapshot
        if snap.warnings and (old is None or old.warnings != snap.warnings):
            for w in snap.warnings:
                journal.add(self._title("warning"), None, w)
        if st.stale:
            journal.add(self._title("poll"), True, "polling works again")
        # The events from the raw snapshot: the same object again (a failed
        # poll's) is no change; tagged copies differ every time.
        self.owner.timeline.observe(self.name, snapshot)
        if snapshot is not self._observed:
            # The same object again is a failed poll's old snapshot: no new sample.
            self._observed = snapshot
            self.owner.history.observe(self.name, snapshot)
        self.set_state(replace(st, snapshot=snap, error=None, failures=0, retry_in=None))

    def _failed(self, exc: Exception, host: ConsoleHost) -> None:
        st = self.state
        raw = error_text(exc)
        message = one_line(raw, 300)
        failures = st.failures + 1
        link = host.link()
        wait = link.retry_in() if link is not None else None
        if wait is not None:
            delay = max(MIN_RETRY, wait + RETRY_MARGIN)
        else:
            delay = backoff(st.interval, failures, self.owner.max_backoff)
        if message != st.error:
            self.owner.journal.add(self._title("poll failed"), False, raw)
        self.owner.timeline.failed(self.name, raw)
        self.set_state(replace(st, error=message, failures=failures, retry_in=delay))

    def _tag(self, snapshot: HostSnapshot) -> HostSnapshot:
        if not self.owner.several:
            return snapshot  # one host: rows carry no host name (no HOST column)
        if snapshot is self._raw and self.state.snapshot is not None:
            return self.state.snapshot
        self._raw = snapshot
        # Several hosts only: a console of one host never loads the fleet's
        # core module for its first frame (issue 18: start).
        from jailtui.core.hosts.fleet import tag_snapshot

        return tag_snapshot(snapshot, self.name)

    def set_state(self, state: PollState) -> None:
        self.state = state
        self.owner.changed(self.name)


class FleetConsole:
    """The console's hosts: their pollers, controllers, view and focus.

    ``hosts`` maps each host's name to the host (one entry: a console of one
    host); ``controllers`` has one entry per host (None: read-only);
    ``intervals`` the hosts' own poll intervals (missing or None: the
    console's).
    """

    def __init__(self, hosts: Mapping[str, ConsoleHost],
                 controllers: Mapping[str, ConsoleController | None], *,
                 intervals: Mapping[str, float | None] | None = None,
                 scope: frozenset[str] | None = None) -> None:
        names = list(hosts)
        if not names:
            raise ValueError("a console needs at least one host")
        missing = [n for n in names if n not in controllers]
        if missing:
            raise ValueError(f"no controller for host {missing[0]!r}")
        self._hosts = dict(hosts)
        self._controllers = dict(controllers)
        self._intervals = dict(intervals or {})
        #: The host the panes show; None: all hosts (the start with several).
        self.view: str | None = None if len(names) > 1 else names[0]
        #: The host app.host / app.controller / app.poll_state stand for.
        self.focus: str = names[0]
        self.journal = ActionLog()
        self.max_backoff = MAX_BACKOFF
        self.signal: Signal[FleetState] | None = None
        self._pollers: dict[str, HostPoller] = {}
        self._on_focus: Callable[[PollState], None] = lambda _state: None
        self._state = FleetState()
        #: What happened, from every host's polls and the console's actions
        #: (core/events.py); a delegate's: their jail's only.
        self.timeline = Timeline(scope=scope)
        #: CPU, memory and processes per jail over the session (core/history.py):
        #: the sparklines of the jails pane and the detail view's graphs.
        self.history = History()

    @classmethod
    def of_one(cls, host: ConsoleHost, controller: ConsoleController | None) -> FleetConsole:
        """A console of one host (named as the host calls itself, else ``local``)."""
        # A delegate's timeline: their jail's events only (the host's own too
        # are not theirs to see); a read-only console has no controller and
        # no delegation (cli/session.py decides both).
        scope = controller.policy.scope if controller is not None else None
        return cls({host.name or "local": host}, {host.name or "local": controller},
                   scope=scope)

    def attach(self, app: App[Any], *, interval: float, journal: ActionLog,
               on_focus: Callable[[PollState], None],
               clock: Callable[[], float] | None = None,
               history: float = DEFAULT_WINDOW) -> None:
        """Bind to the app (its timers, workers, journal, clock, the history's
        window); before it runs."""
        self.signal = Signal(app, "fleet")
        self.history = History(history, clock=clock)
        if clock is not None:
            self.timeline.set_clock(clock)
        self.journal = journal
        self._on_focus = on_focus
        for name in self._hosts:
            own = self._intervals.get(name)
            self._pollers[name] = HostPoller(self, app, name, own if own is not None else interval)
        self._state = self._build()

    # -- what the console reads -------------------------------------------------------

    @property
    def several(self) -> bool:
        """More than one host: a HOST column, host names in titles, ``h``/``c``."""
        return len(self._hosts) > 1

    def names(self) -> list[str]:
        return list(self._hosts)

    def host(self, name: str) -> ConsoleHost:
        return self._hosts[name]

    def controller(self, name: str) -> ConsoleController | None:
        return self._controllers[name]

    def poll_state(self, name: str) -> PollState:
        return self._pollers[name].state

    def poller(self, name: str) -> HostPoller:
        return self._pollers[name]

    @property
    def state(self) -> FleetState:
        """The last published state (links as of then; retry times are absolute)."""
        return self._state

    def on_screen(self) -> list[str]:
        """The hosts the main screen shows now."""
        return [self.view] if self.view is not None else self.names()

    def _build(self) -> FleetState:
        hosts = tuple(HostView(n, p.state, self._hosts[n].link())
                      for n, p in self._pollers.items())
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
        self._hosts[name].retry_now()
        self._pollers[name].poll_now()

    def set_view(self, view: str | None) -> None:
        if view is not None and view not in self._pollers:
            raise KeyError(view)
        if view is None and not self.several:
            return  # one host: its own view is the only one
        self.view = view
        self.changed()


__all__ = ["MAX_BACKOFF", "FleetConsole", "HostPoller", "backoff", "error_text"]
