"""Atomic, checked replacement of a root-owned config file (security.md 5).

Why all the ceremony: jail.conf is read by root's jail(8), and a save that
is cut short (full disk, kill -9, power loss), that follows a symlink
planted by someone else, or that silently overwrites a concurrent edit,
either breaks every jail at the next boot or hands the host to whoever
controls the file.  So a save is:

1. :func:`load` -- ``lstat`` and refuse symlinks, non-regular files and
   hard-linked files; ``open(O_NOFOLLOW)``; keep the bytes, their SHA-256
   and the stat signature (mtime alone misses same-second edits).
2. :func:`save` -- under a dedicated lock file (``flock LOCK_EX|LOCK_NB``;
   never the target itself: rename gives the path a new inode), re-check
   that the file is still what was loaded (else :class:`ConflictError`
   with the current bytes, so the caller can show a diff and lose
   nothing), write a temp file in the same directory (``mkstemp``: O_EXCL,
   0600), fsync it, give it the original owner and mode, let the caller
   validate it (``jail -f TMP -e``), link a backup, ``os.replace`` over the
   target and fsync the directory.

Any failure before the rename leaves the original untouched and removes
the temp file (and the backup link, which would otherwise make the target
look hard-linked).  A save killed outright can leave a ``.NAME.*.tmp``
behind; the next save removes those under the lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from jailtui.core.errors import JailtuiError

__all__ = [
    "BusyError",
    "ConflictError",
    "Loaded",
    "SafeFileError",
    "SaveError",
    "Saved",
    "StatSig",
    "UnsafeTargetError",
    "load",
    "save",
]


class SafeFileError(JailtuiError):
    """Base: a config file could not be read or saved safely.

    ``str(e)`` names the file; ``path`` holds it.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


class SaveError(SafeFileError):
    """Reading or writing failed (disk full, read-only, permission...)."""


class UnsafeTargetError(SafeFileError):
    """The target is a symlink, not a regular file, or hard-linked."""


class BusyError(SafeFileError):
    """Another save of the same file holds the lock."""


class ConflictError(SafeFileError):
    """The file changed since it was loaded; nothing was written.

    ``current`` is what is on disk now (b"" if it was removed) so the
    caller can show a diff and merge, losing neither edit.
    """

    def __init__(self, path: str, message: str, current: bytes, current_sha256: str) -> None:
        self.current = current
        self.current_sha256 = current_sha256
        super().__init__(path, message)


@dataclass(frozen=True, slots=True)
class StatSig:
    """What identifies the version of a file (security.md 5, step 1)."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    uid: int
    gid: int
    mode: int
    nlink: int
    flags: int

    @classmethod
    def of(cls, st: os.stat_result) -> StatSig:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_uid, st.st_gid,
                   st.st_mode, st.st_nlink, getattr(st, "st_flags", 0))


@dataclass(frozen=True, slots=True)
class Loaded:
    """A file as loaded: bytes, hash and identity, the base of a later save."""

    path: str
    data: bytes
    sha256: str
    sig: StatSig

    @property
    def text(self) -> str:
        """The bytes as text; undecodable bytes survive a round trip."""
        return self.data.decode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True)
class Saved:
    path: str
    sha256: str
    #: The backup of the previous version, when a backup directory was given.
    backup: str | None


def _reason(e: OSError) -> str:
    return os.strerror(e.errno) if e.errno else str(e)


def _read_checked(path: str, cls: type[SafeFileError] = SaveError) -> tuple[bytes, os.stat_result]:
    """Open without following links; refuse anything but a plain file."""
    try:
        lst = os.lstat(path)
    except OSError as e:
        raise cls(path, _reason(e)) from e
    if stat.S_ISLNK(lst.st_mode):
        raise UnsafeTargetError(path, "is a symbolic link; refusing to edit it")
    if not stat.S_ISREG(lst.st_mode):
        raise UnsafeTargetError(path, "is not a regular file; refusing to edit it")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UnsafeTargetError(path, "is a symbolic link; refusing to edit it") from e
        raise cls(path, _reason(e)) from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (lst.st_dev, lst.st_ino):
            raise UnsafeTargetError(path, "changed while being opened; refusing to edit it")
        if st.st_nlink > 1:
            raise UnsafeTargetError(path, f"has {st.st_nlink} hard links; refusing to edit it")
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks), st
    except OSError as e:
        raise cls(path, _reason(e)) from e
    finally:
        os.close(fd)


def load(path: str) -> Loaded:
    """Read ``path`` for editing (security.md 5, step 1)."""
    data, st = _read_checked(path)
    return Loaded(path, data, hashlib.sha256(data).hexdigest(), StatSig.of(st))


def _default_lock_path(path: str) -> str:
    d, base = os.path.split(path)
    return os.path.join(d, f".{base}.jailtui.lock")


@contextlib.contextmanager
def _locked(path: str, lock_path: str) -> Iterator[None]:
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UnsafeTargetError(path, f"lock file {lock_path} is a symbolic link") from e
        raise SaveError(path, f"cannot open lock file {lock_path}: {_reason(e)}") from e
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeTargetError(path, f"lock file {lock_path} is not a regular file")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise BusyError(path, "busy: another save of this file is in progress") from e
        yield
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fsync_dir(d: str) -> None:
    fd = os.open(d or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP):   # fs without dir fsync
            raise
    finally:
        os.close(fd)


def _remove_stale_temps(d: str, base: str) -> None:
    """Temp files left by a killed save (only ours, only plain files)."""
    prefix, suffix = f".{base}.", ".tmp"
    try:
        names = os.listdir(d or ".")
    except OSError:
        return
    for n in names:
        if n.startswith(prefix) and n.endswith(suffix) and n != f".{base}.jailtui.lock":
            p = os.path.join(d, n)
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(p).st_mode):
                    os.unlink(p)


def _backup(loaded: Loaded, current: bytes, backup_dir: str, keep: int) -> str:
    """Link (or copy, across file systems) the old version into backup_dir."""
    os.makedirs(backup_dir, mode=0o700, exist_ok=True)
    if os.path.islink(backup_dir) or not os.path.isdir(backup_dir):
        raise UnsafeTargetError(loaded.path, f"backup directory {backup_dir} is not a directory")
    base = os.path.basename(loaded.path)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}Z"
    dest = os.path.join(backup_dir, f"{base}.{stamp}.{loaded.sha256[:8]}")
    try:
        os.link(loaded.path, dest, follow_symlinks=False)
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600)
        try:
            _write_all(fd, current)
            os.fsync(fd)
        finally:
            os.close(fd)
    _prune(backup_dir, base, keep, protect=dest)
    return dest


def _prune(backup_dir: str, base: str, keep: int, *, protect: str) -> None:
    if keep <= 0:
        return
    mine = sorted(n for n in os.listdir(backup_dir) if n.startswith(base + "."))
    for n in mine[:-keep]:
        p = os.path.join(backup_dir, n)
        if p == protect:
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(p).st_mode):     # never follow a planted link
                os.unlink(p)


def save(loaded: Loaded, new_bytes: bytes, *, backup_dir: str | None = None, keep: int = 10,
         validate: Callable[[str], None] | None = None,
         lock_path: str | None = None) -> Saved:
    """Replace ``loaded.path`` with ``new_bytes`` atomically (security.md 5).

    ``validate(tmp_path)`` runs on the finished temp file (same directory,
    final owner and mode); raising aborts the save and the exception is
    re-raised unchanged.  ``backup_dir`` keeps the previous version (the
    newest ``keep`` are kept).  Raises :class:`BusyError`,
    :class:`ConflictError`, :class:`UnsafeTargetError` or
    :class:`SaveError`; in every case the original file is untouched.
    """
    path = loaded.path
    d = os.path.dirname(path)
    base = os.path.basename(path)
    with _locked(path, lock_path or _default_lock_path(path)):
        _remove_stale_temps(d, base)
        # Step 4: still the file we loaded?
        try:
            current, st = _read_checked(path)
        except SaveError as e:
            if isinstance(e.__cause__, FileNotFoundError):
                raise ConflictError(path, "was removed since it was loaded; nothing was saved",
                                    b"", hashlib.sha256(b"").hexdigest()) from e
            raise
        cur_hash = hashlib.sha256(current).hexdigest()
        if (cur_hash != loaded.sha256 or (st.st_dev, st.st_ino) != (loaded.sig.dev, loaded.sig.ino)
                or st.st_size != loaded.sig.size):
            raise ConflictError(path, "was modified since it was loaded; nothing was saved",
                                current, cur_hash)
        tmp: str | None = None
        backup: str | None = None
        replaced = False
        try:
            try:
                fd, tmp = tempfile.mkstemp(dir=d or ".", prefix=f".{base}.", suffix=".tmp")
            except OSError as e:
                raise SaveError(path, f"cannot create a temporary file: {_reason(e)}") from e
            try:
                _write_all(fd, new_bytes)
                os.fsync(fd)
                tst = os.fstat(fd)
                if (tst.st_uid, tst.st_gid) != (st.st_uid, st.st_gid):
                    os.fchown(fd, st.st_uid, st.st_gid)
                os.fchmod(fd, stat.S_IMODE(st.st_mode))
                os.fsync(fd)
            except OSError as e:
                raise SaveError(path, f"cannot write: {_reason(e)}; the file is unchanged") from e
            finally:
                os.close(fd)
            if validate is not None:
                validate(tmp)
            if backup_dir is not None:
                try:
                    backup = _backup(loaded, current, backup_dir, keep)
                except OSError as e:
                    raise SaveError(path, f"cannot back up to {backup_dir}: {_reason(e)}; "
                                    "the file is unchanged") from e
            try:
                os.replace(tmp, path)
            except OSError as e:
                hint = " (schg/uchg flag set?)" if e.errno == errno.EPERM else ""
                raise SaveError(path, f"cannot replace: {_reason(e)}{hint}; "
                                "the file is unchanged") from e
            replaced = True
            tmp = None
            try:
                _fsync_dir(d)
                if backup is not None:
                    _fsync_dir(os.path.dirname(backup))
            except OSError as e:
                raise SaveError(path, f"saved, but syncing the directory failed: {_reason(e)}") from e
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            if backup is not None and not replaced:
                with contextlib.suppress(OSError):
                    os.unlink(backup)
        return Saved(path, hashlib.sha256(new_bytes).hexdigest(), backup)
