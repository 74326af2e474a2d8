"""ifconfig(8), read-only: the simulated host's interfaces (sim/netstate.py).

What is modelled (sbin/ifconfig/ifconfig.c, ifgroup.c, ifbridge.c; docs/freebsd.md
15.2): ``ifconfig [-a]`` (every interface of the stack), ``ifconfig IF`` (one;
``interface IF does not exist`` otherwise), ``ifconfig -l`` (names on one line),
``ifconfig -g GROUP`` (the group's members, one a line). Status blocks print
the flags line, ``ether``, each ``inet ADDR netmask 0x... broadcast ...``, a
bridge's STP lines and ``member:`` lines, ``groups:``, ``media:`` and
``status:``. Run on the host it shows the host's stack: an epair end moved into
a VNET jail is not there (it lives in the jail's stack until the jail goes).
Changing interfaces (``ifconfig IF up``, ``create``, ``vnet``) is refused with
"Operation not permitted": the simulator's network is derived, not set.
"""

from __future__ import annotations

import ipaddress

from jailtui.sim import netstate
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import State, Store

_USAGE = ("usage: ifconfig [-kLmn] [-f type:format] interface [create]\n"
          "                [address_family [address [dest_address]]] [parameters]\n"
          "       ifconfig interface destroy\n"
          "       ifconfig -a [-dkLmuv] [-f type:format] [-G groupname]\n"
          "                [-g groupname] [address_family]\n"
          "       ifconfig -C\n"
          "       ifconfig -g groupname\n"
          "       ifconfig -l [-du] [address_family]\n"
          "       ifconfig [-dkLmuv] [-f type:format]\n")


def run(ctx: Ctx, args: list[str]) -> int:
    with Store(ctx.simdir).read() as st:
        return _run(ctx, st, args)


def _stack(ctx: Ctx, st: State) -> int:
    if ctx.jail is None:
        return 0
    j = st.jail_by_name(ctx.jail)
    return netstate.in_vnet_of(st, j.jid) if j is not None else 0


def _aliases(st: State) -> tuple[str, ...]:
    """The jails' addresses jail(8) added to em0 (``ip4.addr = "em0|A/24"``)."""
    return tuple(a for j in st.jails if not j.dying and j.params.get("vnet") != "new"
                 for a in j.ip4)


def _run(ctx: Ctx, st: State, args: list[str]) -> int:
    try:
        opts, rest = getopt(args, "G:adf:g:klLmnuv")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(_USAGE)
        return 1
    flags = {o for o, _ in opts}
    stack = _stack(ctx, st)
    ifaces = [i for i in netstate.interfaces(st, ctx.paths) if i.vnet == stack]
    if stack == 0:
        ifaces = [_with_aliases(i, _aliases(st)) if i.name == "em0" else i for i in ifaces]
    group = next((a for o, a in opts if o == "g"), None)
    if group is not None and "a" not in flags:
        ctx.write("".join(f"{i.name}\n" for i in ifaces if group in i.groups))
        return 0
    if "l" in flags:
        ctx.write(" ".join(i.name for i in ifaces) + "\n")
        return 0
    if rest:
        name, params = rest[0], rest[1:]
        found = next((i for i in ifaces if i.name == name), None)
        if found is None:
            ctx.warn(f"interface {name} does not exist")
            return 1
        if params:
            ctx.warn(f"ioctl (SIOCSIFFLAGS): Operation not permitted ({name}: "
                     "the simulated network is read-only)")
            return 1
        ctx.write(_status(found, ifaces))
        return 0
    if group is not None:
        ifaces = [i for i in ifaces if group in i.groups]
    ctx.write("".join(_status(i, ifaces) for i in ifaces))
    return 0


def _with_aliases(i: netstate.SimInterface, extra: tuple[str, ...]) -> netstate.SimInterface:
    return netstate.SimInterface(i.name, i.vnet, i.flags, i.groups,
                                 i.inet + tuple(f"{a}/32" for a in extra), i.members, i.ether,
                                 i.description)


def _inet_line(spec: str) -> str:
    net = ipaddress.ip_interface(spec if "/" in spec else spec + "/32")
    mask = int(net.network.netmask)
    return (f"\tinet {net.ip} netmask {mask:#010x} broadcast "
            f"{net.network.broadcast_address}\n")


def _status(i: netstate.SimInterface, ifaces: list[netstate.SimInterface]) -> str:
    flags = i.flags
    if netstate.promisc(i, ifaces) and "PROMISC" not in flags:
        flags = flags.replace("8843<UP,BROADCAST,RUNNING,", "8943<UP,BROADCAST,RUNNING,PROMISC,")
    out = [f"{i.name}: flags={flags} metric 0 mtu {16384 if i.name.startswith('lo') else 1500}\n"]
    if i.description:
        out.append(f"\tdescription: {i.description}\n")
    if i.name.startswith("bridge"):
        out.append("\toptions=0\n")
    elif i.name.startswith("epair"):
        out.append("\toptions=8<VLAN_MTU>\n")
    if i.ether:
        out.append(f"\tether {i.ether}\n")
    for a in i.inet:
        out.append(_inet_line(a))
    if i.name.startswith("bridge"):
        out.append("\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15\n"
                   "\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200\n"
                   "\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0\n")
        for n, m in enumerate(i.members):
            out.append(f"\tmember: {m} flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n"
                       f"\t        port {5 + n} priority 128 path cost 2000\n")
    if i.groups:
        out.append(f"\tgroups: {' '.join(i.groups)}\n")
    if i.name.startswith("epair"):
        out.append("\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n\tstatus: active\n")
    elif i.name == "em0":
        out.append("\tmedia: Ethernet autoselect (1000baseT <full-duplex>)\n\tstatus: active\n")
    out.append("\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n")
    return "".join(out)
