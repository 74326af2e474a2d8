"""Jail actions in progress, for the jails pane's rows ("stopping…").

A map on the app rather than state in the table: the action runs in an app
worker (``JailtuiApp._run_lifecycle``) that outlives any screen, and the
jails pane reads it whenever it draws a row (widgets/jail_table.py).

Life of an entry
    :meth:`~PendingActions.begin`
        start/stop/restart was sent: the row's STATE reads ``stopping…`` in
        the warning colour.
    :meth:`~PendingActions.finish`
        the controller's result arrived. A failure clears the entry at once
        (nothing changed; the action log says why). A success keeps it until
        the rows show the outcome: the rows on screen when the result
        arrives may come from a poll that was already in flight, and would
        flash the old state ("running" just after "stopped").
    :meth:`~PendingActions.rows_arrived`
        the jails pane got new rows (a poll): an entry whose jail shows its
        outcome (gone or not running after a stop; running after a start;
        running with a new jid after a restart) is cleared.
    expiry
        a finished entry goes anyway :data:`EXPIRE` seconds after its result
        (polling paused, a poll that keeps failing), so no row says
        "stopping…" for ever.

It watches rows, not a poller, so one host and many hosts (each host with its
own poller, console/fleet.py) behave the same. Keys are ``(host, name)`` like the
rows of a console of many hosts (``model.Jail.host_name``; None on one host).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.dom import DOMNode
from textual.signal import Signal

from jailtui.core.model import Jail, JailState

__all__ = ["EXPIRE", "LABELS", "PendingActions"]

#: Seconds a finished action is still shown when no poll confirms it.
EXPIRE = 15.0

#: What the STATE cell says while an action runs.
LABELS = {"start": "starting…", "stop": "stopping…", "restart": "restarting…"}

Key = tuple[str | None, str]


@dataclass(slots=True)
class _Entry:
    verb: str
    #: The jid when the action began: a restart is done when it changed.
    jid: int | None
    done: bool = False
    #: Distinguishes this entry from a later one of the same jail (expiry timer).
    serial: int = 0


class PendingActions:
    """``(host, jail) -> verb`` of the lifecycle actions not yet seen through."""

    def __init__(self, owner: DOMNode) -> None:
        self._owner = owner
        #: Published (with None) whenever an entry begins, ends or finishes;
        #: the jails pane redraws its rows.
        self.signal: Signal[None] = Signal(owner, "pending-actions")
        self._items: dict[Key, _Entry] = {}
        self._serial = 0

    def __len__(self) -> int:
        return len(self._items)

    @staticmethod
    def key(jail: Jail) -> Key:
        """The row's key (model.Jail.key): a dying row never shares a live row's entry."""
        return (jail.host_name, jail.key)

    def verb(self, jail: Jail) -> str | None:
        """``"stop"`` while ``jail`` is being stopped, else None."""
        if not self._items:  # the usual case: asked of every row each poll (issue 18)
            return None
        entry = self._items.get(self.key(jail))
        return entry.verb if entry is not None else None

    def label(self, jail: Jail) -> str | None:
        """``"stopping…"`` for the STATE cell, or None."""
        verb = self.verb(jail)
        return LABELS.get(verb) if verb is not None else None

    def begin(self, jail: Jail, verb: str) -> None:
        """An action on ``jail`` was sent."""
        self._serial += 1
        self._items[self.key(jail)] = _Entry(verb, jail.jid, serial=self._serial)
        self._changed()

    def finish(self, jail: Jail, ok: bool) -> None:
        """Its result arrived; a success waits for the rows to show it."""
        key = self.key(jail)
        entry = self._items.get(key)
        if entry is None:
            return
        if not ok:
            del self._items[key]
            self._changed()
            return
        entry.done = True
        serial = entry.serial
        self._owner.set_timer(EXPIRE, lambda: self._expire(key, serial), name="pending-expire")

    def rows_arrived(self, rows: Sequence[Jail]) -> None:
        """New rows from a poll: clear the finished entries they confirm."""
        if not any(e.done for e in self._items.values()):
            return
        by_key = {self.key(j): j for j in rows}
        hosts = {j.host_name for j in rows}
        cleared = False
        for key, entry in list(self._items.items()):
            # Rows of another host say nothing about this one (all-hosts view
            # aside, a host's rows arrive alone).
            if not entry.done or key[0] not in hosts:
                continue
            if _confirmed(entry, by_key.get(key)):
                del self._items[key]
                cleared = True
        if cleared:
            self._changed()

    def _expire(self, key: Key, serial: int) -> None:
        entry = self._items.get(key)
        if entry is not None and entry.serial == serial:
            del self._items[key]
            self._changed()

    def _changed(self) -> None:
        self.signal.publish(None)


def _confirmed(entry: _Entry, row: Jail | None) -> bool:
    """Does ``row`` (None: no longer listed) show the outcome of the action?"""
    if entry.verb == "stop":
        return row is None or row.state is not JailState.RUNNING
    if row is None or row.state is not JailState.RUNNING:
        return False
    return entry.verb == "start" or entry.jid is None or row.jid != entry.jid
