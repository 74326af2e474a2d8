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

Any failure before the rename leaves the original untouched, closes every
descriptor and removes the temp file (and the backup link, which would
otherwise make the target look hard-linked); the message says what failed
and what to do (:func:`write_failure`: "no space left on the file system
holding /etc/jail.conf; ... nothing was changed", issue 14 item 10).

A save killed outright (SIGKILL, power loss) can leave its temp file
behind. Temp files are named so they are recognisably ours
(``.NAME.jailtui-XXXXXXXX``, :func:`is_our_temp`), and the next save of the
same file removes them under the lock: only names of that pattern, plain
files with one link, owned by us, and older than the save that removes them
(:func:`remove_stale_temps`). The ``jail -e`` check's copies
(``.jailtui-check.*``, core/config/confedit.py) are removed the same way once
older than :data:`STALE_CHECK_AGE` (a check is not under the lock).
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
    "CHECK_PREFIX",
    "NOTHING_CHANGED",
    "STALE_CHECK_AGE",
    "BusyError",
    "ConflictError",
    "Loaded",
    "SafeFileError",
    "SaveError",
    "Saved",
    "StatSig",
    "UnsafeTargetError",
    "is_our_temp",
    "load",
    "remove_stale_temps",
    "save",
    "temp_prefix",
    "write_all",
    "write_failure",
    "write_temp",
]

#: The end of every message of a save that failed before the rename.
NOTHING_CHANGED = "nothing was changed"

#: Prefix of the copies ``jail -f COPY -e`` checks (core/config/confedit.py,
#: core/config/remotefile.py CHECK_SCRIPT): dot-named, so no ``*.conf``
#: include picks one up (glob(3) skips dot files).
CHECK_PREFIX = ".jailtui-check."

#: Seconds after which a check's copy is stale: a check runs under a 20 to
#: 30 s timeout, and is not under the save lock.
STALE_CHECK_AGE = 600.0

#: What failed, by errno, and what to do about it ({where}: the file). One
#: wording for local saves, checks and remote saves (remotefile.py).
_FAILURES: dict[int, str] = {
    errno.ENOSPC: "no space left on the file system holding {where}; free some space, "
                  "then save again",
    errno.EDQUOT: "disk quota exceeded on the file system holding {where}; free some space "
                  "or raise the quota, then save again",
    errno.EROFS: "the file system holding {where} is read-only; remount it read-write "
                 "(mount -uw), then save again",
    errno.EACCES: "permission denied in the directory of {where}; save as root (or through "
                  "sudo), or ask the host admin",
    errno.EIO: "input/output error on the file system holding {where}; check the disk "
               "(dmesg), then save again",
}


class SafeFileError(JailtuiError):
    """Base: a config file could not be read or saved safely.

    ``str(e)`` names the file; ``path`` holds it.
    """

    def __init__(self, path: str, message: str, *, named: bool = False) -> None:
        self.path = path
        self.message = message
        # ``named``: the message names the file itself ("no space left on
        # the file system holding /etc/jail.conf; ..."): not prefixed again.
        super().__init__(message if named else f"{path}: {message}")


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


def write_failure(path: str, exc: OSError, doing: str = "cannot write") -> SaveError:
    """The error of a save or a check that failed on ``path`` with ``exc``:
    what failed and what to do, and that nothing was changed.

    Full disk, quota, read-only file system, permissions and I/O errors are
    said in words with the remedy (issue 14 item 10); anything else is
    ``doing: <strerror>``.
    """
    known = _FAILURES.get(exc.errno or 0)
    reason = known.format(where=path) if known else f"{doing}: {_reason(exc)}"
    return SaveError(path, f"{reason}; {NOTHING_CHANGED}", named=known is not None)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte (os.write may write fewer than asked)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]



def write_temp(path: str, directory: str, prefix: str, suffix: str, data: bytes) -> str:
    """A new 0600 file ``directory/PREFIX*SUFFIX`` holding ``data``; its name.

    The descriptor is closed and the file removed on every failure, which
    raises :func:`write_failure` for ``path`` (the file the user edits).
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=directory or ".", prefix=prefix, suffix=suffix)
    except OSError as e:
        raise write_failure(path, e, "cannot create a temporary file") from e
    try:
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise write_failure(path, e) from e
    return tmp


def _fsync_dir(d: str) -> None:
    fd = os.open(d or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP):   # fs without dir fsync
            raise
    finally:
        os.close(fd)


def temp_prefix(base: str) -> str:
    """Prefix of the temp files of saves of the file named ``base``: the
    target's name, dot-first (hidden, and never matched by ``*.conf``), then
    ``jailtui-`` (remotefile.py SAVE_SCRIPT makes the same names)."""
    return f".{base}.jailtui-"


def is_our_temp(name: str, base: str) -> bool:
    """Is ``name`` a temp file of a save of ``base`` (ours, by its name)?
    mkstemp adds 8 characters of ``[a-z0-9_]``, mktemp(1) 10 of ``[A-Za-z0-9]``."""
    rest = name.removeprefix(temp_prefix(base))
    return rest != name and len(rest) >= 6 and all(c.isascii() and (c.isalnum() or c == "_")
                                                   for c in rest)


def _stale(p: str, before: float) -> bool:
    """A plain file with one link, ours, last modified before ``before``."""
    try:
        st = os.lstat(p)
    except OSError:
        return False
    return (stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_uid == os.geteuid()
            and st.st_mtime < before)


def remove_stale_temps(d: str, base: str, before: float) -> list[str]:
    """Remove what a killed save or check of ``base`` left in ``d``; the paths removed.

    Only our names (:func:`is_our_temp`, :data:`CHECK_PREFIX`), plain files,
    owned by us; save temps last modified before ``before`` (the current
    save took the lock then, so none of them is a save in progress), check
    copies older than :data:`STALE_CHECK_AGE`.
    """
    try:
        names = os.listdir(d or ".")
    except OSError:
        return []
    removed: list[str] = []
    for n in names:
        if is_our_temp(n, base):
            limit = before
        elif n.startswith(CHECK_PREFIX):
            limit = min(before, time.time() - STALE_CHECK_AGE)
        else:
            continue
        p = os.path.join(d, n)
        if _stale(p, limit):
            with contextlib.suppress(OSError):
                os.unlink(p)
                removed.append(p)
    return removed


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
            write_all(fd, current)
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
        remove_stale_temps(d, base, time.time())
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
                fd, tmp = tempfile.mkstemp(dir=d or ".", prefix=temp_prefix(base))
            except OSError as e:
                raise write_failure(path, e, "cannot create a temporary file") from e
            try:
                write_all(fd, new_bytes)
                os.fsync(fd)
                tst = os.fstat(fd)
                if (tst.st_uid, tst.st_gid) != (st.st_uid, st.st_gid):
                    os.fchown(fd, st.st_uid, st.st_gid)
                os.fchmod(fd, stat.S_IMODE(st.st_mode))
                os.fsync(fd)
            except OSError as e:
                raise write_failure(path, e) from e
            finally:
                os.close(fd)
            if validate is not None:
                validate(tmp)
            if backup_dir is not None:
                try:
                    backup = _backup(loaded, current, backup_dir, keep)
                except OSError as e:
                    raise write_failure(backup_dir, e, f"cannot back up {path}") from e
            try:
                os.replace(tmp, path)
            except OSError as e:
                if e.errno == errno.EPERM:
                    raise SaveError(path, f"cannot replace: {_reason(e)} (schg/uchg flag set? "
                                    f"see chflags(1)); {NOTHING_CHANGED}") from e
                raise write_failure(path, e, "cannot replace") from e
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
