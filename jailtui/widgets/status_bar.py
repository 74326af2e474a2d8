"""The status line: which host, which backend, who you are, how fresh the data is.

The backend is impossible to miss: ``SIMULATED`` is a reverse-video badge in
the theme's warning colour, so nobody mistakes the demo for a real host.
When polls fail the last good data stays on screen, a ``STALE`` badge says
how old it is, and a second line shows the (sanitised) error.

Everything from the host (host name, error text) is plain text inside a
``Content`` built with :meth:`Content.assemble`, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from textual.content import Content
from textual.widgets import Static

from jailtui.core.model import JailState
from jailtui.core.text import visible
from jailtui.widgets.cells import age_text, interval_text
from jailtui.widgets.fleet_state import DOWN
from jailtui.widgets.fleet_status import fleet_status_content, link_detail, summary_parts
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.health_state import health_parts
from jailtui.widgets.poll_state import PollState

if TYPE_CHECKING:
    from jailtui.fleetview import FleetConsole


class StatusSource(Protocol):
    """What the status line needs from the app."""

    @property
    def poll_state(self) -> PollState: ...

    @property
    def backend_label(self) -> str: ...

    @property
    def identity(self) -> str: ...

    def now(self) -> float: ...


SEP = ("  ", "")


def status_content(state: PollState, now: float, backend: str, identity: str, *,
                   hosts: Sequence[str | tuple[str, str]] = (),
                   detail: str | None = None,
                   health: Sequence[str | tuple[str, str]] = ()) -> Content:
    """The status line (one line, two when the data is stale).

    Many hosts: ``hosts`` (the compact summary of all of them) follows the
    host's name, and ``detail`` (the SSH link's account) replaces the error
    on the second line. ``health``: the compact health count
    (widgets/health_state.py ``health_parts``), after the host.
    """
    snap = state.snapshot
    parts: list[str | tuple[str, str]] = []
    if backend.upper() == "SIMULATED":
        parts.append((" SIMULATED ", "reverse bold $warning"))
    else:
        parts.append((f" {visible(backend, 32)} ", "bold $success"))
    host = visible(snap.info.hostname, 64) if snap is not None and snap.info.hostname else "…"
    parts += [" ", (host, "bold")]
    if hosts:
        parts += [" (", *hosts, ")"]
    if health:
        # Early in the line: the line is cut with an ellipsis on a narrow
        # terminal, and the health of the host matters more than its load.
        parts += [SEP, *health]
    parts += [SEP, (identity, "$text-accent")]
    parts += [SEP, ("every ", "$foreground-muted"), interval_text(state.interval)]
    if state.paused:
        parts += [SEP, (" PAUSED ", "reverse bold $warning")]
    if snap is None:
        parts += [SEP, ("waiting for the first poll…", "$foreground-muted")]
    else:
        age = age_text(now - snap.taken_at)
        if state.stale:
            parts += [SEP, (" STALE ", "reverse bold $error"), " ", (f"data {age} old", "$error")]
            # With ``detail`` the second line counts the retry down live.
            if state.retry_in is not None and detail is None:
                parts += [("  retry in ", "$foreground-muted"), interval_text(round(state.retry_in, 1))]
        else:
            parts += [SEP, ("updated ", "$foreground-muted"), f"{age} ago"]
        running = sum(1 for j in snap.jails if j.state is JailState.RUNNING)
        parts += [SEP, f"{running}/{len(snap.jails)}", (" jails up", "$foreground-muted"),
                  SEP, str(len(snap.processes)), (" procs", "$foreground-muted")]
        if snap.info.load is not None:
            load = " ".join(f"{v:.2f}" for v in snap.info.load)
            parts += [SEP, ("load ", "$foreground-muted"), load]
        if snap.warnings:
            parts += [SEP, (f"{glyphs().warn} {len(snap.warnings)} warning(s), L shows them", "$warning")]
    if state.stale and state.error:
        parts += ["\n", (f"{glyphs().warn} ", "$error"), (detail or state.error, "$error")]
    return Content.assemble(*parts)


class StatusBar(Static):
    """Redrawn on every poll state change and once a second (the age)."""

    DEFAULT_CSS = """
    StatusBar {
        height: auto;
        max-height: 2;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None, follows_view: bool = False) -> None:
        super().__init__("", id=id, markup=False)
        #: On the main screen: the all-hosts view gets the all-hosts line.
        #: Elsewhere (detail) the line is always the focus host's.
        self.follows_view = follows_view

    @property
    def source(self) -> StatusSource:
        app: StatusSource = self.app  # type: ignore[assignment]
        return app

    def on_mount(self) -> None:
        self.set_interval(1.0, self.redraw, name="status-age")
        signal = getattr(self.app, "poll_signal", None)
        if signal is not None:
            signal.subscribe(self, lambda _state: self.redraw(), immediate=True)
        fleet = self.fleet
        if fleet is not None and fleet.signal is not None:
            fleet.signal.subscribe(self, lambda _state: self.redraw(), immediate=True)
        health = getattr(self.app, "health", None)
        if health is not None:
            health.signal.subscribe(self, lambda _state: self.redraw(), immediate=True)
        self.redraw()

    def _health(self) -> list[str | tuple[str, str]]:
        """The health count, if the app checks health (the tests' bare apps do not)."""
        health = getattr(self.app, "health", None)
        return health_parts(health.state) if health is not None else []

    @property
    def fleet(self) -> FleetConsole | None:
        fleet: FleetConsole | None = getattr(self.app, "fleet", None)
        return fleet

    def redraw(self) -> None:
        src = self.source
        state = src.poll_state
        fleet = self.fleet
        if fleet is not None:
            self._redraw_fleet(fleet, state, src)
            return
        self.set_class(state.stale, "-stale")
        self.set_class(state.paused, "-paused")
        self.update(status_content(state, src.now(), src.backend_label, src.identity,
                                   health=self._health()))

    def _redraw_fleet(self, fleet: FleetConsole, state: PollState, src: StatusSource) -> None:
        now, fs = src.now(), fleet.state
        if self.follows_view and fs.view is None:
            self.set_class(bool(fs.counts()[DOWN]), "-stale")
            self.set_class(any(h.state.paused for h in fs.hosts), "-paused")
            self.update(fleet_status_content(fs, now, src.identity))
            return
        view = fs.get(fleet.focus)
        self.set_class(state.stale, "-stale")
        self.set_class(state.paused, "-paused")
        self.update(status_content(state, now, src.backend_label, src.identity,
                                   hosts=summary_parts(fs),
                                   detail=link_detail(view, now) if view is not None else None,
                                   health=self._health()))
