"""The processes pane: one jail's processes, or the whole host's.

In host-wide mode every jailed process carries a ``J`` mark and its jail's
name and jid, as ``ps -ax -o pid,jid,jail,...`` shows them (the handbook's
way of telling jailed processes apart; reference section 2.3: ``J`` is
always the last STAT letter of a jailed process). The tree view orders
processes by parent (ppid), siblings by the sort column, like htop's ``t``.

Keyed by pid; in the all-hosts view of a console of many hosts by
(host, pid), with a HOST column first (pids repeat across hosts, and the
tree links a process to its parent on the same host). COMMAND is never cut: the pane scrolls horizontally (left and
right arrows) so a whole ``ps -ww`` command line can be read.
"""

from __future__ import annotations

from collections.abc import Sequence

from jailtui.core.columns import ordered
from jailtui.core.model import Process
from jailtui.core.text import human_kib, visible
from jailtui.widgets.cells import age_text, cpu_role, percent
from jailtui.widgets.host_column import host_column
from jailtui.widgets.keyed_table import Cell, Column, KeyedTable, whole_last

#: Where COMMAND has to stop when a choice of columns puts it before others.
COMMAND_WIDTH = 40

#: A row's key: the pid; (host, pid) in the all-hosts view.
ProcKey = int | tuple[str, int]


def elapsed_text(p: Process) -> str:
    """ps's ``etime`` (``[[dd-]hh:]mm:ss``), days shortened to ``12d04h``.

    ``12-04:13:44`` took 11 of 80 columns from COMMAND in every row (issue 13
    item 34); past a day the minutes and seconds say little.
    """
    secs = p.elapsed_seconds
    if secs is not None and secs >= 86400:
        return age_text(secs)
    return visible(p.etime.strip(), 16) or "-"


def _longest(values: Sequence[str]) -> int:
    return max((len(v) for v in values), default=0)


def _command_width(rows: Sequence[Process]) -> int:
    # Width of the widest command as shown; visible() only for the rare
    # command that is not printable (its escapes are longer than the raw text).
    width = 0
    for p in rows:
        c = p.command
        n = len(c) if c.isprintable() else len(visible(c))
        if n > width:
            width = n
    return width


class ProcessTable(KeyedTable[ProcKey, Process]):
    """Processes with the J mark, jail, STAT, CPU, memory and whole command."""

    def __init__(self, *, id: str | None = None) -> None:
        self.host_wide = False
        self.tree_view = False
        self.scope_name: str | None = None
        #: The host of the jail shown (all-hosts view), None otherwise.
        self.scope_host: str | None = None
        #: The all-hosts view: a HOST column, rows keyed by (host, pid).
        self.show_hosts = False
        self.stale_hosts: frozenset[str] = frozenset()
        #: htop's K: kernel threads hidden (model.Process.kernel_thread).
        self.hide_kernel = False
        #: htop's u (ours U): only this user's processes; None: everyone's.
        self.user: str | None = None
        self._prefix: dict[ProcKey, str] = {}
        #: The columns chosen (core/columns.py), None: the defaults.
        self._choice: tuple[str, ...] | None = None
        super().__init__(self._make_columns(), sort="cpu", reverse=True, id=id)

    # -- columns -----------------------------------------------------------------------

    def _command(self, p: Process) -> Cell:
        prefix = self._prefix.get(self.row_key(p), "") if self.tree_view else ""
        cmd = visible(p.command)
        return ((prefix, "dim"), (cmd, None)) if prefix else cmd

    def _make_columns(self) -> list[Column[Process]]:
        cols: list[Column[Process]] = []
        if self.show_hosts:
            cols.append(host_column(lambda p: p.pid, lambda: self.stale_hosts))
        if self.host_wide:
            cols.append(Column("jailed", "J", lambda p: (("J", "accent"),) if p.jailed else "",
                               lambda p: p.jailed, width=1, descending_first=True))
        cols.append(Column("pid", "PID", lambda p: str(p.pid), lambda p: p.pid, width=5,
                           justify="right"))
        if self.host_wide:
            cols += [
                Column("jid", "JID", lambda p: str(p.jid), lambda p: p.jid, width=3,
                       justify="right"),
                Column("jail", "JAIL", lambda p: visible(p.jail, 64) if p.jail else "-",
                       lambda p: p.jail or "", width=4, max_width=16,
                       measure=lambda rows: _longest([p.jail or "-" for p in rows])),
            ]
        cols += [
            Column("user", "USER", lambda p: visible(p.user, 32), lambda p: p.user, width=4,
                   max_width=12, measure=lambda rows: _longest([p.user for p in rows])),
            Column("stat", "STAT", lambda p: visible(p.state, 8), lambda p: p.state, width=4,
                   max_width=6, measure=lambda rows: _longest([p.state for p in rows])),
            Column("cpu", "%CPU", lambda p: ((percent(p.cpu_percent), cpu_role(p.cpu_percent)),),
                   lambda p: p.cpu_percent, width=5, justify="right", descending_first=True),
            Column("mem", "%MEM", lambda p: percent(p.mem_percent), lambda p: p.mem_percent,
                   width=4, justify="right", descending_first=True),
            Column("rss", "RSS", lambda p: human_kib(p.rss_kib), lambda p: p.rss_kib, width=6,
                   justify="right", descending_first=True),
            Column("time", "ELAPSED", lambda p: elapsed_text(p),
                   lambda p: p.elapsed_seconds if p.elapsed_seconds is not None else -1,
                   width=7, justify="right", descending_first=True, max_width=14,
                   measure=lambda rows: _longest([elapsed_text(p) for p in rows])),
            Column("command", "COMMAND", self._command, lambda p: p.command, width=7,
                   measure=_command_width, last=True),
        ]
        # The user's choice (core/columns.py): J, JID and JAIL still appear
        # only host-wide, in the chosen order; the last column is never cut.
        by_key = {c.key: c for c in cols}
        return whole_last([by_key[k] for k in ordered([c.key for c in cols], self._choice)],
                          COMMAND_WIDTH)

    @property
    def choice(self) -> tuple[str, ...] | None:
        """The columns chosen, in order (None: the defaults)."""
        return self._choice

    def set_choice(self, choice: Sequence[str] | None) -> None:
        new = tuple(choice) if choice is not None else None
        if new == self._choice:
            return
        self._choice = new
        self._columns = self._make_columns()
        if all(c.key != self._sort for c in self._columns):
            self._sort, self._reverse = "cpu", True
        self.set_columns(self._columns)

    # -- modes -----------------------------------------------------------------------------

    def show(self, processes: Sequence[Process], *, host_wide: bool, scope: str | None,
             scope_host: str | None = None) -> None:
        """Show ``processes`` (already selected by the caller) in the given mode."""
        if not host_wide and not self.host_wide \
                and (scope, scope_host) != (self.scope_name, self.scope_host):
            # Another jail: start at its top, not at the old jail's position.
            self.reset_cursor()
        self.scope_name = scope
        self.scope_host = scope_host
        if host_wide != self.host_wide:
            self.host_wide = host_wide
            self._columns = self._make_columns()
            if all(c.key != self._sort for c in self._columns):
                self._sort, self._reverse = "cpu", True
        self.set_rows(processes)

    def set_tree(self, tree: bool) -> None:
        self.tree_view = tree
        self._rebuild()

    def set_hide_kernel(self, hide: bool) -> None:
        if hide != self.hide_kernel:
            self.hide_kernel = hide
            self._rebuild()

    def set_user(self, user: str | None) -> None:
        if user != self.user:
            self.user = user
            self._rebuild()

    def users(self) -> list[tuple[str, int]]:
        """The users running the processes of this pane's scope, with how
        many each, most first (the U picker), whatever the filter shows."""
        counts: dict[str, int] = {}
        for p in self._source:
            if not (self.hide_kernel and p.kernel_thread):
                counts[p.user] = counts.get(p.user, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def set_hosts(self, on: bool) -> None:
        """Show the HOST column (all-hosts view) or one host's columns."""
        if on == self.show_hosts:
            return
        self.show_hosts = on
        self._columns = self._make_columns()
        if all(c.key != self._sort for c in self._columns):
            self._sort, self._reverse = "cpu", True
        self._rebuild()

    def set_stale_hosts(self, hosts: frozenset[str]) -> None:
        if hosts != self.stale_hosts:
            self.stale_hosts = hosts
            self._rebuild()

    # -- KeyedTable hooks -------------------------------------------------------------------

    def row_key(self, row: Process) -> ProcKey:
        return (row.host_name or "", row.pid) if self.show_hosts else row.pid

    def _parent_key(self, row: Process) -> ProcKey:
        return (row.host_name or "", row.ppid) if self.show_hosts else row.ppid

    def row_shown(self, row: Process) -> bool:
        if self.hide_kernel and row.kernel_thread:
            return False
        return self.user is None or row.user == self.user

    def row_matches(self, row: Process, needle: str) -> bool:
        if self.show_hosts and row.host_name is not None and needle in row.host_name.lower():
            return True
        return (needle in row.command.lower() or needle in row.user.lower()
                or needle in row.state.lower()
                or (row.jail is not None and needle in row.jail.lower())
                or needle == str(row.pid))

    def row_decoration(self, row: Process) -> tuple[str, bool]:
        # The tree prefix and the stale mark change how the row is drawn:
        # both are part of the line cache key.
        prefix = self._prefix.get(self.row_key(row), "") if self.tree_view else ""
        return (prefix, self.show_hosts and row.host_name in self.stale_hosts)

    def order_rows(self, rows: list[Process], column: Column[Process],
                   reverse: bool) -> list[Process]:
        rows = super().order_rows(rows, column, reverse)
        if not self.tree_view:
            self._prefix = {}
            return rows
        return self._tree_order(rows)

    def _tree_order(self, rows: list[Process]) -> list[Process]:
        """Depth-first by ppid; siblings keep the sort order; no recursion."""
        key, parent = self.row_key, self._parent_key
        present = {key(p) for p in rows}
        children: dict[ProcKey, list[Process]] = {}
        roots: list[Process] = []
        for p in rows:
            if parent(p) in present and p.ppid != p.pid:
                children.setdefault(parent(p), []).append(p)
            else:
                roots.append(p)
        out: list[Process] = []
        prefix: dict[ProcKey, str] = {}
        seen: set[ProcKey] = set()
        stack: list[tuple[Process, str, str]] = [(r, "", "") for r in reversed(roots)]
        while stack:
            p, mark, indent = stack.pop()
            k = key(p)
            if k in seen:
                continue
            seen.add(k)
            out.append(p)
            prefix[k] = mark
            kids = children.get(k, [])
            for i in range(len(kids) - 1, -1, -1):
                last = i == len(kids) - 1
                stack.append((kids[i], indent + ("└─ " if last else "├─ "),
                              indent + ("   " if last else "│  ")))
        # A ppid cycle cannot come from ps, but never drop a row if it does.
        out.extend(p for p in rows if key(p) not in seen)
        self._prefix = prefix
        return out

    def placeholder(self) -> str:
        if self._loaded and self.source_count and not self._filter and self.user is not None:
            return f"no processes of user {visible(self.user, 32)} here (U: all users)"
        if self._loaded and not self._filter and not self.source_count:
            if self.host_wide:
                return "no processes"
            if self.scope_name is None:
                return "no jail selected"
            return "no processes in this jail (stopped, or nothing running)"
        return super().placeholder()
