"""The ``:`` command line (k9s's): what each command means, parsing, completion.

A command is a key of the key table with an argument: ``:stop web`` is the
``stop`` key on the jail ``web``, so it goes through the same action, the
same guard (refused with the reason for a role that may not) and the same
gate and confirmation as ``d`` on web's row (screens/main.py runs it). A few
set what a key would cycle through: ``:host db1`` (the ``h`` switcher's
choice), ``:sort mem`` (a column of the focused pane), ``:filter TEXT`` and
``:search TEXT``. Textual-free: the completion works on plain lists the
screen hands in (jail names, host names, column keys).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from jailtui.core.errors import JailtuiError

__all__ = ["COMMANDS", "Arg", "Command", "CommandError", "complete", "parse"]


class Arg(StrEnum):
    """What a command's argument names (the completion's candidates)."""

    NONE = "none"
    JAIL = "jail"
    HOST = "host"
    COLUMN = "column"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Command:
    """One command: its name, the key table id it runs (None: the screen's
    own setter), what its argument is, one line of help."""

    name: str
    binding: str | None
    arg: Arg
    help: str


_ALL: tuple[Command, ...] = (
    Command("start", "start", Arg.JAIL, "start JAIL"),
    Command("stop", "stop", Arg.JAIL, "stop JAIL (asks first)"),
    Command("restart", "restart", Arg.JAIL, "restart JAIL (asks first)"),
    Command("shell", "shell", Arg.JAIL, "a shell in JAIL"),
    Command("edit", "edit", Arg.JAIL, "edit JAIL's configuration"),
    Command("services", "services", Arg.JAIL, "JAIL's rc.d services"),
    Command("run", "exec", Arg.JAIL, "run one command in JAIL"),
    Command("detail", "detail", Arg.JAIL, "JAIL in full"),
    Command("host", None, Arg.HOST, "show HOST, or all hosts"),
    Command("sort", None, Arg.COLUMN, "sort the focused pane by COLUMN"),
    Command("filter", None, Arg.TEXT, "filter the focused pane (none: clear)"),
    Command("search", None, Arg.TEXT, "search the focused pane (none: clear)"),
    Command("events", "events", Arg.NONE, "the event timeline"),
    Command("log", "log", Arg.NONE, "the action log"),
    Command("health", "health", Arg.NONE, "health checks"),
    Command("help", "help", Arg.NONE, "every key"),
    Command("tree", "tree", Arg.NONE, "processes as a tree, or not"),
    Command("columns", "columns", Arg.NONE, "choose the focused pane's columns"),
    Command("note", "note", Arg.JAIL, "write a note on JAIL"),
    Command("pause", "pause", Arg.NONE, "pause / resume polling"),
    Command("quit", "quit", Arg.NONE, "quit"),
)

#: Every command by name.
COMMANDS: Mapping[str, Command] = {c.name: c for c in _ALL}

#: ``:host all``: every host (the switcher's "All hosts").
ALL_HOSTS = "all"


class CommandError(JailtuiError):
    """A command line that means nothing: the message says what would."""


def parse(text: str) -> tuple[Command, str]:
    """``"stop web"`` -> (the stop command, ``"web"``); CommandError otherwise."""
    line = text.strip().removeprefix(":").strip()
    if not line:
        raise CommandError("no command (Tab completes; :help lists the keys)")
    name, _sep, rest = line.partition(" ")
    rest = rest.strip()
    command = COMMANDS.get(name)
    if command is None:
        near = [c for c in COMMANDS if c.startswith(name)]
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise CommandError(f"{name}: no such command{hint} "
                           f"(commands: {', '.join(COMMANDS)})")
    if command.arg is Arg.NONE and rest:
        raise CommandError(f"{name} takes no argument")
    if command.arg in (Arg.JAIL, Arg.HOST, Arg.COLUMN) and (not rest or " " in rest):
        raise CommandError(f"{name} needs one {command.arg.value} name ({command.help})")
    return command, rest


def complete(text: str, candidates: Mapping[Arg, Sequence[str]]) -> str | None:
    """The whole line completed (the first match, in the candidates' order),
    or None: a command name first, then its argument from ``candidates``."""
    lead = text[: len(text) - len(text.lstrip())]
    line = text.lstrip()
    name, sep, rest = line.partition(" ")
    if not sep:
        match = next((c for c in COMMANDS if c.startswith(name) and c != name), None)
        return lead + match if match is not None and name else None
    command = COMMANDS.get(name)
    if command is None or " " in rest:
        return None
    pool = candidates.get(command.arg, ())
    match = next((c for c in pool if c.startswith(rest) and c != rest), None)
    return f"{lead}{name} {match}" if match is not None else None
