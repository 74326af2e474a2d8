"""A jail's console log: the host file jail(8) sends a jail's start and stop output to.

jail(8), ``exec.consolelog``: "A file to direct command output (stdout and
stderr) to." jail(8) opens it on the host for the commands run inside the jail
(exec.start, command, exec.stop: ``open(conslog, O_WRONLY | O_CREAT | O_APPEND,
DEFFILEMODE)`` in usr.sbin/jail/command.c ``run_command``), so the file is the host's, found from the jail's effective configuration (or its
manager's: Bastille writes ``exec.consolelog`` into its per-jail jail.conf,
docs/managers.md 1.1); but every byte in it was written by the jail's own
``/etc/rc`` and daemons: untrusted text, shown only through
:func:`jailtui.core.text.visible` (docs/security.md 4).

Reading is a tail with a mark: the first read takes the last :data:`MAX_BYTES`
bytes, every later one only what was appended since the mark. A file that
shrank or was replaced (newsyslog(8) renames the old one and creates a new one:
another inode) starts over, said as ``restarted``. Locally one ``pread`` of an
open descriptor (never a blocking open: ``O_NONBLOCK``, regular files only, as
jailfs.read_host_file); on a remote host one fixed ``sh`` script with the path
as an argument (:data:`REMOTE_SCRIPT`), never text pasted into a command.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from jailtui.core.errors import CommandError
from jailtui.core.model import ParamValue
from jailtui.core.transport.runner import Runner

#: The jail(8) parameter naming the file.
PARAM = "exec.consolelog"

#: The most read at once: the first read's window, and a follow step's cap
#: (a log that grew more than this since the last read skips to its tail).
MAX_BYTES = 1024 * 1024

#: Seconds one read may take (remote hosts).
TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class LogMark:
    """Where the last read ended: the file's identity and the offset after it."""

    ident: str
    offset: int


@dataclass(frozen=True, slots=True)
class LogChunk:
    """What one read of the console log gave, or why it gave nothing."""

    #: The host path ("" when the jail has no console log configured).
    path: str
    data: bytes = b""
    #: Where this read ended (None when nothing could be read).
    mark: LogMark | None = None
    #: The file was replaced or truncated since the last mark: start over.
    restarted: bool = False
    #: Bytes before ``data`` that were left unread (the tail window).
    skipped: int = 0
    #: Why nothing was read (no such file, not a regular file, unreachable...).
    reason: str | None = None
    #: Where the path came from ("exec.consolelog in /etc/jail.conf").
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is None


def configured_path(params: dict[str, ParamValue]) -> str | None:
    """``exec.consolelog`` of a jail's effective parameters, if it is a path.

    jail(8) refuses a relative one ("not an absolute pathname", command.c);
    the console reports that instead of guessing a directory.
    """
    value = params.get(PARAM)
    if isinstance(value, tuple):
        value = value[-1] if value else None
    if not isinstance(value, str) or not value:
        return None
    return value


def _window(size: int, since: LogMark | None, ident: str,
            max_bytes: int) -> tuple[int, bool]:
    """Where to start reading a file of ``size`` bytes, and whether it restarted."""
    restarted = since is not None and (since.ident != ident or since.offset > size)
    if since is None or restarted:
        return max(0, size - max_bytes), restarted
    return max(since.offset, size - max_bytes), False


def read_local(real: str, shown: str, since: LogMark | None, *,
               max_bytes: int = MAX_BYTES) -> LogChunk:
    """Read the console log at ``real`` (this machine's path) from ``since``."""
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        return LogChunk(shown, reason=_strerror(exc))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return LogChunk(shown, reason="not a regular file, not read")
        ident = f"{st.st_dev}:{st.st_ino}"
        start, restarted = _window(st.st_size, since, ident, max_bytes)
        want = min(st.st_size - start, max_bytes)
        parts: list[bytes] = []
        got = 0
        while got < want:
            part = os.pread(fd, want - got, start + got)
            if not part:
                break
            parts.append(part)
            got += len(part)
    except OSError as exc:
        return LogChunk(shown, reason=_strerror(exc))
    finally:
        os.close(fd)
    skipped = start - (0 if since is None or restarted else since.offset)
    return LogChunk(shown, b"".join(parts), LogMark(ident, start + got), restarted, skipped)


def _strerror(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file (yet: jail(8) creates it when the jail next starts)"
    return exc.strerror or str(exc)


#: ``sh -c SCRIPT sh PATH OFFSET MAX``, on the remote side. Exit 3: no such
#: file; 4: refused (the reason on stdout); 0: a header line ``INODE SIZE
#: START`` then the bytes from START. ``ls -iLn`` prints the inode first and
#: the size as the sixth field (POSIX ls, -i -n -L), the same on FreeBSD and
#: elsewhere; ``tail -c +N`` reads from byte N (1-based, POSIX tail).
REMOTE_SCRIPT = """f=$1 off=$2 max=$3
[ -e "$f" ] || exit 3
[ -f "$f" ] || { echo "not a regular file, not read"; exit 4; }
[ -r "$f" ] || { echo "Permission denied"; exit 4; }
set -- $(ls -iLn -- "$f")
ino=$1 size=$6
start=$((size - max))
[ "$start" -lt 0 ] && start=0
[ "$off" -ge 0 ] && [ "$off" -le "$size" ] && [ "$off" -gt "$start" ] && start=$off
echo "$ino $size $start"
tail -c +$((start + 1)) -- "$f"
"""


async def read_remote(runner: Runner, real: str, shown: str, since: LogMark | None, *,
                      max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT) -> LogChunk:
    """The same read on a remote host, through its runner (one round trip)."""
    # The script cannot know our ident: an offset of -1 asks for the tail, and
    # a changed inode is seen here and read again from the tail.
    off = since.offset if since is not None else -1
    for attempt in (0, 1):
        argv = ["sh", "-c", REMOTE_SCRIPT, "sh", real, str(off), str(max_bytes)]
        try:
            res = await runner.run(argv, timeout=timeout)
        except CommandError as exc:
            return LogChunk(shown, reason=exc.message)
        if res.returncode == 3:
            return LogChunk(shown, reason=_strerror(OSError(errno.ENOENT, "")))
        if res.returncode == 4:
            line = res.stdout.split(b"\n", 1)[0].decode("utf-8", "replace")
            return LogChunk(shown, reason=line or "refused")
        head, _, data = res.stdout.partition(b"\n")
        fields = head.split()
        if res.returncode != 0 or len(fields) != 3 or not all(f.isdigit() for f in fields):
            msg = res.stderr.decode("utf-8", "replace").strip().splitlines()
            return LogChunk(shown, reason=msg[-1] if msg else f"status {res.returncode}")
        ident, size, start = fields[0].decode(), int(fields[1]), int(fields[2])
        replaced = since is not None and since.ident not in ("", ident)
        if replaced and attempt == 0 and off != -1:
            off = -1
            continue
        data = data[:max_bytes]
        restarted = replaced or (since is not None and since.offset > size)
        skipped = start - (0 if since is None or restarted else since.offset)
        return LogChunk(shown, data, LogMark(ident, start + len(data)), restarted, skipped)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns
