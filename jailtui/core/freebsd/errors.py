"""Turn what a FreeBSD tool printed into typed errors.

Two kinds of failure come out of a command:

- it ran and exited non-zero: :func:`tool_error` picks the :class:`ToolError`
  subclass from the tool's own stderr line, so the console can react to
  "already exists" or "not found" and still show the tool's exact words;
- it exited 0 but printed something we cannot read: the parsers raise
  :class:`ParseError` through the helpers here (:func:`decode`,
  :func:`load_json`), so every parser fails the same way and names the command.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from jailtui.core.errors import (
    JailDying,
    JailExists,
    JailNotFound,
    ParseError,
    PermissionDenied,
    RacctUnavailable,
    ToolError,
)
from jailtui.core.transport.runner import CommandResult

#: Tools whose stderr lines start with ``tool: `` (warnx/errx, libjail).
#: A line with one of these prefixes is "the tool's own" message, preferred
#: over output of exec.* hooks that jail(8) lets through on the same stderr
#: (docs/freebsd.md 3.3: "the commands inherit the descriptors").
_TOOL_PREFIXES = ("jail", "jls", "jexec", "ps", "rctl", "service", "sysctl", "who",
                  "kill", "top")

# docs/freebsd.md 3.4 (jail), 1.6 (jls), 6 (jexec): the kernel/libjail texts
# `"web" already exists`, `jail "web" not found`, `jail 99 not found`,
# `jail 3 already exists`, after the `tool: ` prefix.
_EXISTS = re.compile(r'^(?:jail )?(?:".*"|\d+) already exists$')
_NOT_FOUND = re.compile(r'^(?:jail )?(?:".*"|\d+) not found$')
# docs/freebsd.md 5.4 (kern_jail.c kern_jail_get without JAIL_DYING):
# `jls: jail "web" is dying`, `jexec: jail 5 is dying`.
_DYING = re.compile(r'^(?:jail )?(?:".*"|\d+) is dying$')
# docs/freebsd.md 2.2: `ps: Invalid jail id: foo` (warnx from addelem_jid);
# docs/freebsd.md 9.1: top's `<arg>: unknown jail`.
_PS_BAD_JAIL = re.compile(r"^Invalid jail id: ")
_TOP_BAD_JAIL = re.compile(r": unknown jail$")
# docs/freebsd.md 7: "RACCT/RCTL support not present in kernel; ..." and
# "RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable".
_RACCT = re.compile(r"RACCT/RCTL (?:support not present|present, but disabled)")
# EPERM's strerror(3) text (`jail: jail_set: Operation not permitted`, reference
# 3.4) and "must be root"-style checks. EACCES ("Permission denied") is left
# out on purpose: jexec reports a non-executable file inside the jail with it,
# which root cannot fix by being root.
_PERMISSION = re.compile(r"Operation not permitted|must be (?:run as )?root|requires root"
                         r"|not super-user", re.IGNORECASE)


def tool_error(result: CommandResult) -> ToolError:
    """The typed error for a failed command, carrying the tool's own message.

    ``message`` is the tool's first own stderr line, verbatim (without the
    newline); ``stderr`` is the whole of stderr. With no stderr at all the
    message says how the tool exited, so the user never sees an empty error.
    """
    stderr = result.stderr_text()
    message = _message_line(stderr)
    if message is None:
        message = _exit_text(result)
    cls = _classify(message)
    if not stderr.strip() and _is_jls_check(result):
        cls = JailNotFound
    return cls(result.argv, message, returncode=result.returncode, stderr=stderr)


def check(result: CommandResult) -> CommandResult:
    """Return ``result`` if the command succeeded, else raise :func:`tool_error`."""
    if result.returncode != 0:
        raise tool_error(result)
    return result


def _message_line(stderr: str) -> str | None:
    """The tool's own line, verbatim; None when stderr has no text.

    Among the ``tool: ...`` lines (else among all lines), the first one that
    names a known failure wins, else the first one. Two reasons to look past
    line one: jail(8) lets exec.* hooks write to the same stderr (reference
    3.3), and may warn before failing (``jail: the 'allow.dying' parameter
    and '-d' flag are deprecated...``, docs/freebsd.md 3.2).
    """
    lines = [line.rstrip("\r") for line in stderr.split("\n") if line.strip()]
    own = [line for line in lines if _tool_prefix(line) is not None]
    candidates = own or lines
    for line in candidates:
        if _classify(line) is not ToolError:
            return line
    return candidates[0] if candidates else None


def _tool_prefix(line: str) -> str | None:
    for tool in _TOOL_PREFIXES:
        if line.startswith(tool + ": "):
            return tool
    return None


def _is_jls_check(result: CommandResult) -> bool:
    """``jls -c -j JAIL`` (newest tree) says "no such jail" by a silent exit 1 (docs/freebsd.md 1.1)."""
    return (result.tool == "jls" and result.returncode == 1
            and any(a.startswith("-") and not a.startswith("--") and "c" in a
                    for a in result.argv[1:]))


def _exit_text(result: CommandResult) -> str:
    if result.returncode < 0:  # asyncio reports death by signal N as -N
        return f"{result.tool} killed by signal {-result.returncode}"
    return f"{result.tool} exited with status {result.returncode}"


def _classify(message: str) -> type[ToolError]:
    tool = _tool_prefix(message)
    body = message[len(tool) + 2:] if tool is not None else message
    if _RACCT.search(body):
        return RacctUnavailable
    if _EXISTS.match(body):
        return JailExists
    if _DYING.match(body):
        return JailDying
    if _NOT_FOUND.match(body) or _PS_BAD_JAIL.match(body) or _TOP_BAD_JAIL.search(body):
        return JailNotFound
    if _PERMISSION.search(body):
        return PermissionDenied
    return ToolError


# --- helpers shared by the parsers -------------------------------------------------


def decode(data: bytes) -> str:
    """Bytes of tool output as text, never failing.

    Jail-controlled strings (hostnames, argv, utmpx) need not be UTF-8, and
    libxo passes bytes through unchecked. ``surrogateescape`` keeps every
    byte: a name read here and put back into argv reaches the kernel
    unchanged (os.fsencode reverses it), and ``text.visible`` shows the odd
    byte as ``\\udcXX`` instead of hiding it.
    """
    return data.decode("utf-8", "surrogateescape")


def load_json(data: bytes | str, command: str, *,
              object_hook: Callable[[dict[str, object]], object] | None = None
              ) -> dict[str, object]:
    """Parse a libxo JSON document whose top level must be an object.

    ``strict=False`` because libxo's ``xo_escape_json`` escapes only ``\\``,
    ``"``, newline and CR (older libxo only the first two): a raw ESC or TAB
    from a jail hostname reaches the JSON unescaped, and that must not make
    the whole poll fail. Raises :class:`ParseError` naming ``command`` for
    empty, truncated or malformed output and for a non-object top level.
    ``data`` may be text already decoded with :func:`decode`.
    ``object_hook`` is json's: each object as it is decoded (ps turns its
    rows into Processes there, so the 50,000 row dicts never live together).
    """
    doc = load_json_value(data, command, object_hook=object_hook)
    if not isinstance(doc, dict):
        raise ParseError(command, f"unexpected JSON shape: top level is {type_name(doc)}, "
                                  "not an object")
    return doc


def load_json_value(data: bytes | str, command: str, *,
                    object_hook: Callable[[dict[str, object]], object] | None = None
                    ) -> object:
    """:func:`load_json` without its check of the top level: whatever the
    document decodes to (with ``object_hook``, possibly what the hook made of
    the top-level object: ps checks the shape itself). The same errors for
    empty, truncated or malformed output."""
    text = data if isinstance(data, str) else decode(data)
    if not text or text.isspace():  # not text.strip(): no copy of 15 MB of ps output
        raise ParseError(command, "empty output")
    try:
        return json.loads(text, strict=False, object_hook=object_hook)
    except json.JSONDecodeError as exc:
        kind = "truncated JSON" if _unclosed(text) else "malformed JSON"
        raise ParseError(command, f"{kind} ({exc.msg}: char {exc.pos})") from None
    except (RecursionError, ValueError) as exc:  # absurd nesting, huge numbers
        raise ParseError(command, f"malformed JSON ({type(exc).__name__})") from None


def _unclosed(text: str) -> bool:
    """True if ``text`` ends inside a string or with a bracket still open.

    That is what a cut-off document looks like (a killed or timed-out tool,
    a full pipe), as opposed to one that is wrong in the middle.
    """
    if text.lstrip()[:1] not in ("{", "["):
        return False  # not even the start of a document: garbage, not truncation
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
    return in_string or depth > 0


def type_name(value: object) -> str:
    """JSON's name for a decoded value's type, for error details."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def libxo_rows(doc: Mapping[str, object], container: str, item: str, command: str, *,
               nothing_ok: bool = False) -> list[dict[str, object]]:
    """The ``container`` -> ``item`` list of a libxo document, checked for shape.

    jls writes ``jail-information`` -> ``jail`` (docs/freebsd.md 1.5), ps
    ``process-information`` -> ``process`` (docs/freebsd.md 2.4). A missing list
    inside the container means no rows; a missing container is an error,
    unless ``nothing_ok`` (ps printing ``{ }`` when nothing matched,
    docs/freebsd.md 2.2).
    """
    info = doc.get(container)
    if info is None and nothing_ok:
        return []
    if not isinstance(info, dict):
        what = "missing" if info is None else type_name(info)
        raise ParseError(command, f"unexpected JSON shape: \"{container}\" is {what}")
    rows = info.get(item, [])
    if not isinstance(rows, list):
        raise ParseError(command, f"unexpected JSON shape: \"{item}\" is {type_name(rows)}, "
                                  "not an array")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ParseError(command, f"{item} #{i}: {type_name(row)}, not an object")
    return rows
