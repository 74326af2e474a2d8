"""The event timeline: what happened to the jails and hosts, derived from the polls.

Nothing here asks a host anything. The one poll path of the console (each
host's poller, console/fleet.py) and of ``jailtui events`` (cli/views.py, over
``core.hosts.fleet.Fleet``) hands every snapshot and every failed poll to a
:class:`Timeline`, for one host as for many (one host is a fleet of one); the
console adds the result of every action it ran. The timeline compares each
host's snapshot with that host's previous one:

- ``seen``: the first good poll of a host: each jail running or dying then
  (where the timeline starts);
- ``created``: a jail runs that did not (started, or made by hand with jail -c);
- ``removed``: a jail that ran no longer does (stopped, or gone);
- ``restarted``: the same name runs under another jid (jail -rc, or a stop and a
  start between two polls: the kernel gives a new jail a new jid,
  docs/freebsd.md 5.4);
- ``dying``: a jail the kernel is still tearing down (jls -d) appeared;
- ``unreachable`` / ``back``: a host's poll failed after a good one (once per
  outage, with the reason), and the first good poll after;
- ``action``: an action the console ran, with its result;
- ``config_changed``: a file the jail configuration is read from (jail.conf,
  its includes, jail.conf.d, the rc.conf files) changed, appeared or went
  away between two polls, by its (mtime_ns, size) as
  core/hosts/confsource.py caches it (``HostSnapshot.conf_stamps``); one
  event per jail whose block is in that file, else one for the host. A save
  by the console is one too (its ``action`` event says who);
- ``daemon_down`` / ``daemon_up``: a daemon the jail's rc.conf enables
  stopped running / runs again, from the health check's slow cadence
  (``Report.daemons``, fed by :meth:`Timeline.checked`); the first
  evaluation of a jail only sets where it starts;
- ``limit_near``: an rctl deny or throttle rule's resource reached
  :data:`NEAR` of its amount (``Report.rctl_usage`` against
  ``Report.rctl_rules``, rctl(8)); once per crossing: again only after the
  usage fell below :data:`CLEAR`.

A delegate's timeline is scoped to their jail (``scope``): the events of other
jails, and the host's own, are never kept. Events hold raw text (jail names,
tool messages): ``visible()`` them to show them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from jailtui.core.model import HostSnapshot, Jail, JailState

if TYPE_CHECKING:
    from jailtui.core.checks.health import Report

__all__ = ["CLEAR", "DEFAULT_LIMIT", "NEAR", "NEAR_ACTIONS", "Event", "Kind", "Timeline",
           "conf_diff", "diff"]

#: Events kept (the oldest go first): a bounded buffer for a long session.
DEFAULT_LIMIT = 5000

#: ``limit_near`` when usage reaches this share of a rule's amount (percent) ...
NEAR = 90.0
#: ... and again only after it fell below this one (hysteresis: a usage
#: that wavers around 90 % is one event, not one per evaluation).
CLEAR = 80.0
#: The rctl(8) actions that hold a jail back at the amount (deny refuses the
#: allocation, throttle slows the I/O); log, devctl and sig* only tell.
NEAR_ACTIONS = frozenset({"deny", "throttle"})


class Kind(StrEnum):
    """What happened (the module docstring says when each is made)."""

    SEEN = "seen"
    CREATED = "created"
    REMOVED = "removed"
    RESTARTED = "restarted"
    DYING = "dying"
    UNREACHABLE = "unreachable"
    BACK = "back"
    ACTION = "action"
    CONFIG_CHANGED = "config_changed"
    DAEMON_DOWN = "daemon_down"
    DAEMON_UP = "daemon_up"
    LIMIT_NEAR = "limit_near"


#: The cells a kind takes in a column: the longest name, so none is cut
#: (the events screen's KIND column and the detail view's Events section).
KIND_WIDTH = max(len(k.value) for k in Kind)


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened. ``host``: the fleet's name of the host;
    ``jail`` None for a host's own event; ``ok`` an action's result."""

    at: float
    kind: Kind
    host: str
    jail: str | None
    jid: int | None
    text: str
    ok: bool | None = None
    #: Its place in the session's timeline (1, 2, ...): a key, and where a
    #: follower is (set when kept; 0 before).
    seq: int = 0

    def as_json(self) -> dict[str, object]:
        """The event for scripts (``jailtui events --json``: one object a line)."""
        return {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.at)),
                "at": round(self.at, 3), "kind": str(self.kind), "host": self.host,
                "jail": self.jail, "jid": self.jid, "text": self.text, "ok": self.ok,
                "seq": self.seq}


def _running(snap: HostSnapshot) -> dict[str, Jail]:
    return {j.name: j for j in snap.jails if j.state is JailState.RUNNING}


def _dying(snap: HostSnapshot) -> dict[tuple[str, int | None], Jail]:
    return {(j.name, j.jid): j for j in snap.jails if j.state is JailState.DYING}


def diff(host: str, before: HostSnapshot | None, after: HostSnapshot, at: float) -> list[Event]:
    """The events between two snapshots of one host (``before`` None: ``seen``)."""
    now_up, now_dying = _running(after), _dying(after)
    if before is None:
        seen = [Event(at, Kind.SEEN, host, j.name, j.jid, f"running (jid {j.jid})")
                for j in now_up.values()]
        seen += [Event(at, Kind.SEEN, host, j.name, j.jid, f"dying (jid {j.jid})")
                 for j in now_dying.values()]
        return seen
    was_up, was_dying = _running(before), _dying(before)
    out: list[Event] = []
    for name, j in now_up.items():
        old = was_up.get(name)
        if old is None:
            configured = any(b.name == name and b.state is JailState.STOPPED
                             for b in before.jails)
            out.append(Event(at, Kind.CREATED, host, name, j.jid,
                             f"{'started' if configured else 'created'} (jid {j.jid})"))
        elif old.jid != j.jid:
            out.append(Event(at, Kind.RESTARTED, host, name, j.jid,
                             f"jid {old.jid} -> {j.jid}"))
    for name, old in was_up.items():
        if name not in now_up:
            stopped = any(j.name == name and j.state is JailState.STOPPED for j in after.jails)
            out.append(Event(at, Kind.REMOVED, host, name, old.jid,
                             f"no longer running (was jid {old.jid})"
                             + ("; configured, stopped" if stopped else "")))
    for key, j in now_dying.items():
        if key not in was_dying:
            out.append(Event(at, Kind.DYING, host, j.name, j.jid,
                             f"dying (jid {j.jid}): the kernel still holds it"))
    return out + conf_diff(host, before, after, at)


def conf_diff(host: str, before: HostSnapshot, after: HostSnapshot, at: float) -> list[Event]:
    """``config_changed``: the config files whose (mtime_ns, size) differ.

    Nothing when either poll has no stamps (the configuration could not be
    read, or the host cannot stat): a failed read is a warning, not every
    file changing.
    """
    old = {p: (m, n) for p, m, n in before.conf_stamps}
    new = {p: (m, n) for p, m, n in after.conf_stamps}
    if not old or not new or old == new:
        return []
    out: list[Event] = []
    for path in sorted(old.keys() | new.keys()):
        if old.get(path) == new.get(path):
            continue
        what = ("appeared" if path not in old else "went away" if path not in new
                else "changed on disk")
        names = sorted({j.name for j in (*after.jails, *before.jails) if j.conf_file == path})
        if not names:
            out.append(Event(at, Kind.CONFIG_CHANGED, host, None, None, f"{path} {what}"))
        for name in names:
            jail = after.jail(name)
            out.append(Event(at, Kind.CONFIG_CHANGED, host, name,
                             jail.jid if jail is not None else None,
                             f"{path} {what} (holds the block of {name})"))
    return out


class Timeline:
    """The events of a session, oldest first, bounded (see the module docstring)."""

    def __init__(self, *, limit: int = DEFAULT_LIMIT, scope: frozenset[str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._events: deque[Event] = deque(maxlen=limit)
        self._last: dict[str, HostSnapshot] = {}
        self._down: dict[str, str] = {}
        #: Per host, per jail: each enabled daemon's last state (running or not).
        self._daemons: dict[str, dict[str, dict[str, bool]]] = {}
        #: Per host: the (jail, resource, action, amount) rules at or near their amount.
        self._near: dict[str, set[tuple[str, str, str, int]]] = {}
        self._scope = scope
        self._clock = clock
        self._seq = 0
        #: Called with each new event (kept ones only), in order.
        self.listeners: list[Callable[[Event], None]] = []

    # -- what the poll path and the actions feed in ----------------------------------

    def observe(self, host: str, snapshot: HostSnapshot) -> list[Event]:
        """A good poll of ``host``: the events since its last one."""
        at = self._clock()
        new: list[Event] = []
        if host in self._down:
            del self._down[host]
            new.append(Event(at, Kind.BACK, host, None, None, "polling works again"))
        before = self._last.get(host)
        if snapshot is before:
            return self._keep(new)  # a failed poll handing back the last snapshot
        self._last[host] = snapshot
        new += diff(host, before, snapshot, at)
        return self._keep(new)

    def checked(self, host: str, report: Report) -> list[Event]:
        """A health evaluation of ``host`` (core/checks/health.py): ``daemon_up``
        / ``daemon_down`` against the last evaluation, and ``limit_near``."""
        at = self._clock()
        jids = {j.name: j.jid for j in report.jails}
        out: list[Event] = []
        last = self._daemons.get(host, {})
        for name, now in sorted(report.daemons.items()):
            was = last.get(name, {})
            for svc, up in sorted(now.items()):
                if svc not in was or was[svc] == up:
                    continue
                kind = Kind.DAEMON_UP if up else Kind.DAEMON_DOWN
                text = (f"{svc} runs again" if up
                        else f"{svc} is enabled in rc.conf but no longer running")
                out.append(Event(at, kind, host, name, jids.get(name), text))
        # A jail not checked this time (stopped, unreadable rc.conf) starts afresh.
        self._daemons[host] = {name: dict(now) for name, now in report.daemons.items()}
        old_near = self._near.get(host, set())
        near: set[tuple[str, str, str, int]] = set()
        for name, rules in sorted(report.rctl_rules.items()):
            usage = report.rctl_usage.get(name, {})
            for resource, action, amount in rules:
                used = usage.get(resource)
                if action not in NEAR_ACTIONS or used is None or amount <= 0:
                    continue
                key = (name, resource, action, amount)
                pct = 100.0 * used / amount
                if key in old_near and pct >= CLEAR:
                    near.add(key)
                elif pct >= NEAR:
                    near.add(key)
                    out.append(Event(at, Kind.LIMIT_NEAR, host, name, jids.get(name),
                                     f"{resource} at {pct:.0f}% of its {action} limit "
                                     f"({used} of {amount})"))
        self._near[host] = near
        return self._keep(out)

    def failed(self, host: str, reason: str) -> list[Event]:
        """A failed poll of ``host``: ``unreachable`` once per outage."""
        if host in self._down:
            return []
        self._down[host] = reason
        return self._keep([Event(self._clock(), Kind.UNREACHABLE, host, None, None, reason)])

    def action(self, host: str, jail: str | None, what: str, ok: bool,
               message: str) -> list[Event]:
        """An action the console ran on ``jail`` (None: on the host), and how it ended."""
        text = f"{what}: {'ok' if ok else 'failed'}" + (f" ({message})" if message else "")
        return self._keep([Event(self._clock(), Kind.ACTION, host, jail, None, text, ok)])

    def _keep(self, events: Iterable[Event]) -> list[Event]:
        kept: list[Event] = []
        for e in events:
            if self._scope is not None and (e.jail is None or e.jail not in self._scope):
                continue
            self._seq += 1
            e = replace(e, seq=self._seq)
            kept.append(e)
            self._events.append(e)
            for listener in list(self.listeners):
                listener(e)
        return kept

    # -- what the screens and the command line read ------------------------------------

    def set_clock(self, clock: Callable[[], float]) -> None:
        """The console's clock (frozen in tests and snapshots)."""
        self._clock = clock

    def __len__(self) -> int:
        return len(self._events)

    def events(self, *, jail: str | None = None, host: str | None = None,
               kinds: Iterable[Kind] | None = None) -> list[Event]:
        """The events kept, oldest first, of one jail / host / kinds if given."""
        wanted = frozenset(kinds) if kinds is not None else None
        return [e for e in self._events
                if (jail is None or e.jail == jail) and (host is None or e.host == host)
                and (wanted is None or e.kind in wanted)]

    def down(self) -> Mapping[str, str]:
        """Hosts whose last poll failed, and why."""
        return dict(self._down)
