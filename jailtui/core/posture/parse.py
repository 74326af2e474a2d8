"""Pure readers of what the posture collects: no I/O (docs/freebsd.md 13).

Every reader returns a value or raises :class:`Unknown` with the reason, the
text of an UNKNOWN item. The jail's files and command output are untrusted:
they are checked against their expected shape and never executed or parsed
further than that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from jailtui.core.transport.runner import CommandResult

#: A real freebsd-version is under 4 KiB; anything much larger is not one.
MAX_VERSION_SCRIPT = 64 * 1024
_USERLAND = re.compile(rb'^USERLAND_VERSION="([^"\n]*)"[ \t]*$', re.M)
_VERSION = re.compile(r"^(\d{1,3})\.(\d{1,3})-([A-Z][A-Z0-9]{1,15})(?:-p(\d{1,4}))?$")
_PKG_LINE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+@-]*-[A-Za-z0-9_.,+]+$")


class Unknown(Exception):  # noqa: N818 -- an outcome, not a failure of ours
    """The item cannot be established; ``str(e)`` says why, in one sentence."""


@dataclass(frozen=True, slots=True, order=True)
class Release:
    major: int
    minor: int
    branch: str
    patch: int

    @property
    def text(self) -> str:
        return f"{self.major}.{self.minor}-{self.branch}" + (f"-p{self.patch}" if self.patch else "")


def release(text: str) -> Release:
    """``14.1-RELEASE-p3`` -> Release(14, 1, "RELEASE", 3); Unknown for anything else."""
    m = _VERSION.match(text)
    if m is None:
        raise Unknown(f"{text!r} is not a FreeBSD version")
    return Release(int(m.group(1)), int(m.group(2)), m.group(3), int(m.group(4) or 0))


def userland(data: bytes | None, why: str = "") -> str:
    """The USERLAND_VERSION of a freebsd-version script, read as text (never run).

    The file belongs to the jail's root, so it must look like the real one
    (bin/freebsd-version/freebsd-version.sh.in): a ``#!/bin/sh`` script of a few
    KiB with exactly one ``USERLAND_VERSION="..."`` assignment of a version.
    """
    if data is None:
        raise Unknown(why or "freebsd-version not read")
    if len(data) > MAX_VERSION_SCRIPT:
        raise Unknown(f"freebsd-version is {len(data)} bytes: too large to be the script")
    if b"\0" in data:
        raise Unknown("freebsd-version is a binary file, not the shell script")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unknown("freebsd-version is not text") from None
    if not data.startswith(b"#!/bin/sh"):
        raise Unknown("freebsd-version is not the expected shell script (no #!/bin/sh)")
    found = {m.group(1).decode() for m in _USERLAND.finditer(data)}
    if not found:
        raise Unknown("freebsd-version has no USERLAND_VERSION line")
    if len(found) > 1:
        raise Unknown("freebsd-version has several different USERLAND_VERSION lines")
    value = found.pop()
    release(value)  # Unknown unless a version
    return value


def versus(user: str, kernel: str) -> str:
    """"behind", "same" or "newer": the userland against the running kernel."""
    u, k = release(user), release(kernel)
    # freebsd-update patches the userland without the kernel when only the
    # userland changed: a higher userland patch level on the same release is
    # normal (docs/freebsd.md 13.4). Newer means a newer release.
    if (u.major, u.minor) != (k.major, k.minor):
        return "behind" if (u.major, u.minor) < (k.major, k.minor) else "newer"
    return "behind" if u.patch < k.patch else "same"


def base_package(version: str, *, kernel: bool = False) -> str:
    """pkg's periodic base audit name: ``14.1-RELEASE-p3`` -> ``FreeBSD-14.1_3``,
    ``15.0-RELEASE`` -> ``FreeBSD-15.0`` (``FreeBSD-kernel-...`` for the kernel).

    Only -RELEASE versions name a package the database lists; the periodic
    script refuses strings outside 10..16 characters (docs/freebsd.md 13.4).
    """
    if not 10 <= len(version) <= 16:
        raise Unknown(f"version {version!r} cannot be audited (wrong length)")
    r = release(version)
    if r.branch != "RELEASE":
        raise Unknown(f"{version}: only -RELEASE versions are in the vulnerability database")
    text = version.replace("-RELEASE-p", "_").removesuffix("-RELEASE")
    return ("FreeBSD-kernel-" if kernel else "FreeBSD-") + text


def audit_result(res: CommandResult) -> list[str]:
    """The vulnerable ``name-version`` lines of ``pkg audit -q``; Unknown when it failed.

    Exit 0: nothing vulnerable; exit 1 with lines on stdout and nothing on
    stderr: those packages; anything else is pkg's own error (pkg-audit(8),
    src/audit.c).
    """
    err = res.stderr.decode("utf-8", "replace").strip()
    if "execvp" in err and "No such file" in err:
        raise Unknown("pkg is not installed in the jail")
    if res.returncode == 127 or err.endswith("not found"):
        raise Unknown("pkg is not installed")
    lines = [ln for ln in res.stdout.decode("utf-8", "replace").splitlines() if ln.strip()]
    if res.returncode == 0 and not lines:
        return []
    if res.returncode == 1 and lines and not err:
        if not all(_PKG_LINE.match(ln) for ln in lines):
            raise Unknown("pkg audit printed something that is not a package list")
        return lines
    first = err.splitlines()[0] if err else f"exit status {res.returncode}"
    if "vulnxml" in first and "does not exist" in first:
        raise Unknown("no vulnerability database (pkg audit -F never ran)")
    if "cannot process vulnxml" in first:
        raise Unknown("the vulnerability database does not parse")
    raise Unknown(f"pkg audit failed: {first}")


def flags_output(res: CommandResult, count: int) -> list[tuple[str, ...]]:
    """The flags of each of ``count`` files from ``stat -f %Sf`` (``-`` = none)."""
    if res.returncode != 0:
        err = res.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Unknown(f"stat failed: {err[0] if err else f'exit status {res.returncode}'}")
    lines = res.stdout.decode("utf-8", "replace").splitlines()
    if len(lines) != count:
        raise Unknown("stat printed an unexpected number of lines")
    out: list[tuple[str, ...]] = []
    for ln in lines:
        if ln == "-":
            out.append(())
        elif re.fullmatch(r"[a-z]+(,[a-z]+)*", ln):
            out.append(tuple(ln.split(",")))
        else:
            raise Unknown("stat printed flags in an unexpected form")
    return out


#: What each securelevel forbids (init(8), security(7); docs/freebsd.md 13.1).
SECURELEVEL_MEANING = {
    -1: "permanently insecure: nothing is locked (system file flags can be cleared)",
    0: "insecure mode: nothing is locked (system file flags can be cleared)",
    1: "secure: schg/sappnd cannot be cleared, no kernel modules, no writing to "
       "/dev/mem or mounted disks",
    2: "highly secure: as 1, and no writing to any disk device, no big clock steps",
    3: "network secure: as 2, and the packet filter rules cannot be changed",
}


def securelevel_meaning(level: int) -> str:
    return SECURELEVEL_MEANING.get(level, f"securelevel {level} is outside -1..3")


def int_of(values: Sequence[str], i: int) -> int | None:
    try:
        return int(values[i].strip())
    except (IndexError, ValueError):
        return None
