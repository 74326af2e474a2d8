"""The jail names of the local host's last poll, kept for shell completion.

``jailtui completion --names`` must answer at once and must not poll (a
poll runs jls and ps, and on a busy host takes a good part of a second),
so every poll of the local host (simulated or FreeBSD's; never a host
over SSH) leaves its names in ``$XDG_CACHE_HOME/jailtui/jail-names.json``
(core/userfiles.py: written whole, 0600, only when the names changed, only
into a directory of the effective user). A delegated session (root through
sudo or doas) writes none: its names are the delegate's view, and root's
cache is no business of the delegate's shell. Only names that are valid
for ``jailtui NAME`` commands (core/freebsd/jailname.py) and that a shell
takes as one word unquoted are offered: the kernel allows blanks, quotes
and globbing characters in a name (sys/kern/kern_jail.c), which a
completion would have the shell split or expand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from jailtui.core.freebsd.jailname import jail_name_problem
from jailtui.core.model import HostSnapshot
from jailtui.core.userfiles import NotYourDirectory, cache_home, write_atomic

#: What a completion offers: names a shell word holds without quoting.
_OFFERED = re.compile(r"[A-Za-z0-9_.:+@%-]{1,255}")


def cache_path(env: Mapping[str, str] | None = None) -> Path:
    return cache_home(env) / "jailtui" / "jail-names.json"


class NameCache:
    """Writes the names of each snapshot it is given when they changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last: list[str] | None = None

    def remember(self, snapshot: HostSnapshot) -> None:
        names = sorted({j.name for j in snapshot.jails})
        if names == self._last:
            return
        self._last = names
        try:
            write_atomic(self.path, json.dumps({"names": names}).encode(), own_dir=True)
        except (OSError, NotYourDirectory):
            # A cache: completion offers fewer names, nothing else changes.
            pass


def recall(env: Mapping[str, str] | None = None) -> list[str]:
    """The names of the last poll that a shell can complete; [] without a cache."""
    try:
        doc = json.loads(cache_path(env).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names = doc.get("names") if isinstance(doc, dict) else None
    if not isinstance(names, list):
        return []
    return [n for n in names if isinstance(n, str) and _OFFERED.fullmatch(n)
            and jail_name_problem(n) is None]
