"""The status line: which host, which backend, who you are, how fresh the data is.

The backend is impossible to miss: ``SIMULATED`` is a reverse-video badge in
the theme's warning colour, so nobody mistakes the demo for a real host.
When polls fail the last good data stays on screen, a ``STALE`` badge says
how old it is, and a second line shows the (sanitised) error.

Everything from the host (host name, error text) is plain text inside a
``Content`` built with :meth:`Content.assemble`, never markup.
"""

from __future__ import annotations

from typing import Protocol

from textual.content import Content
from textual.widgets import Static

from jailtui.core.model import JailState
from jailtui.core.text import visible
from jailtui.widgets.cells import age_text, interval_text
from jailtui.widgets.poll_state import PollState


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


def status_content(state: PollState, now: float, backend: str, identity: str) -> Content:
    """The status line (one line, two when the data is stale)."""
    snap = state.snapshot
    parts: list[str | tuple[str, str]] = []
    if backend.upper() == "SIMULATED":
        parts.append((" SIMULATED ", "reverse bold $warning"))
    else:
        parts.append((f" {visible(backend, 32)} ", "bold $success"))
    host = visible(snap.info.hostname, 64) if snap is not None and snap.info.hostname else "…"
    parts += [" ", (host, "bold"), SEP, (identity, "$text-accent")]
    parts += [SEP, ("every ", "$foreground-muted"), interval_text(state.interval)]
    if state.paused:
        parts += [SEP, (" PAUSED ", "reverse bold $warning")]
    if snap is None:
        parts += [SEP, ("waiting for the first poll…", "$foreground-muted")]
    else:
        age = age_text(now - snap.taken_at)
        if state.stale:
            parts += [SEP, (" STALE ", "reverse bold $error"), " ", (f"data {age} old", "$error")]
            if state.retry_in is not None:
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
            parts += [SEP, (f"⚠ {len(snap.warnings)} warning(s), L shows them", "$warning")]
    if state.stale and state.error:
        parts += ["\n", ("⚠ ", "$error"), (state.error, "$error")]
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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    @property
    def source(self) -> StatusSource:
        app: StatusSource = self.app  # type: ignore[assignment]
        return app

    def on_mount(self) -> None:
        self.set_interval(1.0, self.redraw, name="status-age")
        signal = getattr(self.app, "poll_signal", None)
        if signal is not None:
            signal.subscribe(self, lambda _state: self.redraw(), immediate=True)
        self.redraw()

    def redraw(self) -> None:
        src = self.source
        state = src.poll_state
        self.set_class(state.stale, "-stale")
        self.set_class(state.paused, "-paused")
        self.update(status_content(state, src.now(), src.backend_label, src.identity))
