"""``E``: what happened this session, newest first (core/events.py).

Jails created, removed, restarted (a new jid), dying; hosts unreachable and
back; every action the console ran, with its result. It follows every poll
while open. ``/`` filters: plain words, or ``jail:web``, ``host:db1``,
``kind:restarted`` (widgets/event_table.py). A delegate's timeline holds
their jail's events only (console/fleet.py gives it their scope).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Static

from jailtui.console.keys import bindings_for
from jailtui.core.text import visible
from jailtui.widgets.event_table import EventTable
from jailtui.widgets.filter_bar import FilterBar
from jailtui.widgets.fleet_state import FleetState
from jailtui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp


class EventsScreen(Screen[None]):
    """The timeline as a table; follows the polls while open."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("events"))

    def __init__(self, *, filter_text: str = "") -> None:
        super().__init__(id="events")
        self._initial_filter = filter_text
        self._last_seq = -1

    def compose(self) -> ComposeResult:
        yield Static(id="events-title")
        yield EventTable(id="events-table")
        yield FilterBar(id="events-filter")
        yield KeyFooter()

    @property
    def console(self) -> JailtuiApp:
        return cast("JailtuiApp", self.app)

    @property
    def table(self) -> EventTable:
        return self.query_one(EventTable)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    def on_mount(self) -> None:
        self.filter_bar.display = False
        table = self.table
        table.set_hosts(self.console.fleet.several)
        table.set_filter(self._initial_filter)
        self._fill()
        signal = self.console.fleet.signal
        if signal is not None:
            signal.subscribe(self, self._fleet_changed)
        table.focus()

    def _fleet_changed(self, _state: FleetState) -> None:
        self._fill()

    def _fill(self) -> None:
        timeline = self.console.fleet.timeline
        events = timeline.events()
        last = events[-1].seq if events else 0
        if last != self._last_seq:
            # Only when something happened: a poll that changed nothing
            # costs no rebuild (the timeline is bounded, the seq grows).
            self._last_seq = last
            self.table.set_rows(events)
        self._title()

    def _title(self) -> None:
        table = self.table
        parts: list[str | tuple[str, str]] = [
            ("Events", "bold"), f" {table.row_count}/{table.source_count}",
            ("  newest first", "$foreground-muted")]
        if table.filter_text:
            parts += [("  filter ", "$foreground-muted"),
                      (f"“{visible(table.filter_text, 64)}”", "bold $warning")]
        else:
            parts.append(("  / filter: jail:NAME host:NAME kind:KIND or words",
                          "$foreground-muted"))
        self.query_one("#events-title", Static).update(Content.assemble(*parts))

    # -- filter (as the main screen's) ----------------------------------------------------

    def action_filter(self) -> None:
        bar = self.filter_bar
        bar.display = True
        bar.placeholder = "filter events…  (jail:NAME host:NAME kind:KIND; a|b: either)"
        with bar.prevent(Input.Changed):
            bar.value = self.table.filter_text
        bar.cursor_position = len(bar.value)
        bar.return_to = self.table
        self.set_focus(bar)

    @on(Input.Changed, "#events-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._title()

    @on(FilterBar.Done)
    def _filter_done(self, event: FilterBar.Done) -> None:
        if event.cleared:
            self.table.set_filter("")
        self.filter_bar.display = False
        self.table.focus()
        self._title()

    def action_back(self) -> None:
        self.dismiss()
