"""The one check of a jail name given by a person (command line, console, policy).

What jail(8), jexec(8), jls(8) and service(8) would do with a bad name is
worse than an error: ``*`` is jail(8)'s wildcard (``jail -c '*'`` starts
every configured jail; usr.sbin/jail/config.c wild_jail_name), a name
starting with ``-`` is taken as an option, an empty name lists or acts on
everything. The kernel's own rules (sys/kern/kern_jail.c, kern_jail_set):
the full name fits ``pr_name`` (255 bytes and a NUL), each ``.`` separates
a parent from a child (so no component may be empty), and an all-digit
component must be the jid in normal form ("name cannot be numeric (unless
it is the jid)") -- jail_getid(3) takes an all-digit argument as a jid, so
such an argument names a jid here too and stays valid.

jailtui adds: no ``/`` (rc.d/jail and jail.conf's ``path = .../$name`` put
names into paths; ``../etc``) and no control characters (they cannot be
shown or typed back).
"""

from __future__ import annotations

from jailtui.core.errors import JailtuiError
from jailtui.core.freebsd.jailconf import wild_jail_name

__all__ = ["INVALID_JAIL_NAME", "InvalidJailName", "MAX_NAME_BYTES", "check_jail_name",
           "jail_name_problem"]

#: The start of every refusal (defined once).
INVALID_JAIL_NAME = "invalid jail name"
#: kern_jail.c: ``pnamelen + namelen + 1 > sizeof(pr->pr_name)`` (MAXHOSTNAMELEN, 256).
MAX_NAME_BYTES = 255


class InvalidJailName(JailtuiError):
    """A jail name that must not reach a FreeBSD tool; ``str(e)`` says why."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"{INVALID_JAIL_NAME} {_shown(name)}: {reason}")


def _shown(name: str) -> str:
    from jailtui.core.text import visible

    return f'"{visible(name)}"'


def jail_name_problem(name: str) -> str | None:
    """Why ``name`` is not a usable jail name, or None if it is."""
    if name == "":
        return "empty (an empty name would mean every jail)"
    if name.startswith("-"):
        return "starts with '-' (it would be read as an option)"
    if wild_jail_name(name):
        return "'*' is jail(8)'s wildcard (it would act on every matching jail)"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return "contains a control character"
    if "/" in name:
        return "contains '/' (names are used in paths)"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        return f"longer than {MAX_NAME_BYTES} bytes (kern_jail.c: ENAMETOOLONG)"
    if any(part == "" for part in name.split(".")):
        return "empty component around '.' ('.' separates a parent jail from its child)"
    return None


def check_jail_name(name: str) -> str:
    """``name`` if it is usable, else InvalidJailName with the reason."""
    problem = jail_name_problem(name)
    if problem is not None:
        raise InvalidJailName(name, problem)
    return name
