"""Simulated jail managers: ``bastille``, ``iocage``, ``appjail``, ``pot``, ``ezjail-admin``.

Each module answers the argv its manager documents (docs/managers.md 1.1-1.5) and does to
the simulated kernel what the real one does -- mostly by running the simulated jail(8)
with the manager's own config file, as the real scripts do. :mod:`.layout` lays out
their files on a simulated host (``jailtui sim init --managers ...``). A manager exists
on a simulated host only if its executable is in ``/usr/local/bin`` there; otherwise the
command is not found, as on a host without the package.
"""

from __future__ import annotations

#: Manager -> its command (what the shims and dispatch() answer to).
COMMANDS = {"bastille": "bastille", "iocage": "iocage", "appjail": "appjail", "pot": "pot",
            "ezjail": "ezjail-admin"}
TOOLS = tuple(COMMANDS.values())
