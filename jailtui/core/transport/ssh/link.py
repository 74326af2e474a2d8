"""The SSH link to one host: its state for the UI and the backoff between
retries (2, 4, 8 ... 60 s), and the errors that carry it.

A host that cannot be reached (ssh exit 255 with no answer, or a timeout)
is marked unreachable; until its retry time, commands fail at once with
:class:`HostUnreachable` ("unreachable since 12:03:04, retrying in 8 s")
instead of hammering the host or stalling the console.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jailtui.core.errors import (
    CommandError,
    CommandTimeout,
)

__all__ = ["BACKOFF_CAP", "BACKOFF_FACTOR", "BACKOFF_FIRST", "SSH_ERROR", "HostTimeout",
           "HostUnreachable", "Link", "LinkState"]

#: Backoff after a failure: first delay, growth factor and cap, in seconds.
BACKOFF_FIRST = 2.0
BACKOFF_FACTOR = 2.0
BACKOFF_CAP = 60.0

#: Exit status ssh(1) uses for its own errors ("ssh exits with the exit
#: status of the remote command or with 255 if an error occurred").
SSH_ERROR = 255


class HostUnreachable(CommandError):
    """ssh could not reach the host, or the host is waiting for its next retry.

    ``host`` names the host; ``link`` is the state when the error was raised.
    """

    def __init__(self, host: str, argv: Sequence[str], message: str,
                 link: LinkState, stderr: str = "") -> None:
        self.host = host
        self.link = link
        super().__init__(argv, message, returncode=SSH_ERROR, stderr=stderr)


class HostTimeout(CommandTimeout):
    """A command over SSH did not finish in time; the ssh client was killed.

    The message names the host: with several hosts, "ps: timed out" alone
    would not say where.
    """

    def __init__(self, host: str, argv: Sequence[str], timeout: float) -> None:
        super().__init__(argv, timeout)
        self.host = host
        self.message = f"{host}: {self.message}"
        self.args = (self.message,)


@dataclass(frozen=True, slots=True)
class LinkState:
    """The SSH link to one host, for the UI's per-host indicator.

    Times are wall-clock (``time.time()``) so they can be shown as clock
    times; ``next_retry`` is None unless the host is unreachable.
    """

    host: str
    #: The last round trip succeeded.
    connected: bool
    #: When the last round trip succeeded (None: never).
    last_ok: float | None = None
    #: When the current run of failures started (None: not failing).
    unreachable_since: float | None = None
    #: When the next attempt is allowed (None: now).
    next_retry: float | None = None
    #: Consecutive failures.
    failures: int = 0
    #: The last failure, raw (ssh's own message); sanitise before showing.
    error: str | None = None

    @property
    def status(self) -> str:
        """``connected``, ``unreachable`` or ``connecting`` (never tried yet)."""
        if self.connected:
            return "connected"
        return "unreachable" if self.unreachable_since is not None else "connecting"

    def retry_in(self, now: float | None = None) -> float | None:
        """Seconds until the next attempt; 0 when due; None when not failing."""
        if self.next_retry is None:
            return None
        return max(0.0, self.next_retry - (time.time() if now is None else now))

    def describe(self, now: float | None = None) -> str:
        """One line: ``unreachable since 12:03:04, retrying in 8 s``."""
        if self.unreachable_since is None:
            return self.status
        since = time.strftime("%H:%M:%S", time.localtime(self.unreachable_since))
        wait = self.retry_in(now)
        retry = "retrying now" if not wait else f"retrying in {wait:.0f} s"
        return f"unreachable since {since}, {retry}"


class Link:
    """Thread-safe backoff bookkeeping (RemoteFiles calls from worker threads)."""

    def __init__(self, host: str, first: float, cap: float,
                 clock: Callable[[], float]) -> None:
        self.host = host
        self.first = first
        self.cap = cap
        self.clock = clock
        self._lock = threading.Lock()
        self._state = LinkState(host, connected=False)

    def state(self) -> LinkState:
        with self._lock:
            return self._state

    def blocked(self) -> LinkState | None:
        """The state if the host is waiting for its retry time, else None."""
        with self._lock:
            st = self._state
            if st.next_retry is not None and self.clock() < st.next_retry:
                return st
            return None

    def ok(self) -> None:
        with self._lock:
            self._state = LinkState(self.host, connected=True, last_ok=self.clock())

    def failed(self, error: str) -> LinkState:
        with self._lock:
            st = self._state
            now = self.clock()
            failures = st.failures + 1
            delay = min(self.cap, self.first * BACKOFF_FACTOR ** (failures - 1))
            self._state = LinkState(
                self.host, connected=False, last_ok=st.last_ok,
                unreachable_since=st.unreachable_since or now, next_retry=now + delay,
                failures=failures, error=error)
            return self._state

    def retry_now(self) -> None:
        with self._lock:
            st = self._state
            if st.next_retry is not None:
                self._state = LinkState(
                    self.host, connected=False, last_ok=st.last_ok,
                    unreachable_since=st.unreachable_since, next_retry=self.clock(),
                    failures=st.failures, error=st.error)
