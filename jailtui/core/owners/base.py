"""What every owner driver shares: owner names, the records they return, the one file read.

Drivers are pure functions of the host's files (read through :func:`read_config`,
the single place that touches them, so it can move to the safe jail-root reader,
core/transport/jailfs.py, in one edit). They never run a command: the argv they build
is run by the controller, the one gate (docs/architecture.md "One way through").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

#: A manager's configuration is a few hundred bytes; anything bigger than this is not
#: one (and is not read whole into memory).
MAX_CONFIG_BYTES = 256 * 1024


class Owner(enum.StrEnum):
    """Who manages a jail (docs/managers.md 1.0)."""

    JAILCONF = "jail.conf"
    BASTILLE = "bastille"
    APPJAIL = "appjail"
    IOCAGE = "iocage"
    POT = "pot"
    EZJAIL = "ezjail"
    UNKNOWN = "unknown"


#: Narrow column letters, in the order the help lists them.
_LETTERS: Mapping[Owner, str] = {
    Owner.BASTILLE: "B", Owner.APPJAIL: "A", Owner.IOCAGE: "i", Owner.POT: "p",
    Owner.EZJAIL: "e", Owner.JAILCONF: "j", Owner.UNKNOWN: "?"}

_TITLES: Mapping[Owner, str] = {
    Owner.BASTILLE: "Bastille", Owner.APPJAIL: "AppJail", Owner.IOCAGE: "iocage",
    Owner.POT: "pot", Owner.EZJAIL: "ezjail", Owner.JAILCONF: "jail.conf (jail(8))",
    Owner.UNKNOWN: "unknown"}

OWNERS: tuple[Owner, ...] = tuple(_LETTERS)


def letter(owner: Owner | str) -> str:
    """The OWNER column's one letter (``B``, ``A``, ``i``, ``p``, ``e``, ``j``, ``?``)."""
    try:
        return _LETTERS[Owner(owner)]
    except ValueError:
        return "?"


def column_letter(owner: str) -> str:
    """The OWNER column's cell: the letter, or ``-`` when the host did not decide
    (a row from a fake host; a real Host always decides)."""
    return letter(owner) if owner else "-"


def title(owner: Owner | str) -> str:
    """The owner's full name for the detail view and the help."""
    try:
        return _TITLES[Owner(owner)]
    except ValueError:
        return str(owner)


#: The filter term that selects rows by owner (``owner:B``, ``owner:iocage``).
OWNER_TERM = "owner:"


def owner_term_matches(owner: str, term: str) -> bool:
    """Does a row of ``owner`` match the filter term ``owner:WANT`` (lower-case)?

    WANT is the OWNER column's letter (``b``, ``i``, ``?``; the letters differ even
    lower-cased) or the start of the owner's name (``bast``, ``jail.conf``): a plain
    ``/b`` would also match every name and path holding a ``b``.
    """
    want = term[len(OWNER_TERM):].strip()
    if not want or not owner:
        return False
    return (want == letter(owner).lower() or str(owner).startswith(want)
            or title(owner).lower().startswith(want))


class Files(Protocol):
    """The part of core.hosts.host.HostFiles a driver needs (host paths)."""

    def read_text(self, host_path: str) -> str: ...

    def stat(self, host_path: str) -> tuple[int, int] | None: ...

    def glob(self, pattern: str) -> list[str]: ...


class ConfigUnreadable(Exception):
    """A manager's file could not be read (missing, too big, not text)."""


def read_config(files: Files, host_path: str) -> str:
    """Read one manager file: the only read a driver does.

    Size-capped: a file bigger than MAX_CONFIG_BYTES is refused, not read.
    """
    sig = files.stat(host_path)
    if sig is None:
        raise ConfigUnreadable(f"{host_path}: No such file or directory")
    if sig[1] > MAX_CONFIG_BYTES:
        raise ConfigUnreadable(f"{host_path}: larger than {MAX_CONFIG_BYTES} bytes")
    try:
        return files.read_text(host_path)
    except (OSError, UnicodeError) as exc:
        raise ConfigUnreadable(f"{host_path}: {exc.strerror if isinstance(exc, OSError) else exc}"
                               ) from exc


def exists(files: Files, host_path: str) -> bool:
    return files.stat(host_path) is not None


class EditKind(enum.StrEnum):
    """How the owner's configuration of a jail is changed (docs/managers.md 1.8)."""

    #: A jail.conf(5) file: our parser, checks and safe save apply.
    JAILCONF = "jail.conf"
    #: Properties through the manager's get/set commands (iocage).
    PROPERTIES = "properties"
    #: Shown read-only; ``command`` says what changes it.
    READ_ONLY = "read-only"


@dataclass(frozen=True, slots=True)
class EditInfo:
    kind: EditKind
    #: The file the owner keeps the jail's configuration in (host path).
    file: str
    #: For READ_ONLY / PROPERTIES: the command that changes it, as the user would type it.
    command: str = ""


@dataclass(frozen=True, slots=True)
class ManagedJail:
    """One jail as its manager configures it, running or not."""

    owner: Owner
    #: The manager's own name (iocage ``web.example``; ezjail ``www.example.com``).
    name: str
    #: The name the kernel (jls) knows (``ioc-web_example``; ``www_example_com``).
    kernel_name: str
    #: Jail root (what jls shows as path).
    path: str
    #: The file that defines it (Bastille's jail.conf, iocage's config.json ...).
    conf_file: str
    hostname: str = ""
    ip4: tuple[str, ...] = ()
    #: The manager's own boot flag.
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class Broken:
    """A jail whose manager file is there but unreadable, half-written or malformed.

    It is still a row (stopped, owner ``unknown``, this reason in the detail view) so
    it does not vanish from the list, and it is never driven through the manager nor
    through jail(8) without a confirmation (issue 15 "Bad input").
    """

    reason: str
    #: The name the kernel would know it by (iocage ``ioc-...``, ezjail's safe name).
    kernel_name: str
    #: Where its root would be ("" where the broken file was to say so: ezjail).
    path: str = ""
    #: The broken file.
    conf_file: str = ""


@dataclass(frozen=True, slots=True)
class Inventory:
    """What one driver read: its jails, keyed by kernel name, and what went wrong."""

    owner: Owner
    #: The manager's files are on this host (it is in use here).
    present: bool = False
    jails: Mapping[str, ManagedJail] = field(default_factory=dict)
    #: Problems with the manager's own configuration (bastille.conf ...), raw text.
    problems: tuple[str, ...] = ()
    #: Per-jail problems, keyed by the jail's directory name: its config is there but
    #: half-written or malformed; such a jail is ``unknown`` with the reason.
    broken: Mapping[str, Broken] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Ownership:
    """Who owns one jail, with the manager's name for it and why."""

    owner: Owner
    #: The manager's name for the jail ("" when unknown).
    name: str = ""
    #: Why the owner is unknown (raw text), or how it was decided.
    reason: str = ""
    conf_file: str = ""
    enabled: bool = False


class Driver(Protocol):
    """One owner: how to read its files and drive its jails."""

    owner: Owner
    #: The manager's command (``bastille``, ``ezjail-admin``); "" for jail(8).
    command: str
    #: The FreeBSD port that provides it (``sysutils/bastille``).
    package: str

    def warm(self, settings: Mapping[str, str]) -> tuple[list[str], list[str]]:
        """(paths, globs) the driver reads at its default layout: fetched in one
        round trip on a remote host (RemoteFiles.prefetch), not one per file."""
        ...

    def load(self, files: Files, settings: Mapping[str, str]) -> Inventory:
        """Read the manager's configuration and its jails' files; never raises."""
        ...

    def claims(self, inv: Inventory, name: str, path: str) -> ManagedJail | str | None:
        """The jail ``jls`` shows as (name, path) if it is this owner's (1.7); a reason
        string when the layout is this owner's but its files are broken; else None."""
        ...

    def argvs(self, action: str, name: str) -> list[list[str]]:
        """Commands (in order) for ``start``/``stop``/``restart``/``shell`` of the
        manager's jail ``name`` (its own name, not the kernel's)."""
        ...

    def edit(self, name: str, conf_file: str) -> EditInfo:
        """How the jail ``name`` (the manager's name) defined in ``conf_file`` is edited."""
        ...


#: The four actions a driver builds argv for.
ACTIONS = ("start", "stop", "restart", "shell")


def truthy(value: object) -> bool:
    """A manager boolean: 1/0, "1", "on", "yes", "YES", True (iocage stores either, 1.2)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return str(value).strip().lower() in ("1", "on", "yes", "true")


def bare_addrs(value: object) -> tuple[str, ...]:
    """Bare addresses from ``iface|addr/mask`` lists (jail.conf ip4.addr, iocage ip4_addr,
    docs/freebsd.md 4.3); ``none``/``-`` give nothing."""
    if value is None or isinstance(value, bool | int):
        return ()
    items = value if isinstance(value, tuple) else tuple(str(value).split(","))
    out = []
    for item in items:
        item = str(item).strip()
        if "|" in item:
            item = item.split("|", 1)[1]
        item = item.split("/", 1)[0].split(" ", 1)[0]
        if item and item not in ("none", "-", "DHCP"):
            out.append(item)
    return tuple(out)


def conf_str(value: object) -> str:
    """A jail.conf value as one string ("" for booleans and absent)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)
