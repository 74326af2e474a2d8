"""Parsers of the host-side network tools: sockstat(1), ifconfig(8), pfctl(8).

What each prints, and where it comes from in FreeBSD's source, is in
docs/freebsd.md 15 (usr.bin/sockstat/main.c and sockstat.c, sbin/ifconfig,
sbin/pfctl). None of these tools runs inside a jail: they are the host's
binaries, reading the kernel (docs/security.md: never execute a jail's files).
Every text a jail controls (a command name, an interface description) is
kept as it came and made visible only where it is shown (core/text.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jailtui.core.freebsd.errors import decode, load_json

__all__ = ["Interface", "Socket", "parse_ifconfig", "parse_ifconfig_group", "parse_pf_rules",
           "parse_sockstat_json", "parse_sockstat_text", "sockstat_lacks_libxo"]


@dataclass(frozen=True, slots=True)
class Socket:
    """One socket row of sockstat: who holds it and where it is bound."""

    user: str
    command: str
    pid: int | None
    fd: int | None
    proto: str
    local: str
    foreign: str


@dataclass(frozen=True, slots=True)
class Interface:
    """One interface block of ifconfig: its name, flags, addresses, bridge members."""

    name: str
    flags: tuple[str, ...] = ()
    inet: tuple[str, ...] = ()
    inet6: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    #: A bridge's member interfaces (``member: epair0a flags=...``, ifbridge.c).
    members: tuple[str, ...] = ()
    description: str = ""
    status: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def up(self) -> bool:
        return "UP" in self.flags


# -- sockstat ---------------------------------------------------------------------------------

#: sockstat before FreeBSD 15 has no libxo: getopt(3) rejects ``--libxo`` with
#: "illegal option -- -" and usage() prints the synopsis (docs/freebsd.md 15.1).
_NO_LIBXO = re.compile(r"illegal option -- -|unrecognized option")


def sockstat_lacks_libxo(stderr: bytes) -> bool:
    """Did this sockstat refuse ``--libxo`` (a FreeBSD 14 or older one)?"""
    return bool(_NO_LIBXO.search(stderr.decode("utf-8", "replace")))


def _port_text(part: Any) -> str:
    """``address:port`` of a libxo ``local``/``foreign`` container (main.c formataddr:
    port 0 is ``*``; a unix socket has ``path``)."""
    if not isinstance(part, dict):
        return "??"
    if "path" in part:
        return str(part["path"])
    addr = str(part.get("address", "??"))
    port = str(part.get("port", "0"))
    return f"{addr}:{'*' if port in ('0', '') else port}"


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_sockstat_json(data: bytes) -> list[Socket]:
    """``sockstat --libxo json``: ``{"sockstat": {"socket": [{user, command, pid, fd,
    proto, local: {address, port}, foreign: {...}}]}}`` (usr.bin/sockstat/main.c display)."""
    doc = load_json(data, "sockstat --libxo json")
    body = doc.get("sockstat", {}) if isinstance(doc, dict) else {}
    rows = body.get("socket", []) if isinstance(body, dict) else []
    out: list[Socket] = []
    for r in rows if isinstance(rows, list) else []:
        if not isinstance(r, dict):
            continue
        out.append(Socket(str(r.get("user", "??")), str(r.get("command", "??")),
                          _int_or_none(r.get("pid")), _int_or_none(r.get("fd")),
                          str(r.get("proto", "?")), _port_text(r.get("local")),
                          _port_text(r.get("foreign"))))
    return out


def parse_sockstat_text(data: bytes) -> list[Socket]:
    """sockstat's table: ``USER COMMAND PID FD PROTO LOCAL ADDRESS FOREIGN ADDRESS``.

    COMMAND is the first 10 characters of the process's name and may hold
    spaces, so the last five columns are taken from the right and the user from
    the left; what is between is the command. A row without a process
    (``?? ?? ?? ??``) has no pid nor fd.
    """
    text = decode(data)
    out: list[Socket] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("USER "):
            continue
        words = line.split()
        if len(words) < 7:
            continue
        user, rest = words[0], words[1:]
        foreign, local, proto, fd, pid = rest[-1], rest[-2], rest[-3], rest[-4], rest[-5]
        command = " ".join(rest[:-5])
        out.append(Socket(user, command, _int_or_none(pid), _int_or_none(fd), proto, local,
                          foreign))
    return out


# -- ifconfig ---------------------------------------------------------------------------------

_HEAD = re.compile(r"^(?P<name>[^\s:]+): flags=(?:0x)?[0-9a-f]+<(?P<flags>[^>]*)>")


def parse_ifconfig(data: bytes) -> list[Interface]:
    """ifconfig's status blocks: a ``NAME: flags=8843<UP,...> metric 0 mtu 1500`` line,
    then tab-indented lines (``inet A netmask M``, ``inet6 A prefixlen N``,
    ``member: IF flags=...``, ``groups: a b``, ``description: ...``, ``status: ...``)."""
    text = decode(data)
    out: list[Interface] = []
    cur: dict[str, Any] | None = None

    def close() -> None:
        if cur is not None:
            out.append(Interface(cur["name"], tuple(cur["flags"]), tuple(cur["inet"]),
                                 tuple(cur["inet6"]), tuple(cur["groups"]),
                                 tuple(cur["members"]), cur["description"], cur["status"]))

    for line in text.splitlines():
        head = _HEAD.match(line)
        if head:
            close()
            flags = [f for f in head["flags"].split(",") if f]
            cur = {"name": head["name"], "flags": flags, "inet": [], "inet6": [],
                   "groups": [], "members": [], "description": "", "status": ""}
            continue
        if cur is None or not line[:1].isspace():
            continue
        words = line.split()
        if not words:
            continue
        key = words[0]
        if key == "inet" and len(words) > 1:
            cur["inet"].append(words[1])
        elif key == "inet6" and len(words) > 1:
            cur["inet6"].append(words[1])
        elif key == "member:" and len(words) > 1:
            cur["members"].append(words[1])
        elif key == "groups:":
            cur["groups"].extend(words[1:])
        elif key == "description:":
            cur["description"] = line.split("description:", 1)[1].strip()
        elif key == "status:":
            cur["status"] = " ".join(words[1:])
    close()
    return out


def parse_ifconfig_group(data: bytes) -> list[str]:
    """``ifconfig -g GROUP``: the member interfaces' names, one a line (ifgroup.c)."""
    return [w for line in decode(data).splitlines() for w in line.split()]


# -- pfctl ------------------------------------------------------------------------------------


def parse_pf_rules(data: bytes) -> list[str]:
    """``pfctl -a ANCHOR -sn``: one translation rule a line (pfctl_parser.c
    print_rule); empty for an anchor without rules."""
    return [line.rstrip() for line in decode(data).splitlines() if line.strip()]
