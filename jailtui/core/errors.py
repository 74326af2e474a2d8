"""Typed errors carrying the tool's own message and exit code.

Every failure the user can meet is one of these, so the console and the
command line can show the real message (``jail: "web" already exists``)
instead of a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from jailtui.core.text import human_bytes


class JailtuiError(Exception):
    """Base of every error jailtui reports to the user.

    ``message`` is what to show: the tool's own line for a command, the
    reason without the file prefix for a file error (subclasses that set
    it before calling ``super().__init__`` keep theirs); by default the
    first argument.
    """

    #: The message for the user (raw: sanitise with visible() to show it).
    message: str

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        if "message" not in self.__dict__:
            self.message = str(args[0]) if args else ""


#: How a failure that is not one of ours is said (issue 13 item 37): what it
#: is in words, what it said, and what to do. Never a bare type name.
UNEXPECTED = "unexpected error ({kind}: {text}); this is a bug in jailtui: please report it"


def describe(exc: BaseException) -> str:
    """The raw one-line reason of any failure, for the log and the user.

    Our own errors say their ``message``; a file error says the file and
    the system's words (``/etc/rc.conf: Permission denied``); malformed JSON
    or text says where; anything else is a bug, said as :data:`UNEXPECTED`
    (its type in words, so it is not mistaken for a tool's, and what to do).
    Never empty. Sanitise with ``visible()``/``one_line()`` to show.
    Boundaries that know what failed wrap foreign errors in one of ours
    (core/hosts/host.py Host.poll: "poll failed: ...").
    """
    if isinstance(exc, JailtuiError):
        return exc.message or str(exc) or "failed"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, json.JSONDecodeError):
        return f"malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    if isinstance(exc, UnicodeDecodeError):
        return f"undecodable text ({exc.reason} at byte {exc.start})"
    return UNEXPECTED.format(kind=type(exc).__name__, text=str(exc) or "no details")


class CommandError(JailtuiError):
    """A command could not be run, or ran and failed."""

    def __init__(self, argv: Sequence[str], message: str, *, returncode: int | None = None,
                 stderr: str = "") -> None:
        self.argv = tuple(argv)
        self.tool = self.argv[0].rsplit("/", 1)[-1] if self.argv else "?"
        self.message = message
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(message)


class CommandNotStarted(CommandError):
    """The command could not be started at all (exec failed).

    One line, at once, wherever it happens: ``ps: cannot run: Exec format
    error`` (issue 14 item 2). :class:`CommandNotFound` is the common case.
    """

    def __init__(self, argv: Sequence[str], reason: str, *, returncode: int = 126) -> None:
        tool = argv[0] if argv else "?"
        self.reason = reason
        super().__init__(argv, f"{tool}: {reason}", returncode=returncode)


class CommandNotFound(CommandNotStarted):
    """The executable is not on PATH (for example rctl on a host without it)."""

    def __init__(self, argv: Sequence[str]) -> None:
        super().__init__(argv, "command not found", returncode=127)


class CommandTimeout(CommandError):
    """The command did not finish in time and was killed.

    ``stdout``/``stderr_bytes`` keep what it wrote before (shown, not dropped).
    """

    def __init__(self, argv: Sequence[str], timeout: float, *, stdout: bytes = b"",
                 stderr: bytes = b"") -> None:
        tool = argv[0].rsplit("/", 1)[-1] if argv else "?"
        self.timeout = timeout
        self.stdout = stdout
        self.stderr_bytes = stderr
        super().__init__(argv, f"{tool}: timed out after {timeout:g} s (killed)",
                         stderr=stderr.decode("utf-8", "replace"))


class OutputTooLarge(CommandError):
    """The command wrote more than the cap on one stream and was killed."""

    def __init__(self, argv: Sequence[str], stream: str, limit: int, *,
                 stdout: bytes = b"") -> None:
        tool = argv[0].rsplit("/", 1)[-1] if argv else "?"
        self.stream = stream
        self.limit = limit
        #: The first ``limit`` bytes of stdout (the SSH runner reads its
        #: frame's head from them to name the command that flooded).
        self.stdout = stdout
        super().__init__(argv, f"{tool}: output too large (more than {human_bytes(limit)} "
                               f"on {stream}; killed)")


class ToolError(CommandError):
    """The tool ran and exited non-zero; ``message`` is its own stderr line."""


class JailNotFound(ToolError):
    """``jail: "web" not found``, ``jls: jail "web" not found``, ``jexec: ...``."""


class JailDying(JailNotFound):
    """``jls: jail "web" is dying``, ``jexec: jail 5 is dying``: it exists only dying.

    A kind of "not found" (the tools look up live jails unless asked for
    dying ones: kern_jail.c kern_jail_get, docs/freebsd.md 5.4), so every
    handler of :class:`JailNotFound` keeps working.
    """


class JailExists(ToolError):
    """``jail: "web" already exists``."""


class RacctUnavailable(ToolError):
    """rctl: RACCT/RCTL not in the kernel, or present but disabled."""


class PermissionDenied(ToolError):
    """Operation not permitted: the tool needs root."""


class ParseError(JailtuiError):
    """Output of a command was malformed, truncated or empty.

    The message always names the command, so the user knows which tool
    misbehaved (``ps --libxo json: truncated JSON at byte 120``).
    """

    def __init__(self, command: str, detail: str) -> None:
        self.command = command
        self.detail = detail
        super().__init__(f"{command}: {detail}")


class PollFailed(JailtuiError):
    """A poll failed for a reason that is not a tool's (a bug, or an answer
    nothing here expected): said with what failed and what to do."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause
        super().__init__(f"poll failed: {describe(cause)}; the last good data stays shown "
                         "and the poll is retried")


class NotFreeBSD(JailtuiError):
    """The host is not FreeBSD: it has no jails to show (docs/freebsd.md 5.5)."""

    def __init__(self, system: str) -> None:
        self.system = system
        self.message = (f"this host runs {system}, not FreeBSD: jails, jls(8) and jail(8) "
                        "are FreeBSD's (on another system, jailtui --sim DIR shows a "
                        "simulated FreeBSD host)")
        super().__init__(self.message)


class PolicyDenied(JailtuiError):
    """The controller refused an action (role, scope, read-only, state)."""
