"""What the console knows about every host of a fleet, as one immutable value.

The single-host console renders one :class:`PollState`; a console of many
hosts has one per host (each host has its own poller, jailtui/console/fleet.py)
plus the SSH link of each. :class:`FleetState` bundles them with the view
the user picked (one host, or all of them) and is published on
``FleetConsole.signal`` after every change, like ``poll_signal`` for one
host (docs/architecture.md: data flows one way; widgets never ask a host).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING

from jailtui.core.model import HostInfo, HostSnapshot, jails_up
from jailtui.widgets.poll_state import PollState

if TYPE_CHECKING:
    # An annotation only (a dataclass field's, a string here): a local console
    # loads no SSH transport for its first frame (issue 18: start).
    from jailtui.core.transport.ssh import LinkState

#: How a host is doing, in the words of the compact summary.
OK, DOWN, WAITING = "ok", "down", "connecting"


@dataclass(frozen=True, slots=True)
class HostView:
    """One host as the console shows it."""

    name: str
    #: This host's poller: last good snapshot (rows tagged with ``name``),
    #: error, failures, interval, paused.
    state: PollState
    #: The SSH link when the state was taken (None for a local host).
    link: LinkState | None = None

    @property
    def health(self) -> str:
        """``ok``, ``down`` (the last poll failed) or ``connecting`` (no poll ended yet)."""
        if self.state.error is not None:
            return DOWN
        return OK if self.state.snapshot is not None else WAITING

    def describe(self, now: float) -> str:
        """One line: ``ok``, ``unreachable since 12:03:04, retrying in 8 s``,
        ``stale: <error>`` (already sanitised: PollState.error is)."""
        link = self.link
        if link is not None and link.status == "unreachable":
            return link.describe(now)
        if self.state.error is not None:
            return f"{'stale' if self.state.snapshot is not None else 'failing'}: " \
                   f"{self.state.error}"
        return OK if self.state.snapshot is not None else "connecting…"

    def jails_up(self) -> tuple[int, int]:
        snap = self.state.snapshot
        if snap is None:
            return (0, 0)
        return jails_up(snap.jails)


def _merge(hosts: tuple[HostView, ...]) -> HostSnapshot | None:
    snaps = [h.state.snapshot for h in hosts if h.state.snapshot is not None]
    if not snaps:
        return None
    # One snapshot of every host's rows for the all-hosts view. Its jail(name)
    # lookup is meaningless (names repeat across hosts): the console looks a
    # jail up in its own host's snapshot, by (host, name).
    return HostSnapshot(
        info=HostInfo(hostname=f"{len(hosts)} hosts", backend="fleet"),
        taken_at=min(s.taken_at for s in snaps),
        # Chained in C: a step of Python per process was 5,000 a poll at 5,000.
        jails=tuple(chain.from_iterable(s.jails for s in snaps)),
        processes=tuple(chain.from_iterable(s.processes for s in snaps)),
        warnings=tuple(chain.from_iterable(s.warnings for s in snaps)))


@dataclass(frozen=True, slots=True)
class FleetState:
    """Every host in order, the chosen view, and all rows merged for it."""

    hosts: tuple[HostView, ...] = ()
    #: The host the panes show; None: all hosts (a HOST column, rows keyed
    #: by (host, name) / (host, pid)).
    view: str | None = None
    #: Every host's last snapshot merged (None before any poll ended).
    merged: HostSnapshot | None = field(default=None, compare=False)

    @classmethod
    def build(cls, hosts: tuple[HostView, ...], view: str | None) -> FleetState:
        return cls(hosts, view, _merge(hosts))

    def get(self, name: str | None) -> HostView | None:
        for h in self.hosts:
            if h.name == name:
                return h
        return None

    def snapshot(self, name: str | None) -> HostSnapshot | None:
        """The last good snapshot of host ``name``."""
        h = self.get(name)
        return h.state.snapshot if h is not None else None

    @property
    def stale_hosts(self) -> frozenset[str]:
        """Hosts whose rows are from an older poll (the latest one failed)."""
        return frozenset(h.name for h in self.hosts if h.state.stale)

    def counts(self) -> dict[str, int]:
        out = {OK: 0, DOWN: 0, WAITING: 0}
        for h in self.hosts:
            out[h.health] += 1
        return out

    def summary(self) -> str:
        """``3 hosts: 2 ok, 1 down`` (the compact form for the status line)."""
        c = self.counts()
        parts = [f"{c[OK]} ok"]
        if c[DOWN]:
            parts.append(f"{c[DOWN]} down")
        if c[WAITING]:
            parts.append(f"{c[WAITING]} connecting")
        return f"{len(self.hosts)} hosts: {', '.join(parts)}"


__all__ = ["DOWN", "OK", "WAITING", "FleetState", "HostView"]
