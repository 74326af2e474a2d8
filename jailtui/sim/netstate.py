"""The simulated kernel's network state, derived from the jails and processes.

Nothing here is stored: sockets follow the processes (a service's process
holds the sockets sim/catalog.py ``LISTENS`` gives it), interfaces follow the
host's rc.conf and the running jails (an epair's ``b`` end is in the VNET jail
named by its ``vnet.interface`` while that jail runs, on the host otherwise;
if_epair.c, jail(8) ``vnet.interface``). So sockstat, ifconfig and the jails
can never disagree.

Addresses of a jailed socket (docs/freebsd.md 15.1): a wildcard bind in a jail
with exactly one IPv4 (IPv6) address is bound to that address; with several,
it stays the wildcard (``*``), which matches only the jail's own addresses; a
jail without addresses of a family has no socket of it (the bind fails,
EADDRNOTAVAIL). A VNET jail has its own stack: its sockets are not in the
host's tables at all, only in its own (sockstat -j attaches to it).
"""

from __future__ import annotations

from dataclasses import dataclass

from jailtui.core.transport.hostfs import PathMap
from jailtui.sim import catalog
from jailtui.sim.state import Proc, SimJail, State


@dataclass(frozen=True, slots=True)
class SimSocket:
    """One listening socket: its holder and its local address."""

    pid: int
    uid: int
    jid: int
    comm: str
    fd: int
    proto: str
    #: "4", "6" or "46" (a dual-stack wildcard socket).
    family: str
    addr: str
    port: int

    @property
    def proto_name(self) -> str:
        return f"{self.proto}{self.family}"

    def local(self) -> str:
        """``addr:port`` as sockstat's formataddr writes it (IPv6 without brackets)."""
        return f"{self.addr}:{self.port}"


def _bound(addr: str, family: str, jail: SimJail | None) -> list[tuple[str, str]]:
    """Where a bind of ``addr`` in ``family`` ends up: [(family, address)], or none."""
    if jail is None or jail.params.get("vnet") == "new":
        fams = ["46"] if family == "46" and addr == "*" else [f for f in family]
        return [(f, "*" if addr == "*" else addr) for f in fams]
    out: list[tuple[str, str]] = []
    for fam, addrs in (("4", jail.ip4), ("6", jail.ip6)):
        if fam not in family or not addrs:
            continue
        if addr == "*":
            out.append((fam, addrs[0] if len(addrs) == 1 else "*"))
        elif addr in ("127.0.0.1", "::1"):
            if fam == ("4" if addr == "127.0.0.1" else "6"):
                out.append((fam, addrs[0]))
        elif addr in addrs:
            out.append((fam, addr))
    return out


def _holder(procs: list[Proc], svc: str) -> Proc | None:
    """The service's process that holds its sockets: the first that is not the
    daemon(8) supervisor (whose child listens)."""
    mine = [p for p in procs if p.svc == svc]
    return next((p for p in mine if p.comm != "daemon"), mine[0] if mine else None)


def sockets(st: State) -> list[SimSocket]:
    """Every listening socket of the host and its jails, in pid order."""
    jails = {j.jid: j for j in st.jails if not j.dying}
    by_key: dict[tuple[int, str], list[Proc]] = {}
    for p in st.procs:
        if p.svc:
            by_key.setdefault((p.jid, p.svc), []).append(p)
    out: list[SimSocket] = []
    for (jid, svc), procs in sorted(by_key.items(), key=lambda kv: min(p.pid for p in kv[1])):
        holder = _holder(procs, svc)
        if holder is None:
            continue
        if jid and jid not in jails:
            continue
        jail = jails.get(jid)
        fd = 3
        for spec in catalog.LISTENS.get(svc, ()):
            for fam, addr in _bound(spec.addr, spec.families, jail):
                out.append(SimSocket(holder.pid, holder.uid, jid, holder.comm, fd, spec.proto,
                                     fam, addr, spec.port))
                fd += 1
    return out


def in_vnet_of(st: State, jid: int) -> int:
    """The jid whose network stack ``jid`` uses: its own for a VNET jail, the
    host's (0) otherwise (a non-VNET child shares its parent's)."""
    j = st.jail_by_jid(jid)
    while j is not None:
        if j.params.get("vnet") == "new":
            return j.jid
        j = st.jail_by_jid(j.parent) if j.parent else None
    return 0


# -- interfaces -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimInterface:
    """One interface and the stack (jid, 0 = host) it is in."""

    name: str
    vnet: int
    flags: str
    groups: tuple[str, ...]
    inet: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    ether: str = ""
    description: str = ""


#: ifconfig's flag words (sys/net/if.h, printed by ifconfig.c printb).
_UP_ETHER = "8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>"
_UP_PROMISC = "8943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST>"
_LOOP = "8049<UP,LOOPBACK,RUNNING,MULTICAST>"


def _rcvars(paths: PathMap) -> dict[str, str]:
    from jailtui.sim import rcvars

    return rcvars.read_rc_vars(paths.real("/etc/rc.conf"))


def _mac(n: int) -> str:
    return f"58:9c:fc:10:{n // 256:02x}:{n % 256:02x}"


def interfaces(st: State, paths: PathMap) -> list[SimInterface]:
    """The host's interfaces from its rc.conf (``ifconfig_em0``, ``cloned_interfaces``,
    ``ifconfig_bridge0="addm epair0a inet 10.99.0.1/24"``) and where each epair end is."""
    rc = _rcvars(paths)
    out = [SimInterface("em0", 0, _UP_ETHER, (), _inet(rc.get("ifconfig_em0", "")),
                        ether=_mac(1)),
           SimInterface("lo0", 0, _LOOP, ("lo",), ("127.0.0.1",))]
    cloned = rc.get("cloned_interfaces", "").split()
    # An epair's b end is in the VNET jail whose vnet.interface names it (jail(8)
    # moves it at creation, back at removal).
    alive = {j.jid for j in st.jails if not j.dying and j.params.get("vnet") == "new"}
    moved = {name: jid for name, jid in st.vnet_moved.items() if jid in alive}
    for n, name in enumerate(cloned):
        if name.startswith("epair"):
            for end in ("a", "b"):
                ifname = name + end
                out.append(SimInterface(ifname, moved.get(ifname, 0), _UP_ETHER, ("epair",),
                                        _inet(rc.get(f"ifconfig_{ifname}", "")),
                                        ether=_mac(16 + 2 * n + (end == "b"))))
        elif name.startswith("bridge"):
            words = rc.get(f"ifconfig_{name}", "").split()
            members = tuple(words[i + 1] for i, w in enumerate(words[:-1]) if w == "addm")
            out.append(SimInterface(name, 0, _UP_ETHER, ("bridge",), _inet(" ".join(words)),
                                    members, ether=_mac(8 + n)))
    return out


def _inet(value: str) -> tuple[str, ...]:
    """The addresses of an ``ifconfig_IF`` rc.conf value (``inet 10.0.0.2/24 ...``)."""
    words = value.split()
    return tuple(words[i + 1] for i, w in enumerate(words[:-1]) if w == "inet")


def promisc(iface: SimInterface, all_ifaces: list[SimInterface]) -> bool:
    """A bridge member runs promiscuous (if_bridge.c bridge_ioctl_add: ifpromisc)."""
    return any(iface.name in b.members for b in all_ifaces)
