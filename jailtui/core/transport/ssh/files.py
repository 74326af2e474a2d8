"""The host's files (jail.conf, rc.conf ...) read over the SSH runner's
connection, cached by signature (:class:`RemoteFiles`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fnmatch
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jailtui.core.errors import (
    CommandError,
    JailtuiError,
    ParseError,
)
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import CommandResult
from jailtui.core.transport.ssh.runner import SSHRunner, last_line

__all__ = ["FILES_MAX_AGE", "WARM_GLOBS", "WARM_PATHS", "RemoteFileError", "RemoteFiles"]

# -- the host's files over the same connection ----------------------------------------

#: One file: ``MTIME SIZE`` (stat -L: follow symlinks, like os.stat), then
#: the content. FreeBSD stat(1) takes ``-f FORMAT`` (%m mtime, %z size);
#: GNU stat (the simulated host on Linux) ``-c FORMAT`` (%Y, %s), and reads
#: BSD's ``-f`` as "file system" and fails, so the second form runs.
#: Exit 3: no such file; 4: not a regular file (stat line only).
_FILE_SCRIPT = """f=$1
[ -e "$f" ] || exit 3
s=$(stat -L -f '%m %z' -- "$f" 2>/dev/null) || s=$(stat -L -c '%Y %s' -- "$f") || exit 5
printf '%s\\n' "$s"
[ -f "$f" ] || exit 4
exec cat -- "$f"
"""

#: Pathname expansion of one pattern, one match a line (names with a newline
#: are skipped: they cannot be meant). IFS is empty so the pattern is not
#: split on blanks; unmatched patterns expand to themselves, hence the test.
_GLOB_SCRIPT = """IFS=
for f in $1; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  case $f in *'
'*) continue;; esac
  printf '%s\\n' "$f"
done
"""

#: What the Host reads every poll (confsource): fetched together on first use.
WARM_PATHS = ("/etc/rc.conf", "/etc/jail.conf")
WARM_GLOBS = ("/etc/jail.conf.d/*.conf", "/etc/jail.*.conf")

#: Seconds before cached files are checked again (the issue: "re-read at
#: most every ~30 s or when asked").
FILES_MAX_AGE = 30.0


class RemoteFileError(OSError):
    """A remote file could not be read for a reason open() has no errno for
    (host unreachable, no stat(1)); errno EIO. Missing files and denied
    access raise FileNotFoundError and PermissionError, as locally."""


@dataclass(slots=True)
class _File:
    #: (mtime_ns, size) as the console compares it; None: no such file.
    sig: tuple[int, int] | None
    text: str | None
    error: OSError | None
    #: stat's own (mtime_ns, size), and how many times the content changed
    #: under an unchanged one (stat has whole seconds only: see _store).
    base: tuple[int, int] | None = None
    generation: int = 0


class RemoteFiles:
    """The host's files (jail.conf, rc.conf ...) read over an :class:`SSHRunner`.

    Implements :class:`jailtui.core.hosts.host.HostFiles`. The Host asks for the
    same handful of files (and for many that do not exist: rc.d/jail's
    per-jail lookups) on every poll, so every answer is cached, missing
    files included, and nothing is asked again for ``max_age`` seconds or
    until :meth:`invalidate`. Then one round trip re-reads everything known
    (contents are a few KiB: reading them costs no more than a stat, and
    a second round trip for "what changed" would cost more).

    The calls are synchronous (the HostFiles interface; the Host calls it
    from a worker thread) and block for a round trip when the cache cannot
    answer. If the host cannot be reached, cached answers are served
    (stale) and uncached ones raise :class:`RemoteFileError`.
    """

    def __init__(self, runner: SSHRunner, *, paths: PathMap | None = None,
                 max_age: float = FILES_MAX_AGE, timeout: float = 15.0,
                 warm_paths: Sequence[str] = WARM_PATHS,
                 warm_globs: Sequence[str] = WARM_GLOBS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.runner = runner
        #: Host paths -> paths on the remote machine (identity on FreeBSD; a
        #: simulated host keeps its "/" in a directory).
        self.paths = paths or PathMap()
        self.max_age = max_age
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.RLock()
        self._files: dict[str, _File] = {}
        self._globs: dict[str, list[str]] = {}
        self._warm = (tuple(warm_paths), tuple(warm_globs))
        self._checked_at: float | None = None
        #: Round trips made so far (tests and the benchmark read it).
        self.fetches = 0
        #: Why the last fetch failed (None after a good one).
        self.last_error: JailtuiError | None = None

    # -- HostFiles -----------------------------------------------------------

    def read_text(self, host_path: str) -> str:
        f = self._file(host_path)
        if f.error is not None:
            raise f.error
        # OSError(errno, ...) is FileNotFoundError / IsADirectoryError, as
        # open() would raise locally.
        if f.sig is None:
            raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), host_path)
        if f.text is None:
            raise OSError(errno.EISDIR, os.strerror(errno.EISDIR), host_path)
        return f.text

    def stat(self, host_path: str) -> tuple[int, int] | None:
        f = self._file(host_path)
        return f.sig

    def glob(self, pattern: str) -> list[str]:
        with self._lock:
            self._ensure((), (pattern,))
            return list(self._globs.get(pattern, []))

    def local_path(self, host_path: str) -> str | None:
        return None

    # -- cache control ---------------------------------------------------------

    def invalidate(self) -> None:
        """Re-read everything at the next access (after an action, or on request)."""
        with self._lock:
            self._checked_at = None

    def prefetch(self, paths: Sequence[str] = (), globs: Sequence[str] = ()) -> None:
        """Fetch these (and anything due) in one round trip, e.g. every jail's
        etc/rc.conf before a health check reads them one by one."""
        with self._lock:
            self._ensure(tuple(paths), tuple(globs))

    def _file(self, host_path: str) -> _File:
        if not host_path.startswith("/"):
            raise ValueError(f"not an absolute pathname: {host_path}")
        with self._lock:
            self._ensure((host_path,), ())
            f = self._files.get(host_path)
            if f is None:
                missing = self._glob_says_missing(host_path)
                if missing is None:  # fetch failed and nothing cached
                    why = str(self.last_error) if self.last_error else "cannot read"
                    raise RemoteFileError(errno.EIO, why, host_path)
                return missing
            return f

    # -- fetching ---------------------------------------------------------------

    def _ensure(self, paths: tuple[str, ...], globs: tuple[str, ...]) -> None:
        now = self._clock()
        due = self._checked_at is None or now - self._checked_at >= self.max_age
        if due:
            want_paths = [*self._warm[0], *self._files, *paths] if self._checked_at is None \
                else [*self._files, *paths]
            want_globs = [*self._warm[1], *self._globs, *globs] if self._checked_at is None \
                else [*self._globs, *globs]
        else:
            want_paths = [p for p in paths if p not in self._files]
            want_globs = [g for g in globs if g not in self._globs]
        # Paths a glob of this fetch (or a cached one) will answer for.
        covering = [*want_globs, *self._globs]
        want_paths = [p for p in want_paths if p in self._files or not _covered(p, covering)]
        if not want_paths and not want_globs:
            return
        try:
            self._fetch(list(dict.fromkeys(want_paths)), list(dict.fromkeys(want_globs)))
        except (CommandError, ParseError) as exc:
            # Unreachable: keep serving what we have; the runner's backoff
            # keeps this from hammering the host.
            self.last_error = exc
            return
        self.last_error = None
        if due:
            self._checked_at = now
        # Files a glob just found: read them now, in one more round trip,
        # since the caller is about to ask for each.
        new = [p for ps in self._globs.values() for p in ps if p not in self._files]
        if new:
            with contextlib.suppress(CommandError, ParseError):
                self._fetch(list(dict.fromkeys(new)), [])

    def _fetch(self, paths: list[str], globs: list[str]) -> None:
        real = self.paths.real
        argvs = [["sh", "-c", _FILE_SCRIPT, "sh", real(p)] for p in paths]
        argvs += [["sh", "-c", _GLOB_SCRIPT, "sh", real(g)] for g in globs]
        self.fetches += 1
        results = self.runner.run_many_blocking(argvs, timeout=self.timeout)
        for p, res in zip(paths, results[:len(paths)], strict=True):
            self._store(p, res)
        for g, res in zip(globs, results[len(paths):], strict=True):
            names = res.stdout.decode("utf-8", "surrogateescape").split("\n")
            found: list[str] = []
            for n in names:
                if n:
                    with contextlib.suppress(ValueError):  # outside the root: not the host's
                        found.append(self.paths.host(n))
            self._globs[g] = sorted(found)

    def _store(self, path: str, res: CommandResult) -> None:
        """Cache one file's answer.

        FreeBSD stat(1) %m has whole seconds, so an edit within the same
        second and of the same size would keep its signature and the console
        would keep the old parse. The content is here anyway: when it changed
        under an unchanged stat, the signature's nanoseconds count the
        changes (the signature is only ever compared).
        """
        old = self._files.get(path)
        if res.returncode == 3:
            self._files[path] = _File(None, None, None)
            return
        head, _, body = res.stdout.partition(b"\n")
        fields = head.split()
        base: tuple[int, int] | None = None
        if len(fields) == 2 and all(f.isdigit() for f in fields):
            base = (int(fields[0]) * 1_000_000_000, int(fields[1]))
        if base is None or res.returncode not in (0, 4):
            # Exists (stat line) but unreadable, or no stat(1) at all.
            msg = last_line(res.stderr) or f"cannot read (status {res.returncode})"
            err: OSError
            if "ermission denied" in msg:
                err = OSError(errno.EACCES, os.strerror(errno.EACCES), path)
            else:
                err = RemoteFileError(errno.EIO, msg, path)
            self._files[path] = _File(base, None, err, base)
            return
        text = body.decode("utf-8", "surrogateescape") if res.returncode == 0 else None
        gen = 0
        if old is not None and old.base == base:
            gen = old.generation + (1 if old.text != text else 0)
        self._files[path] = _File((base[0] + gen, base[1]), text, None, base, gen)

    def _glob_says_missing(self, path: str) -> _File | None:
        """A negative answer from a cached glob of the same directory.

        rc.d/jail's lookup asks for /etc/jail.NAME.conf and
        /etc/jail.conf.d/NAME.conf of every jail; the globs fetched with the
        warm set already list every such file that exists.
        """
        for pattern, found in self._globs.items():
            if _covered(path, (pattern,)) and path not in found:
                return _File(None, None, None)
        return None

    async def refresh(self) -> None:
        """Re-read everything known now, without blocking the event loop."""
        self.invalidate()
        await asyncio.to_thread(self.prefetch)


def _covered(path: str, patterns: Sequence[str]) -> bool:
    """Would one of these globs list ``path`` if it existed?

    Same directory (with no wildcard in it) and the name matches; names
    starting with a dot are never listed by ``*`` (sh and glob alike).
    """
    d, base = os.path.split(path)
    if base.startswith("."):
        return False
    for pattern in patterns:
        pd, pbase = os.path.split(pattern)
        if pd == d and not any(c in pd for c in "*?[") and fnmatch.fnmatchcase(base, pbase):
            return True
    return False
