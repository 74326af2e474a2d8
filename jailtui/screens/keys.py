"""Every key of the console in one place: the bindings, their ids, their groups.

Conventions (prior-art.md part B): htop for the process list (``/`` filter,
``t`` tree, ``P``/``M``/``N``/``T`` quick sorts, ``<``/``>`` sort column,
``I`` invert, ``k``/``F9`` signal, ``p`` pause), k9s for navigation
(``?`` help, Enter detail, Escape back, ``e`` edit), lazydocker-like
lifecycle keys that cannot be hit by accident next to each other:
``u`` start ("up"), ``d`` stop ("down"), ``R`` restart (capital: ``r`` is
refresh), ``x`` shell (jexec; k9s's ``s`` is taken by sort here), ``D``
daemons (rc.d services; ``d`` is stop), ``!`` run one command (k9s and
lazydocker run commands with a shell-like key).

Every binding has an ``id``: ``[keys]`` in config.toml maps ids to keys
(``App.set_keymap``), and the help screen lists ids next to the keys.
"""

from __future__ import annotations

from textual.binding import Binding

from jailtui.core.actions.policy import Action

#: Binding ids of actions that change something, and the controller action
#: that gates each: hidden from the footer when not allowed, refused with a
#: message when forced (keymap, command palette).
GUARDED: dict[str, Action] = {
    "start": Action.START,
    "stop": Action.STOP,
    "restart": Action.RESTART,
    "shell": Action.SHELL,
    "edit": Action.EDIT,
    "signal": Action.SIGNAL,
    "services": Action.SERVICES,
    "exec": Action.EXEC,
    # On the daemons screen (screens/services.py): the same gate as opening it.
    "service_start": Action.SERVICES,
    "service_stop": Action.SERVICES,
    "service_restart": Action.SERVICES,
}

#: Bindings that exist only on a console of many hosts (several --host):
#: hidden from the footer, the palette and the help screen with one host.
FLEET_IDS = frozenset({"hosts", "reconnect"})

#: The help screen's extra group on a console of many hosts.
FLEET_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Hosts", ("hosts", "reconnect")),
)

#: Help screen groups, in order: title -> binding ids.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Views", ("switch_pane", "detail", "back", "host_wide", "tree", "filter",
               "clear_filter", "log", "health", "health_goto", "help", "command_palette")),
    ("Sorting", ("sort_next", "sort_prev", "sort_reverse", "sort_cpu", "sort_mem",
                 "sort_pid", "sort_time")),
    ("Live data", ("refresh", "pause", "interval_up", "interval_down")),
    ("Jail actions", ("start", "stop", "restart", "shell", "edit")),
    ("Daemons and commands in a jail", ("services", "service_start", "service_stop",
                                        "service_restart", "exec", "exec_history_prev",
                                        "exec_history_next", "exec_clear",
                                        "exec_cancel")),
    ("Process actions", ("signal",)),
    ("Editing the configuration", ("config_save", "config_external", "config_cancel",
                                   "diff_save", "diff_cancel", "conflict_reload",
                                   "conflict_cancel")),
    ("Moving around", ("cursor_up", "cursor_down", "page_up", "page_down", "first_row",
                       "last_row", "scroll_left", "scroll_right")),
    ("Leaving", ("quit", "suspend")),
)

# -- App-wide (any screen that is not a modal) -------------------------------------------

APP_BINDINGS = [
    Binding("question_mark", "help", "Help", key_display="?", id="help"),
    Binding("p,space", "pause", "Pause", id="pause"),
    Binding("L", "log", "Log", show=False, id="log"),
    # Capital H: h is left free for vi-style movement; H is not bound
    # anywhere else (main, detail, tables, editors, modals).
    Binding("H", "health", "Health", show=False, id="health"),
    Binding("r,ctrl+r", "refresh", "Refresh", show=False, id="refresh"),
    Binding("plus,equals_sign", "interval(1)", "Slower", show=False, key_display="+",
            id="interval_up"),
    Binding("minus", "interval(-1)", "Faster", show=False, key_display="-",
            id="interval_down"),
    # ctrl+c quits as in htop, instead of Textual's "press ctrl+q" hint
    # (docs/textual.md 2.5); the command screen takes it to cancel a command.
    Binding("q,ctrl+c", "quit", "Quit", id="quit"),
    # ctrl+z reaches us as a key in raw mode: Textual's suspend_process sends
    # SIGTSTP itself and its driver restores the terminal on SIGCONT
    # (textual/app.py App.action_suspend_process; docs/textual.md 2.14).
    Binding("ctrl+z", "suspend_process", "Suspend", show=False, key_display="^Z",
            id="suspend"),
]

# -- Jail actions (main and detail screens) ------------------------------------------------

JAIL_ACTION_BINDINGS = [
    Binding("u", "start", "Start", id="start"),
    Binding("d", "stop", "Stop", id="stop"),
    Binding("R", "restart", "Restart", id="restart"),
    Binding("x", "shell", "Shell", id="shell"),
    Binding("e", "edit", "Edit conf", id="edit"),
    Binding("D", "services", "Daemons", show=False, id="services"),
    Binding("exclamation_mark", "exec", "Run", show=False, key_display="!", id="exec"),
]

# -- Daemons (screens/services.py) and one command (screens/exec.py) ------------------------
#
# The daemons screen mirrors the jail keys (u start, d stop, R restart) for
# the selected service; "refresh" and "back" are shared ids, as on the detail
# screen. The command screen's Input takes every printable key, so its keys
# are ones it leaves alone: its up/down are the inherited scroll bindings,
# which raise SkipAction when there is nothing to scroll (textual/widget.py,
# Widget.action_scroll_up), so the key reaches the screen's history binding.

SERVICES_BINDINGS = [
    Binding("question_mark", "app.help", "Help", key_display="?", id="help"),
    Binding("escape", "back", "Back", id="back"),
    Binding("u", "service_start", "Start", id="service_start"),
    Binding("d", "service_stop", "Stop", id="service_stop"),
    Binding("R", "service_restart", "Restart", id="service_restart"),
    Binding("r,ctrl+r", "reload", "Reload", id="refresh"),
]

EXEC_BINDINGS = [
    Binding("escape", "back", "Back", id="back"),
    Binding("up", "history(-1)", "Previous command", show=False, id="exec_history_prev"),
    Binding("down", "history(1)", "Next command", show=False, id="exec_history_next"),
    Binding("ctrl+l", "clear", "Clear", key_display="^L", id="exec_clear"),
    # Priority: the Input would take ctrl+c first. Hidden (check_action) when
    # nothing runs, so ctrl+c then quits as everywhere.
    Binding("ctrl+c", "cancel", "Cancel", key_display="^C", priority=True, id="exec_cancel"),
]

# -- Editing the configuration (screens/config_editor.py, param_form.py, diff.py) ---------
#
# ctrl+s / ctrl+o because the TextArea and the Inputs take every printable
# key and bind ctrl+a/e/k/u/w/x/c/v/z/y themselves (Textual 8.2.8).

CONFIG_EDITOR_BINDINGS = [
    Binding("ctrl+s", "save", "Check & save", key_display="^S", id="config_save"),
    Binding("ctrl+o", "external", "Whole file in $EDITOR", key_display="^O",
            id="config_external"),
    # priority: with tab_behavior="indent" the TextArea takes Escape to move
    # the focus out (textual/widgets/_text_area.py, _on_key).
    Binding("escape", "cancel", "Cancel", priority=True, id="config_cancel"),
]

PARAM_FORM_BINDINGS = [
    Binding("ctrl+s", "save", "Check & save", key_display="^S", id="config_save"),
    Binding("escape", "cancel", "Cancel", id="config_cancel"),
]

#: A manager's file shown read-only (screens/owner_config.py).
OWNER_FILE_BINDINGS = [
    Binding("escape,q", "back", "Back", id="back"),
]

DIFF_BINDINGS = [
    Binding("ctrl+s,y", "save", "Save", id="diff_save"),
    Binding("escape,n", "cancel", "Back to the edit", id="diff_cancel"),
]

CONFLICT_BINDINGS = [
    Binding("r", "reload", "Reload, keep my edit", id="conflict_reload"),
    Binding("escape,n", "cancel", "Back to the edit", id="conflict_cancel"),
]

# -- Main screen ------------------------------------------------------------------------------

#: ``?`` first on the screens, so the footer starts with it (the footer lists
#: the focused chain's bindings before the App's).
HELP_FIRST = Binding("question_mark", "app.help", "Help", key_display="?", id="help")

MAIN_BINDINGS = [
    HELP_FIRST,
    Binding("tab", "switch_pane", "Pane", show=False, id="switch_pane"),
    Binding("enter", "detail", "Detail", key_display="⏎", id="detail"),
    Binding("slash", "filter", "Filter", key_display="/", id="filter"),
    Binding("escape", "clear_filter", "Clear filter", show=False, id="clear_filter"),
    Binding("a", "host_wide", "All procs", id="host_wide"),
    # Many hosts only (MainScreen.check_action hides them with one host).
    Binding("h", "hosts", "Hosts", id="hosts"),
    Binding("c", "reconnect", "Reconnect", show=False, id="reconnect"),
    Binding("t", "tree", "Tree", show=False, id="tree"),
    Binding("s,greater_than_sign", "sort(1)", "Sort", show=False, id="sort_next"),
    Binding("less_than_sign", "sort(-1)", "Sort back", show=False, key_display="<",
            id="sort_prev"),
    Binding("S,I", "sort_reverse", "Reverse sort", show=False, id="sort_reverse"),
    Binding("P", "quick_sort('cpu')", "Sort by CPU", show=False, id="sort_cpu"),
    Binding("M", "quick_sort('mem')", "Sort by memory", show=False, id="sort_mem"),
    Binding("N", "quick_sort('pid')", "Sort by PID/JID", show=False, id="sort_pid"),
    Binding("T", "quick_sort('time')", "Sort by time", show=False, id="sort_time"),
    *JAIL_ACTION_BINDINGS,
    # "Signal", not "Kill": TERM, HUP, STOP... are offered, KILL is one of them.
    Binding("k,f9", "signal", "Signal", id="signal"),
]

# -- Host switcher (screens/hosts.py) -------------------------------------------------------

HOSTS_BINDINGS = [
    Binding("escape,q,h", "close", "Close", id="hosts_close"),
    Binding("c", "reconnect", "Reconnect", id="reconnect"),
]

# -- Detail screen ----------------------------------------------------------------------------

DETAIL_BINDINGS = [
    HELP_FIRST,
    Binding("escape", "back", "Back", id="back"),
    *JAIL_ACTION_BINDINGS,
]

# -- Health view (screens/health.py) -----------------------------------------------------------
#
# Shared ids where the meaning is the same (a [keys] remap of "refresh" or
# "back" applies here too); ``H`` (app-wide) closes it again.

HEALTH_BINDINGS = [
    HELP_FIRST,
    Binding("escape", "back", "Back", id="back"),
    Binding("enter", "goto_jail", "Go to jail", key_display="⏎", id="health_goto"),
    Binding("r,ctrl+r", "check_again", "Check again", id="refresh"),
]

#: What each binding does, for the help screen (one line, more than the footer says).
HELP_TEXT: dict[str, str] = {
    "switch_pane": "switch between the jails and the processes pane",
    "detail": "the jail in full: restrictions, disk, config, rctl, logins, daemons",
    "back": "back to the list",
    "host_wide": "processes: the selected jail's, or the whole host's (J = jailed)",
    "tree": "processes as a tree (by parent pid)",
    "filter": "filter the focused pane as you type (Enter keeps, Escape clears)",
    "clear_filter": "clear the filter of the focused pane",
    "log": "the action log: output of start/stop/restart/kill and poll errors",
    "health": "health checks, as `jailtui check`: findings, worst first",
    "health_goto": "health view: back to the jails pane, on the finding's jail",
    "help": "this help",
    "command_palette": "command palette: every command by name",
    "sort_next": "sort by the next column (click a header to sort by it)",
    "sort_prev": "sort by the previous column",
    "sort_reverse": "reverse the sort order",
    "sort_cpu": "sort by CPU% (again: reverse)",
    "sort_mem": "sort by memory (again: reverse)",
    "sort_pid": "sort by PID (processes) or JID (jails)",
    "sort_time": "sort processes by elapsed time",
    "refresh": "poll the host now",
    "pause": "pause / resume polling (the data stays on screen)",
    "interval_up": "poll less often (longer interval)",
    "interval_down": "poll more often (shorter interval)",
    "start": "start the selected jail",
    "stop": "stop the selected jail (asks first)",
    "restart": "restart the selected jail (asks first)",
    "shell": "open a shell in the jail (jexec -l); a stopped jail: offers to start it",
    "services": "the jail's enabled daemons (rc.d), their state; start/stop/restart",
    "service_start": "daemons: start the selected service (service -j JAIL NAME start)",
    "service_stop": "daemons: stop the selected service (asks first)",
    "service_restart": "daemons: restart the selected service (asks first)",
    "exec": "run one command in the jail (jexec -l, no shell) and see its output",
    "exec_history_prev": "command: the previous command of this session",
    "exec_history_next": "command: the next command of this session",
    "exec_clear": "command: clear the output",
    "exec_cancel": "command: cancel the running command (kills it)",
    "edit": "edit the jail's configuration (delegates: allowed parameters only)",
    "config_save": "editor: check the edit (jail -e), show the diff, then save",
    "config_external": "editor: edit the whole file in $VISUAL / $EDITOR (host admin)",
    "config_cancel": "editor: leave (asks first when there are unsaved changes)",
    "diff_save": "diff: save the change (atomic, with a backup)",
    "diff_cancel": "diff: back to the edit, nothing saved",
    "conflict_reload": "conflict: reload the file from disk, keep your edit to merge",
    "conflict_cancel": "conflict: back to the edit, nothing saved",
    "signal": "send a signal to the selected process (TERM, KILL, HUP...)",
    "hosts": "hosts: their state; pick one host, or all hosts (a HOST column)",
    "reconnect": "reconnect to the selected host now (skips its retry wait)",
    "cursor_up": "previous row",
    "cursor_down": "next row",
    "page_up": "previous page",
    "page_down": "next page",
    "first_row": "first row",
    "last_row": "last row",
    "scroll_left": "scroll the columns left",
    "scroll_right": "scroll the columns right (whole command lines)",
    "quit": "quit (ctrl+c and ctrl+q too)",
    "suspend": "suspend to the shell (fg resumes)",
}


def split_keys(keys: str) -> list[str]:
    """``"k,f9"`` -> ``["k", "f9"]``."""
    return [k.strip() for k in keys.split(",") if k.strip()]
