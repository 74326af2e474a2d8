"""Kernel jail parameters: the names, types, access and defaults of a 14.x kernel.

jls prints them (``jls -n``/``all``, docs/freebsd.md 1.4), jail(8) sets them
(docs/freebsd.md 3, 5). Only the modules a typical ZFS host loads are present
(devfs, fdescfs, nullfs, procfs, tmpfs, zfs; no linux, no vmm), so
``allow.mount.linprocfs`` is an unknown parameter here, as on such a host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from jailtui.sim.state import JailParam, SimJail, State

Kind = Literal["int", "string", "bool", "jailsys", "ip4", "ip6"]
Access = Literal["RO", "RDTUN", "RW"]

#: Value of a parameter as jls sees it: lists for address parameters.
Value = JailParam | list[str]


@dataclass(frozen=True, slots=True)
class ParamDef:
    name: str
    kind: Kind
    access: Access


def _p(name: str, kind: Kind, access: Access = "RW") -> ParamDef:
    return ParamDef(name, kind, access)


_ALLOW = ("adjtime", "chflags", "extattr", "mlock", "mount", "mount.devfs", "mount.fdescfs",
          "mount.nullfs", "mount.procfs", "mount.tmpfs", "mount.zfs", "nfsd", "quotas",
          "raw_sockets", "read_msgbuf", "reserved_ports", "routing", "set_hostname", "settime",
          "socket_af", "suser", "sysvipc", "unprivileged_parent_tampering",
          "unprivileged_proc_debug")

_DEFS: tuple[ParamDef, ...] = (
    _p("devfs_ruleset", "int"), _p("dying", "bool", "RO"), _p("enforce_statfs", "int"),
    _p("host", "jailsys"), _p("ip4", "jailsys"), _p("ip6", "jailsys"),
    _p("jid", "int", "RDTUN"), _p("name", "string"), _p("osreldate", "int", "RDTUN"),
    _p("osrelease", "string", "RDTUN"), _p("parent", "int", "RO"),
    _p("path", "string", "RDTUN"), _p("persist", "bool"), _p("securelevel", "int"),
    _p("sysvmsg", "jailsys"), _p("sysvsem", "jailsys"), _p("sysvshm", "jailsys"),
    _p("vnet", "jailsys", "RDTUN"),
    *(_p(f"allow.{a}", "bool") for a in _ALLOW),
    _p("children.cur", "int", "RO"), _p("children.max", "int"), _p("cpuset.id", "int", "RO"),
    _p("host.domainname", "string"), _p("host.hostid", "int"), _p("host.hostname", "string"),
    _p("host.hostuuid", "string"), _p("ip4.addr", "ip4"), _p("ip4.saddrsel", "bool"),
    _p("ip6.addr", "ip6"), _p("ip6.saddrsel", "bool"), _p("zfs.mount_snapshot", "int"),
)

PARAMS: dict[str, ParamDef] = {d.name: d for d in _DEFS}

#: docs/freebsd.md 1.4: ``all`` lists names without a dot first, then dotted
#: names, each group in strcmp order.
ALL: tuple[str, ...] = tuple(sorted(n for n in PARAMS if "." not in n)
                             + sorted(n for n in PARAMS if "." in n))

#: "jailsys" parents and the parameters below them (jls -s skips the
#: children when the parent is not "new", docs/freebsd.md 1.1).
JAILSYS_CHILDREN = {"host": "host.", "ip4": "ip4.", "ip6": "ip6.", "vnet": "vnet."}

_DEFAULT_ON = {"allow.set_hostname", "allow.reserved_ports", "allow.unprivileged_proc_debug",
               "allow.suser"}

DEFAULTS: dict[str, JailParam] = {
    "devfs_ruleset": 0, "enforce_statfs": 2, "host": "new", "persist": False,
    "securelevel": -1, "sysvmsg": "disable", "sysvsem": "disable", "sysvshm": "disable",
    "vnet": "inherit", "children.max": 0, "host.domainname": "", "host.hostid": 0,
    "host.hostuuid": "00000000-0000-0000-0000-000000000000", "ip4.saddrsel": True,
    "ip6.saddrsel": True, "zfs.mount_snapshot": 0,
    **{f"allow.{a}": f"allow.{a}" in _DEFAULT_ON for a in _ALLOW},
}

#: Parameters jail(8) itself handles (config.c intparams, docs/freebsd.md 4.3):
#: accepted in jail.conf and on the command line, never passed to the kernel.
INTERNAL = frozenset({
    "allow.dying", "command", "depend", "exec.clean", "exec.consolelog", "exec.created",
    "exec.fib", "exec.jail_user", "exec.poststart", "exec.poststop", "exec.prepare",
    "exec.prestart", "exec.prestop", "exec.release", "exec.start", "exec.stop",
    "exec.system_jail_user", "exec.system_user", "exec.timeout", "interface", "ip_hostname",
    "mount", "mount.devfs", "mount.fdescfs", "mount.fstab", "mount.procfs", "stop.timeout",
    "vnet.interface", "zfs.dataset",
})


def value(state: State, j: SimJail, name: str) -> Value:
    """The current value of parameter ``name`` of jail ``j`` (``name`` must be known)."""
    if name == "jid":
        return j.jid
    if name == "name":
        return j.name
    if name == "path":
        return j.path
    if name == "host.hostname":
        return j.hostname
    if name == "ip4.addr":
        return list(j.ip4)
    if name == "ip6.addr":
        return list(j.ip6)
    if name == "cpuset.id":
        return j.cpusetid
    if name == "dying":
        return j.dying
    if name == "parent":
        return j.parent
    if name == "children.cur":
        return sum(1 for c in state.jails if c.parent == j.jid and c is not j)
    if name == "osrelease":
        return j.params.get(name, state.osrelease)
    if name == "osreldate":
        return j.params.get(name, state.osreldate)
    if name in ("ip4", "ip6"):
        # docs/freebsd.md 1.4 [derived from kern_jail.c]: "disable" and "new" share
        # PR_IP4_USER and the get path tests "disable" first, so a jail with
        # its own address restriction reports "disable" even with addresses.
        addrs = j.ip4 if name == "ip4" else j.ip6
        set_to = j.params.get(name)
        if addrs or set_to in ("new", "disable"):
            return "disable"
        return "inherit"
    if name == "securelevel":
        # A prison's securelevel is never below its parent's: raising the
        # host's raises every jail's (kern_jail.c; docs/freebsd.md 13.1).
        own = j.params.get(name, DEFAULTS[name])
        return max(int(own) if not isinstance(own, bool) else -1, state.securelevel)
    if name in j.params:
        return j.params[name]
    return DEFAULTS[name]


def export(name: str, v: Value) -> str:
    """libjail's ``jailparam_export``: the text form jls prints (docs/freebsd.md 1.4)."""
    if isinstance(v, list):
        return ",".join(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class ParamError(Exception):
    """libjail's import errors; ``str(e)`` is the message after ``jail: NAME: ``."""


def split_no(name: str) -> tuple[str, bool] | None:
    """``allow.nomount`` -> (``allow.mount``, False): libjail's no-prefixed booleans."""
    head, _, last = name.rpartition(".")
    if last.startswith("no"):
        base = f"{head}.{last[2:]}" if head else last[2:]
        d = PARAMS.get(base)
        if d is not None and d.kind == "bool":
            return base, False
    return None


def is_known(name: str) -> bool:
    return name in PARAMS or name in INTERNAL or split_no(name) is not None


def import_value(name: str, raw: str | bool | int | Sequence[str]) -> tuple[str, JailParam | list[str]]:
    """Validate a value given to jail(8) for kernel parameter ``name``.

    ``raw`` is what the config parser or the command line produced: True for
    a bare boolean, a string, or a list of strings. Returns the canonical
    name (``nopersist`` -> ``persist``) and value; raises :class:`ParamError`
    with libjail's wording (docs/freebsd.md 3.4).
    """
    neg = split_no(name) if name not in PARAMS else None
    if neg is not None:
        name, raw = neg[0], (False if raw is True else raw)
    d = PARAMS.get(name)
    if d is None:
        raise ParamError(f"unknown parameter: {name}")
    if d.kind in ("ip4", "ip6"):
        items = [raw] if isinstance(raw, str) else list(raw) if not isinstance(raw, bool | int) else []
        out: list[str] = []
        for item in items:
            for piece in str(item).split(","):
                if not piece:
                    continue
                addr = strip_ifaddr(piece)
                try:
                    ip = (ipaddress.IPv4Address(addr) if d.kind == "ip4"
                          else ipaddress.IPv6Address(addr))
                except ValueError:
                    fam = "IPv4" if d.kind == "ip4" else "IPv6"
                    raise ParamError(f"{name}: not an {fam} address: {addr}") from None
                out.append(str(ip))
        return name, out
    text = raw if isinstance(raw, str) else ",".join(raw) if not isinstance(raw, bool | int) else raw
    if d.kind == "bool":
        if isinstance(text, bool):
            return name, text
        if isinstance(text, int):
            return name, text != 0
        low = text.lower()
        if low == "true":
            return name, neg is None
        if low == "false":
            return name, neg is not None
        try:
            return name, (int(text) != 0) == (neg is None)
        except ValueError:
            raise ParamError(f'{name}: unknown boolean value "{text}"') from None
    if d.kind == "jailsys":
        if isinstance(text, bool):
            return name, "new" if text else "disable"
        if text in ("disable", "new", "inherit"):
            return name, text
        if isinstance(text, str) and text.isdigit() and int(text) in (0, 1, 2):
            return name, ("disable", "new", "inherit")[int(text)]
        raise ParamError(f"{name}: unknown jailsys value")
    if d.kind == "int":
        if isinstance(text, bool):
            raise ParamError(f"{name}: non-integer value")
        try:
            return name, int(text)
        except ValueError:
            raise ParamError(f"{name}: non-integer value") from None
    if isinstance(text, bool):
        return name, "" if not text else "true"
    return name, str(text)


def strip_ifaddr(spec: str) -> str:
    """``em0|10.0.0.11/24 vhid 1`` -> ``10.0.0.11`` (jail(8) keeps only the address)."""
    s = spec.strip()
    if "|" in s:
        s = s.split("|", 1)[1]
    s = s.split()[0] if s.split() else s
    return s.split("/", 1)[0]
