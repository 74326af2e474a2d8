"""The journal of a restore in progress, so a console killed mid-flow is not a mystery.

A restore changes the host in several commands (rename, set, clone, start);
killed between two of them (the console's terminal closed, the machine
rebooted) the next run must say what is half done and offer to finish or to
undo it (docs/internals.md, core/storage). Before each step that changes the
host the flow writes what it is about to do (core/storage/restore.py JOURNALED;
what it did is in the next step's record); the journal is removed when
the flow ends on its own, whatever the outcome (the outcome was said then),
except after a swap whose start failed: it stays, so "swap back" knows what to
put back.

One JSON file per host and jail under ``$XDG_STATE_HOME/jailtui/restore/``
(core/userfiles.py), in a directory of the invoking user's own, durable before
the step it guards runs. A flow's first record makes the file: when there is
none (the usual case: the last flow removed it) it is created under its own name
(O_CREAT|O_EXCL, written, fsync, fsync of the directory: :func:`create_new`);
when one is there (a failed append's, a torn first record's, a newer console's)
it is replaced whole (write_atomic: a temporary file, fsync, rename(2), fsync of
the directory), so what it held is there until the new record is. Each later
record is one line appended and fdatasync'd (fdatasync(2): the data and the size
that reaches it). Both save syscalls and disk waits a record: benchmarks/README.md,
"restore". The newest whole record is the journal's state: a line torn by a
power loss mid-append (cut short, or zeros where the size grew first) is
skipped, and the one before it is right, because the step it announced had not
begun. A first record torn the same way (the file empty, cut short, zeros, or
its name not on disk at all) reads as no journal, which is right too: it is
written before the flow's first step (the stop), so nothing had begun; the next
flow's first record replaces it. The journal is the console's memory, not the truth: what is half done is
read again from ``zfs list`` each time (core/storage/restore.py ``pending()``),
or with ``stat`` for a UFS standby swap (core/storage/standby.py).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jailtui.core.userfiles import make_directory, state_home, sync_directory, write_atomic

if TYPE_CHECKING:
    from jailtui.core.hosts.protocol import JailHost

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


def key_of(host: JailHost) -> str:
    """The :func:`host_key` of a host (the one way the restore flow and the
    console's start work it out)."""
    return host_key(host.runner.label, host.paths.root)


class Journal:
    """The journal file of one jail on one host."""

    def __init__(self, host: str, jail: str, directory: Path | None = None) -> None:
        self.directory = (directory if directory is not None
                          else state_home() / "jailtui" / "restore") / host
        self.path = self.directory / f"{jail}.json"
        #: The file holds this object's first record, whole: later ones are appended.
        self._started = False

    def write(self, entry: Entry) -> None:
        """Record ``entry`` as the journal's state, on disk when this returns (OSError
        when the state dir is unwritable or full: the flow says so and goes on; zfs
        list still tells what is where). The first record of this object replaces the
        file; later ones are appended (the module's docstring)."""
        line = json.dumps(entry.to_json(), sort_keys=True, separators=(",", ":")).encode()
        line += b"\n"
        if self._started:
            try:
                self._append(line)
                return
            except OSError:
                # Whatever part of the line got in is a torn record the reader skips;
                # the next write starts the file again whole.
                self._started = False
                raise
        if not create_new(self.path, line):
            write_atomic(self.path, line, own_dir=True, durable=True)
        self._started = True

    def _append(self, line: bytes) -> None:
        # O_NOFOLLOW: the name is the file write_atomic made in a directory of our own.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            if os.write(fd, line) != len(line):  # a regular file: short only when full
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
            datasync(fd)
        finally:
            os.close(fd)

    def read(self) -> Entry | None:
        """The newest whole record, or None when there is none (or none can be read as
        one). A file of one record written before records were appended (one JSON
        document over several lines) reads the same."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        try:
            return _entry(json.loads(data))
        except ValueError:
            pass
        for raw in reversed(data.split(b"\n")):
            try:
                doc = json.loads(raw)
            except ValueError:
                continue        # torn by a power loss mid-append, or blank
            entry = _entry(doc)
            if entry is not None:
                return entry
        return None

    def remove(self) -> None:
        self._started = False
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def create_new(path: Path, data: bytes) -> bool:
    """``data`` as the new file ``path`` (0600, in a directory of our own), on disk when
    this returns: False, nothing written, when the name is taken (the caller replaces
    that file whole). One fsync of the file and one of the directory (its new name:
    fsync(2) promises only the file's own data and attributes), as write_atomic's
    durable replace, without its temporary file (mkstemp's random name, an open) and
    rename(2): about 0.1 ms less a flow on this machine's ext4 (benchmarks/README.md
    "restore", round 5). Crashed before this returns, the file may be missing, empty,
    cut short or zeros: the reader takes any of them for no record (the module's
    docstring; tests/test_restore_journal_writes.py tries each)."""
    make_directory(path.parent, own_dir=True)
    try:
        # O_EXCL: never an existing file's (its records stay until replaced whole), and
        # with it no symlink is followed (open(2)); O_NOFOLLOW says so again.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, 0o600)        # the umask may have taken the owner's bits
        if os.write(fd, data) != len(data):  # a regular file: short only when full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        # Not a record: gone, as a failed write_atomic leaves no file.
        try:
            os.unlink(path)
        except OSError:
            pass
        raise
    os.close(fd)
    sync_directory(path.parent)
    return True


def datasync(fd: int) -> None:
    """fdatasync(2), or fsync(2) where Python has no fdatasync (FreeBSD before 11.1)."""
    getattr(os, "fdatasync", os.fsync)(fd)


def _entry(doc: object) -> Entry | None:
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        return None
    data = dict(doc)
    data.pop("version", None)
    try:
        return Entry(**data)
    except TypeError:
        return None
