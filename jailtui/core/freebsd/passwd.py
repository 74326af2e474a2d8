"""passwd(5): uid -> user name, for naming jailed processes.

ps(1) names a process's user from the **host's** passwd (getpwuid(3) in the
host's namespace), so a user that exists only inside a jail shows as a number
(docs/freebsd.md 6). The jail's own ``/etc/passwd`` names it; it is read on
the host through the jail-root reader (core/transport/jailfs.py), never by
running anything in the jail.
"""

from __future__ import annotations


def uid_names(text: str) -> dict[int, str]:
    """uid -> first name with that uid (getpwuid(3) returns the first match).

    Lines that are comments or malformed are skipped, as getpwent(3) does;
    ``+``/``-`` NIS compat lines name nobody.
    """
    out: dict[int, str] = {}
    for line in text.splitlines():
        if not line or line.startswith(("#", "+", "-")):
            continue
        f = line.split(":")
        if len(f) < 7 or not f[0] or not f[2].isdigit():
            continue
        out.setdefault(int(f[2]), f[0])
    return out
