"""Every key of the console in one place: the bindings, their ids, their groups.

Conventions (prior-art.md part B): htop for the process list (``/`` filter,
``t`` tree, ``P``/``M``/``N``/``T`` quick sorts, ``<``/``>`` sort column,
``I`` invert, ``k``/``F9`` signal, ``p`` pause), k9s for navigation
(``?`` help, Enter detail, Escape back, ``e`` edit), lazydocker-like
lifecycle keys that cannot be hit by accident next to each other:
``u`` start ("up"), ``d`` stop ("down"), ``R`` restart (capital: ``r`` is
refresh), ``x`` shell (jexec; k9s's ``s`` is taken by sort here).

Every binding has an ``id``: ``[keys]`` in config.toml maps ids to keys
(``App.set_keymap``), and the help screen lists ids next to the keys.
"""

from __future__ import annotations

from textual.binding import Binding

from jailtui.core.policy import Action

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
}

#: Help screen groups, in order: title -> binding ids.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Views", ("switch_pane", "detail", "back", "host_wide", "tree", "filter",
               "clear_filter", "log", "help", "command_palette")),
    ("Sorting", ("sort_next", "sort_prev", "sort_reverse", "sort_cpu", "sort_mem",
                 "sort_pid", "sort_time")),
    ("Live data", ("refresh", "pause", "interval_up", "interval_down")),
    ("Jail actions", ("start", "stop", "restart", "shell", "edit")),
    ("Process actions", ("signal",)),
    ("Moving around", ("cursor_up", "cursor_down", "page_up", "page_down", "first_row",
                       "last_row", "scroll_left", "scroll_right")),
    ("Leaving", ("quit",)),
)

# -- App-wide (any screen that is not a modal) -------------------------------------------

APP_BINDINGS = [
    Binding("question_mark", "help", "Help", key_display="?", id="help"),
    Binding("p,space", "pause", "Pause", id="pause"),
    Binding("L", "log", "Log", show=False, id="log"),
    Binding("r,ctrl+r", "refresh", "Refresh", show=False, id="refresh"),
    Binding("plus,equals_sign", "interval(1)", "Slower", show=False, key_display="+",
            id="interval_up"),
    Binding("minus", "interval(-1)", "Faster", show=False, key_display="-",
            id="interval_down"),
    Binding("q", "quit", "Quit", id="quit"),
]

# -- Jail actions (main and detail screens) ------------------------------------------------

JAIL_ACTION_BINDINGS = [
    Binding("u", "start", "Start", id="start"),
    Binding("d", "stop", "Stop", id="stop"),
    Binding("R", "restart", "Restart", id="restart"),
    Binding("x", "shell", "Shell", id="shell"),
    Binding("e", "edit", "Edit conf", id="edit"),
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
    Binding("k,f9", "signal", "Kill", id="signal"),
]

# -- Detail screen ----------------------------------------------------------------------------

DETAIL_BINDINGS = [
    HELP_FIRST,
    Binding("escape", "back", "Back", id="back"),
    *JAIL_ACTION_BINDINGS,
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
    "shell": "open a shell in the jail (jexec -l); the console resumes when it exits",
    "edit": "edit the jail's configuration block",
    "signal": "send a signal to the selected process (TERM, KILL, HUP...)",
    "cursor_up": "previous row",
    "cursor_down": "next row",
    "page_up": "previous page",
    "page_down": "next page",
    "first_row": "first row",
    "last_row": "last row",
    "scroll_left": "scroll the columns left",
    "scroll_right": "scroll the columns right (whole command lines)",
    "quit": "quit (ctrl+q too)",
}


def split_keys(keys: str) -> list[str]:
    """``"k,f9"`` -> ``["k", "f9"]``."""
    return [k.strip() for k in keys.split(",") if k.strip()]
