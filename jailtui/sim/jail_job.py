"""One jail that a jail(8) run works on, and how its parameter values read.

config.c's ``struct cfjail`` and the small value helpers both halves of
the simulated jail(8) use: :mod:`jailtui.sim.jail` (argument handling),
:mod:`jailtui.sim.jail_order` (dependency ordering, state.c) and
:mod:`jailtui.sim.jail_ops` (the start and stop sequences, command.c).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jailtui.core.model import ParamValue
from jailtui.sim.lifecycle import CreateSpec

#: What a job asks for (jail.c JF_START / JF_SET / JF_STOP); -rc is START|STOP.
#: CLEAN is the newest tree's -C: the post-removal steps of an already removed jail.
START, SET, STOP, CLEAN = 1, 2, 4, 8


@dataclass
class Job:
    """One jail jail(8) works on (config.c ``struct cfjail``)."""

    #: Block name, or the running jail's name; None for a command-line jail.
    name: str | None
    params: dict[str, ParamValue] = field(default_factory=dict)
    op: int = 0
    wild: bool = False
    depend: bool = False
    failed: bool = False
    #: >0 running, -1 not running, 0 not looked up yet.
    jid: int = 0
    conf_error: str = ""
    imported: bool = False
    spec: CreateSpec | None = None
    temp_persist: bool = False


def strings(v: ParamValue | None) -> list[str]:
    """The values of a parameter as strings (a bare boolean has none)."""
    if v is None or isinstance(v, bool):
        return []
    if isinstance(v, tuple):
        return [str(x) for x in v]
    return [str(v)]


def string(v: ParamValue | None) -> str | None:
    """One string for a parameter: a list joined with commas, as libjail does."""
    items = strings(v)
    return ",".join(items) if items else None


def truth(v: ParamValue | None) -> bool:
    """A boolean parameter's value; ``"0"``/``"false"``/empty read as false."""
    if isinstance(v, bool):
        return v
    s = string(v)
    return s is not None and s.lower() not in ("false", "0", "")



def noname(name: str) -> str:
    """The ``no`` form of a boolean parameter name (``allow.nomount``)."""
    head, dot, last = name.rpartition(".")
    return f"{head}{dot}no{last}"
