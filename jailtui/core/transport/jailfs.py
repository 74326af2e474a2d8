"""The one reader of files under a jail's root.

Whatever lies under a jail's ``path`` is controlled by root inside that
jail: ``etc/rc.conf`` may be a symlink to ``/dev/zero`` (endless bytes), to
the host's own ``/etc/master.passwd`` or to another jail's file, a FIFO
(``open()`` blocks until someone writes), a 2 GB sparse file, a directory,
a socket. The console and ``check`` run as root on the host, so a plain
``open()`` lets a jail's root freeze or exhaust them and read files they
must not see (issue 14 item 1; docs/security.md 2.4 and 4).

So every file under a jail root is read here, with these rules:

- the path is resolved **as the jail would see it**: component by component
  from a descriptor of the root (``openat`` with ``O_NOFOLLOW``), a symlink
  is read with ``readlinkat`` and followed *inside* the root (an absolute
  target restarts at the jail's root, ``..`` stops at it), like FreeBSD's
  lookup for a jailed process (``kern/vfs_lookup.c``: the jail's root is the
  process's root directory). A link to ``/etc/passwd`` therefore reads the
  jail's own passwd, never the host's, and a link to another jail's path
  finds nothing;
- only a regular file is read (``fstat`` of the opened descriptor, so the
  check and the read are on the same file); the final open has
  ``O_NONBLOCK`` so a FIFO swapped in cannot block it;
- at most :data:`MAX_BYTES` are read (a larger file is refused, not cut);
- the blocking work runs in a thread with a timeout, never on the event loop.

A refusal is a :class:`FileRead` with ``data=None`` and the reason, which
callers report as "unknown" (never a hang, never a traceback).

On a remote host (SSH) the same rules are applied on the remote side by a
small ``sh`` script (:data:`REMOTE_SCRIPT`): no component below the root may
be a symlink (each directory is entered and checked to be below the root),
the file must be regular and is read from the descriptor that was checked,
and ``head -c`` bounds the bytes. What a race can still do there: a FIFO
swapped in just before the open blocks it until the command's timeout.
"""

from __future__ import annotations

import asyncio
import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass

from jailtui.core.errors import CommandError
from jailtui.core.text import visible
from jailtui.core.transport.runner import Runner, run_all

#: Largest file read from a jail root. rc.conf, passwd, an rc.d script are a
#: few KiB; a few MiB covers any legitimate one.
MAX_BYTES = 4 * 1024 * 1024

#: Seconds one read may take (a local read is instant; NFS or a remote host
#: is not).
TIMEOUT = 10.0

#: Symlinks followed in one lookup before giving up (FreeBSD's MAXSYMLINKS).
MAX_SYMLINKS = 32

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY


#: (st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns) of a file: what tells a
#: cache that the file may have changed. A write moves mtime, a chmod, rename
#: over or link count change moves ctime, a new file has another inode.
Identity = tuple[int, int, int, int, int]


def identity_of(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True, slots=True)
class FileRead:
    """What reading one jail file gave: its bytes, or why not.

    ``missing`` tells "no such file" (an ordinary answer: rc.d scripts are
    looked for in two places) from a refusal (something is wrong in the jail).
    """

    path: str
    data: bytes | None = None
    reason: str = ""
    missing: bool = False
    #: :func:`identity_of` the file read (fstat of the descriptor read): a cache key.
    identity: Identity | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None

    def text(self) -> str | None:
        """The content as text (undecodable bytes kept as surrogates), or None."""
        return None if self.data is None else self.data.decode("utf-8", "surrogateescape")

    def why(self) -> str:
        """One line for the user: ``/usr/local/jails/web/etc/rc.conf: a FIFO, not read``."""
        return f"{visible(self.path)}: {self.reason}"


class _Refused(Exception):
    def __init__(self, reason: str, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symlink")):
        if test(mode):
            return name
    return "not a regular file"


def _split(rel: str) -> list[str]:
    return [p for p in rel.split("/") if p and p != "."]


def _open_in_root(root_fd: int, rel: str) -> int:
    """A descriptor of ``rel`` resolved inside the root (see the module docstring)."""
    todo = _split(rel)
    if not todo:
        raise _Refused("not a file")
    stack = [os.dup(root_fd)]  # descriptors of the directories walked, root first
    links = 0
    try:
        while todo:
            name = todo.pop(0)
            if name == "..":
                if len(stack) > 1:  # ".." of the root is the root (chroot(2))
                    os.close(stack.pop())
                continue
            last = not todo
            try:
                fd = os.open(name, _FILE_FLAGS if last else _DIR_FLAGS, dir_fd=stack[-1])
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR):
                    # A symlink (ELOOP/EMLINK: O_NOFOLLOW on the last one;
                    # ENOTDIR: O_DIRECTORY|O_NOFOLLOW on a link) or a file
                    # where a directory should be.
                    try:
                        target = os.readlink(name, dir_fd=stack[-1])
                    except OSError:
                        if exc.errno == errno.ENOTDIR:
                            raise _Refused("a component is not a directory") from None
                        raise
                    links += 1
                    if links > MAX_SYMLINKS:
                        raise _Refused("too many levels of symbolic links") from None
                    if target.startswith("/"):
                        while len(stack) > 1:
                            os.close(stack.pop())
                    todo[:0] = _split(target)
                    if not todo:  # a link to "/" where a file is wanted
                        raise _Refused("a directory, not a file") from None
                    continue
                if exc.errno == errno.ENOENT:
                    if links:  # the jail sees a dangling link: say so, not "absent"
                        raise _Refused("a symlink to a path that does not exist inside "
                                       "the jail") from None
                    raise _Refused("no such file", missing=True) from None
                raise _Refused(os.strerror(exc.errno or errno.EIO)) from None
            if last:
                for d in stack:
                    os.close(d)
                stack = []
                return fd
            stack.append(fd)
        raise _Refused("not a file")
    finally:
        for d in stack:
            os.close(d)


def read_under_root(root: str, rel: str, *, max_bytes: int = MAX_BYTES,
                    shown: str | None = None) -> FileRead:
    """Read ``rel`` (a path inside the jail, e.g. ``etc/rc.conf``) under ``root``.

    ``root`` is this machine's path of the jail's root directory; ``shown``
    the path to name in messages (the host path). Blocking: call
    :func:`aread_under_root` from async code.
    """
    where = shown or os.path.join(root, rel.lstrip("/"))
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        missing = exc.errno == errno.ENOENT
        return FileRead(where, reason=f"jail root: {os.strerror(exc.errno or errno.EIO)}",
                        missing=missing)
    try:
        fd = _open_in_root(root_fd, rel)
    except _Refused as exc:
        return FileRead(where, reason=exc.reason, missing=exc.missing)
    except OSError as exc:
        return FileRead(where, reason=os.strerror(exc.errno or errno.EIO))
    finally:
        os.close(root_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return FileRead(where, reason=f"{_kind(st.st_mode)}, not read")
        if st.st_size > max_bytes:
            return FileRead(where, reason=f"too large ({st.st_size} bytes, at most "
                                          f"{max_bytes} are read)")
        chunks: list[bytes] = []
        got = 0
        while got <= max_bytes:
            chunk = os.read(fd, min(65536, max_bytes + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > max_bytes:  # grew while read
            return FileRead(where, reason=f"too large (more than {max_bytes} bytes)")
        return FileRead(where, data=b"".join(chunks), identity=identity_of(st))
    except OSError as exc:
        return FileRead(where, reason=os.strerror(exc.errno or errno.EIO))
    finally:
        os.close(fd)


def _fstat_under_root(root: str, rel: str) -> os.stat_result | None:
    """``fstat`` of ``rel`` opened inside ``root`` as :func:`read_under_root` opens it
    (never out of the root, the last open ``O_NOFOLLOW | O_NONBLOCK``), nothing read;
    None when it cannot be opened."""
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fd = _open_in_root(root_fd, rel)
    except (_Refused, OSError):
        return None
    finally:
        os.close(root_fd)
    try:
        return os.fstat(fd)
    except OSError:
        return None
    finally:
        os.close(fd)


def mode_under_root(root: str, rel: str) -> int | None:
    """``st_mode`` of ``rel`` resolved inside ``root`` as :func:`read_under_root`
    resolves it (never out of the root, a FIFO opened non-blocking, nothing read);
    None when it cannot be opened. For flagging setuid files in a quarantined root."""
    st = _fstat_under_root(root, rel)
    return None if st is None else st.st_mode


def identity_under_root(root: str, rel: str) -> Identity | None:
    """:func:`identity_of` the file :func:`read_under_root` would read, nothing read.

    Resolved and opened exactly as that read does (from the root, links
    followed inside it, the last open ``O_NOFOLLOW | O_NONBLOCK``), then
    ``fstat`` of that descriptor; None unless it is a regular file. For a
    cache of a parsed jail file (core/hosts/jailusers.py): the same identity
    as the last read's means the same file, unchanged, so it is not read.
    """
    st = _fstat_under_root(root, rel)
    return identity_of(st) if st is not None and stat.S_ISREG(st.st_mode) else None


async def aidentities_under_root(roots: Sequence[str], rel: str, *,
                                 timeout: float = TIMEOUT) -> list[Identity | None]:
    """:func:`identity_under_root` of ``rel`` under each of ``roots``, in one
    thread, bounded by ``timeout`` (all None when it is not met)."""
    def work() -> list[Identity | None]:
        return [identity_under_root(root, rel) for root in roots]

    try:
        return await asyncio.wait_for(asyncio.to_thread(work), timeout)
    except TimeoutError:
        return [None] * len(roots)


async def aread_under_root(root: str, rel: str, *, max_bytes: int = MAX_BYTES,
                           timeout: float = TIMEOUT, shown: str | None = None) -> FileRead:
    """:func:`read_under_root` in a thread, bounded by ``timeout``."""
    where = shown or os.path.join(root, rel.lstrip("/"))
    try:
        return await asyncio.wait_for(
            asyncio.to_thread(read_under_root, root, rel, max_bytes=max_bytes, shown=shown),
            timeout)
    except TimeoutError:
        return FileRead(where, reason=f"not read within {timeout:g} s")


def read_host_file(path: str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """A host file (jail.conf, rc.conf, a manager's config): regular files
    only and size-capped, like jail files, but symlinks followed (the host's
    own files are the admin's). Raises OSError as ``open()`` would, so
    callers keep their handling: a FIFO or device is EINVAL (never opened
    blocking: ``O_NONBLOCK``), a file over the cap EFBIG.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            code = errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL
            raise OSError(code, f"{_kind(st.st_mode)}, not read", path)
        chunks: list[bytes] = []
        got = 0
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            got += len(chunk)
            if got > max_bytes:
                raise OSError(errno.EFBIG, f"larger than {max_bytes} bytes, not read", path)
            chunks.append(chunk)
    finally:
        os.close(fd)


# -- remote hosts ---------------------------------------------------------------

#: ``sh -c SCRIPT sh ROOT REL MAX``: the rules above, on the remote side.
#: Exit 3: missing; 4: refused (reason on stdout's first line); 0: the
#: content. POSIX sh, test(1), stat(1), head(1).
#:
#: The jail's root may swap a name for a symlink at any moment, so no path
#: below ROOT is ever opened whole: the script enters each directory with
#: ``cd -P`` (after ``test -L`` said it is not a link) and checks with
#: ``pwd -P`` that it is still below ROOT, so a directory swapped in between
#: is caught and the final open is of one name in a directory already held.
#: That last name is looked at (lstat: ``stat`` without ``-L``), opened once on
#: descriptor 3 and the open descriptor looked at (fstat: FreeBSD's stat(1)
#: without a file operand describes its standard input, usr.bin/stat/stat.c);
#: only when both are the same regular file (device, inode, type) is it read,
#: from that descriptor, ``head -c`` one byte over the cap so "too large" is
#: seen. A link swapped in before the open is followed by the open but gives
#: another file, and is refused. What remains: a FIFO swapped in just before
#: the open blocks it until the command's timeout (docs/security.md 2.4).
#: GNU's ``stat -c`` is asked first and FreeBSD's ``stat -f`` where it fails
#: (FreeBSD's stat has no -c: a usage error): both answers of one read then
#: come from the same tool, also where the simulator's FreeBSD stat shim is
#: first on PATH and hands GNU argv to this machine's stat (docs/freebsd.md 13.5).
REMOTE_SCRIPT = """root=$1 rel=$2 max=$3
cd -P -- "$root" 2>/dev/null || { echo "jail root: cannot enter"; exit 4; }
top=$(pwd -P)
[ "$top" = / ] && top=
ident() {
  if [ $# -eq 0 ]; then
    s=$(stat -L -c '%d:%i:%F' /dev/stdin 2>/dev/null) || s=$(stat -f '%d:%i:%HT' 2>/dev/null)
  else
    s=$(stat -c '%d:%i:%F' -- "$1" 2>/dev/null) || s=$(stat -f '%d:%i:%HT' -- "$1" 2>/dev/null)
  fi || return
  printf '%s\n' "$s"
}
IFS=/
set -f
set -- $rel
last=
for c in "$@"; do
  [ -n "$c" ] || continue
  [ "$c" = . ] && continue
  [ "$c" = .. ] && { echo "a '..' component, not followed"; exit 4; }
  if [ -n "$last" ]; then
    cd -P -- "./$last" 2>/dev/null || { echo "not a directory, not entered"; exit 4; }
    case $(pwd -P)/ in "$top"/*) ;; *) echo "left the jail's root, not followed"; exit 4 ;; esac
  fi
  if [ -L "./$c" ]; then echo "a symlink, not followed on this host"; exit 4; fi
  [ -e "./$c" ] || exit 3
  last=$c
done
[ -n "$last" ] || { echo "not a regular file, not read"; exit 4; }
if [ ! -f "./$last" ]; then echo "not a regular file, not read"; exit 4; fi
want=$(ident "./$last") || { echo "cannot be looked at, not read"; exit 4; }
case $want in *":Regular File"|*":regular file") ;; *) echo "not a regular file, not read"; exit 4 ;; esac
{
  got=$(ident <&3) || { echo "cannot be looked at, not read"; exit 4; }
  [ "$got" = "$want" ] || { echo "replaced while read, not read"; exit 4; }
  head -c $((max + 1)) <&3
} 3< "./$last" || exit 4
"""


def remote_argv(root: str, rel: str, max_bytes: int = MAX_BYTES) -> list[str]:
    return ["sh", "-c", REMOTE_SCRIPT, "sh", root, rel, str(max_bytes)]


async def aread_remote(runner: Runner, root: str, rels: Sequence[str], *,
                       max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT,
                       shown_root: str | None = None) -> list[FileRead]:
    """Several files under one remote jail root, in one round trip where the runner can."""
    base = (shown_root or root).rstrip("/")
    where = [f"{base}/{r.lstrip('/')}" for r in rels]
    try:
        results = await run_all(runner, [remote_argv(root, r, max_bytes) for r in rels],
                                timeout)
    except CommandError as exc:
        return [FileRead(w, reason=exc.message) for w in where]
    out: list[FileRead] = []
    for w, res in zip(where, results, strict=True):
        if res.returncode == 3:
            out.append(FileRead(w, reason="no such file", missing=True))
        elif res.returncode == 4:
            line = res.stdout.split(b"\n", 1)[0].decode("utf-8", "replace")
            out.append(FileRead(w, reason=line or "refused"))
        elif res.returncode != 0:
            msg = res.stderr.decode("utf-8", "replace").strip().splitlines()
            out.append(FileRead(w, reason=msg[-1] if msg else f"status {res.returncode}"))
        elif len(res.stdout) > max_bytes:
            out.append(FileRead(w, reason=f"too large (more than {max_bytes} bytes)"))
        else:
            out.append(FileRead(w, data=res.stdout))
    return out



# -- metadata (the security posture: docs/freebsd.md 12) -------------------------


@dataclass(frozen=True, slots=True)
class StatRead:
    """lstat(2) of one path under a jail root, or why not (as :class:`FileRead`).

    ``path`` is the host path. The path is walked from the root without
    following any symlink (a symlinked component is a refusal: where it leads
    is the jail's business, and its flags are not the root's), and the last
    component is described itself (lstat).
    """

    path: str
    st: os.stat_result | None = None
    reason: str = ""
    missing: bool = False
    #: Regular files directly in the directory (only from :func:`list_files_under_root`).
    entries: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.st is not None

    def why(self) -> str:
        return f"{visible(self.path)}: {self.reason}"


def _lstat_in_root(root_fd: int, rel: str) -> os.stat_result:
    """lstat of ``rel`` walked from ``root_fd`` with no symlink followed."""
    parts = _split(rel)
    if not parts or ".." in parts:
        raise _Refused("not a path inside the jail root")
    fd = os.dup(root_fd)
    try:
        for name in parts[:-1]:
            try:
                nxt = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR):
                    raise _Refused("a symlink or a file where a directory should be, "
                                   "not followed") from None
                if exc.errno == errno.ENOENT:
                    raise _Refused("no such file", missing=True) from None
                raise _Refused(os.strerror(exc.errno or errno.EIO)) from None
            os.close(fd)
            fd = nxt
        try:
            return os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise _Refused("no such file", missing=True) from None
            raise _Refused(os.strerror(exc.errno or errno.EIO)) from None
    finally:
        os.close(fd)


def lstat_under_root(root: str, rel: str, *, shown: str | None = None) -> StatRead:
    """lstat of ``rel`` under ``root`` (this machine's path of the jail root)."""
    where = shown or os.path.join(root, rel.lstrip("/"))
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        return StatRead(where, reason=f"jail root: {os.strerror(exc.errno or errno.EIO)}",
                        missing=exc.errno == errno.ENOENT)
    try:
        st = _lstat_in_root(root_fd, rel)
        return StatRead(where, st=st)
    except _Refused as exc:
        return StatRead(where, reason=exc.reason, missing=exc.missing)
    finally:
        os.close(root_fd)


def list_files_under_root(root: str, rel: str, *, shown: str | None = None,
                          limit: int = 10_000) -> StatRead:
    """The regular files directly in directory ``rel`` under ``root`` (no symlink
    followed on the way; symlinks, FIFOs and devices in it are left out), at
    most ``limit`` of them (a directory of a million entries is refused)."""
    got = lstat_under_root(root, rel, shown=shown)
    if got.st is None:
        return got
    if not stat.S_ISDIR(got.st.st_mode):
        return StatRead(got.path, reason=f"{_kind(got.st.st_mode)}, not a directory")
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        return StatRead(got.path, reason=f"jail root: {os.strerror(exc.errno or errno.EIO)}")
    fd = -1
    try:
        fd = _open_dir(root_fd, rel)
        names: list[str] = []
        with os.scandir(fd) as it:
            for entry in it:
                if len(names) >= limit:
                    return StatRead(got.path, reason=f"more than {limit} entries, not listed")
                if entry.is_file(follow_symlinks=False):
                    names.append(entry.name)
        return StatRead(got.path, st=got.st, entries=tuple(sorted(names)))
    except _Refused as exc:
        return StatRead(got.path, reason=exc.reason, missing=exc.missing)
    except OSError as exc:
        return StatRead(got.path, reason=os.strerror(exc.errno or errno.EIO))
    finally:
        if fd >= 0:
            os.close(fd)
        os.close(root_fd)


def _open_dir(root_fd: int, rel: str) -> int:
    """A descriptor of directory ``rel``, walked with no symlink followed."""
    fd = os.dup(root_fd)
    try:
        for name in _split(rel):
            if name == "..":
                raise _Refused("not a path inside the jail root")
            try:
                nxt = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise _Refused("a symlink or not a directory, not followed"
                               if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR)
                               else os.strerror(exc.errno or errno.EIO)) from None
            os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        os.close(fd)
        raise


# -- metadata on a remote host (the posture over SSH) -----------------------------

#: ``sh -c SCRIPT sh ROOT REL MODE``: the walk of :func:`lstat_under_root` (MODE
#: ``stat``) or :func:`list_files_under_root` (MODE ``list``) on the remote side.
#: Exit 5: the root cannot be entered; 3: missing; 4: refused (the reason on
#: stdout's first line); 0: present (``stat``), or the regular files directly in
#: the directory, each ``./NAME`` and a NUL (``list``: find(1) -type f does not
#: follow symlinks; names may hold newlines). Every component but the last must
#: be a directory that is no symlink; in ``stat`` mode the last is described
#: itself (a symlink is not followed). POSIX sh, test(1), find(1) -print0
#: (FreeBSD and GNU alike).
REMOTE_META_SCRIPT = """root=$1 rel=$2 mode=$3
cd -P -- "$root" 2>/dev/null || { echo "cannot enter it"; exit 5; }
IFS=/
set -f
p=.
last=
for c in $rel; do
  [ -n "$c" ] || continue
  [ "$c" = . ] && continue
  [ "$c" = .. ] && { echo "not a path inside the jail root"; exit 4; }
  if [ -n "$last" ]; then
    if [ -L "$p" ]; then echo "a symlink or a file where a directory should be, not followed"; exit 4; fi
    [ -e "$p" ] || exit 3
    [ -d "$p" ] || { echo "a symlink or a file where a directory should be, not followed"; exit 4; }
  fi
  p=$p/$c
  last=$c
done
[ -n "$last" ] || { echo "not a path inside the jail root"; exit 4; }
[ -e "$p" ] || [ -L "$p" ] || exit 3
[ "$mode" = list ] || exit 0
if [ -L "$p" ] || [ ! -d "$p" ]; then echo "a symlink or not a directory, not followed"; exit 4; fi
cd -P -- "$p" || { echo "cannot enter it"; exit 4; }
exec find . -mindepth 1 -maxdepth 1 -type f -print0
"""

#: Where the remote walk says the root itself cannot be entered.
ROOT_UNREADABLE = 5


@dataclass(frozen=True, slots=True)
class RemoteStat:
    """What the remote walk said of one path (``path`` is the host path): present
    or not, and for a directory listed, its regular files."""

    path: str
    present: bool = False
    reason: str = ""
    missing: bool = False
    #: The jail root itself could not be entered (nothing under it was read).
    root_unreadable: bool = False
    entries: tuple[str, ...] = ()


def remote_meta_argv(root: str, rel: str, *, listing: bool = False) -> list[str]:
    return ["sh", "-c", REMOTE_META_SCRIPT, "sh", root, rel, "list" if listing else "stat"]


async def astat_remote(runner: Runner, root: str, rels: Sequence[tuple[str, bool]], *,
                       shown_root: str, timeout: float = TIMEOUT,
                       limit: int = 10_000) -> list[RemoteStat]:
    """Each ``(rel, listing)`` under the remote jail root ``root`` (the remote
    machine's path; ``shown_root`` the host path), in one round trip where the
    runner can. Never raises for a path: every failure is a reason."""
    base = shown_root.rstrip("/")
    where = [f"{base}/{r.lstrip('/')}" for r, _ in rels]
    try:
        results = await run_all(runner, [remote_meta_argv(root, r, listing=ls)
                                         for r, ls in rels], timeout)
    except CommandError as exc:
        return [RemoteStat(w, reason=exc.message) for w in where]
    out: list[RemoteStat] = []
    for w, (_, listing), res in zip(where, rels, results, strict=True):
        first = res.stdout.split(b"\n", 1)[0].decode("utf-8", "replace")
        if res.returncode == ROOT_UNREADABLE:
            out.append(RemoteStat(w, reason=f"jail root: {first or 'cannot enter it'}",
                                  root_unreadable=True))
        elif res.returncode == 3:
            out.append(RemoteStat(w, reason="no such file", missing=True))
        elif res.returncode == 4:
            out.append(RemoteStat(w, reason=visible(first or "refused")))
        elif res.returncode != 0:
            msg = res.stderr.decode("utf-8", "replace").strip().splitlines()
            out.append(RemoteStat(w, reason=visible(msg[-1] if msg else
                                                    f"status {res.returncode}")))
        elif not listing:
            out.append(RemoteStat(w, present=True))
        else:
            names = [n.decode("utf-8", "surrogateescape").removeprefix("./")
                     for n in res.stdout.split(b"\0") if n]
            if len(names) > limit:
                out.append(RemoteStat(w, reason=f"more than {limit} entries, not listed"))
            elif any("/" in n or n in ("", ".", "..") for n in names):
                out.append(RemoteStat(w, reason="find printed an unexpected name"))
            else:
                out.append(RemoteStat(w, present=True, entries=tuple(sorted(names))))
    return out


# -- setting flags on a remote host (jailtui flags --apply over SSH) ---------------

#: ``sh -c SCRIPT sh ROOT FLAGS REL...``: ``chflags -h -- FLAGS ./NAME`` for each
#: REL, run from inside the directory that holds it, entered from the root one
#: component at a time as :data:`REMOTE_SCRIPT` does (``test -L`` first, ``cd
#: -P``, ``pwd -P`` still below the root). chflags then resolves one name in a
#: directory already held, so a component swapped for a symlink after the
#: check can no longer send it out of the jail's root; ``-h`` acts on a last
#: component that is a link itself (chflags(1)). One line per REL, in order:
#: ``ok``, ``failed`` (chflags's own words on stderr) or ``refused REASON``.
#: Exit 5: the root cannot be entered (nothing printed for the files).
REMOTE_CHFLAGS_SCRIPT = """root=$1 flags=$2
shift 2
cd -P -- "$root" 2>/dev/null || { echo "cannot enter it"; exit 5; }
top=$(pwd -P)
[ "$top" = / ] && top=
rc=0
for rel in "$@"; do
  (
    IFS=/
    set -f
    set -- $rel
    last=
    for c in "$@"; do
      [ -n "$c" ] || continue
      [ "$c" = . ] && continue
      [ "$c" = .. ] && { echo "refused not a path inside the jail root"; exit 4; }
      if [ -n "$last" ]; then
        if [ -L "./$last" ] || [ ! -d "./$last" ]; then
          echo "refused a symlink or a file where a directory should be, not followed"; exit 4
        fi
        cd -P -- "./$last" 2>/dev/null || { echo "refused not a directory, not entered"; exit 4; }
        case $(pwd -P)/ in "$top"/*) ;; *) echo "refused left the jail's root, not followed"; exit 4 ;; esac
      fi
      last=$c
    done
    [ -n "$last" ] || { echo "refused not a path inside the jail root"; exit 4; }
    [ -e "./$last" ] || [ -L "./$last" ] || { echo "refused no such file"; exit 4; }
    chflags -h -- "$flags" "./$last" || { echo failed; exit 1; }
    echo ok
  ) || rc=1
done
exit $rc
"""


def remote_chflags_argv(root: str, flags: str, rels: Sequence[str]) -> list[str]:
    return ["sh", "-c", REMOTE_CHFLAGS_SCRIPT, "sh", root, flags, *rels]


def chflags_outcomes(stdout: bytes, count: int) -> list[str] | None:
    """Each file's line of :data:`REMOTE_CHFLAGS_SCRIPT` (``ok``, ``failed``,
    ``refused REASON``), or None when the lines do not match the files."""
    lines = stdout.decode("utf-8", "replace").splitlines()
    if len(lines) != count or not all(ln in ("ok", "failed") or ln.startswith("refused ")
                                      for ln in lines):
        return None
    return lines
