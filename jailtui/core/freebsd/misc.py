"""Small line-oriented tools: ``service -e``, who(1), sysctl(8), df(1).

Their output is plain text, one record a line; these parsers keep every
string raw, like the JSON ones (display code sanitises).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jailtui.core.errors import ParseError
from jailtui.core.freebsd.errors import decode

# who(1) row (usr.bin/who/who.c): name "%-16s ", line "%-12s ", time
# strftime "%b %e %R" ("Jun  2 10:11"; "%e %b %R" in day-first locales), then
# "(host)" when the utmpx entry has one. -u would add idle and pid columns
# between time and host; they are skipped. The utmpx file of a jail is
# written by the jail's root (docs/freebsd.md 9.2), so nothing in it is trusted.
_WHO = re.compile(
    r"(?P<user>\S+)\s+(?P<line>\S+)\s+"
    r"(?P<time>\S+\s+\S+\s+[0-9]{1,2}:[0-9]{2})"
    r"(?:\s+[^(]*?)?(?:\s*\((?P<host>.*)\))?\s*"
)
# who -H header (docs/freebsd.md 9.2): "NAME             LINE         TIME         FROM".
_WHO_HEADER = re.compile(r"NAME\s+LINE\s+TIME\b.*")
# A sysctl MIB name: dotted words ("security.jail.param.allow.mount.").
_SYSCTL_NAME = re.compile(r"[A-Za-z0-9_%.\-]+")


@dataclass(frozen=True, slots=True)
class Login:
    """One login from who(1); ``host`` is "" for a local login."""

    user: str
    line: str
    time: str
    host: str = ""


def parse_service_enabled(data: bytes) -> list[str]:
    """Parse ``service [-j NAME] -e``: the rc.d script path of each enabled service.

    service(8) prints one path a line (``/etc/rc.d/sshd``,
    ``/usr/local/etc/rc.d/nginx``), in rcorder order. It sources each script
    to check its rcvar, so a misbehaving script can print other text: lines
    that are not absolute paths are skipped.
    """
    out: list[str] = []
    for line in decode(data).splitlines():
        line = line.strip()
        if line.startswith("/") and len(line) > 1:
            out.append(line)
    return out


def service_name(path: str) -> str:
    """The service name of an rc.d script path: ``/etc/rc.d/sshd`` -> ``sshd``."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def parse_who(data: bytes) -> list[Login]:
    """Parse who(1) output (``who FILE`` or ``jexec JAIL who``, docs/freebsd.md 9.2).

    ``time`` is kept as printed; who prints it in the host's time zone and
    without a year, so it is for display only.
    """
    out: list[Login] = []
    for line in decode(data).splitlines():
        if not line.strip() or _WHO_HEADER.fullmatch(line.strip()):
            continue
        m = _WHO.fullmatch(line.strip())
        if m is None:
            raise ParseError("who", f"not a login line: {line!r:.80}")
        out.append(Login(m["user"], m["line"], m["time"], m["host"] or ""))
    return out


def parse_sysctl(data: bytes) -> dict[str, str]:
    """Parse ``sysctl NAME...`` lines ``name: value`` into a dict, values raw.

    An empty value prints as ``name: `` (or ``name:``). A line that is not
    ``name: value`` continues the previous value (string sysctls may hold
    newlines; blank lines are dropped); such a line before any name is an
    error.
    """
    out: dict[str, str] = {}
    last: str | None = None
    for line in decode(data).splitlines():
        name, sep, value = line.partition(":")
        if sep and _SYSCTL_NAME.fullmatch(name) and (value == "" or value.startswith(" ")):
            last = name
            out[name] = value[1:]
        elif not line.strip():
            continue
        elif last is not None:
            out[last] += "\n" + line
        else:
            raise ParseError("sysctl", f"not name: value: {line!r:.80}")
    return out


def parse_df(data: bytes) -> tuple[int, int, int] | None:
    """(total, used, available) bytes from ``df -k PATH`` (df(1), POSIX output).

    The last line is the file system's row: name, 1024-byte blocks, used,
    available, capacity, mount point. A long device name may wrap the row
    onto two lines (POSIX allows it), so the numbers are taken from the end
    of the last line's fields that parse. None when the output has no row.
    """
    lines = [ln for ln in decode(data).splitlines() if ln.strip()]
    if len(lines) < 2:
        return None
    fields = lines[-1].split()
    # "/dev/ada0p2  1000  200  800  20%  /" or, wrapped, "  1000  200  800  20%  /".
    numbers = fields[1:4] if len(fields) >= 6 else fields[0:3]
    try:
        total, used, avail = (int(n) * 1024 for n in numbers)
    except ValueError:
        return None
    return (total, used, avail)
