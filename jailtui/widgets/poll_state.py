"""What the poller knows, as one immutable value the widgets render.

The app replaces it after every poll (or pause, or interval change) and
publishes it on ``JailtuiApp.poll_signal``; widgets never ask the host
themselves (docs/architecture.md: data flows one way).
"""

from __future__ import annotations

from dataclasses import dataclass

from jailtui.core.model import HostSnapshot


@dataclass(frozen=True, slots=True)
class PollState:
    """The last good snapshot and how the polling is going."""

    #: The last snapshot a poll returned; kept when later polls fail.
    snapshot: HostSnapshot | None = None
    #: One-line, already sanitised message of the last failed poll; None
    #: when the last poll succeeded (the data is fresh).
    error: str | None = None
    #: Polls failed in a row (the retry delay doubles with each).
    failures: int = 0
    paused: bool = False
    #: Seconds between polls, as the user set it.
    interval: float = 2.0
    #: Seconds until the next try after a failure (the back-off).
    retry_in: float | None = None

    @property
    def stale(self) -> bool:
        return self.error is not None
