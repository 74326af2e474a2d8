"""The main console: status line, jails pane, processes pane, footer.

The screen owns no data: it renders the app's latest :class:`PollState`
(published on ``poll_signal`` after every poll) into two keyed tables, so a
tick touches only the lines on screen and every cursor stays on its row.
Jail and process actions go to the app, which goes to the controller.

On a console of many hosts the screen shows the view the user picked
(``h``): one host, rendered exactly like the single-host console from that
host's PollState, or all hosts, rendered from the merged rows of
``FleetState`` with a HOST column and rows keyed by host (jailtui/console/fleet.py).
A row knows its host (model.Jail.host_name), so the app sends every action on it
to that host's controller.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Input

from jailtui.console.commands import ALL_HOSTS, Arg, CommandError, parse
from jailtui.console.keys import FLEET_IDS, GUARDED, SPECS, bindings_for
from jailtui.core.columns import default_order
from jailtui.core.history import cpu_spark, span_text
from jailtui.core.model import HostSnapshot, Jail, JailState, Process
from jailtui.core.owners import Owner
from jailtui.core.owners import messages as owner_messages
from jailtui.core.text import visible
from jailtui.core.userstate import PaneView, View
from jailtui.screens.guard import GuardedScreen
from jailtui.widgets.command_bar import CommandBar
from jailtui.widgets.filter_bar import FilterBar
from jailtui.widgets.fleet_state import FleetState
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.health_state import HealthState
from jailtui.widgets.jail_table import TREND_POINTS, JailTable
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.keyed_table import KeyedTable
from jailtui.widgets.poll_state import PollState
from jailtui.widgets.process_table import ProcessTable
from jailtui.widgets.status_bar import StatusBar

#: ``h``/``c`` on a console of one host.
ONE_HOST = ("One host in this console: h (hosts) and c (reconnect) work when it shows several "
            "(--host A --host B, or --host all with [hosts.*] in config.toml).")

#: Quick sorts that a pane has no column for: the jails pane sorts by jid
#: for "pid"; "time" only exists for processes.
_QUICK_SORT_JAILS = {"cpu": "cpu", "mem": "mem", "pid": "jid"}


class MainScreen(GuardedScreen):
    """Jails above, the selected jail's (or the host's) processes below."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("main"))

    def __init__(self) -> None:
        super().__init__(id="main")
        self._snapshot: HostSnapshot | None = None
        self._target: KeyedTable[Any, Any] | None = None
        self._host_wide = False
        #: Console of many hosts: the view shown, (all hosts?, host name);
        #: (False, None) until the first view arrives (never changes for one host).
        self._view: tuple[bool, str | None] = (False, None)
        #: Where the screen itself last put the jails cursor (see apply).
        self._placed: Any = None
        #: The pane titles last set, by pane id.
        self._titles: dict[str | None, Content] = {}
        #: (snapshot, its jailed processes) for the host-wide title.
        self._jailed: tuple[HostSnapshot, int] | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status", follows_view=True)
        yield JailTable(id="jails")
        yield ProcessTable(id="procs")
        # The filter, search and command bars are mounted when their key first
        # opens one (_bar): three Inputs hidden on the first frame cost some 5 ms
        # of its CPU (Input's CSS, styles, mount; issue 18: start).
        yield KeyFooter()

    # -- accessors ------------------------------------------------------------------

    @property
    def jails(self) -> JailTable:
        return self.query_one("#jails", JailTable)

    @property
    def procs(self) -> ProcessTable:
        return self.query_one("#procs", ProcessTable)

    @property
    def filter_bar(self) -> FilterBar:
        return self._bar("filter")

    @property
    def command_bar(self) -> CommandBar:
        bar = self._bar("command")
        assert isinstance(bar, CommandBar)
        return bar

    @property
    def search_bar(self) -> FilterBar:
        return self._bar("search")

    def _bar(self, name: str) -> FilterBar:
        """The bar ``name`` (filter, search, command), mounted hidden on first use.

        Below the panes as when composed: the footer is docked, so the bars
        follow the processes pane in the layout whatever their order among
        the screen's children (one is shown at a time). ``mount`` registers
        the bar at once (src/textual/widget.py ``Widget.mount``), so the
        caller can set it up and focus it in the same action, and the keys
        typed next reach it (console/key_order.py)."""
        found = self.query(f"#{name}")
        if found:
            bar = found.first()
            assert isinstance(bar, FilterBar)
            return bar
        bar = (CommandBar(self._command_candidates, id=name) if name == "command"
               else FilterBar(id=name))
        bar.display = False
        self.mount(bar)
        return bar

    def _hide_bars(self, *names: str) -> None:
        """Hide those of the bars ``names`` mounted so far (one opening closes them)."""
        for bar in self.query(FilterBar):
            if bar.id in names:
                bar.display = False

    @property
    def target(self) -> KeyedTable[Any, Any]:
        """The pane the filter and the sort keys act on: the focused one."""
        focused = self.focused
        if isinstance(focused, KeyedTable):
            self._target = focused
        if self._target is None:
            self._target = self.jails
        return self._target

    def selected_jail(self) -> Jail | None:
        """The jail under the cursor; in the processes pane the process's jail."""
        snap = self._snapshot
        if snap is None:
            return None
        if self.focused is self.procs and self.procs.host_wide:
            proc = self.procs.cursor_row
            if proc is not None and proc.jail is not None:
                return self._lookup(proc.host_name, proc.jail)
            return None
        return self.jails.cursor_row

    @property
    def all_hosts(self) -> bool:
        """The all-hosts view of a console of many hosts."""
        return self._view[0]

    def _lookup(self, host: str | None, name: str) -> Jail | None:
        """Jail ``name`` of ``host``, from that host's own snapshot in the
        all-hosts view (names repeat across hosts), else from the one shown."""
        if self.all_hosts and host is not None:
            snap = self.console.fleet.state.snapshot(host)
            return snap.jail(name) if snap is not None else None
        return self._snapshot.jail(name) if self._snapshot is not None else None

    def selected_host(self) -> str | None:
        """The host of the row under the cursor (the viewed host on a host view)."""
        fleet = self.console.fleet
        if not fleet.several:
            return None  # one host: rows carry no host name
        if not self.all_hosts:
            return fleet.view
        row: Jail | Process | None = (self.procs.cursor_row if self.focused is self.procs
                                      else self.jails.cursor_row)
        return row.host_name if row is not None else None

    def selected_process(self) -> Process | None:
        return self.procs.cursor_row

    # -- life cycle -------------------------------------------------------------------

    def on_mount(self) -> None:
        self.jails.focus()
        fleet = self.console.fleet
        if fleet.signal is not None:
            fleet.signal.subscribe(self, self._fleet_changed, immediate=True)
            self._fleet_changed(fleet.state)
        self.console.poll_signal.subscribe(self, self._poll_changed, immediate=True)
        self._poll_changed(self.console.poll_state)
        self.console.health.signal.subscribe(self, self._health_changed, immediate=True)
        self._health_changed(self.console.health.state)
        history = fleet.history
        self.jails.set_trend(self._cpu_trend,
                             f"CPU {span_text(TREND_POINTS * history.step)}")
        settings = self.console.settings
        state = self.console.state
        self.jails.set_choice(settings.columns.get("jails") or state.columns("jails"))
        self.procs.set_choice(settings.columns.get("processes") or state.columns("processes"))
        self.refresh_notes()
        if self.console.remember_view and state.view is not None:
            self.restore_view(state.view)

    # -- the remembered view (core/userstate.py) ----------------------------------------

    def current_view(self, *, theme: str | None) -> View:
        """What is saved on quit: the panes' sort and filter, the focused pane,
        the processes' modes, the host shown, the theme."""
        fleet = self.console.fleet
        host = (ALL_HOSTS if self.all_hosts else fleet.view) if fleet.several else None
        focus = "processes" if self.target is self.procs else "jails"
        return View(focus=focus, jails=_pane_view(self.jails), processes=_pane_view(self.procs),
                    host=host, tree=self.procs.tree_view, host_wide=self._host_wide,
                    hide_kernel=self.procs.hide_kernel, theme=theme)

    def restore_view(self, view: View) -> None:
        """The last run's view, as far as this console has it: a sort column
        the pane lacks (hidden, another version) or a host not in this console
        is left as it is."""
        fleet = self.console.fleet
        if fleet.several and view.host is not None:
            if view.host == ALL_HOSTS:
                self.console.set_view(None)
            elif view.host in fleet.names():
                self.console.set_view(view.host)
        for table, pane in ((self.jails, view.jails), (self.procs, view.processes)):
            if pane.sort is not None and any(c.key == pane.sort for c in table.columns):
                table.sort_by(pane.sort, reverse=pane.reverse)
            table.set_filter(pane.filter)
        self.procs.set_tree(view.tree)
        self.procs.set_hide_kernel(view.hide_kernel)
        if view.host_wide != self._host_wide:
            self._host_wide = view.host_wide
            self._show_processes()
        if view.focus == "processes":
            # Deferred as on_mount's jails.focus() is: queued after it, so it wins.
            self.procs.focus()
        self._update_titles()

    # -- columns (C, screens/columns.py) ------------------------------------------------

    def action_columns(self) -> None:
        from jailtui.screens.columns import ColumnsChoice, ColumnsScreen

        table: JailTable | ProcessTable = self.procs if self.target is self.procs else self.jails
        pane = "processes" if table is self.procs else "jails"
        settings, state = self.console.settings, self.console.state
        pinned = settings.column_places.get(pane) if pane in settings.columns else None
        shown = table.choice or default_order(pane)

        def chosen(choice: ColumnsChoice | None) -> None:
            if choice is None:
                return
            names = choice.names
            table.set_choice(None if names == default_order(pane) else names)
            if pinned is None:
                state.set_columns(pane, table.choice)
                self.console.state_warnings()
            self._update_titles()
            self.refresh_bindings()

        self.app.push_screen(ColumnsScreen(
            pane, tuple(shown), pinned=pinned,
            remembered=str(state.path) if state.path is not None else None), chosen)

    # -- notes (m, screens/note.py) -----------------------------------------------------

    def _note(self, jail: Jail) -> str:
        return self.console.state.note(self.console.note_host(jail.host_name), jail.name)

    def refresh_notes(self) -> None:
        """The panes' notes after a change (or the first time)."""
        state = self.console.state
        fleet = self.console.fleet
        hosts = fleet.names() if fleet.several else [self.console.note_host(None)]
        self.jails.set_notes(self._note, any_notes=any(state.notes_of(h) for h in hosts))

    def action_note(self) -> None:
        jail = self.selected_jail()
        if jail is None:
            self.app.notify("No jail selected: a note belongs to a jail.", severity="warning",
                            markup=False, timeout=4)
            return
        self.console.edit_note(jail)

    def _cpu_trend(self, jail: Jail) -> str:
        """The row's CPU sparkline (core/history.py), from its own host's series."""
        fleet = self.console.fleet
        host = jail.host_name or fleet.names()[0]
        return cpu_spark(fleet.history.trend(host, jail.name, "cpu", TREND_POINTS),
                         glyphs().spark)

    def _health_changed(self, state: HealthState) -> None:
        """The latest health evaluation as marks on the jail rows."""
        self.jails.set_health(state.marks, state.host_name)

    def _poll_changed(self, state: PollState) -> None:
        # The app's PollState is its focus host's; in the all-hosts view the
        # panes show every host (from _fleet_changed) and ignore it.
        if not self.all_hosts:
            self.apply(state)

    def _fleet_changed(self, fleet: FleetState) -> None:
        self._show_view(fleet.view)
        if self.all_hosts:
            stale = fleet.stale_hosts
            self.jails.set_stale_hosts(stale)
            self.procs.set_stale_hosts(stale)
            self.apply(PollState(snapshot=fleet.merged))

    def _show_view(self, view: str | None) -> None:
        """A new view (host or all hosts): its columns, and a fresh start
        (cursor on the first running jail), as when the console opens."""
        key = (view is None, view)
        if key == self._view:
            return
        self._view = key
        self._snapshot = None
        self.jails.set_hosts(view is None)
        self.procs.set_hosts(view is None)
        self.jails.reset_cursor()
        self.procs.reset_cursor()

    def apply(self, state: PollState) -> None:
        """Show a new poll state; only a new snapshot touches the tables."""
        snap = state.snapshot
        if snap is not None and snap is not self._snapshot:
            # All hosts: the hosts answer one by one, so until the user moves
            # the cursor it goes on placing itself (on the first running jail
            # of the first host), not on whatever host answered first.
            first = self._snapshot is None or (
                self.all_hosts and self._placed is not None
                and self.jails.cursor_key == self._placed)
            self._snapshot = snap
            with self.app.batch_update():
                self.jails.set_rows(snap.jails)
                if first:
                    # Start on a running jail: its processes fill the lower pane.
                    up = next((j for j in self.jails.rows if j.state is JailState.RUNNING), None)
                    if up is not None:
                        self.jails.move_to_key(self.jails.row_key(up))
                        self._placed = self.jails.cursor_key
                self._show_processes()
                self._update_titles()
        elif self._snapshot is None:
            # No snapshot yet and the poll failed: the panes say why, not
            # "loading…" for ever (issue 13 item 28: a host that is not FreeBSD).
            self.jails.set_unavailable(state.error)
            self.procs.set_unavailable(state.error)
            self._update_titles()
        self.refresh_bindings()

    def _show_processes(self) -> None:
        snap = self._snapshot
        if snap is None:
            return
        procs = self.procs
        if self._host_wide:
            procs.show(snap.processes, host_wide=True, scope=None)
            return
        jail = self.jails.cursor_row
        host = jail.host_name if jail is not None and self.all_hosts else None
        if jail is None or jail.jid is None or jail.state is JailState.STOPPED:
            procs.show((), host_wide=False, scope=jail.name if jail else None, scope_host=host)
            return
        jid = jail.jid
        # The host too: jids repeat across hosts in the all-hosts view (and
        # match trivially, None == None, on one host).
        procs.show(tuple(p for p in snap.processes if p.jid == jid and p.host_name == jail.host_name),
                   host_wide=False, scope=jail.name, scope_host=host)

    def _update_titles(self) -> None:
        jails, procs = self.jails, self.procs
        snap = self._snapshot
        parts: list[str | tuple[str, str]] = [("Jails", "bold"), *self._where()]
        if snap is not None:
            parts.append(f" {jails.row_count}/{jails.source_count}")
        marked = len(jails.marked_rows())
        if marked:
            parts.append((f"  {marked} marked (u d R: all; Esc: none)", "bold $accent"))
        parts += _sort_and_filter(jails)
        self._set_title(jails, Content.assemble(*parts))

        pparts: list[str | tuple[str, str]] = []
        if procs.host_wide:
            pparts += [("All processes", "bold"), *self._where()]
            if snap is not None:
                jailed = self._jailed_count(snap)
                pparts += [f" {procs.row_count}/{procs.source_count}",
                           (f" ({jailed} jailed, marked J)", "$foreground-muted")]
        else:
            pparts.append(("Processes", "bold"))
            name = procs.scope_name
            if name is not None:
                pparts += [" of ", (visible(name, 64), "bold $text-accent")]
                if procs.scope_host is not None:
                    pparts += [" on ", (visible(procs.scope_host, 32), "bold")]
                jail = self._lookup(procs.scope_host, name)
                if jail is not None and jail.jid is not None:
                    pparts.append(f" (jid {jail.jid})")
            pparts.append(f" {procs.row_count}/{procs.source_count}")
        if procs.tree_view:
            pparts.append(("  tree", "$text-accent"))
        if procs.user is not None:
            pparts += [("  user ", "$foreground-muted"), (visible(procs.user, 32), "bold $warning")]
        if procs.hide_kernel:
            pparts.append(("  no kernel threads", "$foreground-muted"))
        pparts += _sort_and_filter(procs)
        self._set_title(procs, Content.assemble(*pparts))

    def _jailed_count(self, snap: HostSnapshot) -> int:
        """How many processes of ``snap`` are jailed: counted once per snapshot
        (the titles are rebuilt on every cursor move; 50,000 rows each time)."""
        if self._jailed is None or self._jailed[0] is not snap:
            self._jailed = (snap, sum(1 for p in snap.processes if p.jailed))
        return self._jailed[1]

    def _set_title(self, table: KeyedTable[Any, Any], title: Content) -> None:
        """Set a pane's title if it changed: Textual redraws the whole widget
        on every assignment (textual/widget.py, ``_BorderTitle.__set__``), and
        the titles are rebuilt on every poll (issue 13 item 43)."""
        if self._titles.get(table.id) != title:
            self._titles[table.id] = title
            table.border_title = title

    def _where(self) -> list[str | tuple[str, str]]:
        """`` on web1`` / `` on all hosts`` for the pane titles (many hosts only)."""
        fleet = self.console.fleet
        if not fleet.several:
            return []
        if self.all_hosts:
            return [" on ", ("all hosts", "bold $text-accent")]
        return [" on ", (visible(fleet.view or "", 32), "bold $text-accent")]

    # -- table events -----------------------------------------------------------------

    @on(KeyedTable.CursorMoved, "#jails")
    def _jail_moved(self) -> None:
        if not self._host_wide:
            self._show_processes()
        self._update_titles()
        self.refresh_bindings()

    @on(KeyedTable.CursorMoved, "#procs")
    def _proc_moved(self) -> None:
        self.refresh_bindings()

    @on(KeyedTable.SortChanged)
    def _sorted(self) -> None:
        self._update_titles()

    @on(KeyedTable.Activated, "#jails")
    def _activated(self) -> None:
        self.action_detail()

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    # -- filter ------------------------------------------------------------------------

    def action_filter(self) -> None:
        bar = self.filter_bar
        target = self.target
        self._hide_bars("search")
        bar.display = True
        what = "processes" if target is self.procs else "jails"
        bar.placeholder = f"filter {what}…  (a|b: either; Enter keeps it, Escape clears it)"
        with bar.prevent(Input.Changed):
            bar.value = target.filter_text
        bar.cursor_position = len(bar.value)
        bar.return_to = target
        # At once (Widget.focus() is deferred): the keys typed next, even in
        # the same burst, must reach the filter (console/key_order.py).
        self.set_focus(bar)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.target.set_filter(event.value)
        self._update_titles()

    @on(FilterBar.Done)
    async def _filter_done(self, event: FilterBar.Done) -> None:
        target = self._target or self.jails
        if event.bar.id == "command":
            event.bar.display = False
            line = event.bar.value
            if not event.cleared:
                await self.run_command(line)
            return
        if event.cleared:
            if event.bar.id == "search":
                target.set_search("")
            else:
                target.set_filter("")
        event.bar.display = False
        target.focus()
        self._update_titles()

    # -- the command line (:stop web; console/commands.py) -------------------------------

    def action_command_line(self) -> None:
        bar = self.command_bar
        target = self.target
        self._hide_bars("filter", "search")
        bar.display = True
        with bar.prevent(Input.Changed):
            bar.value = ""
        bar.return_to = target
        self.set_focus(bar)

    def _command_candidates(self) -> dict[Arg, list[str]]:
        names: list[str] = []
        for j in self.jails.rows:
            if j.name not in names:
                names.append(j.name)
        fleet = self.console.fleet
        hosts = [*fleet.names(), ALL_HOSTS] if fleet.several else []
        return {Arg.JAIL: names, Arg.HOST: hosts,
                Arg.COLUMN: [c.key for c in self.target.columns if c.label.strip()]}

    async def run_command(self, line: str) -> None:
        """Run one command line: the same action, guard and gate as its key."""
        try:
            command, arg = parse(line)
            if command.arg is Arg.JAIL:
                self._select_jail(arg)
            elif command.arg is Arg.HOST:
                self._show_host(arg)
                return
            elif command.arg is Arg.COLUMN:
                self._sort_by(arg)
                return
            elif command.arg is Arg.TEXT:
                target = self.target
                (target.set_filter if command.name == "filter" else target.set_search)(arg)
                self._update_titles()
                self.refresh_bindings()
                return
        except CommandError as exc:
            self.app.notify(f":{visible(line.strip(), 120)}: {visible(exc.message, 400)}",
                            severity="error", markup=False, timeout=8)
            return
        assert command.binding is not None
        spec = SPECS[command.binding]
        if spec.id in GUARDED:
            # As the palette does: the action method itself, which refuses
            # with the reason (run_action would skip a refused one silently).
            getattr(self, f"action_{spec.action}")()
            return
        namespace = self if "main" in spec.screens else self.app
        await self.app.run_action(spec.action, namespace)

    def _select_jail(self, name: str) -> None:
        """The cursor on jail ``name`` (``HOST:NAME`` among several hosts)."""
        host, sep, bare = name.rpartition(":")
        wanted = bare if sep and self.all_hosts else name
        rows = [j for j in (self._snapshot.jails if self._snapshot is not None else ())
                if j.name == wanted and (not sep or not self.all_hosts or j.host_name == host)]
        live = [j for j in rows if not j.dying] or rows
        if not live:
            # A manager's name for a row the kernel knows by another (iocage's `backup`
            # is ioc-backup): say which, never act under the alias (docs/managers.md
            # 1.9). The rows are the caller's (a delegate's are scoped): no leak.
            aliased = [j for j in (self._snapshot.jails if self._snapshot is not None else ())
                       if j.owner_name == wanted and j.name != wanted and not j.dying
                       and j.owner not in ("", "jail.conf", "unknown")]
            if len({j.name for j in aliased}) == 1:
                raise CommandError(owner_messages.manager_name_hint(
                    wanted, aliased[0].name, Owner(aliased[0].owner)))
            raise CommandError(f"no jail named {wanted}")
        hosts = sorted({j.host_name for j in live if j.host_name is not None})
        if len(hosts) > 1:
            raise CommandError(f"{wanted} is on {len(hosts)} hosts: say which ("
                               + ", ".join(f"{h}:{wanted}" for h in hosts) + ")")
        if not self.jails.move_to_key(self.jails.row_key(live[0])):
            raise CommandError(f"{wanted} is hidden by the filter (Escape clears it)")
        self.set_focus(self.jails)

    def _show_host(self, name: str) -> None:
        fleet = self.console.fleet
        if not fleet.several:
            raise CommandError(ONE_HOST)
        if name == ALL_HOSTS:
            self.console.set_view(None)
        elif name in fleet.names():
            self.console.set_view(name)
        else:
            raise CommandError(f"no host named {name} (hosts: {', '.join(fleet.names())}, "
                               f"{ALL_HOSTS})")

    def _sort_by(self, key: str) -> None:
        target = self.target
        keys = [c.key for c in target.columns if c.label.strip()]
        if key not in keys:
            what = "processes" if target is self.procs else "jails"
            raise CommandError(f"the {what} pane has no column {key} (columns: "
                               f"{', '.join(keys)})")
        target.sort_by(key)

    # -- search (beside the filter: every row stays) -------------------------------------

    def action_search(self) -> None:
        bar = self.search_bar
        target = self.target
        self._hide_bars("filter")
        bar.display = True
        what = "processes" if target is self.procs else "jails"
        bar.placeholder = (f"search {what}…  (a|b: either; n/N next/previous, "
                           "Enter keeps it, Escape clears it)")
        with bar.prevent(Input.Changed):
            bar.value = target.search_text
        bar.cursor_position = len(bar.value)
        bar.return_to = target
        self.set_focus(bar)

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.target.set_search(event.value)
        self._update_titles()

    def action_search_step(self, step: int) -> None:
        target = self.target
        if not target.search_text:
            self.app.notify("No search: F3 or ctrl+s searches the focused pane.",
                            severity="information", markup=False, timeout=4)
            return
        if not target.search_step(step):
            self.app.notify(f"No row matches “{visible(target.search_text, 64)}”.",
                            severity="warning", markup=False, timeout=4)

    # -- the processes pane's own modes (htop's K and u) ---------------------------------

    def action_hide_kernel(self) -> None:
        self.procs.set_hide_kernel(not self.procs.hide_kernel)
        self._update_titles()

    def action_user_filter(self) -> None:
        procs = self.procs
        if procs.user is not None:
            # Again: everyone's (htop's u toggles back the same way).
            procs.set_user(None)
            self._update_titles()
            return
        users = procs.users()
        if not users:
            self.app.notify("No processes here to pick a user from.", severity="information",
                            markup=False, timeout=4)
            return

        # Opened by a key, not on the first frame (issue 18: start).
        from jailtui.screens.users import UserChoice, UsersScreen

        def chosen(choice: UserChoice | None) -> None:
            if choice is not None:
                procs.set_user(choice.user)
                self._update_titles()

        self.app.push_screen(UsersScreen(users, procs.user), chosen)

    # -- the clipboard ---------------------------------------------------------------------

    def action_yank(self) -> None:
        """The row under the cursor as one line of tab-separated fields, through
        the terminal's clipboard (OSC 52: Textual's App.copy_to_clipboard).
        Every field through visible(): a jail's process names its own command
        line, which must not paste control characters or newlines anywhere."""
        text = yank_text(self.procs.cursor_row if self.focused is self.procs
                         else self.jails.cursor_row)
        if text is None:
            self.app.notify("Nothing to copy: no row selected.", severity="warning",
                            markup=False, timeout=4)
            return
        self.app.copy_to_clipboard(text)
        self.app.notify(f"Copied (if the terminal allows OSC 52): {visible(text, 120)}",
                        markup=False, timeout=4)

    def action_clear_filter(self) -> None:
        # The marks first, then the filter, then the search: Escape peels one
        # off at a time.
        if self.jails.marked_rows():
            self.jails.clear_marks()
            self._update_titles()
            self.refresh_bindings()
            return
        if self.target.filter_text:
            self.target.set_filter("")
        else:
            self.target.set_search("")
        self._update_titles()
        self.refresh_bindings()

    # -- views -------------------------------------------------------------------------

    def action_switch_pane(self) -> None:
        # At once, as the filter does: a "/" right after Tab filters the new pane.
        self.set_focus(self.procs if self.focused is self.jails else self.jails)

    def action_host_wide(self) -> None:
        self._host_wide = not self._host_wide
        self._show_processes()
        self._update_titles()
        self.refresh_bindings()

    def action_tree(self) -> None:
        self.procs.set_tree(not self.procs.tree_view)
        self._update_titles()

    def action_sort(self, step: int) -> None:
        self.target.cycle_sort(step)

    def action_sort_reverse(self) -> None:
        self.target.reverse_sort()

    def action_quick_sort(self, key: str) -> None:
        target = self.target
        if target is self.jails:
            col = _QUICK_SORT_JAILS.get(key)
            if col is None:
                # Jails have no such column (elapsed time): sort the processes
                # pane, and say so, rather than nothing visible happening.
                self.procs.sort_by(key)
                label = next((c.label for c in self.procs.columns if c.key == key), key)
                self.app.notify(f"Jails have no {label} column: sorted the processes by it.",
                                markup=False, timeout=4)
                return
            target.sort_by(col)
            return
        target.sort_by(key)

    def action_detail(self) -> None:
        if self.focused is self.procs:
            # Enter on a process row: that process (o does the same).
            self.action_process_detail()
            return
        jail = self.selected_jail()
        if jail is None:
            self.app.notify("No jail selected (host processes have no jail).",
                            severity="warning", markup=False)
            return
        self.console.open_detail(jail.name, host_name=jail.host_name,
                                 dying_jid=jail.jid if jail.dying else None)

    # -- hosts (a console of many hosts) ------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """``h``/``c`` with one host: hidden from the footer (check_action), so
        Textual would skip them silently; say why instead (issue 13 item 27)."""
        if not self.console.fleet.several:
            for binding in type(self).BINDINGS:
                if isinstance(binding, Binding) and binding.id in FLEET_IDS \
                        and (event.key in self.console.binding_keys(binding)
                             or event.character in self.console.binding_keys(binding)):
                    event.stop()
                    event.prevent_default()
                    self.app.notify(ONE_HOST, severity="information", markup=False, timeout=6)
                    return
        super().on_key(event)

    def action_hosts(self) -> None:
        self.console.open_hosts()

    def action_reconnect(self) -> None:
        host = self.selected_host()
        if host is None:
            self.app.notify("No host selected (h lists the hosts; c there reconnects one).",
                            severity="warning", markup=False)
            return
        self.console.reconnect(host)

    # -- actions through the controller ------------------------------------------------

    def action_start(self) -> None:
        self._lifecycle("start")

    def action_stop(self) -> None:
        self._lifecycle("stop")

    def action_restart(self) -> None:
        self._lifecycle("restart")

    def _lifecycle(self, action: str) -> None:
        """The cursor's jail, or every marked one (one question naming each)."""
        if self.refuse_if_guarded(action):
            return
        marked = self.jails.marked_rows()
        if not marked:
            self.console.jail_action(action, self.selected_jail())
            return
        gate = GUARDED[action]
        chosen: list[Jail] = []
        left_out: list[tuple[Jail, str]] = []
        for jail in marked:
            reason = self.console.gate_reason(gate, jail)
            if reason is None:
                chosen.append(jail)
            else:
                left_out.append((jail, reason))
        self.console.flows.bulk_lifecycle(action, chosen, left_out,
                                          done=self.jails.clear_marks)

    def action_mark(self) -> None:
        if self.focused is not self.jails:
            return
        self.jails.toggle_mark()
        self._update_titles()
        self.refresh_bindings()

    def action_shell(self) -> None:
        if not self.refuse_if_guarded("shell"):
            self.console.jail_action("shell", self.selected_jail())

    def action_edit(self) -> None:
        if not self.refuse_if_guarded("edit"):
            self.console.jail_action("edit", self.selected_jail())

    def action_services(self) -> None:
        if not self.refuse_if_guarded("services"):
            self.console.jail_action("services", self.selected_jail())

    def action_exec(self) -> None:
        if not self.refuse_if_guarded("exec"):
            self.console.jail_action("exec", self.selected_jail())

    def action_snapshots(self) -> None:
        if not self.refuse_if_guarded("snapshots"):
            self.console.jail_action("snapshots", self.selected_jail())

    def action_console_log(self) -> None:
        if not self.refuse_if_guarded("console_log"):
            self.console.jail_action("console_log", self.selected_jail())

    def action_restore(self) -> None:
        if not self.refuse_if_guarded("restore"):
            self.console.jail_action("restore", self.selected_jail())

    def action_backup(self) -> None:
        if not self.refuse_if_guarded("backup"):
            self.console.jail_action("backup", self.selected_jail())

    def action_posture(self) -> None:
        self.console.open_posture(self.selected_jail())

    def action_process_detail(self) -> None:
        if not self.refuse_if_guarded("process_detail"):
            proc = self.selected_process()
            if proc is not None:
                self.console.open_process(proc)

    def action_signal(self) -> None:
        if not self.refuse_if_guarded("signal"):
            proc = self.selected_process()
            if proc is not None:
                self.console.signal_process(proc)

    def guard_reason(self, action: str) -> str | None:
        marked = self.jails.marked_rows() if action in BULK else []
        if marked:
            # Allowed when the action applies to one marked jail at least; the
            # question names the others and why they are left out.
            gate = GUARDED[action]
            reasons = [self.console.gate_reason(gate, j) for j in marked]
            return None if any(r is None for r in reasons) else \
                f"none of the {len(marked)} marked jails: {reasons[0]}"
        if action in ("signal", "process_detail"):
            if self.focused is not self.procs:
                return "select a process first (Tab to the processes pane)"
            proc = self.selected_process()
            if proc is None:
                return "no process selected"
            if action == "process_detail":
                return self.console.process_reason(proc)
            return self.console.signal_reason(proc)
        return super().guard_reason(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self.jails.marked_rows() or self.target.filter_text
                        or self.target.search_text)
        if action == "mark":
            return self.focused is self.jails
        if action in ("hosts", "reconnect"):
            # One host: no such keys (the footer and the keys stay as they were).
            return self.console.fleet.several
        return super().check_action(action, parameters)


#: The actions that take every marked jail (space).
BULK = frozenset({"start", "stop", "restart"})


def yank_text(row: Jail | Process | None) -> str | None:
    """What ``y`` copies: a jail's name, jid, path (and host); a process's pid,
    jid, jail, user and command, tab-separated, each made visible."""
    if row is None:
        return None
    if isinstance(row, Jail):
        fields = [row.name, "-" if row.jid is None else str(row.jid), row.path or "-"]
    else:
        fields = [str(row.pid), str(row.jid), row.jail or "-", row.user, row.command]
    if row.host_name is not None:
        fields.insert(0, row.host_name)
    return "\t".join(visible(f, 4096) for f in fields)


def _pane_view(table: KeyedTable[Any, Any]) -> PaneView:
    return PaneView(sort=table.sort_column.key, reverse=table.sort_reverse,
                    filter=table.filter_text)


def _sort_and_filter(table: KeyedTable[Any, Any]) -> list[str | tuple[str, str]]:
    col = table.sort_column
    arrow = glyphs().down if table.sort_reverse else glyphs().up
    out: list[str | tuple[str, str]] = [("  sort ", "$foreground-muted"), f"{col.label.lower()}{arrow}"]
    if table.filter_text:
        out += [("  filter ", "$foreground-muted"), (f"“{visible(table.filter_text, 64)}”", "bold $warning")]
    if table.search_text:
        out += [("  search ", "$foreground-muted"), (f"“{visible(table.search_text, 64)}”", "bold"),
                f" {table.match_count}"]
    return out
