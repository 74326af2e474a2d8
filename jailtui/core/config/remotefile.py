"""Load, check and save a config file on a remote host (docs/security.md 5).

The remote counterpart of :mod:`jailtui.core.config.safefile` and of the
``jail -f TMP -e`` check of :mod:`jailtui.core.config.confedit`, over the host's
runner (:class:`~jailtui.core.transport.ssh.SSHRunner`): the file is read, checked and
replaced *there*, never through a copy on this machine.

- :func:`load`: one round trip; the checks safefile makes (no symlink, a
  regular file, no other hard link) run in the same remote command as the
  ``cat``, and the SHA-256 is computed here from the bytes received.
- :func:`jail_check`: the candidate goes to a ``mktemp`` file (0600) next to
  the target, ``jail -f HOSTDIR/TMPNAME -e SEP`` parses it there, the temp
  file is removed in any case.
- :func:`save`: the whole section 5 procedure in ONE remote command, so it
  cannot be cut in half by a lost connection between steps: lock, re-check
  the hash, temp file in the same directory, owner and mode copied,
  fsync, backup link, ``mv -f`` (rename(2) in one directory is atomic),
  clean up on every exit path.

Why a shell script on the remote is acceptable here: the SSH runner
already runs everything through ``/bin/sh -s`` on the host (core/transport/ssh/framing.py), so a
script adds no new interpreter to trust; and the scripts below are FIXED
TEXT -- every variable part (paths, the expected hash) is a positional
argument (``sh -c SCRIPT NAME ARG...``, quoted by the runner with
shlex.join) and the file's content arrives on stdin. No user data is ever
part of a script's text, so nothing in a path or a value can be read as
shell syntax. They use POSIX sh and tools that exist on FreeBSD and on
Debian (the test servers) alike, choosing the flavour at run time (BSD
``stat -f`` / GNU ``stat -c``, ``sha256 -q`` / ``sha256sum``, ``fsync`` /
``sync``).

Errors are the same typed errors as a local save (:class:`BusyError`,
:class:`ConflictError`, :class:`SaveError`, :class:`UnsafeTargetError`),
their messages naming HOST paths.
"""

from __future__ import annotations

import errno
import hashlib
import posixpath
import stat
from dataclasses import dataclass

from jailtui.core.config.safefile import (
    BusyError,
    ConflictError,
    Loaded,
    Saved,
    SaveError,
    StatSig,
    UnsafeTargetError,
    write_failure,
)
from jailtui.core.errors import CommandError, CommandNotFound, JailtuiError, ParseError
from jailtui.core.transport.runner import BlockingRunner, CommandResult

__all__ = ["jail_check", "load", "save"]

LOAD_TIMEOUT = 20.0
CHECK_TIMEOUT = 30.0
SAVE_TIMEOUT = 60.0

#: Exit statuses of the scripts (above what the tools they run return).
BUSY, CONFLICT, SYMLINK, NOT_REGULAR, HARD_LINKED, MISSING = 81, 82, 83, 84, 85, 86
UNSAFE_DIR, NO_TEMP, NO_WRITE, NO_BACKUP, NO_REPLACE, NO_OWNER, NO_TOOL = (
    87, 88, 89, 90, 91, 92, 93)
NO_JAIL = 97


# -- the scripts (fixed text; arguments in "$@", content on stdin) ----------------

#: Shared functions. ``stat --version`` succeeds with GNU stat only (FreeBSD's
#: stat rejects the option); GNU reads BSD's ``-f`` as "file system" and
#: would print something else, so the flavour is decided up front.
_FUNCTIONS = r"""
stat_line() {
  if stat --version >/dev/null 2>&1; then
    stat -c '%d %i %s %Y %u %g %a %h' -- "$1"
  else
    stat -f '%d %i %z %m %u %g %Lp %l' -- "$1"
  fi
}
hash_of() {
  if command -v sha256 >/dev/null 2>&1; then sha256 -q <"$1"
  else sha256sum <"$1" | cut -d ' ' -f 1; fi
}
check_target() {
  if [ -L "$1" ]; then echo "is a symbolic link; refusing to edit it" >&2; exit 83; fi
  if [ ! -e "$1" ]; then echo "No such file or directory" >&2; exit 86; fi
  if [ ! -f "$1" ]; then echo "is not a regular file; refusing to edit it" >&2; exit 84; fi
  sl=$(stat_line "$1") || { echo "stat failed" >&2; exit 93; }
  set -- $sl
  if [ "$8" -gt 1 ]; then echo "has $8 hard links; refusing to edit it" >&2; exit 85; fi
}
"""

#: $1 the file. Prints "dev ino size mtime uid gid mode nlink", then the bytes.
LOAD_SCRIPT = _FUNCTIONS + r"""
f=$1
check_target "$f"
stat_line "$f" || exit 93
exec cat -- "$f"
"""

#: $1 the file's directory (real), $2 the same directory as a host path,
#: $3 jail -e's separator; stdin the candidate. Prints the temp file's name,
#: then jail(8)'s output; exits with jail(8)'s status (97: no jail(8)).
CHECK_SCRIPT = r"""
d=$1 hd=$2 sep=$3
command -v jail >/dev/null 2>&1 || exit 97
umask 077
t=$(mktemp "$d/.jailtui-check.XXXXXXXXXX") || { echo "cannot create a temporary file" >&2; exit 88; }
trap 'rm -f -- "$t"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM
cat >"$t" || { echo "cannot write a temporary file" >&2; exit 89; }
n=${t##*/}
printf '%s\n' "$n"
jail -f "$hd/$n" -e "$sep"
"""

#: $1 the file (real), $2 the SHA-256 it must still have, $3 the backup
#: directory (real; "" for none), $4 how many backups to keep; stdin the
#: new content. Prints the backup's path (empty line: none). Exit 81 busy,
#: 82 changed (its current bytes on stdout), 86 removed, 83-85 unsafe target,
#: 87 unsafe lock or backup directory, 88-93 a step failed (stderr says which).
SAVE_SCRIPT = _FUNCTIONS + r"""
f=$1 want=$2 bd=$3 keep=$4
d=${f%/*}; d=${d:-/}; base=${f##*/}
lock="$d/.$base.jailtui.lock.d"
tmp= bk= done= locked=
cleanup() {
  if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi
  if [ -n "$bk" ] && [ -z "$done" ]; then rm -f -- "$bk"; fi
  if [ -n "$locked" ]; then rmdir -- "$lock" 2>/dev/null; fi
}
trap cleanup EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM
umask 077
# 1. The lock: mkdir is atomic everywhere. Where flock(1) exists, also the
#    lock file local saves (safefile.py) hold, so they exclude each other.
#    A lock dir older than 10 minutes is left over from a save that was
#    killed (a save takes seconds): it is taken over, not obeyed forever.
if ! mkdir -- "$lock" 2>/dev/null; then
  if [ -L "$lock" ] || [ ! -d "$lock" ]; then echo "lock $lock is not a directory" >&2; exit 87; fi
  if [ -n "$(find "$lock" -maxdepth 0 -mmin +10 2>/dev/null)" ] && rmdir -- "$lock" 2>/dev/null \
      && mkdir -- "$lock" 2>/dev/null; then
    :
  else
    echo "busy: another save of this file is in progress (lock $lock)" >&2; exit 81
  fi
fi
locked=1
lf="$d/.$base.jailtui.lock"
if command -v flock >/dev/null 2>&1; then
  if [ -L "$lf" ]; then echo "lock file $lf is a symbolic link" >&2; exit 87; fi
  if command exec 9>>"$lf"; then
    flock -n 9 || { echo "busy: another save of this file is in progress" >&2; exit 81; }
  fi
fi
# Left by a save or a check that was killed (safefile.remove_stale_temps):
# only our names, plain files owned by us; save temps older than this
# save's lock, check copies older than 10 minutes (a check is not locked).
for old in "$d/.$base.jailtui-"*; do
  if [ -f "$old" ] && [ ! -L "$old" ] && [ -O "$old" ] && [ "$old" -ot "$lock" ]; then
    rm -f -- "$old"
  fi
done
find "$d/" -maxdepth 1 -name '.jailtui-check.*' -type f -user "$(id -u)" -mmin +10 \
  -exec rm -f -- {} + 2>/dev/null
# 2. Still the file that was loaded?
check_target "$f"
cur=$(hash_of "$f")
if [ -z "$cur" ]; then echo "no sha256 or sha256sum" >&2; exit 93; fi
if [ "$cur" != "$want" ]; then cat -- "$f"; exit 82; fi
sl=$(stat_line "$f") || { echo "stat failed" >&2; exit 93; }
set -- $sl
owner="$5:$6" mode=$7
# 3. The new content in a temp file of the same directory, owner and mode kept.
tmp=$(mktemp "$d/.$base.jailtui-XXXXXXXXXX") || {
  tmp=; echo "cannot create a temporary file; nothing was changed" >&2; exit 88; }
cat >"$tmp" || { echo "cannot write; nothing was changed" >&2; exit 89; }
chown "$owner" "$tmp" && chmod "$mode" "$tmp" || {
  echo "cannot set owner and mode; nothing was changed" >&2; exit 92; }
if command -v fsync >/dev/null 2>&1; then
  fsync "$tmp" || { echo "cannot fsync; nothing was changed" >&2; exit 89; }
else
  sync
fi
# 4. Backup: a hard link to the old version (a copy across file systems).
if [ -n "$bd" ]; then
  if [ ! -e "$bd" ] && [ ! -L "$bd" ]; then
    mkdir -p -m 700 -- "$bd" || { echo "cannot create $bd; nothing was changed" >&2; exit 90; }
  fi
  if [ -L "$bd" ] || [ ! -d "$bd" ]; then echo "backup directory $bd is not a directory" >&2; exit 87; fi
  stamp=$(date -u +%Y%m%dT%H%M%S)
  bk=$(printf '%s/%s.%s.%09dZ.%.8s' "$bd" "$base" "$stamp" "$$" "$want")
  ln -- "$f" "$bk" 2>/dev/null || cp -p -- "$f" "$bk" || {
    echo "cannot back up to $bd; nothing was changed" >&2; exit 90; }
fi
# 5. The rename: atomic within one directory.
mv -f -- "$tmp" "$f" || { echo "cannot replace (schg/uchg flag set? see chflags(1)); nothing was changed" >&2; exit 91; }
tmp= done=1
if command -v fsync >/dev/null 2>&1; then fsync "$d" 2>/dev/null || sync; else sync; fi
# 6. Keep the newest $keep backups of this file (names sort by time).
if [ -n "$bd" ] && [ "$keep" -gt 0 ]; then
  set -- "$bd/$base".*
  n=$#
  for b in "$@"; do
    [ "$n" -le "$keep" ] && break
    if [ "$b" != "$bk" ] && [ -f "$b" ] && [ ! -L "$b" ]; then rm -f -- "$b"; fi
    n=$((n - 1))
  done
fi
printf '%s\n' "$bk"
"""


@dataclass(frozen=True, slots=True)
class _Names:
    """Real <-> host paths for the messages (the remote speaks real paths)."""

    pairs: tuple[tuple[str, str], ...]

    def host(self, text: str) -> str:
        for real, host in sorted(self.pairs, key=lambda p: -len(p[0])):
            if real and real != host:
                text = text.replace(real, host)
        return text


def _names(real_path: str, host_path: str, *more: tuple[str, str]) -> _Names:
    return _Names(((real_path, host_path),
                   (posixpath.dirname(real_path) + "/", posixpath.dirname(host_path) + "/"),
                   *more))


def _stderr(res: CommandResult) -> str:
    lines = [ln.strip() for ln in res.stderr.decode("utf-8", "replace").splitlines()
             if ln.strip()]
    return lines[-1] if lines else f"exit status {res.returncode}"


#: The system's words (strerror, FreeBSD and glibc alike) of the failures
#: safefile.write_failure words with a remedy, as the remote tools print them
#: (``cat: stdout: No space left on device``, ``mktemp: mkstemp failed on
#: ...: Read-only file system``).
_STRERRORS = (("No space left on device", errno.ENOSPC),
              ("Disc quota exceeded", errno.EDQUOT), ("Disk quota exceeded", errno.EDQUOT),
              ("Read-only file system", errno.EROFS), ("Permission denied", errno.EACCES),
              ("Input/output error", errno.EIO))


def _os_error(res: CommandResult) -> OSError | None:
    """The errno a remote step failed with, read from its tool's stderr."""
    text = res.stderr.decode("utf-8", "replace")
    for words, code in _STRERRORS:
        if words in text:
            return OSError(code, words)
    return None


def _unsafe_or_missing(res: CommandResult, host_path: str, names: _Names) -> None:
    """The target checks shared by load and save."""
    if res.returncode in (SYMLINK, NOT_REGULAR, HARD_LINKED):
        raise UnsafeTargetError(host_path, names.host(_stderr(res)))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- load ------------------------------------------------------------------------------


def load(runner: BlockingRunner, real_path: str, host_path: str) -> Loaded:
    """Read the file on the remote host (one round trip; blocking).

    ``Loaded.path`` is the REAL path (what :func:`save` is given back);
    raises :class:`UnsafeTargetError` or :class:`SaveError` naming ``host_path``.
    """
    names = _names(real_path, host_path)
    try:
        (res,) = runner.run_many_blocking([["sh", "-c", LOAD_SCRIPT, "jailtui-load", real_path]],
                                          timeout=LOAD_TIMEOUT)
    except (CommandError, ParseError) as exc:
        raise SaveError(host_path, f"cannot read: {exc}") from None
    _unsafe_or_missing(res, host_path, names)
    if res.returncode == MISSING:
        raise SaveError(host_path, "No such file or directory")
    head, nl, data = res.stdout.partition(b"\n")
    fields = head.split()
    if res.returncode != 0 or not nl or len(fields) != 8:
        raise SaveError(host_path, f"cannot read: {names.host(_stderr(res))}")
    try:
        dev, ino, size, mtime, uid, gid = (int(f) for f in fields[:6])
        mode, nlink = int(fields[6], 8), int(fields[7])
    except ValueError:
        raise SaveError(host_path, f"cannot read: unexpected stat output {head!r}") from None
    sig = StatSig(dev, ino, size, mtime * 1_000_000_000, uid, gid, stat.S_IFREG | mode,
                  nlink, 0)
    return Loaded(real_path, data, _sha(data), sig)


# -- check -----------------------------------------------------------------------------


async def jail_check(runner: BlockingRunner, real_path: str, host_path: str, data: bytes,
                     sep: str = "\t") -> str | None:
    """``jail -f TMP -e SEP`` on the remote host, TMP next to the file.

    Returns None when jail(8) accepts it (or there is no jail(8) there: our
    parser's word is the check, as locally), else jail(8)'s first error line
    with the temp file's name replaced by ``host_path``. jail(8) gets the
    HOST path of the temp file (it maps nothing itself; a simulated host's
    shim maps host paths to its root).
    """
    real_dir, host_dir = posixpath.dirname(real_path), posixpath.dirname(host_path)
    argv = ["sh", "-c", CHECK_SCRIPT, "jailtui-check", real_dir, host_dir, sep]
    try:
        res = await runner.run(argv, timeout=CHECK_TIMEOUT, input=data)
    except CommandNotFound:
        return None
    if res.returncode == NO_JAIL:
        return None
    names = _names(real_path, host_path)
    if res.returncode in (NO_TEMP, NO_WRITE):
        failed = _os_error(res)
        if failed is not None:
            raise write_failure(host_path, failed)
        raise JailtuiError(f"{host_path}: cannot check: {names.host(_stderr(res))}")
    first, _, _ = res.stdout.partition(b"\n")
    tmp_name = first.decode("utf-8", "surrogateescape").strip()
    if res.returncode == 0:
        return None
    lines = res.stderr.decode("utf-8", "replace").strip().splitlines()
    msg = lines[0] if lines else f"jail -e exited with status {res.returncode}"
    if tmp_name.startswith(".jailtui-check."):
        msg = msg.replace(posixpath.join(host_dir, tmp_name), host_path)
        msg = msg.replace(posixpath.join(real_dir, tmp_name), host_path)
    return names.host(msg)


# -- save ------------------------------------------------------------------------------


async def save(runner: BlockingRunner, loaded: Loaded, new_bytes: bytes, *, host_path: str,
               backup_dir: str | None = None, backup_host_dir: str | None = None,
               keep: int = 10) -> Saved:
    """Replace the remote file atomically (security.md 5) in one remote command.

    ``loaded`` comes from :func:`load` (its ``path`` is the real path);
    ``backup_dir`` is the real path of the backup directory. The returned
    ``Saved.path`` and ``Saved.backup`` are HOST paths. Raises
    :class:`BusyError`, :class:`ConflictError` (``current``: the bytes on the
    host now), :class:`UnsafeTargetError` or :class:`SaveError`; except for a
    lost connection (the message says so), the file is then unchanged.
    """
    real_path = loaded.path
    more = ((backup_dir.rstrip("/"), (backup_host_dir or backup_dir).rstrip("/")),) \
        if backup_dir else ()
    names = _names(real_path, host_path, *more)
    argv = ["sh", "-c", SAVE_SCRIPT, "jailtui-save", real_path, loaded.sha256,
            backup_dir or "", str(keep)]
    try:
        res = await runner.run(argv, timeout=SAVE_TIMEOUT, input=new_bytes)
    except (CommandError, ParseError) as exc:
        raise SaveError(host_path, f"{exc}; the save may or may not have happened: "
                        "reload to see the file as it is") from None
    rc = res.returncode
    if rc == 0:
        bk = res.stdout.decode("utf-8", "surrogateescape").strip()
        backup = names.host(bk) if bk else None
        return Saved(host_path, _sha(new_bytes), backup)
    msg = names.host(_stderr(res))
    if rc == BUSY:
        raise BusyError(host_path, msg)
    if rc == CONFLICT:
        raise ConflictError(host_path, "was modified since it was loaded; nothing was saved",
                            res.stdout, _sha(res.stdout))
    if rc == MISSING:
        raise ConflictError(host_path, "was removed since it was loaded; nothing was saved",
                            b"", _sha(b""))
    _unsafe_or_missing(res, host_path, names)
    if rc == UNSAFE_DIR:
        raise UnsafeTargetError(host_path, msg)
    if rc in (NO_TEMP, NO_WRITE, NO_BACKUP):
        failed = _os_error(res)
        if failed is not None:
            where = host_path if rc != NO_BACKUP else (backup_host_dir or backup_dir or host_path)
            raise write_failure(where, failed)
    raise SaveError(host_path, msg if rc in (NO_TEMP, NO_WRITE, NO_BACKUP, NO_REPLACE,
                                             NO_OWNER, NO_TOOL)
                    else f"remote save failed: {msg}")
