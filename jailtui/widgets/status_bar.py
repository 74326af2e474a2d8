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

from jailtui.core.model import jails_up
from jailtui.core.text import visible
from jailtui.widgets.cells import age_text, interval_text
from jailtui.widgets.fleet_state import DOWN
from jailtui.widgets.fleet_status import fleet_status_content, link_detail, summary_parts
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.health_state import health_parts
from jailtui.widgets.poll_state import PollState

if TYPE_CHECKING:
    from jailtui.console.fleet import FleetConsole


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

Part = str | tuple[str, str]


def status_content(state: PollState, now: float, backend: str, identity: str, *,
                   hosts: Sequence[Part] = (),
                   detail: str | None = None,
                   health: Sequence[Part] = (),
                   width: int | None = None) -> Content:
    """The status line (one line, two when the data is stale).

    Many hosts: ``hosts`` (the compact summary of all of them) follows the
    host's name, and ``detail`` (the SSH link's account) replaces the error
    on the second line. ``health``: the compact health count
    (widgets/health_state.py ``health_parts``), after the host.

    ``width``: the first line degrades by priority to fit (issue 13 item
    13): the badges (backend, PAUSED, STALE with the data's age) always
    stay, then the host, health, the jail count, the age, the warnings, who
    you are, the interval, the process count, the load, in that order.
    """
    snap = state.snapshot
    # (priority, parts): 0 is never dropped; higher numbers go first.
    pieces: list[tuple[int, list[Part]]] = []
    if backend.upper() == "SIMULATED":
        pieces.append((0, [(" SIMULATED ", "reverse bold $warning")]))
    else:
        pieces.append((0, [(f" {visible(backend, 32)} ", "bold $success")]))
    if state.paused:
        pieces.append((0, [SEP, (" PAUSED ", "reverse bold $warning")]))
    age = age_text(now - snap.taken_at) if snap is not None else ""
    if snap is not None and state.stale:
        pieces.append((0, [SEP, (" STALE ", "reverse bold $error"), " ",
                           (f"data {age} old", "$error")]))
        # With ``detail`` the second line counts the retry down live.
        if state.retry_in is not None and detail is None:
            pieces.append((3, [("  retry in ", "$foreground-muted"),
                               interval_text(round(state.retry_in, 1))]))
    host = visible(snap.info.hostname, 64) if snap is not None and snap.info.hostname else glyphs().ellipsis
    pieces.append((1, [SEP if len(pieces) > 1 else " ", (host, "bold")]))
    if hosts:
        pieces.append((3, [" (", *hosts, ")"]))
    if health:
        pieces.append((1, [SEP, *health]))
    if snap is None:
        pieces.append((2, [SEP, (f"waiting for the first poll{glyphs().ellipsis}", "$foreground-muted")]))
    else:
        running, total = jails_up(snap.jails)
        pieces.append((2, [SEP, f"{running}/{total}", (" jails up", "$foreground-muted")]))
        if not state.stale:
            pieces.append((2, [SEP, ("updated ", "$foreground-muted"), f"{age} ago"]))
        if snap.warnings:
            pieces.append((3, [SEP, (f"{glyphs().warn} {len(snap.warnings)} warning(s), "
                                     "L shows them", "$warning")]))
    pieces.append((4, [SEP, (identity, "$text-accent")]))
    pieces.append((5, [SEP, ("every ", "$foreground-muted"), interval_text(state.interval)]))
    if snap is not None:
        pieces.append((6, [SEP, str(len(snap.processes)), (" procs", "$foreground-muted")]))
        if snap.info.load is not None:
            load = " ".join(f"{v:.2f}" for v in snap.info.load)
            pieces.append((8, [SEP, ("load ", "$foreground-muted"), load]))
    if width is not None:
        pieces = _fit(pieces, width)
    parts: list[Part] = [p for _prio, piece in pieces for p in piece]
    if state.stale and state.error:
        parts += ["\n", (f"{glyphs().warn} ", "$error"), (detail or state.error, "$error")]
    return Content.assemble(*parts)


def _fit(pieces: list[tuple[int, list[Part]]], width: int) -> list[tuple[int, list[Part]]]:
    """Drop the lowest-priority pieces until the line fits ``width`` cells."""
    def cells(piece: list[Part]) -> int:
        return Content.assemble(*piece).cell_length

    sizes = [cells(piece) for _prio, piece in pieces]
    keep = [True] * len(pieces)
    total = sum(sizes)
    for prio in sorted({p for p, _ in pieces if p > 0}, reverse=True):
        if total <= width:
            break
        # The last pieces of this priority first (later in the line).
        for i in range(len(pieces) - 1, -1, -1):
            if keep[i] and pieces[i][0] == prio and total > width:
                keep[i] = False
                total -= sizes[i]
    return [piece for piece, kept in zip(pieces, keep, strict=True) if kept]


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
        self._content: Content | None = None
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

    def on_resize(self) -> None:
        self.redraw()

    def _show(self, content: Content) -> None:
        """Update only when the line changed: ``Static.update`` refreshes the
        layout every time, and a redraw every second would send the line to
        the terminal although nothing in it changed (issue 13 item 43)."""
        if content != self._content:
            # Its height (one line, or two with an error) is all the layout
            # depends on: a new age or count in the same lines repaints the
            # bar alone, not a relayout of the screen every second (issue 18:
            # a paused console at 50,000 processes spent 16 ms a second there).
            old = self._content
            relayout = old is None or old.plain.count("\n") != content.plain.count("\n")
            self._content = content
            self.update(content, layout=relayout)

    def redraw(self) -> None:
        src = self.source
        state = src.poll_state
        fleet = self.fleet
        if fleet is not None and fleet.several:
            self._redraw_fleet(fleet, state, src)
            return
        self.set_class(state.stale, "-stale")
        self.set_class(state.paused, "-paused")
        self._show(status_content(state, src.now(), src.backend_label, src.identity,
                                  health=self._health(), width=self._width()))

    def _redraw_fleet(self, fleet: FleetConsole, state: PollState, src: StatusSource) -> None:
        now, fs = src.now(), fleet.state
        if self.follows_view and fs.view is None:
            self.set_class(bool(fs.counts()[DOWN]), "-stale")
            self.set_class(any(h.state.paused for h in fs.hosts), "-paused")
            self._show(fleet_status_content(fs, now, src.identity))
            return
        view = fs.get(fleet.focus)
        self.set_class(state.stale, "-stale")
        self.set_class(state.paused, "-paused")
        self._show(status_content(state, now, src.backend_label, src.identity,
                                  hosts=summary_parts(fs),
                                  detail=link_detail(view, now) if view is not None else None,
                                  health=self._health(), width=self._width()))

    def _width(self) -> int | None:
        """Cells of the line (None before the first layout: nothing dropped)."""
        width = self.content_region.width if self.is_mounted else 0
        return width or None
