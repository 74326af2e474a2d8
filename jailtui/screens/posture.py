"""``S``: one jail's security posture; ``F``: the fleet table, one row per jail of every host.

Both collect through core/posture/collect.py (the code ``jailtui posture``
runs), in a screen worker when the screen opens and on ``r``: never per
poll tick (a ``pkg audit`` runs inside every jail). The baseline is the
configuration's ``[posture]`` (core/posture/baseline.py).

``S`` lists every item with its verdict; the selected item's value, what it
means and why it deviates are shown in full below the table. ``F`` has the
columns of ``jailtui posture`` (cli/views.py POSTURE_HEADERS), sorts with
``s``/``<``/``I`` like the main panes, filters with ``/`` and opens a row's
``S`` with Enter.

Values come from the jails (file contents, command output): every cell goes
through ``visible()`` into ``Text``/``Content``, never markup (docs/security.md 4, 8).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.widgets import Static

from jailtui.cli.views import MARKS
from jailtui.console.keys import bindings_for
from jailtui.core.actions.control import ActionResult
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.model import Jail
from jailtui.core.owners import column_letter
from jailtui.core.posture.model import FlagChange, Item, JailPosture, Verdict
from jailtui.core.text import visible
from jailtui.screens.confirm import ConfirmScreen
from jailtui.screens.guard import GuardedScreen
from jailtui.widgets.filter_bar import FilterBar
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.keyed_table import Cell, Column, KeyedTable
from jailtui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from jailtui.app import JailtuiApp as Console

__all__ = ["FleetPostureScreen", "ItemTable", "PostureScreen", "PostureTable",
           "NO_POSTURE", "Unavailable", "collect_for", "summary"]

_VERDICT = {Verdict.OK: ("ok", "good"), Verdict.DEVIATES: ("DEVIATES", "bad"),
            Verdict.UNKNOWN: ("UNKNOWN", "warn"), Verdict.INFO: ("-", "dim")}
_RANK = {Verdict.DEVIATES: 0, Verdict.UNKNOWN: 1, Verdict.OK: 2, Verdict.INFO: 3}
_MARK_ROLE = {"ok": "good", "deviates": "bad", "unknown": "warn"}


def _verdict(i: Item) -> Cell:
    text, role = _VERDICT[i.verdict]
    return ((text, role),)


def _value(i: Item) -> Cell:
    """The value, then why it deviates or is unknown: the reasons of every row
    readable at once on a wide terminal (at 80 columns the row is cut, and the
    panel below shows the selected item in full)."""
    value = visible(i.value, 512)
    if not i.reason or i.verdict not in (Verdict.DEVIATES, Verdict.UNKNOWN):
        return value
    return ((value, None), ("  " + visible(i.reason, 512), "warn"))


#: The theme colour of each cell role outside a table (the detail's summary).
_ROLE_STYLE = {"good": "$text-success", "bad": "$text-error", "warn": "$text-warning",
               "dim": "$foreground-muted"}
#: Items the detail's summary lists before "and N more".
SUMMARY_ITEMS = 6


def summary(jp: JailPosture, width: int, limit: int = SUMMARY_ITEMS) -> Content:
    """The detail view's posture section: the mark, then the S screen's rows that
    need attention (deviations first, then unknowns), one line each, cut to
    ``width`` so it stays compact at 80x24; S lists every item in full."""
    width = max(width, 20)
    bad, unknown = jp.deviations(), jp.unknowns()
    mark = str(jp.mark)
    ok = sum(1 for i in jp.items if i.verdict is Verdict.OK)
    head = Content.assemble(
        (MARKS[mark], "bold " + _ROLE_STYLE[_MARK_ROLE[mark]]),
        (f"  {len(jp.items)} items: {ok} ok, {len(bad)} deviate, {len(unknown)} unknown",
         "$foreground-muted"))
    lines = [head]
    shown = [*bad, *unknown]
    title_w = min(28, max((len(i.title) for i in shown[:limit]), default=4))
    for item in shown[:limit]:
        text, role = _VERDICT[item.verdict]
        detail = item.value if item.verdict is Verdict.DEVIATES else item.reason
        if item.verdict is Verdict.DEVIATES and item.reason:
            detail += f": {item.reason}"
        line = Content.assemble((f"{text:<9}", _ROLE_STYLE[role]),
                                f"{visible(item.title, 64):<{title_w}}  ",
                                visible(detail, 512))
        lines.append(line.truncate(width, ellipsis=True))
    if len(shown) > limit:
        lines.append(Content.styled(f"… and {len(shown) - limit} more: S lists every item",
                                    "$foreground-muted"))
    elif not shown:
        lines.append(Content.styled("every item meets the baseline: S lists them",
                                    "$foreground-muted"))
    return Content("\n").join(lines)


async def collect_for(console: Console, host_name: str | None,
                      jails: Sequence[Jail]) -> list[JailPosture]:
    """The posture of ``jails`` on ``host_name`` (None: the focus host), collected by
    that host against the configuration's baseline: the one path of S, F and the
    detail view."""
    host = console.fleet.host(host_name) if host_name is not None else console.host
    return await host.posture(jails, console.settings.posture, host_name=host_name)


class ItemTable(KeyedTable[tuple[str, str], Item]):
    """The items of one jail, in the order collected (group by group)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__([
            Column("verdict", "VERDICT", _verdict, lambda i: _RANK[i.verdict], width=8),
            Column("item", "ITEM", lambda i: visible(i.title, 64), lambda i: i.title, width=4,
                   measure=lambda rows: max((len(visible(i.title, 64)) for i in rows), default=4),
                   max_width=30),
            Column("value", "VALUE", _value, lambda i: i.value,
                   width=5, last=True),
        ], sort="order", id=id, classes=classes)
        self.empty_text = "collecting…"

    def row_key(self, row: Item) -> tuple[str, str]:
        return (row.group, row.title)

    def row_matches(self, row: Item, needle: str) -> bool:
        return needle in f"{row.title} {row.value} {row.verdict}".lower()

    def order_rows(self, rows: list[Item], column: Column[Item],
                   reverse: bool) -> list[Item]:
        if self._sort == "order":  # as collected, group by group
            return list(reversed(rows)) if reverse else list(rows)
        return super().order_rows(rows, column, reverse)

    def placeholder(self) -> str:
        if not self.source_count:
            return self.empty_text
        return super().placeholder()


def _count(n: int | None) -> Cell:
    return (("?", "dim"),) if n is None else str(n)


def _mark(jp: JailPosture) -> Cell:
    mark = str(jp.mark)
    return ((MARKS[mark], _MARK_ROLE[mark]),)


class PostureTable(KeyedTable[tuple[str | None, str], JailPosture]):
    """One row per jail of every host: the columns of ``jailtui posture``."""

    def __init__(self, *, hosts: bool, id: str | None = None,
                 classes: str | None = None) -> None:
        cols: list[Column[JailPosture]] = []
        if hosts:
            cols.append(Column("host", "HOST", lambda p: visible(p.host or "", 32),
                               lambda p: p.host or "", width=4, max_width=16))
        cols += [
            Column("name", "NAME", lambda p: visible(p.name, 64), lambda p: p.name, width=4,
                   measure=lambda rows: max((len(p.name) for p in rows), default=4),
                   max_width=24),
            Column("own", "OWN", lambda p: column_letter(p.owner), lambda p: p.owner, width=3),
            Column("userland", "USERLAND", lambda p: visible(p.userland or "?", 32),
                   lambda p: p.userland or "", width=15),
            Column("kernel", "KERNEL", lambda p: p.versus_kernel or "?",
                   lambda p: p.versus_kernel, width=6),
            Column("base", "BASE", lambda p: _count(p.base_vulnerable),
                   lambda p: -1 if p.base_vulnerable is None else p.base_vulnerable, width=4),
            Column("pkgs", "PKGS", lambda p: _count(p.package_vulnerable),
                   lambda p: -1 if p.package_vulnerable is None else p.package_vulnerable,
                   width=4),
            Column("seclvl", "SECLVL", lambda p: "?" if p.securelevel is None
                   else str(p.securelevel), lambda p: -2 if p.securelevel is None
                   else p.securelevel, width=6),
            Column("noflags", "NOFLAGS", lambda p: _count(p.missing_flags),
                   lambda p: -1 if p.missing_flags is None else p.missing_flags, width=7),
            Column("mark", "MARK", _mark, lambda p: _RANK[p.mark], width=8),
            Column("loosened", "LOOSENED", lambda p: visible(", ".join(p.loosened) or "-", 256),
                   lambda p: len(p.loosened), width=8, last=True),
        ]
        super().__init__(cols, sort="mark", id=id, classes=classes)
        self.empty_text = "collecting…"

    def row_key(self, row: JailPosture) -> tuple[str | None, str]:
        return (row.host, row.name)

    def row_matches(self, row: JailPosture, needle: str) -> bool:
        hay = " ".join([row.host or "", row.name, row.owner, row.userland or "",
                        MARKS[str(row.mark)], *row.loosened]).lower()
        return needle in hay

    def placeholder(self) -> str:
        if self._loaded and not self._filter and not self.source_count:
            return self.empty_text
        return super().placeholder()


class Unavailable(Exception):  # noqa: N818 -- an outcome, shown as the table's text
    """The host has nothing to run commands on (fixed data)."""


#: What a host of fixed data says when asked for a posture (ConsoleHost.posture).
NO_POSTURE = "the posture needs a jail host (a local, ssh or simulated backend); not available here"


class _PostureBase(GuardedScreen):
    DEFAULT_CSS = """
    _PostureBase .posture-title {
        height: auto;
        padding: 0 1;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    _PostureBase .posture-table {
        height: 1fr;
    }
    _PostureBase .posture-text {
        height: auto;
        max-height: 7;
        padding: 0 1;
        border-top: solid $panel-lighten-2;
    }
    _PostureBase FilterBar {
        display: none;
    }
    _PostureBase FilterBar.shown {
        display: block;
    }
    """

    def selected_jail(self) -> Jail | None:
        return None

    def action_back(self) -> None:
        self.dismiss()

    async def collect(self, host_name: str | None, jails: Sequence[Jail]) -> list[JailPosture]:
        """The posture of ``jails`` on ``host_name`` (None: the focus host), from the host."""
        return await collect_for(self.console, host_name, jails)


class PostureScreen(_PostureBase):
    """The posture of one jail (``S`` on the jails pane or in the detail)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("posture"))

    def __init__(self, jail: Jail, host: str | None = None) -> None:
        super().__init__(id="posture")
        self.jail = jail
        self.host_name = host
        self.result: JailPosture | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static("", id="posture-title", classes="posture-title", markup=False)
        yield ItemTable(id="items", classes="posture-table")
        yield Static("", id="item-text", classes="posture-text", markup=False)
        yield KeyFooter()

    @property
    def items(self) -> ItemTable:
        return self.query_one("#items", ItemTable)

    def on_mount(self) -> None:
        self.items.focus()
        self._title("collecting… (pkg audit runs inside the jail)")
        self.load()

    def _title(self, state: str, role: str = "$foreground-muted") -> None:
        where = f" on {visible(self.host_name, 32)}" if self.host_name else ""
        self.query_one("#posture-title", Static).update(Content.assemble(
            ("Posture", "bold"), f" of jail {visible(self.jail.name, 64)}{where}  ",
            (state, role)))

    @work(exclusive=True, group="posture")
    async def load(self) -> None:
        table = self.items
        try:
            got = await self.collect(self.host_name, [self.jail])
        except Unavailable as exc:
            table.empty_text = str(exc)
            table.set_rows([])
            self._title("not available")
            return
        except Exception as exc:  # noqa: BLE001 - shown, never a crash of the console
            table.empty_text = f"posture not collected: {describe(exc)}"
            table.set_rows([])
            self._title("failed", "bold $error")
            return
        if not got:
            table.empty_text = "a dying jail has no posture"
            table.set_rows([])
            self._title("-")
            return
        self.result = got[0]
        table.set_rows(list(self.result.items))
        table.border_title = Content.assemble(("Items", "bold"), f" {table.row_count}")
        mark = str(self.result.mark)
        self._title(MARKS[mark], {"ok": "bold $success", "deviates": "bold $error",
                                  "unknown": "bold $warning"}[mark])
        self._show_selected()

    @on(KeyedTable.CursorMoved, "#items")
    def _moved(self) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        item = self.items.cursor_row
        box = self.query_one("#item-text", Static)
        box.display = item is not None
        if item is None:
            return
        parts: list[str | tuple[str, str]] = [(visible(item.title, 64) + ": ", "bold"),
                                              visible(item.value, 2000)]
        if item.reason:
            parts += ["\n", (visible(item.reason, 500), "$text-warning")]
        if item.meaning:
            parts += ["\n", (visible(item.meaning, 2000), "$foreground-muted")]
        box.update(Content.assemble(*parts))

    def action_reload(self) -> None:
        self._title("collecting…")
        self.load()

    def selected_jail(self) -> Jail | None:
        return self.jail

    def action_posture_flags(self) -> None:
        """``f``: set the baseline's flags, after showing exactly which files change."""
        if self.refuse_if_guarded("posture_flags"):
            return
        posture = self.result
        if posture is None:
            self.app.notify("The posture is still being collected.", markup=False, timeout=3)
            return
        changes = posture.flag_changes
        if not changes:
            why = ("the flags could not be read" if posture.missing_flags is None
                   else "every file already carries the baseline's flags")
            self.app.notify(f"Nothing to set: {why}.", markup=False, timeout=4)
            return
        from jailtui.core.posture.apply import describe as describe_changes

        lines = describe_changes(changes)
        shown = lines[:12] + ([f"… and {len(lines) - 12} more"] if len(lines) > 12 else [])
        question = Content.assemble(
            ("Set file flags on ", "bold"), (visible(self.jail.name, 64), "bold $accent"),
            (f" ({len(changes)} files, chflags -h from the host)?\n", "bold"),
            ("\n".join(visible(ln, 200) for ln in shown), "$foreground-muted"))

        def answered(yes: bool | None) -> None:
            if yes:
                self._apply(changes)

        self.app.push_screen(ConfirmScreen(question, yes="Set flags"), answered)

    def _apply(self, changes: Sequence[FlagChange]) -> None:
        console = self.console
        controller = console.controller_for(self.host_name)
        if controller is None:
            console.refuse("posture_flags", "setting flags is not available in this session")
            return
        name, jail = self.jail.name, self.jail
        title = f"set flags on {name}" if self.host_name is None \
            else f"set flags on {self.host_name}:{name}"

        async def run() -> None:
            try:
                result = await controller.apply_flags(name, changes, jail)
            except JailtuiError as exc:
                result = ActionResult(False, describe(exc))
            console.report(title, result)
            if self.is_attached:
                self.action_reload()

        # An app worker: leaving the screen must not cancel chflags half-way.
        self.app.run_worker(job(run), group="action-flags", exit_on_error=False)


class FleetPostureScreen(_PostureBase):
    """``F``: one row per jail of every host, sortable and filterable."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("fleet_posture"))

    def __init__(self) -> None:
        super().__init__(id="fleet-posture")
        self._when = ""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static("", id="fleet-title", classes="posture-title", markup=False)
        yield PostureTable(hosts=self.console.fleet.several, id="fleet-table",
                           classes="posture-table")
        yield FilterBar(id="fleet-filter")
        yield Static("", id="fleet-text", classes="posture-text", markup=False)
        yield KeyFooter()

    @property
    def table(self) -> PostureTable:
        return self.query_one("#fleet-table", PostureTable)

    def on_mount(self) -> None:
        self.table.focus()
        self._title("collecting… (pkg audit runs inside every jail)")
        self.load()

    def _title(self, state: str, role: str = "$foreground-muted") -> None:
        fleet = self.console.fleet
        n = len(fleet.names())
        what = f"{n} hosts" if fleet.several else "this host"
        self.query_one("#fleet-title", Static).update(Content.assemble(
            ("Fleet posture", "bold"), f" of {what}  ", (state, role)))

    def _targets(self) -> list[tuple[str | None, Sequence[Jail]]]:
        fleet = self.console.fleet
        names: list[str | None] = list(fleet.names()) if fleet.several else [None]
        out: list[tuple[str | None, Sequence[Jail]]] = []
        for name in names:
            snap = self.console.snapshot_for(name)
            out.append((name, snap.jails if snap is not None else ()))
        return out

    @work(exclusive=True, group="fleet-posture")
    async def load(self) -> None:
        problems: list[str] = []

        async def one(name: str | None, jails: Sequence[Jail]) -> list[JailPosture]:
            if not jails:
                problems.append(f"{name or 'this host'}: no poll yet")
                return []
            try:
                return await self.collect(name, jails)
            except Unavailable as exc:
                problems.append(str(exc))
                return []
            except Exception as exc:  # noqa: BLE001 - one host's failure is a line
                problems.append(f"{name or 'this host'}: {describe(exc)}")
                return []

        got = await asyncio.gather(*(one(n, j) for n, j in self._targets()))
        rows = [jp for part in got for jp in part]
        table = self.table
        table.empty_text = "; ".join(problems) or "no jails"
        table.set_rows(rows)
        table.border_title = Content.assemble(("Jails", "bold"), f" {table.row_count}")
        bad = sum(1 for r in rows if r.mark is Verdict.DEVIATES)
        unknown = sum(1 for r in rows if r.mark is Verdict.UNKNOWN)
        summary = f"{len(rows)} jails: {bad} deviate, {unknown} unknown"
        if problems:
            summary += " — " + "; ".join(problems)
        self._title(visible(summary, 300), "bold $error" if bad else "bold $success")
        self._show_selected()

    @on(KeyedTable.CursorMoved, "#fleet-table")
    def _moved(self) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        jp = self.table.cursor_row
        box = self.query_one("#fleet-text", Static)
        box.display = jp is not None
        if jp is None:
            return
        bad = [f"{i.title} {i.value}" for i in jp.deviations()]
        unk = [f"{i.title}: {i.reason}" for i in jp.unknowns()]
        parts: list[str | tuple[str, str]] = [(visible(jp.name, 64) + ": ", "bold"),
                                              MARKS[str(jp.mark)]]
        if bad:
            parts += ["\n", ("deviates: ", "$text-error"), visible("; ".join(bad), 1500)]
        if unk:
            parts += ["\n", ("unknown: ", "$text-warning"), visible("; ".join(unk), 1500)]
        box.update(Content.assemble(*parts))

    def action_reload(self) -> None:
        self._title("collecting…")
        self.load()

    def action_sort(self, step: int) -> None:
        self.table.cycle_sort(step)

    def action_sort_reverse(self) -> None:
        self.table.reverse_sort()

    def action_filter(self) -> None:
        bar = self.query_one("#fleet-filter", FilterBar)
        bar.add_class("shown")
        bar.focus()

    @on(FilterBar.Changed, "#fleet-filter")
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        table = self.table
        table.set_filter(event.value)
        shown = f" {table.row_count}" + (f" of {table.source_count}" if event.value else "")
        table.border_title = Content.assemble(("Jails", "bold"), shown)

    @on(FilterBar.Done, "#fleet-filter")
    def _filter_done(self, event: FilterBar.Done) -> None:
        if event.cleared:
            self.table.set_filter("")
            event.bar.remove_class("shown")
        self.table.focus()

    def action_open(self) -> None:
        jp = self.table.cursor_row
        if jp is None:
            return
        snap = self.console.snapshot_for(jp.host)
        jail = snap.jail(jp.name) if snap is not None else None
        if jail is None:
            self.app.notify(f"{visible(jp.name, 64)} is no longer on this host.",
                            severity="warning", markup=False)
            return
        self.app.push_screen(PostureScreen(jail, jp.host))
