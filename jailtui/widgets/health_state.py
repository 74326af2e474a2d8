"""Health in the console: the latest evaluation, and the monitor that makes it.

The findings are the ones ``jailtui check`` prints (``core.health.evaluate``);
this module only decides *when* to evaluate and how the result looks in the
jails pane (a mark per row) and on the status line (a compact count).

When
    An evaluation costs commands of its own (``jls -n all``, ``rctl``), so it
    runs on a slower cadence than the poll: every ``[console]
    health_interval`` seconds (30 by default), and reuses the poll's latest
    snapshot (``evaluate(..., snapshot=...)``) instead of polling again. It
    also runs early when a poll shows a jail changed state (started,
    stopped, restarted, by us or by anyone), so the marks do not claim for
    half a minute that a jail just started is down. ``r`` in the health view
    asks for a fresh poll first and evaluates that.

One at a time
    On the console's one loop (console/scheduler.py), like the pollers: a
    request that arrives meanwhile is remembered and served once the running
    evaluation ends, and the timer is re-armed only after it.

Failures
    Anything an evaluation raises (a command, a parser, a timeout) becomes
    an UNKNOWN report, as ``jailtui check`` exits 3 with ``JAILS UNKNOWN -
    <error>``; the worker never takes the console down
    (``exit_on_error=False`` and the catch-all below).

Scope
    The host object is already scoped for a delegate (``core.host.ScopedHost``);
    the policy's scope is passed too, so host-wide findings (jail.conf
    warnings) never reach a delegate (core/health.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual.signal import Signal

from jailtui.console.scheduler import Repeating
from jailtui.core.checks.dying import DyingClock
from jailtui.core.checks.health import Finding, Report, Severity, Thresholds, evaluate, summary_line
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.model import HostSnapshot, Jail, JailState
from jailtui.core.text import one_line
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.keyed_table import Cell, Column
from jailtui.widgets.poll_state import PollState

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp

#: Turns a snapshot into a report (the default: ``core.health.evaluate`` on
#: the app's host; tests and other kinds of host may set their own).
Evaluator = Callable[[HostSnapshot], Awaitable[Report]]

#: Longest an evaluation may take before it counts as UNKNOWN. The commands
#: have their own timeouts (core/health.py: 15 s and 10 s); this bounds the
#: sum, so a hung host cannot leave the view "checking…" for ever.
EVALUATION_TIMEOUT = 120.0

#: Order of the health view: CRITICAL first, then WARNING, then UNKNOWN
#: (what needs action before what could not be checked).
VIEW_RANK: Mapping[Severity, int] = {Severity.CRITICAL: 0, Severity.WARNING: 1,
                                     Severity.UNKNOWN: 2, Severity.OK: 3}

#: Mark and style role (widgets/cells.py ROLES) per severity: a symbol as
#: well as a colour, so the mark reads without colour too. Nothing for OK.
def marks() -> Mapping[Severity, tuple[str, str]]:
    """The marks for this terminal (widgets/glyphs.py)."""
    return {Severity.CRITICAL: (glyphs().bad, "bad"), Severity.WARNING: ("!", "warn"),
            Severity.UNKNOWN: ("?", "dim")}


@dataclass(frozen=True, slots=True)
class HealthState:
    """The latest evaluation and whether one is running; replaced, never changed."""

    #: False when this console cannot evaluate (no jail host behind it):
    #: no marks column, nothing on the status line.
    available: bool = False
    #: The latest report; None before the first evaluation ends.
    report: Report | None = None
    #: ``JAILS <STATE> - ...`` as ``jailtui check`` prints it.
    summary: str = ""
    #: When the latest evaluation ended (the app's clock).
    evaluated_at: float | None = None
    #: An evaluation is running (or a fresh poll for one is awaited).
    running: bool = False
    #: The jails the evaluation covers (a delegate's); None: the whole host.
    scope: frozenset[str] | None = None
    #: The fleet host the evaluated snapshot came from (``Jail.host_name``); None
    #: on a console of one host. Marks go only on that host's rows.
    host_name: str | None = None

    @property
    def marks(self) -> dict[str, Severity] | None:
        """Worst severity per jail, OK left out; None when not available."""
        if not self.available:
            return None
        if self.report is None:
            return {}
        return {name: sev for name, sev in self.report.worst_by_jail().items()
                if sev is not Severity.OK}

    def counts(self) -> dict[Severity, int]:
        out = dict.fromkeys(Severity, 0)
        for f in self.report.findings if self.report is not None else ():
            out[f.severity] += 1
        return out


def ordered_findings(findings: Sequence[Finding]) -> list[Finding]:
    """The view's order: by :data:`VIEW_RANK`, then jail (host-wide first), then text."""
    return sorted(findings, key=lambda f: (VIEW_RANK[f.severity], f.jail is not None,
                                           f.jail or "", f.message))


def finding_text(f: Finding) -> str:
    """A finding's message without its leading ``NAME: `` where the view
    shows the jail beside it (``check`` keeps it: its lines stand alone),
    so the health view does not say ``db  db: not running``."""
    if f.jail is not None and f.message.startswith(f"{f.jail}: "):
        return f.message[len(f.jail) + 2:]
    return f.message


def mark_cell(severity: Severity | None) -> Cell:
    """The jails pane's health cell: a coloured symbol, or nothing when healthy."""
    if severity is None or severity not in marks():
        return ""
    text, role = marks()[severity]
    return ((text, role),)


def health_column(severity_of: Callable[[Jail], Severity | None]) -> Column[Jail]:
    """The 1-cell marks column of the jails pane; sorting by it puts the worst first."""

    def sort_key(j: Jail) -> int:
        sev = severity_of(j)
        return 3 - VIEW_RANK[sev] if sev is not None else 0

    return Column("health", "", lambda j: mark_cell(severity_of(j)), sort_key,
                  width=1, descending_first=True)


def health_parts(state: HealthState | None) -> list[str | tuple[str, str]]:
    """The status line's piece: ``health ✓ ok`` or ``health ✗ 1 critical, ! 2 warning``.

    Numbers and fixed words only: nothing from the host, so no sanitising.
    """
    if state is None or not state.available:
        return []
    if state.report is None:
        return [(f"health {glyphs().ellipsis}", "$foreground-muted")] if state.running else []
    counts = state.counts()
    parts: list[str | tuple[str, str]] = [("health ", "$foreground-muted")]
    shown = [(Severity.CRITICAL, "critical", "bold $error"),
             (Severity.WARNING, "warning", "$warning"),
             (Severity.UNKNOWN, "unknown", "$foreground-muted")]
    first = True
    for sev, word, style in shown:
        if counts[sev]:
            if not first:
                parts.append(", ")
            parts.append((f"{marks()[sev][0]} {counts[sev]} {word}", style))
            first = False
    if first:
        parts.append((f"{glyphs().ok} ok", "$success"))
    return parts


def _signature(snapshot: HostSnapshot) -> tuple[tuple[str, JailState, int | None], ...]:
    """What makes a new evaluation worth it at once: a jail changed state or jid."""
    return tuple((j.name, j.state, j.jid) for j in snapshot.jails)


def _poll_ended(before: PollState | None, now: PollState) -> bool:
    """Is ``now`` the result of a poll that ended after ``before`` was current?

    Every poll publishes a new PollState (app.py ``_poll_ok`` /
    ``_poll_failed``), even when the host returned the same snapshot
    object (the tests' FakeHost does); a pause or an interval change
    publishes one too, but changes those fields.
    """
    if before is None:
        return True
    return now is not before and now.paused == before.paused \
        and now.interval == before.interval


class _NoFreshData(JailtuiError):
    """The poll an evaluation needs failed; the evaluation is UNKNOWN."""


class HealthMonitor:
    """Runs ``core.health.evaluate`` for the console and publishes :class:`HealthState`."""

    def __init__(self, app: JailtuiApp) -> None:
        self._app = app
        #: Published after every change of :attr:`state`.
        self.signal: Signal[HealthState] = Signal(app, "health")
        self._custom: Evaluator | None = None
        self._state = HealthState()
        self._want_fresh = False
        self._fresh_from: PollState | None = None
        #: One evaluation at a time, the next one armed after it (console/scheduler.py).
        self._loop = Repeating(app, "health", self._run, self._delay,
                               description="health checks (jls -n all, rctl)")
        #: The next run was asked for (a poll, ``r``), not only due by the clock.
        self._asked = False
        self._evaluated: tuple[tuple[str, JailState, int | None], ...] | None = None
        self._last_error: str | None = None
        #: Evaluations started (tests check that they never overlap).
        self.started = 0
        #: Since when each dying jail is dying, for this console's lifetime:
        #: "stuck dying" only after [check] dying_after (core/checks/dying.py).
        self.dying = DyingClock()

    # -- what the widgets read -----------------------------------------------------

    @property
    def state(self) -> HealthState:
        return self._state

    @property
    def scope(self) -> frozenset[str] | None:
        """A delegate's jails (the controller's policy); None: every jail."""
        controller = self._app.controller
        return controller.policy.scope if controller is not None else None

    @property
    def interval(self) -> float:
        return self._app.settings.health_interval

    def _publish(self, state: HealthState) -> None:
        self._state = state
        self.signal.publish(state)

    # -- set up --------------------------------------------------------------------

    def set_evaluator(self, evaluator: Evaluator | None) -> None:
        """Evaluate with ``evaluator`` instead of ``core.health.evaluate`` on the host."""
        self._custom = evaluator
        self._publish(replace(self._state, available=self._evaluator() is not None))

    def start(self) -> None:
        """Follow the poller (call once the app runs: subscribing needs a running node)."""
        self._app.poll_signal.subscribe(self._app, self._on_poll, immediate=True)
        self._publish(replace(self._state, available=self._evaluator() is not None,
                              scope=self.scope))

    def _evaluator(self) -> Evaluator | None:
        """The evaluator for the app's host *now* (looked up each time: the host may change)."""
        if self._custom is not None:
            return self._custom
        host = self._app.host.checkable()
        if host is None:
            return None  # a host of fixed data: nothing to run commands on
        settings = self._app.settings
        scope = self.scope

        async def run(snapshot: HostSnapshot) -> Report:
            return await evaluate(host, settings.thresholds(Thresholds()), scope,
                                  snapshot=snapshot, dying=self.dying)

        return run

    # -- when to evaluate ------------------------------------------------------------

    def request(self) -> None:
        """On demand: poll now, then evaluate the snapshot that poll returns."""
        if self._evaluator() is None:
            return
        self._want_fresh = True
        self._fresh_from = self._app.poll_state
        self._publish(replace(self._state, running=True))
        self._app.poll_now()

    def _on_poll(self, state: PollState) -> None:
        snap = state.snapshot
        if self._want_fresh and _poll_ended(self._fresh_from, state):
            self._want_fresh = False
            self._fresh_from = None
            self._evaluate(state)
            return
        if snap is None or state.stale or self._evaluator() is None:
            return
        if self._state.report is None and not self._loop.running:
            self._evaluate(state)  # the first snapshot: the first evaluation
        elif _signature(snap) != self._evaluated:
            self._evaluate(state)  # a jail started or stopped: do not wait 30 s

    def _delay(self) -> float | None:
        return self.interval if self.interval > 0 else None

    # -- evaluating -------------------------------------------------------------------

    def _evaluate(self, state: PollState) -> None:
        """Evaluate the poll's latest snapshot now (or right after the running one)."""
        if self._evaluator() is None:
            self._publish(replace(self._state, available=False, running=False))
            return
        self._asked = True
        self._publish(replace(self._state, available=True, running=True, scope=self.scope))
        self._loop.now()

    async def _run(self) -> None:
        asked, self._asked = self._asked, False
        state = self._app.poll_state
        evaluator = self._evaluator()
        if evaluator is None:
            self._publish(replace(self._state, available=False, running=False))
            return
        if not asked and (state.paused or state.stale or state.snapshot is None):
            # Due by the clock, but paused (the user asked for quiet) or stale
            # (nothing new to judge; the STALE badge says it): next period.
            return
        self.started += 1
        snap = state.snapshot
        self._evaluated = _signature(snap) if snap is not None else None
        scope = self.scope
        host = next((j.host_name for j in snap.jails if j.host_name), None) if snap is not None else None
        self._publish(replace(self._state, available=True, running=True, scope=scope))
        try:
            if snap is None or state.stale:
                raise _NoFreshData(f"no fresh data from the host: {state.error or 'no poll yet'}")
            async with asyncio.timeout(EVALUATION_TIMEOUT):
                report = await evaluator(snap)
            summary = summary_line(report)
            self._last_error = None
            fleet = self._app.fleet
            if report.rctl_usage:
                fleet.history.observe_rctl(host or fleet.focus, report.rctl_usage)
            # daemon_up/down and limit_near from what this evaluation found (core/events.py).
            fleet.timeline.checked(host or fleet.focus, report)
        except Exception as exc:  # any failure is UNKNOWN, never a crash
            report, summary = self._unknown(exc, snap)
        self._publish(HealthState(available=True, report=report, summary=summary,
                                  evaluated_at=self._app.now(), running=False,
                                  scope=scope, host_name=host))

    def _unknown(self, exc: Exception, snap: HostSnapshot | None) -> tuple[Report, str]:
        """The report of a failed evaluation: one UNKNOWN finding, as ``check`` exits 3."""
        if isinstance(exc, TimeoutError):
            raw = f"health checks took longer than {EVALUATION_TIMEOUT:g} s"
        else:
            raw = describe(exc)
        message = one_line(raw, 300)
        if message != self._last_error:
            self._app.journal.add("health check failed", False, raw)
            self._last_error = message
        info = snap.info if snap is not None else None
        report = Report(findings=[Finding(Severity.UNKNOWN, "unknown", None, message)],
                        host=info.hostname if info else "", backend=info.backend if info else "")
        return report, f"JAILS UNKNOWN - {message}"


def clock_text(at: float) -> str:
    """``14:03:27``: local wall-clock time, as the action log shows it."""
    return time.strftime("%H:%M:%S", time.localtime(at))


__all__ = ["EVALUATION_TIMEOUT", "Evaluator", "HealthMonitor", "HealthState", "finding_text", "marks",
           "VIEW_RANK", "clock_text", "health_column", "health_parts", "mark_cell",
           "ordered_findings"]
