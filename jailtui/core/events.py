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
- ``action``: an action the console ran, with its result.

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

from jailtui.core.model import HostSnapshot, Jail, JailState

__all__ = ["DEFAULT_LIMIT", "Event", "Kind", "Timeline", "diff"]

#: Events kept (the oldest go first): a bounded buffer for a long session.
DEFAULT_LIMIT = 5000


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
    return out


class Timeline:
    """The events of a session, oldest first, bounded (see the module docstring)."""

    def __init__(self, *, limit: int = DEFAULT_LIMIT, scope: frozenset[str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._events: deque[Event] = deque(maxlen=limit)
        self._last: dict[str, HostSnapshot] = {}
        self._down: dict[str, str] = {}
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
