"""What changed in a UFS root kept aside: a walk of both trees (no ``zfs diff`` there).

A root that is no ZFS dataset has no snapshot to diff against; a compromised one
kept aside by hand (``mv ROOT ROOT.quarantine-UTCTIME``, the way out that
core/storage/restore.py ``by_hand_off_zfs`` names) is compared with the root now in
place, the known-good copy put back from its backup. Each entry of both trees is
described by its type, size, mtime, mode, file flags (``st_flags``, where this
Python has them: FreeBSD's) and, for regular files whose size and mtime agree,
a SHA-256 of the contents, so a file changed and its mtime set back is still
caught. The result is the same :class:`~jailtui.core.storage.changes.Change` list
``zfs diff`` gives (``+`` only in the quarantine, ``-`` only in the good root,
``M`` in both but different), flagged the same way.

Both walks go through directory descriptors, each entry opened with
``O_NOFOLLOW`` relative to its parent (as core/transport/jailfs.py reads a jail's
files): a symlink is an entry compared as a link (its target text), never
followed, so nothing outside either root is read; a mount point below a root
(devfs of a running jail) is not entered (``st_dev`` differs). Bounded: at most
:data:`MAX_ENTRIES` entries per tree and :data:`MAX_HASH_BYTES` hashed in all;
past either the walk stops and says so. Only where the host's files are this
machine's (a local or simulated host): over SSH it is refused.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass

from jailtui.core.errors import JailtuiError

#: Entries walked per tree, at most.
MAX_ENTRIES = 200_000
#: Bytes hashed over both trees, at most (a file is hashed only when size and mtime
#: agree: the rest are different already).
MAX_HASH_BYTES = 2 * 1024 ** 3

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)


class TreeDiffError(JailtuiError):
    """A tree cannot be walked (missing, not a directory, too big)."""


@dataclass(frozen=True, slots=True)
class Meta:
    """One entry of a tree as compared."""

    ftype: str  # zfs diff's letters: F file, / directory, @ symlink, | FIFO, B/C device, = socket
    size: int
    mtime: int
    mode: int
    flags: int
    link: str = ""


def _ftype(mode: int) -> str:
    return ("F" if stat.S_ISREG(mode) else "/" if stat.S_ISDIR(mode) else
            "@" if stat.S_ISLNK(mode) else "|" if stat.S_ISFIFO(mode) else
            "B" if stat.S_ISBLK(mode) else "C" if stat.S_ISCHR(mode) else "=")


def walk(top: str, limit: int = MAX_ENTRIES) -> dict[str, Meta]:
    """Every entry under ``top`` (jail-relative ``/a/b``), ``/`` itself left out."""
    try:
        fd = os.open(top, _DIR)
    except OSError as exc:
        raise TreeDiffError(f"{top}: {os.strerror(exc.errno or errno.EIO)}") from None
    out: dict[str, Meta] = {}
    try:
        dev = os.fstat(fd).st_dev
        _walk_dir(fd, "", dev, out, limit, top)
    finally:
        os.close(fd)
    return out


def _walk_dir(fd: int, rel: str, dev: int, out: dict[str, Meta], limit: int,
              top: str) -> None:
    for name in sorted(os.listdir(fd)):
        if len(out) >= limit:
            raise TreeDiffError(f"{top}: more than {limit} entries: not compared (bounded)")
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        path = f"{rel}/{name}"
        link = os.readlink(name, dir_fd=fd) if stat.S_ISLNK(st.st_mode) else ""
        out[path] = Meta(_ftype(st.st_mode), st.st_size, int(st.st_mtime), st.st_mode,
                         getattr(st, "st_flags", 0), link)
        if stat.S_ISDIR(st.st_mode) and st.st_dev == dev:
            try:
                sub = os.open(name, _DIR, dir_fd=fd)
            except OSError:
                continue  # replaced by a symlink meanwhile, or unreadable: not entered
            try:
                _walk_dir(sub, path, dev, out, limit, top)
            finally:
                os.close(sub)


def _digest(top: str, rel: str, budget: list[int]) -> str:
    """SHA-256 of a regular file, opened component by component with no link followed."""
    fd = os.open(top, _DIR)
    try:
        parts = rel.strip("/").split("/")
        for name in parts[:-1]:
            nxt = os.open(name, _DIR, dir_fd=fd)
            os.close(fd)
            fd = nxt
        f = os.open(parts[-1], _FILE, dir_fd=fd)
    finally:
        os.close(fd)
    h = hashlib.sha256()
    try:
        if not stat.S_ISREG(os.fstat(f).st_mode):
            return "not a regular file"
        while chunk := os.read(f, 1 << 20):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise TreeDiffError(f"more than {MAX_HASH_BYTES} bytes to hash: stopped "
                                    "(bounded)")
            h.update(chunk)
    finally:
        os.close(f)
    return h.hexdigest()


def compare(good: str, suspect: str) -> list[tuple[str, str, str]]:
    """(kind, ftype, rel) of what differs from tree ``good`` to tree ``suspect``."""
    a, b = walk(good), walk(suspect)
    budget = [MAX_HASH_BYTES]
    out: list[tuple[str, str, str]] = []
    for rel in sorted(a.keys() | b.keys()):
        x, y = a.get(rel), b.get(rel)
        if x is None and y is not None:
            out.append(("+", y.ftype, rel))
        elif y is None and x is not None:
            out.append(("-", x.ftype, rel))
        elif x is not None and y is not None:
            if x.ftype != y.ftype:
                out += [("-", x.ftype, rel), ("+", y.ftype, rel)]
                continue
            same = (x.mode == y.mode and x.flags == y.flags and x.link == y.link
                    and (x.ftype == "/" or (x.size == y.size and x.mtime == y.mtime)))
            if same and x.ftype == "/" and x.mtime != y.mtime:
                same = False
            if same and x.ftype == "F" and _digest(good, rel, budget) != _digest(
                    suspect, rel, budget):
                same = False
            if not same:
                out.append(("M", y.ftype, rel))
    return out
