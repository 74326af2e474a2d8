"""The jails pane: one row per jail, running, dying or configured-but-stopped.

Keyed by model.Jail.key: the name for a live or stopped jail (a jail gets a
new jid on every restart, and a stopped jail has none), the jid for a dying
one, which is its own greyed row beside the live or stopped row of the same
name. In the all-hosts view of a console of many hosts a HOST column comes
first and rows are keyed by (host, key): jail names repeat across hosts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import replace

from jailtui.core.checks.health import Severity
from jailtui.core.columns import default_order, ordered
from jailtui.core.model import Jail, JailState
from jailtui.core.owners import OWNER_TERM, column_letter, owner_term_matches, title
from jailtui.core.text import human_kib, visible
from jailtui.widgets.cells import compact_addresses, jid_text, percent, state_label
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.health_state import health_column
from jailtui.widgets.host_column import host_column
from jailtui.widgets.keyed_table import Cell, Column, KeyedTable, whole_last
from jailtui.widgets.pending import PendingActions

#: A row's key: the name; (host, name) in the all-hosts view.
JailKey = str | tuple[str, str]

_STATE_ORDER = {JailState.RUNNING: 0, JailState.DYING: 1, JailState.STOPPED: 2}


def _longest(values: Sequence[str]) -> int:
    return max((len(v) for v in values), default=0)


def _state(j: Jail) -> Cell:
    text, role = state_label(j.state)
    return ((text, role),)


def _has_processes(j: Jail) -> bool:
    """A running jail, or a dying one whose killed processes are still exiting.

    Once they are gone a dying jail shows "-" like a stopped one, not a
    misleading 0: the kernel only holds its resources (docs/freebsd.md 5.4).
    """
    return j.state is JailState.RUNNING or (j.state is JailState.DYING and j.processes > 0)


def _procs(j: Jail) -> Cell:
    return str(j.processes) if _has_processes(j) else "-"


def _cpu(j: Jail) -> Cell:
    return percent(j.cpu_percent) if _has_processes(j) else "-"


def _mem(j: Jail) -> Cell:
    return human_kib(j.rss_kib) if _has_processes(j) else "-"


def jail_columns(note: Callable[[Jail], str] | None = None) -> list[Column[Jail]]:
    """Every column of core/columns.py's JAIL_COLUMNS but the sparkline (which
    needs the history: :func:`trend_column`), in its default order; ``note``
    is the row's note (NOTE column)."""
    def note_text(j: Jail) -> str:
        return note(j) if note is not None else ""

    return [
        Column("state", "STATE", _state, lambda j: _STATE_ORDER[j.state], width=7),
        Column("jid", "JID", lambda j: jid_text(j.jid),
               lambda j: (j.jid is None, j.jid or 0), width=3, justify="right",
               measure=lambda rows: _longest([jid_text(j.jid) for j in rows])),
        Column("name", "NAME", lambda j: visible(j.name, 64), lambda j: j.name,
               width=4, measure=lambda rows: _longest([j.name for j in rows]), max_width=20),
        # One letter (B A i p e j ?); the full name is in the detail view and the help
        # (docs/managers.md 1.0).
        Column("owner", "OWN", lambda j: column_letter(j.owner),
               lambda j: (j.owner, j.name), width=3),
        # The user's note, literally (control characters visible): core/userstate.py.
        Column("note", "NOTE", lambda j: visible(note_text(j), NOTE_CHARS) or "-",
               lambda j: (note_text(j) == "", note_text(j)), width=4,
               measure=lambda rows: _longest([visible(note_text(j), NOTE_CHARS)
                                              for j in rows]), max_width=24),
        Column("hostname", "HOSTNAME", lambda j: visible(j.hostname, 128) or "-",
               lambda j: j.hostname, width=8,
               measure=lambda rows: _longest([j.hostname for j in rows]), max_width=24),
        Column("addr", "ADDRESS", compact_addresses, lambda j: (*j.ip4, *j.ip6),
               width=7, measure=lambda rows: _longest([compact_addresses(j) for j in rows]),
               max_width=26),
        Column("procs", "PROCS", _procs, lambda j: j.processes, width=4, justify="right",
               descending_first=True),
        Column("cpu", "CPU%", _cpu, lambda j: j.cpu_percent, width=5, justify="right",
               descending_first=True),
        Column("mem", "MEM", _mem, lambda j: j.rss_kib, width=6, justify="right",
               descending_first=True),
        Column("path", "PATH", lambda j: visible(j.path, 1024) or "-", lambda j: j.path,
               width=4, measure=lambda rows: _longest([j.path for j in rows]), last=True),
    ]


#: Characters of a note drawn in the NOTE column (the detail view shows all).
NOTE_CHARS = 64

#: Where PATH has to stop when a choice of columns puts it before others
#: (the last column is never cut: the pane scrolls instead).
PATH_WIDTH = 32

#: The one-cell columns the pane adds by itself (never chosen).
_MARKS = ("marked", "health", "notemark")

#: Points of the CPU sparkline in the jails pane (the newest buckets of the
#: history: 5 minutes with the default hour, core/history.py).
TREND_POINTS = 10


def trend_column(trend: Callable[[Jail], str], label: str) -> Column[Jail]:
    """The sparkline column: the row's CPU over the last few buckets."""
    return Column("trend", label, trend, lambda j: j.cpu_percent, width=TREND_POINTS,
                  descending_first=True)


def _dim(cell: Cell) -> Cell:
    if isinstance(cell, str):
        return ((cell, "dim"),)
    return tuple((text, "dim") for text, _ in cell)


def _greyed_when_dying(column: Column[Jail]) -> Column[Jail]:
    """``column`` drawing a dying row greyed: it is going away and offers no
    action but details (docs/freebsd.md 5.4). Its STATE still says "dying"."""
    inner = column.cell
    if getattr(inner, "greys_dying", False):
        return column

    def cell(row: Jail) -> Cell:
        out = inner(row)
        return _dim(out) if row.state is JailState.DYING else out

    cell.greys_dying = True  # type: ignore[attr-defined]
    return replace(column, cell=cell)


class JailTable(KeyedTable[JailKey, Jail]):
    """Jails with state, jid, addresses and their processes' CPU and memory."""

    def __init__(self, *, id: str | None = None) -> None:
        #: The all-hosts view: a HOST column, rows keyed by (host, name).
        self.show_hosts = False
        #: Hosts whose rows are from an older poll (marked in the HOST column).
        self.stale_hosts: frozenset[str] = frozenset()
        #: The app's actions in progress (widgets/pending.py), found on mount.
        self._pending: PendingActions | None = None
        #: The CPU sparkline of a row and its header (None: no column), shown
        #: only while the columns up to MEM and it fit the pane.
        self._trend: tuple[Callable[[Jail], str], str] | None = None
        #: Rows marked for a bulk action (space, as htop's tag and k9s's mark).
        self._marked: set[JailKey] = set()
        #: The columns chosen (core/columns.py), None: the defaults.
        self._choice: tuple[str, ...] | None = None
        #: Each row's note (core/userstate.py) and whether there is any.
        self._notes: Callable[[Jail], str] | None = None
        self._any_notes = False
        shown = default_order("jails")
        super().__init__(self._with_pending([c for c in jail_columns() if c.key in shown]),
                         sort="name", id=id)

    def set_hosts(self, on: bool) -> None:
        """Show the HOST column (sorted by host) or go back to one host's columns."""
        if on == self.show_hosts:
            return
        self.show_hosts = on
        if on:
            self._sort, self._reverse = "host", False
        elif self._sort == "host":
            self._sort, self._reverse = "name", False
        self._layout()

    # -- the user's choice of columns (core/columns.py; C, screens/columns.py) -----------

    @property
    def choice(self) -> tuple[str, ...] | None:
        """The columns chosen, in order (None: the defaults)."""
        return self._choice

    def set_choice(self, choice: Sequence[str] | None) -> None:
        """Show these columns in this order (None: the defaults); HOST, the
        marks and the sparkline's "only where it fits" stay the pane's own."""
        new = tuple(choice) if choice is not None else None
        if new != self._choice:
            self._choice = new
            self._layout()

    def set_notes(self, note: Callable[[Jail], str] | None, *, any_notes: bool) -> None:
        """Each row's note (core/userstate.py), and whether any jail here has
        one: a one-cell mark after NAME then, unless NOTE itself is shown."""
        self._notes = note
        self._any_notes = any_notes
        # A note is not part of the row: cached lines would show the old one.
        self.invalidate_lines()
        self._layout()

    def note_of(self, row: Jail) -> str:
        return self._notes(row) if self._notes is not None else ""

    def _note_mark(self, row: Jail) -> Cell:
        return ((glyphs().note, "accent"),) if self.note_of(row) else ""

    def _layout(self) -> None:
        """The columns as chosen, with the pane's own: HOST first (all hosts),
        the selection's mark while rows are marked, the health marks while there
        are some, the note mark while a jail has a note, the sparkline while it
        fits. The last column is never cut (the pane scrolls sideways)."""
        base = jail_columns(self.note_of)
        if self.show_hosts:
            base.insert(0, host_column(lambda j: j.name, lambda: self.stale_hosts))
        if self._trend is not None:
            at = next((i for i, c in enumerate(base) if c.key == "path"), len(base))
            base.insert(at, trend_column(*self._trend))
        by_key = {c.key: c for c in base}
        choice = self._choice if self._choice is not None else default_order("jails")
        cols = [by_key[k] for k in ordered([c.key for c in base], choice)]
        if any(c.key == "trend" for c in cols) and not self._room_for_trend(cols):
            cols = [c for c in cols if c.key != "trend"]
        cols = whole_last(cols, PATH_WIDTH)
        if self._any_notes and not any(c.key == "note" for c in cols):
            at = next((i + 1 for i, c in enumerate(cols) if c.key == "name"), 0)
            cols.insert(at, Column("notemark", "", self._note_mark,
                                   lambda j: self.note_of(j) == "", width=1))
        if self._health is not None:
            at = 1 if cols and cols[0].key == "host" else 0
            cols.insert(at, health_column(self.health_of))
        if self._marked:
            cols.insert(0, Column("marked", "", self._mark_cell,
                                  lambda j: self.row_key(j) not in self._marked, width=1))
        super().set_columns(self._with_pending(cols))

    def set_stale_hosts(self, hosts: frozenset[str]) -> None:
        if hosts != self.stale_hosts:
            self.stale_hosts = hosts
            self._rebuild()

    # -- health marks (widgets/health_state.py) ------------------------------------

    #: Worst severity per jail name from the latest health evaluation (OK
    #: left out); None: no health checks on this console, and no column.
    _health: dict[str, Severity] | None = None
    #: The fleet host the marks belong to (None: one host).
    _health_host: str | None = None

    def set_health(self, marks: Mapping[str, Severity] | None, host: str | None = None) -> None:
        """Marks from the latest evaluation: a 1-cell column before the rest."""
        new = dict(marks) if marks is not None else None
        if new == self._health and host == self._health_host:
            return
        had_column = self._health is not None
        self._health, self._health_host = new, host
        # The line cache is keyed by the row, not by its mark: drop it.
        self.invalidate_lines()
        if (new is not None) != had_column:
            self._layout()
        else:
            self._rebuild()

    def health_of(self, row: Jail) -> Severity | None:
        """The row's mark; none on another fleet host's rows."""
        if self._health is None:
            return None
        if self._health_host is not None and row.host_name is not None \
                and row.host_name != self._health_host:
            return None
        if row.state is JailState.DYING and (row.host_name, row.name) in self._named_rows:
            # Marks are per name: they belong to the live or configured row of
            # that name ("down", "daemon-missing"), not to its dying predecessor.
            return None
        return self._health.get(row.name)

    # -- the selection (space; bulk actions: console/flows.py) ------------------------

    def _mark_cell(self, row: Jail) -> Cell:
        return (("*", "accent"),) if self.row_key(row) in self._marked else ""

    def toggle_mark(self) -> bool:
        """Mark or unmark the cursor's row, then go to the next row (htop's space)."""
        key = self.cursor_key
        if key is None:
            return False
        had = bool(self._marked)
        self._marked ^= {key}
        if had != bool(self._marked):
            self._layout()
        else:
            self._rebuild()
        self.action_cursor(1)
        return key in self._marked

    def clear_marks(self) -> None:
        if self._marked:
            self._marked.clear()
            self._layout()

    def marked_rows(self) -> list[Jail]:
        """The marked rows still shown, in the table's order (a jail gone is left out)."""
        return [r for r in self.rows if self.row_key(r) in self._marked]

    # -- the CPU sparkline (core/history.py) ---------------------------------------

    def set_trend(self, trend: Callable[[Jail], str] | None, label: str = "") -> None:
        """Draw each row's sparkline with ``trend`` (None: no such column)."""
        self._trend = (trend, label) if trend is not None else None
        self._layout()

    def _room_for_trend(self, columns: Sequence[Column[Jail]]) -> bool:
        """The other columns but the last, the sparkline and a few cells of the
        last fit: narrower (80 columns), the sparkline would push MEM off the pane."""
        width = self.size.width
        if not width:
            return False
        measured = {c.key: w for c, w in zip(self._columns, self._widths, strict=False)}
        others = [c for c in columns if c.key not in ("trend", *_MARKS)]
        # The marks the pane adds (health, selection, note) take their cells too.
        marks = [c for c in self._columns if c.key in _MARKS]
        shown = [measured.get(c.key, max(c.width, len(c.label))) for c in others[:-1]]
        shown += [measured.get(c.key, c.width) for c in marks]
        return sum(shown) + len(shown) + TREND_POINTS + 1 + 4 <= width

    def _fit_trend(self) -> None:
        """Add or drop the sparkline when the pane's width or the rows changed
        whether it fits (only where it is wanted: chosen, with a history)."""
        if self._trend is None or (self._choice is not None and "trend" not in self._choice):
            return
        has = any(c.key == "trend" for c in self.columns)
        candidate = [c for c in self.columns if c.key != "trend"]
        candidate.append(trend_column(*self._trend))
        if has != self._room_for_trend(candidate):
            self._layout()

    def on_resize(self) -> None:
        super().on_resize()
        self._fit_trend()

    # -- actions in progress (widgets/pending.py) -----------------------------------

    def on_mount(self) -> None:
        pending = getattr(self.app, "pending", None)
        if isinstance(pending, PendingActions):
            self._pending = pending
            pending.signal.subscribe(self, self._pending_changed, immediate=True)

    def _with_pending(self, columns: Sequence[Column[Jail]]) -> list[Column[Jail]]:
        """The STATE column reads the action in progress; as wide as "restarting…"
        only while one is shown. Every cell of a dying row is greyed."""
        return [_greyed_when_dying(
                    replace(c, cell=self._state_cell,
                            measure=lambda rows: _longest([self._state_text(j) for j in rows]))
                    if c.key == "state" else c) for c in columns]

    def _state_text(self, row: Jail) -> str:
        label = self._pending.label(row) if self._pending is not None else None
        return label or state_label(row.state)[0]

    def _state_cell(self, row: Jail) -> Cell:
        label = self._pending.label(row) if self._pending is not None else None
        return ((label, "warn"),) if label else _state(row)

    def _pending_changed(self, _: None) -> None:
        # Cached lines are keyed by the row, not by its action: drop them;
        # rebuilding keeps the cursor on its key and re-measures STATE.
        self.invalidate_lines()
        self._rebuild()

    #: (host, name) of the live or configured rows: a dying row of such a name
    #: is a predecessor and does not show the name's health mark.
    _named_rows: frozenset[tuple[str | None, str]] = frozenset()

    def set_rows(self, rows: Sequence[Jail]) -> None:
        """New rows (a poll): they may confirm an action's outcome first."""
        if self._pending is not None and len(self._pending):
            self._pending.rows_arrived(rows)
        self._named_rows = frozenset((j.host_name, j.name) for j in rows
                                     if j.state is not JailState.DYING)
        super().set_rows(rows)
        self._fit_trend()

    def row_key(self, row: Jail) -> JailKey:
        return (row.host_name or "", row.key) if self.show_hosts else row.key

    def row_decoration(self, row: Jail) -> Hashable:
        # Part of the line cache key, besides the row: the HOST cell changes when
        # the host goes stale, the mark with space, the sparkline when a sample
        # lands in a new bucket (only those lines are drawn again).
        trend = self._trend[0](row) if self._trend is not None and any(
            c.key == "trend" for c in self._columns) else None
        return (self.show_hosts and row.host_name in self.stale_hosts,
                self.row_key(row) in self._marked, trend, self.note_of(row))

    def row_matches(self, row: Jail, needle: str) -> bool:
        if needle.startswith(OWNER_TERM):
            # Only the owner (docs/managers.md 1.0 letters): `/owner:i|owner:b`.
            return owner_term_matches(row.owner, needle)
        if self.show_hosts and row.host_name is not None and needle in row.host_name.lower():
            return True
        if needle in row.name.lower() or needle in row.hostname.lower() \
                or needle in row.path.lower() or needle in self._state_text(row).lower():
            return True
        if row.owner and (needle == row.owner or needle in title(row.owner).lower()
                          or needle in row.owner_name.lower()):
            return True
        if row.jid is not None and needle == str(row.jid):
            return True
        if needle in self.note_of(row).lower():
            return True
        return any(needle in a.lower() for a in (*row.ip4, *row.ip6))

    def placeholder(self) -> str:
        if self._loaded and not self._filter and not self.source_count:
            return "no jails on this host (none running, none in jail.conf)"
        return super().placeholder()
