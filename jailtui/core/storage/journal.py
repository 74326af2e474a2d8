"""The journal of a restore in progress, so a console killed mid-flow is not a mystery.

A restore changes the host in several commands (rename, set, clone, start);
killed between two of them (the console's terminal closed, the machine
rebooted) the next run must say what is half done and offer to finish or to
undo it (docs/internals.md "Restore journal"). Before each step the flow writes
what it is about to do, after each what it did; the journal is removed when
the flow ends on its own, whatever the outcome (the outcome was said then),
except after a swap whose start failed: it stays, so "swap back" knows what to
put back.

One JSON file per host and jail under ``$XDG_STATE_HOME/jailtui/restore/``
(core/userfiles.py), written whole or not at all (write_atomic: a temporary file
and rename(2)) in a directory of the invoking user's own. The journal is the
console's memory, not the truth: what is half done is read again from
``zfs list`` each time (core/storage/restore.py ``pending()``), or with ``stat`` for a
UFS standby swap (core/storage/standby.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jailtui.core.userfiles import state_home, write_atomic

#: The file's layout version (a newer console reading an older file says so).
VERSION = 1


@dataclass
class Entry:
    """What one run of the flow is doing to one jail."""

    host: str
    jail: str
    #: The jail's root dataset and its mount point (the jail's path).
    dataset: str
    root: str
    #: The known-good snapshot, DATASET@NAME.
    snapshot: str
    #: "clone" (quarantine + clone), "rollback" (the user chose to discard) or
    #: "standby" (a UFS root's standby copy renamed in: core/storage/standby.py; then
    #: ``dataset`` is "", ``snapshot`` the standby path, ``quarantine`` a directory).
    mode: str
    quarantine: str = ""
    #: The quarantine's mountpoint property was local (it was moved, not inherited).
    quarantine_local: bool = False
    was_running: bool = False
    #: Jails that jail(8) stopped with it (they depend on it).
    also: list[str] = field(default_factory=list)
    started: float = 0.0
    #: The step under way ("" between steps) and the steps done, in order.
    step: str = ""
    done: list[str] = field(default_factory=list)
    #: "running", or "start failed" (swapped, not running: swap back is offered).
    status: str = "running"

    def to_json(self) -> dict[str, object]:
        return {"version": VERSION, **asdict(self)}


def journal_jails(host: str, directory: Path | None = None) -> list[str]:
    """The jails of ``host`` (a :func:`host_key`) that have a journal, by name: what
    the console looks at when it starts (a flow cut short is said there first)."""
    base = (directory if directory is not None else state_home() / "jailtui" / "restore") / host
    try:
        names = os.listdir(base)
    except OSError:
        return []
    return sorted(n[:-len(".json")] for n in names
                  if n.endswith(".json") and not n.startswith("."))


def host_key(label: str, root: str) -> str:
    """A file-name-safe key for one host: its runner's label (``local``,
    ``ssh:web1``, ``simulated``), and for a simulated host which one (its directory)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", label)[:80] or "host"
    if root:
        safe += "-" + hashlib.sha256(root.encode()).hexdigest()[:12]
    return safe


class Journal:
    """The journal file of one jail on one host."""

    def __init__(self, host: str, jail: str, directory: Path | None = None) -> None:
        self.directory = (directory if directory is not None
                          else state_home() / "jailtui" / "restore") / host
        self.path = self.directory / f"{jail}.json"

    def write(self, entry: Entry) -> None:
        """Replace the journal with ``entry`` (OSError when the state dir is unwritable:
        the flow says so and goes on; zfs list still tells what is where)."""
        data = json.dumps(entry.to_json(), indent=1, sort_keys=True).encode() + b"\n"
        write_atomic(self.path, data, own_dir=True, durable=True)

    def read(self) -> Entry | None:
        """The journal, or None when there is none (or it cannot be read as one)."""
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return None
        data.pop("version", None)
        try:
            entry = Entry(**data)
        except TypeError:
            return None
        return entry

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
