"""THE key table: every key of the console, described once (issue 12).

One :class:`KeySpec` per binding id, in the style of harlequin's actions
table: its default keys, its action, its footer label, its palette entry,
its help text and group, the screens it lives on, the controller action
that gates it, whether it exists only with several hosts. Everything else
derives from :data:`KEYS`:

- every screen's (and the App's, and our widgets') ``BINDINGS``:
  :func:`bindings_for` (tests/test_key_table.py fails on a binding without
  an id or with an id missing here);
- the help screen's groups (screens/help.py) and the manual page's key list
  (man/jailtui.8, checked by tests/test_packaging.py);
- :data:`GUARDED` (screens/guard.py: hidden when not allowed, refused with
  the reason when forced), :data:`FLEET_IDS`, the palette (console/palette.py);
- the ``[keys]`` validation of config.toml: :func:`checked_keymap`.

Conventions (htop(1), k9s and lazydocker key bindings): htop for the process list (``/`` filter,
``t``/F5 tree, ``P``/``M``/``T`` quick sorts, ``<``/``>``/F6 sort column,
``I`` invert, F9 signal, ``K`` kernel threads, F1/F3/F4/F10), vi and k9s
for navigation (``j``/``k``/``g``/``G``, ctrl+f/ctrl+b in the tables, so
htop's ``k`` is k9s's ctrl+k here; ``n``/``N`` step through a search, so
sort by PID is ``#``; ``:`` the command line; ``?`` help, Enter detail,
Escape back, ``e`` edit), lazydocker-like
lifecycle keys that cannot be hit by accident next to each other:
``u`` start ("up"), ``d`` stop ("down"), ``R`` restart (capital: ``r`` is
refresh), ``x`` shell (jexec; k9s's ``s`` is taken by sort here), ``D``
services (rc.d; ``d`` is stop), ``!`` run one command (k9s and
lazydocker run commands with a shell-like key).

Only :func:`bindings_for` touches Textual (imported there), so the command
line can check a config file's ``[keys]`` without loading the UI.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from jailtui.core.actions.policy import Action
from jailtui.core.config.settings import Settings, SettingsError

if TYPE_CHECKING:
    from textual.binding import Binding

__all__ = ["FLEET_IDS", "GROUPS", "GUARDED", "KEYS", "SCREENS", "SPECS", "KeySpec", "Surface",
           "Variant", "bindings_for", "checked_keymap", "group_specs", "key_text", "split_keys"]


# -- where keys live ------------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    """A screen (or a widget, or the App) that holds bindings.

    ``modal``: Textual looks no further than a modal screen for bindings,
    so the App's keys do not apply there (textual/screen.py,
    ``Screen._modal_binding_chain``). ``widgets``: the surfaces of our widgets
    on it, whose keys win over the screen's while they have the focus (the
    binding chain starts at the focused widget). ``typing``: a text field
    has the focus there and takes every printable key before any binding
    does (textual/screen.py ``_binding_chain``: ``check_consume_key``), so a
    key bound there must be a control or named key.
    """

    name: str
    modal: bool = False
    widgets: tuple[str, ...] = ()
    typing: bool = False


#: Every surface, by name (``KeySpec.screens`` refers to these).
SCREENS: Mapping[str, Surface] = MappingProxyType({s.name: s for s in (
    Surface("app"),
    Surface("main", widgets=("table", "filter", "command")),
    Surface("detail"),
    Surface("process"),
    Surface("services", widgets=("table",)),
    Surface("snapshots", widgets=("table",)),
    Surface("limits", widgets=("table",)),
    Surface("restore"),
    Surface("backup"),
    Surface("changes"),
    Surface("exec", typing=True),
    Surface("config_editor", typing=True),
    Surface("param_form", typing=True),
    Surface("property_form", typing=True),
    Surface("owner_file"),
    Surface("health", widgets=("table",)),
    Surface("posture", widgets=("table",)),
    Surface("fleet_posture", widgets=("table", "filter")),
    Surface("log"),
    Surface("console_log", widgets=("table", "filter")),
    Surface("events", widgets=("table", "filter")),
    Surface("hosts", modal=True),
    Surface("diff", modal=True),
    Surface("conflict", modal=True),
    Surface("confirm", modal=True),
    Surface("signal", modal=True),
    Surface("snapshot_name", modal=True, typing=True),
    Surface("resume", modal=True),
    Surface("limit_form", modal=True, typing=True),
    Surface("help", modal=True),
    Surface("users", modal=True),
    Surface("columns", modal=True),
    Surface("note", modal=True, typing=True),
    # Widgets (screens/main.py and friends put them on screens above).
    Surface("table"),
    Surface("filter"),
    Surface("command"),
)})


# -- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """How a key's binding differs on one screen (None: as the key says)."""

    action: str | None = None
    label: str | None = None
    show: bool | None = None
    priority: bool | None = None


@dataclass(frozen=True)
class KeySpec:
    """One key of the console (see the module docstring)."""

    #: The binding id: what ``[keys]`` in config.toml remaps.
    id: str
    #: Default keys, Textual key names, comma-separated (``"k,f9"``).
    keys: str
    #: The action it runs (on the screen it is bound on).
    action: str
    #: Footer label (the binding's description).
    label: str
    #: One line for the help screen and the palette: more than the footer says.
    help: str
    #: The help screen's group (:data:`GROUPS`).
    group: str
    #: The surfaces it is bound on (:data:`SCREENS`).
    screens: tuple[str, ...]
    #: The palette's title (None: the label).
    title: str | None = None
    #: Offered in the command palette (where the palette looks: console/palette.py).
    palette: bool = True
    #: The controller action that must allow it (None: always allowed).
    gate: Action | None = None
    #: Exists only on a console of several hosts.
    fleet_only: bool = False
    #: In the footer.
    show: bool = True
    #: Before the focused widget's keys (Textual's ``priority``).
    priority: bool = False
    key_display: str | None = None
    #: Per-screen differences.
    on: Mapping[str, Variant] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def palette_title(self) -> str:
        return self.title or self.label

    def default_keys(self) -> list[str]:
        return split_keys(self.keys)


#: The help screen's groups, in order (every KeySpec.group is one of them).
GROUPS: tuple[str, ...] = (
    "Views", "Sorting", "Live data", "Jail actions", "Services and commands in a jail",
    "Process actions", "Editing the configuration", "Dialogs", "Moving around", "Leaving",
    "Hosts",
)

_JAIL = ("main", "detail")

# The order of the table is the order of each screen's BINDINGS, hence of its
# footer (the footer lists a screen's bindings in their order): ``?`` first.
KEYS: tuple[KeySpec, ...] = (
    KeySpec("help", "question_mark,f1", "app.help", "Help", "this help", "Views",
            ("app", "main", "detail", "services", "health", "snapshots", "limits", "posture",
             "fleet_posture", "process"), title="Keys (help)",
            key_display="?", on=MappingProxyType({"app": Variant(action="help")})),
    KeySpec("back", "escape", "back", "Back", "back to the list", "Views",
            ("detail", "services", "health", "exec", "snapshots", "limits", "changes",
             "posture", "fleet_posture", "process"), title="Back"),
    KeySpec("switch_pane", "tab", "switch_pane", "Pane",
            "switch between the jails and the processes pane", "Views", ("main",),
            title="Switch pane", show=False),
    KeySpec("detail", "enter", "detail", "Detail",
            "the jail in full (on a process row: its open files, memory map)", "Views",
            ("main",), title="Jail detail", key_display="⏎"),
    # F4: htop's filter key (htop's "/" searches; ours filters, as in k9s).
    KeySpec("filter", "slash,f4", "filter", "Filter",
            "filter the focused pane as you type (Enter keeps, Escape clears)", "Views",
            ("main", "events"), title="Filter the focused pane", key_display="/"),
    # Search beside the filter: every row stays, the matches are marked and
    # the cursor jumps (htop's F3, emacs's ctrl+s; n/N as in less and vi).
    KeySpec("search", "f3,ctrl+s", "search", "Search",
            "search the focused pane: matches marked, the cursor jumps to them",
            "Views", ("main",), title="Search the focused pane", show=False),
    KeySpec("search_next", "n", "search_step(1)", "Next match",
            "search: the next match", "Views", ("main", "console_log"), show=False),
    KeySpec("search_prev", "N", "search_step(-1)", "Previous match",
            "search: the previous match", "Views", ("main", "console_log"), show=False),
    KeySpec("clear_filter", "escape", "clear_filter", "Clear filter",
            "clear the marks, else the filter of the focused pane, else its search",
            "Views", ("main",), title="Clear the filter", show=False),
    # htop's space tags a process, k9s's marks a row; pause keeps p (htop has no
    # pause key; space paused here before multi-select, issue 20).
    KeySpec("mark", "space", "mark", "Mark",
            "mark / unmark the jail; u, d, R then act on every marked jail (asks first)",
            "Views", ("main",), title="Mark the jail for a bulk action", show=False),
    KeySpec("filter_clear", "escape", "clear_filter", "Clear filter",
            "filter: clear it and leave it", "Views", ("filter",)),
    # -- the tables (widgets/keyed_table.py) --------------------------------------------
    KeySpec("host_wide", "a", "host_wide", "All procs",
            "processes: the selected jail's, or the whole host's (J = jailed)", "Views",
            ("main",), title="Toggle host-wide processes"),
    # Many hosts only (MainScreen.check_action hides them with one host).
    KeySpec("hosts", "h", "hosts", "Hosts",
            "hosts: their state; pick one host, or all hosts (a HOST column)", "Hosts",
            ("main",), title="Hosts: switch host or show all hosts", fleet_only=True),
    KeySpec("hosts_close", "escape,q,h", "close", "Close", "hosts: close the list", "Hosts",
            ("hosts",), fleet_only=True),
    KeySpec("reconnect", "c", "reconnect", "Reconnect",
            "reconnect to the selected host now (skips its retry wait)", "Hosts",
            ("main", "hosts"), title="Reconnect to the selected host now", fleet_only=True,
            show=False, on=MappingProxyType({"hosts": Variant(show=True)})),
    KeySpec("tree", "t,f5", "tree", "Tree", "processes as a tree (by parent pid)", "Views",
            ("main",), title="Toggle process tree", show=False),
    # k9s's command line: every command is a key of this table with an
    # argument (console/commands.py), through the same guard and gate.
    KeySpec("command_line", "colon", "command_line", "Command",
            "command line: stop web, host db1, sort mem, filter TEXT (Tab completes)",
            "Views", ("main",), title="Command line (:stop web, :host db1, :sort mem)",
            show=False, key_display=":"),
    KeySpec("command_complete", "tab", "complete", "Complete",
            "command line: complete the command or its jail, host or column name",
            "Views", ("command",), show=False),
    KeySpec("command_cancel", "escape", "clear_filter", "Leave",
            "command line: leave it, nothing run", "Views", ("command",)),
    KeySpec("hide_kernel", "K", "hide_kernel", "Kernel threads",
            "processes: hide / show the kernel's threads ([idle], [geom]...)",
            "Views", ("main",), title="Hide / show kernel threads", show=False),
    KeySpec("user_filter", "U", "user_filter", "User",
            "processes: only one user's (pick from a list; again: every user's)",
            "Views", ("main",), title="Filter processes by user", show=False),
    KeySpec("yank", "y", "yank", "Copy row",
            "copy the row: jail name, jid, path; process pid, jid, jail, user, command",
            "Views", ("main",),
            title="Copy the row to the clipboard", show=False),
    KeySpec("users_close", "escape,q,U", "close", "Close", "users: close, keep the filter",
            "Dialogs", ("users",)),
    # C: htop's F2 setup screen chooses the columns; k9s has no picker. The
    # choice is remembered (core/userstate.py) unless [columns] pins the pane.
    KeySpec("columns", "C", "columns", "Columns",
            "choose, hide and reorder the focused pane's columns (remembered)", "Views",
            ("main",), title="Choose the columns of the focused pane", show=False),
    KeySpec("columns_toggle", "space", "toggle_column", "Show/hide",
            "columns: show or hide the highlighted column", "Dialogs", ("columns",)),
    KeySpec("columns_up", "K,shift+up", "move(-1)", "Move up",
            "columns: move the highlighted column left (up the list)", "Dialogs",
            ("columns",), key_display="K"),
    KeySpec("columns_down", "J,shift+down", "move(1)", "Move down",
            "columns: move the highlighted column right (down the list)", "Dialogs",
            ("columns",), key_display="J"),
    KeySpec("columns_defaults", "r", "defaults", "Defaults",
            "columns: back to the default columns and order", "Dialogs", ("columns",)),
    # Priority: the list would take Enter as "select" first.
    KeySpec("columns_apply", "enter", "apply", "Apply",
            "columns: use this choice (and remember it)", "Dialogs", ("columns",),
            priority=True, key_display="⏎"),
    KeySpec("columns_cancel", "escape,q", "cancel", "Cancel",
            "columns: leave them as they were", "Dialogs", ("columns",)),
    # m ("memo"): the user's own words on a jail, in our state file, per host.
    KeySpec("note", "m", "note", "Note",
            "write a note on the jail (kept per host; empty removes it)", "Views", _JAIL,
            title="Note on the jail", show=False),
    KeySpec("note_cancel", "escape", "cancel", "Cancel", "note: keep the note as it was",
            "Dialogs", ("note",)),
    KeySpec("sort_next", "s,greater_than_sign,f6", "sort(1)", "Sort",
            "sort by the next column (click a header to sort by it)", "Sorting", ("main",),
            show=False),
    KeySpec("sort_prev", "less_than_sign", "sort(-1)", "Sort back",
            "sort by the previous column", "Sorting", ("main",), show=False, key_display="<"),
    # I only (htop's invert): S is the posture (issue 17).
    KeySpec("sort_reverse", "I", "sort_reverse", "Reverse sort", "reverse the sort order",
            "Sorting", ("main",), show=False),
    KeySpec("sort_cpu", "P", "quick_sort('cpu')", "Sort by CPU",
            "sort by CPU% (again: reverse)", "Sorting", ("main",), show=False),
    KeySpec("sort_mem", "M", "quick_sort('mem')", "Sort by memory",
            "sort by memory (again: reverse)", "Sorting", ("main",), show=False),
    # "#", not htop's N: n/N step through the search's matches (as in less).
    KeySpec("sort_pid", "number_sign", "quick_sort('pid')", "Sort by PID/JID",
            "sort by PID (processes) or JID (jails)", "Sorting", ("main",), show=False),
    KeySpec("sort_time", "T", "quick_sort('time')", "Sort by time",
            "sort processes by elapsed time", "Sorting", ("main",), show=False),
    KeySpec("start", "u", "start", "Start", "start the selected jail", "Jail actions", _JAIL,
            title="Start jail", gate=Action.START),
    KeySpec("stop", "d", "stop", "Stop", "stop the selected jail (asks first)", "Jail actions",
            _JAIL, title="Stop jail", gate=Action.STOP),
    KeySpec("restart", "R", "restart", "Restart", "restart the selected jail (asks first)",
            "Jail actions", _JAIL, title="Restart jail", gate=Action.RESTART),
    KeySpec("shell", "x", "shell", "Shell",
            "open a shell in the jail (jexec -l); a stopped jail: offers to start it",
            "Jail actions", _JAIL, title="Shell in jail (jexec)", gate=Action.SHELL),
    KeySpec("edit", "e", "edit", "Edit conf",
            "edit the jail's configuration (delegates: allowed parameters only)",
            "Jail actions", _JAIL, title="Edit jail configuration", gate=Action.EDIT),
    # Viewing the snapshots is reading (z: "zfs"): any role that sees the jail;
    # taking and destroying one is the snapshot action (docs/freebsd.md 12.3).
    KeySpec("snapshots", "z", "snapshots", "Snapshots",
            "the jail's ZFS snapshots: take, destroy, restore from one",
            "Views", _JAIL, title="Snapshots of the jail (ZFS)", gate=Action.VIEW,
            show=False),
    KeySpec("restore", "B", "restore", "Restore",
            "replace the jail's root with a known-good snapshot (pick one)", "Jail actions", _JAIL, title="Restore the jail from a snapshot",
            gate=Action.RESTORE, show=False),
    KeySpec("snapshot_restore", "B", "snapshot_restore", "Restore from it",
            "snapshots: restore the jail from the selected one (asks first)", "Jail actions",
            ("snapshots",),
            title="Restore the jail from the selected snapshot", gate=Action.RESTORE),
    KeySpec("restore_swap_back", "s", "restore_swap_back", "Swap back",
            "restore: after a failed start, put the quarantined root back (asks first)",
            "Jail actions", ("restore",),
            title="Swap the quarantined root back", gate=Action.RESTORE),
    KeySpec("what_changed", "w", "what_changed", "What changed",
            "the selected quarantined copy (restore: the one just made): what changed",
            "Views", ("snapshots", "restore"),
            title="What changed in the quarantined root", gate=Action.VIEW),
    # The quarantined copies a restore kept, the table under the snapshots (issue 16:
    # destroying one is a separate, confirmed action; core/storage/quarantine.py).
    # D, not d: d destroys a snapshot; both ask first, naming what goes.
    KeySpec("quarantine_destroy", "D", "quarantine_destroy", "Destroy copy",
            "snapshots: destroy the selected quarantined copy (asks first; for good)",
            "Jail actions", ("snapshots",),
            title="Destroy the selected quarantined copy", gate=Action.RESTORE),
    KeySpec("restore_close", "escape", "close", "Close",
            "restore: close it once the flow has ended", "Dialogs", ("restore",)),
    KeySpec("backup_cancel", "c", "cancel", "Cancel",
            "backup: cancel the copy (no half-received backup is left)", "Dialogs",
            ("backup",)),
    KeySpec("backup_close", "escape", "close", "Close",
            "backup: close it once the copy has ended", "Dialogs", ("backup",)),
    KeySpec("snapshot_take", "n", "snapshot_take", "Take",
            "snapshots: take one now (zfs snapshot -r), name editable",
            "Jail actions", ("snapshots",), title="Take a snapshot", gate=Action.SNAPSHOT),
    KeySpec("snapshot_destroy", "d", "snapshot_destroy", "Destroy",
            "snapshots: destroy the selected one (asks first, naming it)", "Jail actions",
            ("snapshots",), title="Destroy the selected snapshot", gate=Action.SNAPSHOT),
    KeySpec("snapshot_discard", "X", "snapshot_discard", "Roll back",
            "snapshots: roll back to the selected one, discarding the root (asks first)",
            "Jail actions", ("snapshots",),
            title="Roll back to the snapshot, keeping nothing", gate=Action.RESTORE),
    KeySpec("snapshots_switch", "tab", "switch_table", "Switch table",
            "snapshots: move between the snapshots and the quarantined copies", "Views",
            ("snapshots",), title="Move between snapshots and quarantined copies",
            show=False),
    # %: the jail's rctl limits (issue 20; core/actions/limits.py). Viewing them is
    # reading; adding, changing and removing one is the rctl action.
    KeySpec("limits", "percent_sign", "limits", "Limits",
            "the jail's rctl limits: add, change, remove, keep in /etc/rctl.conf",
            "Views", ("detail",), title="rctl limits of the jail", gate=Action.VIEW,
            key_display="%"),
    KeySpec("limit_add", "a", "limit_add", "Add",
            "limits: add a rule (resource, action, amount), checked against rctl(8)",
            "Jail actions", ("limits",), title="Add an rctl rule", gate=Action.RCTL),
    KeySpec("limit_change", "enter", "limit_change", "Change",
            "limits: change the selected rule (its amount, action or resource)",
            "Jail actions", ("limits",), title="Change the selected rctl rule",
            gate=Action.RCTL, key_display="⏎"),
    KeySpec("limit_remove", "d", "limit_remove", "Remove",
            "limits: remove the selected rule (asks first; from rctl.conf too)",
            "Jail actions", ("limits",), title="Remove the selected rctl rule",
            gate=Action.RCTL),
    # b: a copy out of the jail's reach (issue 16; core/storage/backup.py).
    KeySpec("backup", "b", "backup", "Backup",
            "back the jail up out of its reach (zfs send, or bsdtar), with progress",
            "Jail actions", _JAIL, title="Back the jail up", gate=Action.BACKUP, show=False),
    # Viewing the services is reading (issue 13 item 24): any role opens it;
    # starting/stopping one is gated (service_* below).
    KeySpec("services", "D", "services", "Services",
            "the jail's enabled rc.d services and their state; start/stop/restart",
            "Services and commands in a jail", _JAIL,
            title="Services of the jail (rc.d)", gate=Action.SERVICE_STATUS, show=False),
    # Reading, as the detail is (issue 17): every role, for the jails it sees.
    KeySpec("posture", "S", "posture", "Posture",
            "the jail's security posture against the [posture] baseline", "Views", _JAIL,
            title="Security posture of the jail", show=False),
    KeySpec("exec", "exclamation_mark", "exec", "Run",
            "run one command in the jail (jexec -l, no shell) and see its output",
            "Services and commands in a jail", _JAIL, title="Run a command in the jail",
            gate=Action.EXEC, show=False, key_display="!"),
    # "Signal", not "Kill": TERM, HUP, STOP... are offered, KILL is one of them.
    # F9 as in htop, ctrl+k as in k9s: k moves up in the tables (vi, k9s).
    KeySpec("signal", "f9,ctrl+k", "signal", "Signal",
            "send a signal to the selected process (TERM, KILL, HUP...)", "Process actions",
            ("main",), title="Send a signal to the process", gate=Action.SIGNAL),
    # o: "open files" (lsof's, fstat's subject); Enter on a process row does the same.
    KeySpec("process_detail", "o", "process_detail", "Process",
            "the selected process: open files and memory map (procstat -f, -v)",
            "Process actions", ("main",), title="Process detail (open files, memory map)",
            gate=Action.PROCESS, show=False),
    KeySpec("process_env", "e", "process_env", "Environment",
            "process: its environment (procstat -e; may hold secrets: host admins)",
            "Process actions", ("process",), title="Show the process's environment",
            gate=Action.PROCESS_ENV),
    # The services screen mirrors the jail keys (u start, d stop, R restart)
    # for the selected service.
    KeySpec("service_start", "u", "service_start", "Start",
            "services: start the selected service (service -j JAIL NAME start)",
            "Services and commands in a jail", ("services",),
            title="Start the selected service", gate=Action.SERVICES),
    KeySpec("service_stop", "d", "service_stop", "Stop",
            "services: stop the selected service (asks first)",
            "Services and commands in a jail", ("services",),
            title="Stop the selected service", gate=Action.SERVICES),
    KeySpec("service_restart", "R", "service_restart", "Restart",
            "services: restart the selected service (asks first)",
            "Services and commands in a jail", ("services",),
            title="Restart the selected service", gate=Action.SERVICES),
    # The command screen's Input takes every printable key, so its keys are
    # ones it leaves alone: its up/down are the inherited scroll bindings,
    # which raise SkipAction when there is nothing to scroll
    # (textual/widget.py, Widget.action_scroll_up), so the key reaches the
    # screen's history binding.
    KeySpec("exec_history_prev", "up", "history(-1)", "Previous command",
            "command: the previous command of this session",
            "Services and commands in a jail", ("exec",), show=False),
    KeySpec("exec_history_next", "down", "history(1)", "Next command",
            "command: the next command of this session",
            "Services and commands in a jail", ("exec",), show=False),
    KeySpec("exec_clear", "ctrl+l", "clear", "Clear", "command: clear the output",
            "Services and commands in a jail", ("exec",), title="Clear the command output",
            key_display="^L"),
    # Priority: the Input would take ctrl+c first. Hidden (check_action) when
    # nothing runs, so ctrl+c then quits as everywhere.
    KeySpec("exec_cancel", "ctrl+c", "cancel", "Cancel",
            "command: cancel the running command (kills it)",
            "Services and commands in a jail", ("exec",), priority=True, key_display="^C"),
    KeySpec("pause", "p", "pause", "Pause",
            "pause / resume polling (the data stays on screen)", "Live data", ("app",),
            title="Pause / resume polling"),
    KeySpec("log", "L", "log", "Log",
            "the action log: output of start/stop/restart/kill and poll errors", "Views",
            ("app",), title="Action log", show=False),
    KeySpec("log_back", "escape,L", "back", "Back", "action log: back", "Views", ("log",)),
    # Reading, as the services are: every role, for the jails it sees (issue 20).
    KeySpec("console_log", "l", "console_log", "Console log",
            "the jail's console log (exec.consolelog: rc output), followed; / searches",
            "Views", _JAIL, title="Console log of the jail", gate=Action.CONSOLE_LOG,
            show=False),
    KeySpec("console_log_back", "escape,l", "back", "Back", "console log: back", "Views",
            ("console_log",)),
    KeySpec("console_log_search", "slash,f3", "search", "Search",
            "console log: search it (matches marked; n/N step through them)", "Views",
            ("console_log",), key_display="/"),
    KeySpec("events", "E", "events", "Events",
            "events: jails created, removed, restarted, dying; hosts down, back; actions",
            "Views", ("app",), title="Event timeline", show=False),
    KeySpec("events_back", "escape,E", "back", "Back", "events: back", "Views", ("events",)),
    KeySpec("owner_file_back", "escape,q", "back", "Back",
            "a manager's file, shown read-only (screens/owner_config.py): back", "Views",
            ("owner_file",)),
    # Capital H: h is left free for vi-style movement; H is not bound
    # anywhere else (main, detail, tables, editors, modals).
    KeySpec("health", "H", "health", "Health",
            "health checks, as `jailtui check`: findings, worst first", "Views", ("app",),
            title="Health checks", show=False),
    KeySpec("posture_flags", "f", "posture_flags", "Set flags",
            "posture: set the baseline's file flags on the jail root (asks first)",
            "Jail actions", ("posture",), title="Set the baseline's file flags",
            gate=Action.FLAGS),
    KeySpec("fleet_posture", "F", "fleet_posture", "Fleet",
            "the fleet's posture: one row per jail of every host", "Views", ("app",),
            title="Security posture of every jail (fleet table)", show=False),
    KeySpec("fleet_open", "enter", "open", "Posture",
            "fleet table: the selected jail's posture in full", "Views", ("fleet_posture",),
            key_display="⏎"),
    KeySpec("fleet_sort", "s,greater_than_sign", "sort(1)", "Sort",
            "fleet table: sort by the next column", "Sorting", ("fleet_posture",)),
    KeySpec("fleet_sort_prev", "less_than_sign", "sort(-1)", "Sort back",
            "fleet table: sort by the previous column", "Sorting", ("fleet_posture",),
            show=False, key_display="<"),
    KeySpec("fleet_reverse", "I", "sort_reverse", "Reverse sort",
            "fleet table: reverse the sort order", "Sorting", ("fleet_posture",), show=False),
    KeySpec("fleet_filter", "slash", "filter", "Filter",
            "fleet table: filter the rows as you type", "Views",
            ("fleet_posture",), key_display="/"),
    KeySpec("health_goto", "enter", "goto_jail", "Go to jail",
            "health view: back to the jails pane, on the finding's jail", "Views",
            ("health",), key_display="⏎"),
    # Shared id where the meaning is the same: a [keys] remap of "refresh"
    # applies on every screen that reloads something.
    KeySpec("refresh", "r,ctrl+r", "refresh", "Refresh", "poll the host now", "Live data",
            ("app", "detail", "services", "health", "snapshots", "limits", "posture",
             "fleet_posture", "process"),
            title="Refresh now", show=False,
            on=MappingProxyType({
                "posture": Variant(action="reload", label="Collect again", show=True),
                "fleet_posture": Variant(action="reload", label="Collect again", show=True),
                "detail": Variant(action="reload", label="Reload", show=True),
                "process": Variant(action="reload", label="Read again", show=True),
                "snapshots": Variant(action="reload", label="Reload", show=True),
                "limits": Variant(action="reload", label="Reload", show=True),
                "services": Variant(action="reload", label="Reload", show=True),
                "health": Variant(action="check_again", label="Check again", show=True),
            })),
    KeySpec("interval_up", "plus,equals_sign", "interval(1)", "Slower",
            "poll less often (longer interval)", "Live data", ("app",),
            title="Poll less often", show=False, key_display="+"),
    KeySpec("interval_down", "minus", "interval(-1)", "Faster",
            "poll more often (shorter interval)", "Live data", ("app",),
            title="Poll more often", show=False, key_display="-"),
    # ctrl+c quits as in htop, instead of Textual's "press ctrl+q" hint
    # (docs/textual.md 2.5); the command screen takes it to cancel a command.
    KeySpec("quit", "q,ctrl+c,f10", "quit", "Quit", "quit (ctrl+q too)", "Leaving", ("app",),
            title="Quit"),
    # ctrl+z reaches us as a key in raw mode: Textual's suspend_process sends
    # SIGTSTP itself and its driver restores the terminal on SIGCONT
    # (textual/app.py App.action_suspend_process; docs/textual.md 2.14).
    KeySpec("suspend", "ctrl+z", "suspend_process", "Suspend",
            "suspend to the shell (fg resumes)", "Leaving", ("app",), show=False,
            key_display="^Z"),
    # Bound here with an id, Textual does not add its own (unnamed, so not
    # remappable) palette binding (textual/app.py, App.__init__ looks for an
    # action "command_palette" first). Priority as Textual's own.
    KeySpec("command_palette", "ctrl+p", "command_palette", "Commands",
            "command palette: every command by name", "Views", ("app",), palette=False,
            show=False, priority=True),
    # -- editing the configuration (screens/config_editor.py, param_form.py,
    # diff.py): ctrl+s / ctrl+o because the TextArea and the Inputs take
    # every printable key and bind ctrl+a/e/k/u/w/x/c/v/z/y themselves.
    KeySpec("config_save", "ctrl+s", "save", "Check & save",
            "editor: check the edit (jail -e), show the diff, then save",
            "Editing the configuration", ("config_editor", "param_form", "property_form"),
            key_display="^S"),
    KeySpec("config_external", "ctrl+o", "external", "Whole file in $EDITOR",
            "editor: edit the whole file in $VISUAL / $EDITOR (host admin)",
            "Editing the configuration", ("config_editor",), key_display="^O"),
    # priority on the editor: with tab_behavior="indent" the TextArea takes
    # Escape to move the focus out (textual/widgets/_text_area.py, _on_key).
    KeySpec("config_cancel", "escape", "cancel", "Cancel",
            "editor: leave (asks first when there are unsaved changes)",
            "Editing the configuration", ("config_editor", "param_form", "property_form"),
            on=MappingProxyType({"config_editor": Variant(priority=True)})),
    KeySpec("diff_save", "ctrl+s,y", "save", "Save",
            "diff: save the change (atomic, with a backup)", "Editing the configuration",
            ("diff",)),
    KeySpec("diff_cancel", "escape,n", "cancel", "Back to the edit",
            "diff: back to the edit, nothing saved", "Editing the configuration", ("diff",)),
    KeySpec("conflict_reload", "r", "reload", "Reload, keep my edit",
            "conflict: reload the file from disk, keep your edit to merge",
            "Editing the configuration", ("conflict",)),
    KeySpec("conflict_cancel", "escape,n", "cancel", "Back to the edit",
            "conflict: back to the edit, nothing saved", "Editing the configuration",
            ("conflict",)),
    # -- dialogs and the log -------------------------------------------------------------
    KeySpec("confirm_yes", "y", "answer(True)", "Yes", "question: yes, do it", "Dialogs",
            ("confirm",)),
    KeySpec("confirm_no", "n,escape", "answer(False)", "No",
            "question: no (the focus starts on No)", "Dialogs", ("confirm",)),
    KeySpec("signal_cancel", "escape", "cancel", "Cancel", "signals: send none", "Dialogs",
            ("signal",)),
    KeySpec("resume_finish", "f", "finish", "Finish",
            "restore cut short: finish it (clone in place, start, check)", "Dialogs",
            ("resume",)),
    KeySpec("resume_undo", "u", "undo", "Undo",
            "restore cut short: undo it (put the old root back, start it)", "Dialogs",
            ("resume",)),
    KeySpec("resume_later", "escape", "later", "Later",
            "restore cut short: decide later (jailtui restore NAME --resume)", "Dialogs",
            ("resume",)),
    KeySpec("snapshot_name_cancel", "escape", "cancel", "Cancel",
            "snapshot name: take none", "Dialogs", ("snapshot_name",)),
    KeySpec("limit_form_cancel", "escape", "cancel", "Cancel",
            "rctl rule: change nothing", "Dialogs", ("limit_form",)),
    KeySpec("help_close", "escape,q,question_mark,f1", "close", "Close", "help: close it",
            "Dialogs", ("help",)),
    # vi/less/k9s movement beside the arrows: j/k, g/G, ctrl+f/ctrl+b.
    KeySpec("cursor_up", "up,k", "cursor(-1)", "Up", "previous row", "Moving around",
            ("table",), show=False),
    KeySpec("cursor_down", "down,j", "cursor(1)", "Down", "next row", "Moving around",
            ("table",), show=False),
    KeySpec("page_up", "pageup,ctrl+b", "page(-1)", "Page up", "previous page",
            "Moving around", ("table",), show=False),
    KeySpec("page_down", "pagedown,ctrl+f", "page(1)", "Page down", "next page",
            "Moving around", ("table",), show=False),
    KeySpec("first_row", "home,g", "edge(0)", "First row", "first row", "Moving around",
            ("table",), show=False),
    KeySpec("last_row", "end,G", "edge(1)", "Last row", "last row", "Moving around",
            ("table",), show=False),
    KeySpec("scroll_left", "left", "scroll_cols(-8)", "Scroll left",
            "scroll the columns left", "Moving around", ("table",), show=False),
    KeySpec("scroll_right", "right", "scroll_cols(8)", "Scroll right",
            "scroll the columns right (whole command lines)", "Moving around", ("table",),
            show=False),
)

#: Every key by id.
SPECS: Mapping[str, KeySpec] = MappingProxyType({s.id: s for s in KEYS})

#: Binding ids of gated actions and the controller action that gates each:
#: hidden from the footer when not allowed, refused with a message when
#: forced (keymap, command palette). A gated binding's action is its id.
GUARDED: Mapping[str, Action] = MappingProxyType(
    {s.id: s.gate for s in KEYS if s.gate is not None})

#: Bindings that exist only on a console of many hosts (several --host):
#: hidden from the footer, the palette and the help screen with one host.
FLEET_IDS = frozenset(s.id for s in KEYS if s.fleet_only)


def split_keys(keys: str) -> list[str]:
    """``"k,f9"`` -> ``["k", "f9"]``."""
    return [k.strip() for k in keys.split(",") if k.strip()]


def specs_on(screen: str) -> list[KeySpec]:
    """The keys bound on ``screen``, in table order."""
    if screen not in SCREENS:
        raise KeyError(screen)
    return [s for s in KEYS if screen in s.screens]


def bindings_for(screen: str) -> list[Binding]:
    """The Textual ``BINDINGS`` of ``screen`` (a :data:`SCREENS` name)."""
    from textual.binding import Binding

    out: list[Binding] = []
    for s in specs_on(screen):
        v = s.on.get(screen, Variant())
        out.append(Binding(
            s.keys, v.action or s.action, v.label or s.label,
            show=s.show if v.show is None else v.show,
            key_display=s.key_display,
            priority=s.priority if v.priority is None else v.priority,
            id=s.id))
    return out


def group_specs(*, several_hosts: bool) -> list[tuple[str, list[KeySpec]]]:
    """The help screen's groups, in order, each with its keys in table order."""
    out: list[tuple[str, list[KeySpec]]] = []
    for title in GROUPS:
        specs = [s for s in KEYS if s.group == title and (several_hosts or not s.fleet_only)]
        if specs:
            out.append((title, specs))
    return out


# -- key names ------------------------------------------------------------------------------
#
# Textual names a printable key by its character when it is alphanumeric,
# else by its Unicode name, lower case, with "_" for spaces and dashes, and
# a few short forms (textual/keys.py: _character_to_key, KEY_NAME_REPLACEMENTS;
# tests/test_key_table.py checks this agrees with the installed Textual).

_NAME_REPLACEMENTS = {"solidus": "slash", "reverse_solidus": "backslash",
                      "commercial_at": "at", "hyphen_minus": "minus", "plus_sign": "plus",
                      "low_line": "underscore"}


def char_key(character: str) -> str:
    """Textual's key name of one printable character (``"!"`` -> ``"exclamation_mark"``)."""
    if character.isalnum():
        return character
    try:
        name = unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        return character
    return _NAME_REPLACEMENTS.get(name, name)


#: Key names of the printable ASCII punctuation -> the character.
CHAR_NAMES: Mapping[str, str] = MappingProxyType(
    {char_key(c): c for c in string.punctuation})

#: Keys a terminal sends that have a name (textual/keys.py ``Keys``; what the
#: xterm parser delivers, textual/_xterm_parser.py).
NAMED_KEYS = frozenset({
    "escape", "enter", "tab", "space", "backspace", "insert", "delete", "home", "end",
    "pageup", "pagedown", "up", "down", "left", "right",
    *(f"f{n}" for n in range(1, 25)),
})

#: Modifiers in the order Textual writes them (it sorts them:
#: textual/_xterm_parser.py, ``key_tokens.sort()``).
MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")

#: Keys that are the same key to Textual (textual/keys.py KEY_ALIASES).
_ALIASES = {"ctrl+i": "tab", "ctrl+m": "enter", "ctrl+space": "ctrl+at",
            "ctrl+left_square_bracket": "escape"}

#: Keys Textual keeps for itself, whatever the keymap says: ctrl+q quits
#: with priority (textual/app.py, App.BINDINGS).
RESERVED: Mapping[str, str] = MappingProxyType({"ctrl+q": "Textual's own quit key"})


def key_text(key: str) -> str:
    """How a key is written for people: ``question_mark`` -> ``?``, ``ctrl+r`` stays."""
    return CHAR_NAMES.get(key, key)


def normal_key(key: str) -> str | None:
    """The key as Textual names it when it delivers it; None when it never does.

    A single printable character (``d``, ``D``, ``!``), a name (``escape``,
    ``f5``, ``question_mark``), or modifiers and a key (``ctrl+d``,
    ``alt+x``, ``shift+tab``). ``shift+a`` is never delivered (the terminal
    sends ``A``), nor is ``ctrl+D`` (Textual lowers the letter).
    """
    key = key.strip()
    if len(key) == 1:
        if not key.isprintable() or key.isspace() or key == ",":
            return None
        return char_key(key)
    *mods, base = key.split("+")
    if not base or any(m not in MODIFIERS for m in mods) or len(set(mods)) != len(mods):
        return None
    if len(base) == 1:
        if not base.isprintable() or base.isspace() or (mods and base.isupper()):
            return None
        base = char_key(base)
    elif base not in NAMED_KEYS and base not in CHAR_NAMES:
        return None
    printable = base in CHAR_NAMES or len(base) == 1
    if mods == ["shift"] and printable:
        return None  # the terminal sends the shifted character itself
    name = "+".join([*sorted(mods), base])
    return _ALIASES.get(name, name)


# -- [keys] of config.toml --------------------------------------------------------------------

def _unknown_id(where: str, binding_id: str) -> str:
    return (f"{where}: [keys] {binding_id}: no such binding id "
            "(the ids are on the right of the ? help screen and in jailtui(8))")


def _bad_key(where: str, binding_id: str, value: str, key: str) -> str:
    return (f'{where}: [keys] {binding_id} = "{value}": "{key}" is not a key '
            '(one character such as "d" or "!", or a name such as "ctrl+d", "f5", "escape")')


def _reserved(where: str, binding_id: str, value: str, key: str) -> str:
    return f'{where}: [keys] {binding_id} = "{value}": "{key}" is {RESERVED[key]}'


def _typed(where: str, binding_id: str, value: str, key: str, screen: str) -> str:
    return (f'{where}: [keys] {binding_id} = "{value}": "{key_text(key)}" would be typed into '
            f"the {screen} screen's text field; use a control or named key there "
            '(such as "ctrl+e", "f5")')


def _conflict(where: str, binding_id: str, value: str, key: str, other: str,
              screen: str) -> str:
    place = "everywhere (app-wide)" if screen == "app" else f"on the {screen} screen"
    return (f'{where}: [keys] {binding_id} = "{value}": "{key_text(key)}" is already the key '
            f"of {other} {place}; give one of them another key")


def checked_keymap(settings: Settings) -> dict[str, str]:
    """``[keys]`` of the config file, checked, in Textual's key names.

    Raises SettingsError, naming the file, the entry and the other binding,
    for an unknown binding id, a key Textual never delivers, a printable key
    on a screen where a text field takes it, or a key that another binding
    already has where both apply (after every remap): a
    key that silently does something else, or nothing, could leave a
    dangerous key where the user does not expect it (issue 13 item 16).
    """
    where = str(settings.source) if settings.source is not None else "config"
    normal: dict[str, str] = {}
    places = {i: settings.key_places.get(i, where) for i in settings.keys}
    for binding_id, value in settings.keys.items():
        where = places[binding_id]
        if binding_id not in SPECS:
            raise SettingsError(_unknown_id(where, binding_id))
        keys: list[str] = []
        for part in value.split(","):
            key = normal_key(part)
            if key is None:
                raise SettingsError(_bad_key(where, binding_id, value, part.strip()))
            if key in RESERVED:
                raise SettingsError(_reserved(where, binding_id, value, key))
            if key not in keys:
                keys.append(key)
        typing = next((n for n in SPECS[binding_id].screens if SCREENS[n].typing), None)
        printable = next((k for k in keys if len(k) == 1 or k in CHAR_NAMES or k == "space"),
                         None)
        if typing is not None and printable is not None:
            raise SettingsError(_typed(where, binding_id, value, printable, typing))
        normal[binding_id] = ",".join(keys)
    problem = _first_conflict(normal, settings.keys, places)
    if problem is not None:
        raise SettingsError(problem)
    return normal


def _effective(spec: KeySpec, keymap: Mapping[str, str]) -> list[str]:
    given = keymap.get(spec.id)
    if given is not None:
        return split_keys(given)
    return [normal_key(k) or k for k in spec.default_keys()]


def _context(screen: Surface) -> Iterable[str]:
    """The surfaces whose keys apply together on ``screen``."""
    yield screen.name
    yield from screen.widgets
    if not screen.modal and screen.name != "app":
        yield "app"


def _first_conflict(keymap: Mapping[str, str], given: Mapping[str, str],
                    places: Mapping[str, str]) -> str | None:
    """A remapped key that another binding has where both apply.

    Only remaps are checked: the defaults overlap on purpose where the
    focused widget's key is the screen's own in other words (Escape clears
    the filter in the filter bar and on the main screen). No remaps: no
    conflict, and the walk over every screen's keys (some 700 key names
    normalised, in the App's ``__init__``) is skipped (issue 18: start).
    """
    if not keymap:
        return None
    for screen in SCREENS.values():
        if screen.name in ("table", "filter"):
            continue  # checked with the screens they are on
        owners: dict[str, list[KeySpec]] = {}
        for surface in _context(screen):
            for spec in specs_on(surface):
                for key in _effective(spec, keymap):
                    ids = owners.setdefault(key, [])
                    if spec not in ids:
                        ids.append(spec)
        for key, specs in owners.items():
            remapped = [s for s in specs if s.id in keymap and key in split_keys(keymap[s.id])]
            if len(specs) < 2 or not remapped:
                continue
            mine = remapped[0]
            other = next(s for s in specs if s is not mine)
            surface = next(n for n in _context(screen) if other in specs_on(n))
            return _conflict(places[mine.id], mine.id, given[mine.id], key, other.id,
                             surface if surface in ("app",) else screen.name)
    return None
