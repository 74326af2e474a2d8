"""``H``: the health view, the same findings and severities as ``jailtui check``.

Worst first (CRITICAL, WARNING, UNKNOWN), under the summary line ``check``
prints and when that evaluation ran. The screen evaluates nothing itself:
it renders the app's :class:`HealthState` (published on
``JailtuiApp.health.signal``); ``r`` asks the monitor for a fresh poll and
a new evaluation (widgets/health_state.py says when else one runs).

Enter leads to the finding's jail: back to the main screen with the
cursor on its row (not its detail screen). From there every jail action
and the detail are one key away, the row shows the health mark next to
the live state, and the screen stack stays main -> one screen deep; going
to the detail would leave health -> detail -> ... stacks behind Escape.

Finding messages name jails (raw host strings): they go through
``visible()`` and into ``Content``/``Text``, never markup
(docs/security.md 4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.text import visible
from jailtui.screens.main import MainScreen
from jailtui.widgets.cells import age_text, interval_text
from jailtui.widgets.health_state import HealthState, clock_text, finding_text, ordered_findings
from jailtui.widgets.health_table import FindingTable
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.keyed_table import KeyedTable
from jailtui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp

Part = str | tuple[str, str]


class HealthScreen(Screen[None]):
    """The latest health report as a list; Enter goes to a finding's jail."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("health"))

    DEFAULT_CSS = """
    HealthScreen #health-title {
        height: auto;
        padding: 0 1;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    HealthScreen #findings {
        height: 1fr;
    }
    HealthScreen #finding-text {
        height: auto;
        max-height: 6;
        padding: 0 1;
        border-top: solid $panel-lighten-2;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="health")
        self._state: HealthState | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static("", id="health-title", markup=False)
        yield FindingTable(id="findings")
        # The selected finding in full, wrapped: a long one is cut in its row
        # at 80 columns (issue 13 item 36).
        yield Static("", id="finding-text", markup=False)
        yield KeyFooter()

    @property
    def console(self) -> JailtuiApp:
        return cast("JailtuiApp", self.app)

    @property
    def findings(self) -> FindingTable:
        return self.query_one("#findings", FindingTable)

    def on_mount(self) -> None:
        self.findings.focus()
        monitor = self.console.health
        monitor.signal.subscribe(self, self.apply, immediate=True)
        self.apply(monitor.state)
        # The age ("4s ago") moves on its own.
        self.set_interval(1.0, self._draw_title, name="health-age")

    def apply(self, state: HealthState) -> None:
        """Show a new health state; the rows change only with a new report."""
        old = self._state
        self._state = state
        table = self.findings
        if not state.available:
            table.empty_text = ("health checks need a jail host (a local, ssh or simulated "
                                "backend); not available here")
        elif state.report is None:
            table.empty_text = "checking…" if state.running else "not checked yet (r checks now)"
        else:
            table.empty_text = "no findings: every jail is healthy"
        if old is None or old.report is not state.report or not table.source_count:
            report = state.report
            table.set_rows(ordered_findings(report.findings) if report is not None else [])
            table.border_title = Content.assemble(("Findings", "bold"), f" {table.row_count}")
        table.refresh()
        self._draw_title()
        self._show_selected()

    @on(KeyedTable.CursorMoved, "#findings")
    def _moved(self) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        finding = self.findings.cursor_row
        box = self.query_one("#finding-text", Static)
        box.display = finding is not None
        if finding is not None:
            where = visible(finding.jail, 64) if finding.jail is not None else "host"
            box.update(Content.assemble((f"{where}: ", "bold"), visible(finding_text(finding), 2000)))

    def _draw_title(self) -> None:
        state = self._state
        if state is None:
            return
        title: list[Part] = [("Health", "bold"), "  "]
        if state.summary:
            # The Nagios performance data after " | " is for monitoring
            # systems (`jailtui check`), not for a person (issue 13 item 36).
            head, _sep, _perf = state.summary.partition(" | ")
            title.append((visible(head, 300), _summary_style(state)))
        elif not state.available:
            title.append(("not available for this host", "$foreground-muted"))
        line2: list[Part] = []
        if state.evaluated_at is not None:
            age = age_text(self.console.now() - state.evaluated_at)
            line2 += [("evaluated ", "$foreground-muted"), clock_text(state.evaluated_at),
                      (f" ({age} ago)", "$foreground-muted")]
        interval = self.console.health.interval
        if state.available:
            if line2:
                line2.append("  ")
            line2 += [("every ", "$foreground-muted"),
                      interval_text(interval) if interval > 0 else "— (only on r)"]
        if state.running:
            line2 += ["  ", ("checking…", "bold $accent")]
        if state.scope is not None:
            line2 += [("  covers only ", "$foreground-muted"),
                      (visible(", ".join(sorted(state.scope)), 128), "$text-accent")]
        parts = title + (["\n", *line2] if line2 else [])
        self.query_one("#health-title", Static).update(Content.assemble(*parts))

    # -- actions -----------------------------------------------------------------------

    def action_check_again(self) -> None:
        self.console.health.request()

    def action_back(self) -> None:
        self.dismiss()

    async def action_goto_jail(self) -> None:
        """Back to the main screen, the cursor on the finding's jail."""
        finding = self.findings.cursor_row
        if finding is None:
            return
        if finding.jail is None:
            self.app.notify("This finding is about the host, not one jail.", markup=False,
                            timeout=4)
            return
        app = self.app
        main = next((s for s in app.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return
        name = finding.jail
        while app.screen is not main:
            await app.pop_screen()
        table = main.jails
        table.focus()
        if not table.move_to_key(name):
            # Hidden by the jails filter: clear it rather than land elsewhere.
            main.action_clear_filter()
            if not table.move_to_key(name):
                app.notify(f"{visible(name, 64)} is no longer on this host.",
                           severity="warning", markup=False)


def _summary_style(state: HealthState) -> str:
    report = state.report
    name = report.severity.name if report is not None else "OK"
    return {"CRITICAL": "bold $error", "WARNING": "bold $warning",
            "UNKNOWN": "bold $foreground-muted"}.get(name, "bold $success")


__all__ = ["HealthScreen"]
