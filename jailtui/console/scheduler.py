"""One loop for everything that repeats without overlapping itself.

The poll of each host, the health checks and any other slow cadence run
through :class:`Repeating`: one run at a time, the next one armed with
``set_timer`` only after the last one finished (dolphie's pattern;
docs/textual.md 1.9 item 4). Not an exclusive worker on ``set_interval``,
which cancels a run slower than its interval and so starves it
(docs/textual.md 2.2, measured: 10 started, 0 finished).

A request while a run is in flight (``r`` during a poll) is remembered and
served once, right after it. The delay is asked for after every run, so a
backoff, a pause (``None``: not armed) or a new interval applies at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App
from textual.timer import Timer

from jailtui.widgets.jobs import job


class Repeating:
    """A job run now and then again after ``delay()`` seconds, never twice at once.

    ``delay`` returns the seconds until the next run, or None for "not
    until asked" (paused). ``run`` must not raise: what it raises ends the
    worker (``exit_on_error=False`` keeps the console up) but is not shown.
    """

    def __init__(self, app: App[Any], name: str, run: Callable[[], Awaitable[None]],
                 delay: Callable[[], float | None], *, description: str = "") -> None:
        self._app = app
        self.name = name
        self._run = run
        self._delay = delay
        self._description = description or name
        self._timer: Timer | None = None
        self._running = False
        self._again = False
        #: Runs started so far (tests and benchmarks read it).
        self.started = 0

    @property
    def running(self) -> bool:
        return self._running

    def now(self) -> None:
        """Run at once; if a run is in flight, once more right after it."""
        if self._running:
            self._again = True
            return
        self.stop()
        self._running = True
        self.started += 1
        self._app.run_worker(job(self._one), name=self.name, group=self.name,
                             exit_on_error=False, description=self._description)

    def stop(self) -> None:
        """Disarm the next run (a run in flight ends normally, then re-arms)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def rearm(self) -> None:
        """A new interval or a resume: wait the full new delay from now."""
        if self._running:
            return
        self.stop()
        self._arm()

    async def _one(self) -> None:
        try:
            await self._run()
        finally:
            self._running = False
            self._arm()

    def _arm(self) -> None:
        if self._again:
            self._again = False
            self.now()
            return
        if not self._app.is_running:
            return
        delay = self._delay()
        if delay is None:
            return
        self._timer = self._app.set_timer(delay, self.now, name=self.name)


__all__ = ["Repeating"]
