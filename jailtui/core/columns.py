"""The columns of the jails and processes panes, by name (Textual-free).

One list of the names a user may write in ``[columns] jails = [...]`` /
``processes = [...]`` of config.toml (core/config/settings.py validates them
here, without loading the UI), may show, hide and reorder in the console's
column picker (screens/columns.py), and that the remembered choice in the
state file holds (core/userstate.py). The widgets (widgets/jail_table.py,
widgets/process_table.py) build their columns under these names;
tests/test_columns.py fails on a widget column missing here.

Some columns come and go by themselves whatever the choice: HOST only in the
all-hosts view of several hosts, J, JID and JAIL of the processes pane only
host-wide (``a``), the CPU sparkline only where it fits. The choice orders
them where they appear. The row's name (NAME, PID) is always shown: a row
without it cannot be told apart from its neighbours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["PANES", "ColumnInfo", "choice_problem", "default_order", "ordered"]


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """One column a user can choose: its name, header and what it shows."""

    key: str
    label: str
    help: str
    #: Shown unless the user hides it.
    default: bool = True
    #: Cannot be hidden (the row's identity).
    required: bool = False


#: The jails pane's columns, in their default order.
JAIL_COLUMNS: tuple[ColumnInfo, ...] = (
    ColumnInfo("state", "STATE", "running, dying, stopped; an action in progress"),
    ColumnInfo("jid", "JID", "the jail's id (jls jid)"),
    ColumnInfo("name", "NAME", "the jail's name", required=True),
    ColumnInfo("owner", "OWN", "its manager: j jail.conf, B Bastille, i iocage…"),
    ColumnInfo("note", "NOTE", "your note on the jail (m writes it)", default=False),
    ColumnInfo("hostname", "HOSTNAME", "host.hostname of the jail"),
    ColumnInfo("addr", "ADDRESS", "its IPv4 and IPv6 addresses"),
    ColumnInfo("procs", "PROCS", "how many processes run in it"),
    ColumnInfo("cpu", "CPU%", "its processes' CPU, summed"),
    ColumnInfo("mem", "MEM", "its processes' resident memory"),
    ColumnInfo("trend", "CPU", "CPU sparkline (only where it fits)"),
    ColumnInfo("path", "PATH", "the jail's root directory"),
)

#: The processes pane's columns, in their default order.
PROCESS_COLUMNS: tuple[ColumnInfo, ...] = (
    ColumnInfo("jailed", "J", "J: a jailed process"),
    ColumnInfo("pid", "PID", "the process id", required=True),
    ColumnInfo("jid", "JID", "its jail's id"),
    ColumnInfo("jail", "JAIL", "its jail's name"),
    ColumnInfo("user", "USER", "the user it runs as"),
    ColumnInfo("stat", "STAT", "ps's state letters"),
    ColumnInfo("cpu", "%CPU", "ps %cpu"),
    ColumnInfo("mem", "%MEM", "ps %mem"),
    ColumnInfo("rss", "RSS", "resident memory"),
    ColumnInfo("time", "ELAPSED", "time since it started"),
    ColumnInfo("command", "COMMAND", "the whole command line"),
)

#: Pane name (as in ``[columns]``) -> its columns.
PANES: Mapping[str, tuple[ColumnInfo, ...]] = MappingProxyType(
    {"jails": JAIL_COLUMNS, "processes": PROCESS_COLUMNS})


def default_order(pane: str) -> tuple[str, ...]:
    """The names shown by default, in order."""
    return tuple(c.key for c in PANES[pane] if c.default)


def choice_problem(pane: str, names: Sequence[object]) -> str | None:
    """Why ``names`` is not a choice of columns for ``pane``; None when it is.

    Every name known, none twice, the required ones present. The words are
    the same in config.toml's errors, the state file's warnings and the picker.
    """
    known = {c.key: c for c in PANES[pane]}
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str):
            return f"column names are strings, not {name!r}"
        if name not in known:
            return (f"no column {name!r} in the {pane} pane (columns: "
                    f"{', '.join(known)})")
        if name in seen:
            return f"column {name!r} given twice"
        seen.add(name)
    missing = [c.label for c in PANES[pane] if c.required and c.key not in seen]
    if missing:
        return f"{', '.join(missing)} is always shown: add {missing[0].lower()!r}"
    return None


def ordered(keys: Sequence[str], choice: Sequence[str] | None) -> list[str]:
    """``keys`` (the columns a pane has now) as ``choice`` orders and hides them.

    ``choice`` None: ``keys`` as they are. A column of this catalogue that the
    choice leaves out is hidden; a key that is not a catalogue column (HOST,
    the health and selection marks the pane adds by itself) keeps its place
    after the column before it.
    """
    if choice is None:
        return list(keys)
    catalogue = {c.key for infos in PANES.values() for c in infos}
    out = [k for k in choice if k in keys]
    for i, k in enumerate(keys):
        if k in catalogue:
            continue
        before = next((keys[j] for j in range(i - 1, -1, -1) if keys[j] in out), None)
        out.insert(out.index(before) + 1 if before is not None else 0, k)
    return out
