"""Keys handled one at a time, in the order typed, each where the focus is then.

Why: Textual hands each key from the terminal to the widget focused *when the
App reads it* (textual/app.py ``App.on_event``: ``forward_target =
self.focused or self.screen``), and a non-priority binding runs only later,
when the key has bubbled back up to the App (``App._on_key``). A terminal over
SSH, a paste or tmux send-keys delivers ``/web⏎`` in one read: every letter was
handed to the jails pane before ``/`` had opened the filter, so ``w``, ``e``
sorted or paused and Enter opened the detail view. A priority binding for ``/``
runs at once, but then ``/`` overtakes a Tab typed just before it in the same
burst (the Tab is still on its way to the pane), and the filter opens on the
wrong pane.

The fix keeps the order: a key is handed on only when the key before it has
been handled all the way (its widget, its bubbling, its binding). After a key
is forwarded, a :class:`KeyDone` marker is posted to the same widget; it
follows the key's own path (the widget's queue, then each parent's) and
reaches the App after the key's binding has run. Keys that arrive meanwhile
wait here and are posted back to the App's own queue one by one, behind any
callback the last key scheduled (a deferred ``focus()``), so each sees the
focus the keys before it left. A marker that can never arrive (its widget was
removed with its screen) is given up on after :data:`STUCK_AFTER` seconds so
that no key is lost.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from textual import events
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump
    from textual.timer import Timer

#: Seconds after which a key whose marker never came back no longer holds the
#: keys after it (its widget went away). Not a timing the tests rely on.
STUCK_AFTER = 0.5


class KeyDone(Message, bubble=True):
    """The key before this marker has been handled (see the module docstring)."""

    def __init__(self, serial: int) -> None:
        self.serial = serial
        super().__init__()


class KeyOrder:
    """The App's keys in flight and waiting (one per App)."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._serial = 0
        #: The serial of the key handed on and not yet done, and where it went.
        self._in_flight: int | None = None
        self._target: MessagePump | None = None
        self._waiting: deque[events.Key] = deque()
        #: The key posted back to the App to be handled now.
        self._released: events.Key | None = None
        self._watchdog: Timer | None = None

    def hold(self, event: events.Key) -> bool:
        """Keep ``event`` for later (True) when a key before it is still on its way."""
        if event is self._released:
            self._released = None
            return False
        if self._in_flight is None and not self._waiting and self._released is None:
            return False
        target = self._target
        if self._in_flight is not None and target is not None and not target.is_running:
            # Its widget is gone: its marker never comes back.
            self._done()
            if event is self._released:
                return False
        self._waiting.append(event)
        if self._watchdog is None:
            self._watchdog = self._app.set_timer(STUCK_AFTER, self._stuck)
        return True

    def forwarded(self, event: events.Key) -> None:
        """``event`` was just handed to the focused widget (or the screen)."""
        if not event.is_forwarded:
            # A priority binding took it: nothing is on its way; the next may go.
            self._done()
            return
        target: MessagePump = self._app.focused or self._app.screen
        self._serial += 1
        self._in_flight = self._serial
        self._target = target
        target.post_message(KeyDone(self._serial))

    def done(self, marker: KeyDone) -> None:
        """The marker is back at the App: hand on the next waiting key."""
        if marker.serial == self._in_flight:
            self._done()

    def _stuck(self) -> None:
        self._watchdog = None
        if self._in_flight is not None:
            self._done()

    def _done(self) -> None:
        self._in_flight = None
        self._target = None
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
        if self._waiting and self._released is None:
            self._released = self._waiting.popleft()
            self._app.post_message(self._released)
