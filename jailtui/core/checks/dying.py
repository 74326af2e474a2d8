"""When each dying jail was first seen dying, so "stuck dying" means stuck.

After ``jail -r`` a jail usually stays dying for a while: jail_remove(2)
kills its processes, but the kernel keeps the prison while anything still
references it (sockets in TIME_WAIT, open files), seconds to many minutes
(docs/freebsd.md 5.4). That is normal, so a dying jail becomes the
"stuck dying" finding only after ``[check] dying_after`` seconds (default
600), counted from the first time the console or ``jailtui check`` saw it
dying.

The console keeps those times in memory for its lifetime. ``jailtui check``
runs once per call, so it keeps them in a small JSON file,
``$XDG_CACHE_HOME/jailtui/dying.json`` (``~/.cache/jailtui/dying.json``): one
entry per host, jid and name, dropped as soon as that jail is no longer
dying. A missing, unreadable or corrupt file only restarts the clocks; it
never fails a check.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from jailtui.core.model import Jail, JailState
from jailtui.core.userfiles import NotYourDirectory, cache_home, write_atomic

#: ``[check] dying_after`` default: ten minutes.
DYING_AFTER = 600.0


def default_path() -> Path:
    """``$XDG_CACHE_HOME/jailtui/dying.json``, the cache home defaulting to ~/.cache."""
    return cache_home() / "jailtui" / "dying.json"


def _key(host: str, jail: Jail) -> str:
    return f"{host}\x00{jail.jid}\x00{jail.name}"


class DyingClock:
    """First-seen times of dying jails; ``path`` None keeps them in memory only."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._seen: dict[str, float] = self._load() if path is not None else {}

    def _load(self) -> dict[str, float]:
        assert self.path is not None
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(doc, dict):
            return {}
        return {str(k): float(v) for k, v in doc.items()
                if isinstance(v, int | float) and not isinstance(v, bool)}

    def observe(self, host: str, jails: Iterable[Jail], now: float) -> dict[int, float]:
        """Record this host's dying jails as seen at ``now`` (if new); forget the
        others of this host. Returns jid -> first seen, for the dying ones."""
        prefix = f"{host}\x00"
        dying = [j for j in jails if j.state is JailState.DYING and j.jid is not None]
        keep = {_key(host, j) for j in dying}
        before = dict(self._seen)
        self._seen = {k: v for k, v in self._seen.items()
                      if not k.startswith(prefix) or k in keep}
        out: dict[int, float] = {}
        for j in dying:
            assert j.jid is not None
            out[j.jid] = self._seen.setdefault(_key(host, j), now)
        if self.path is not None and self._seen != before:
            self._save()
        return out

    def _save(self) -> None:
        """Atomically, 0600 in a 0700 directory; failures are ignored (see module doc)."""
        assert self.path is not None
        try:
            write_atomic(self.path, json.dumps(self._seen).encode(), own_dir=True)
        except (OSError, NotYourDirectory):
            pass
