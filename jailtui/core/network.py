"""A jail's network, seen from the host: addresses, VNET interfaces, listening sockets, rdr.

The detail view's Network section (issue 20) asks :func:`collect` when it opens
and on ``r``, never per tick (docs/architecture.md: no command per jail per
tick). Everything is read on the host with the host's own tools
(docs/freebsd.md 15): nothing runs inside the jail, so no binary of the jail is
executed (``jexec NAME ifconfig`` would run the jail's ifconfig, which its root
may have replaced; docs/security.md).

- addresses: ``ip4.addr`` / ``ip6.addr`` from the poll's jls (no command);
- a VNET jail's interfaces: its ``vnet.interface`` from the effective jail.conf
  (a jail(8) pseudo-parameter: the kernel does not keep it, jls cannot show it),
  each epair's host end (``epairNa`` for ``epairNb``, found in ``ifconfig -g
  epair``) and the bridge holding that end (``ifconfig -g bridge`` then
  ``ifconfig BRIDGE``: its ``member:`` lines);
- listening sockets: ``sockstat -j NAME -l -4 -6`` (``--libxo json`` where
  sockstat has it, FreeBSD 15; the table otherwise);
- pf rdr rules of a Bastille jail: ``pfctl -a rdr/NAME -sn``.

Each part fails on its own: a missing tool, no permission or a timeout is one
clear line in its place (:class:`Part` ``note``), never an error for the whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from jailtui.core.errors import CommandNotFound, CommandTimeout, JailtuiError, describe
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd import net
from jailtui.core.model import Jail
from jailtui.core.transport.runner import CommandResult

__all__ = ["NETWORK_TIMEOUT", "NetworkInfo", "Part", "SockstatFlavour", "VnetInterface", "collect",
           "peer_of", "vnet_interfaces"]

#: Timeout of each network command (they read kernel tables: milliseconds).
NETWORK_TIMEOUT = 10.0

T = TypeVar("T")

Run = Callable[[Sequence[str], float], Awaitable[CommandResult]]


@dataclass(frozen=True, slots=True)
class Part(Generic[T]):
    """One part's data, or why there is none (``note``: one line for the section)."""

    data: T | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class VnetInterface:
    """An interface moved into the jail (``vnet.interface``), its host end and bridge."""

    name: str
    #: The epair's other end, on the host ("" for an interface that is not an epair).
    peer: str = ""
    #: ``peer`` exists on the host now (``ifconfig -g epair`` lists it).
    peer_present: bool = False
    #: The bridge whose members include ``peer`` ("" for none).
    bridge: str = ""
    #: The bridge's own IPv4 addresses (the jail's gateway, usually).
    bridge_inet: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkInfo:
    """Everything the Network section shows."""

    vnet: bool
    ip4: tuple[str, ...] = ()
    ip6: tuple[str, ...] = ()
    interfaces: Part[list[VnetInterface]] = field(default_factory=Part)
    sockets: Part[list[net.Socket]] = field(default_factory=Part)
    #: None: not a Bastille jail (no rdr anchor is looked for).
    rdr: Part[list[str]] | None = None


def peer_of(name: str) -> str:
    """The other end of an epair by if_epair.c's naming (``epair0b`` <-> ``epair0a``);
    "" for an interface not named so (a renamed epair, a physical NIC)."""
    if name.startswith("epair") and name[-1:] in ("a", "b") and name[5:-1].isdigit():
        return name[:-1] + ("a" if name[-1] == "b" else "b")
    return ""


def _why(exc: BaseException, tool: str) -> str:
    """The one line of a part that could not be read."""
    if isinstance(exc, CommandNotFound):
        return f"{tool} is not installed on this host"
    if isinstance(exc, CommandTimeout):
        return f"{tool} did not answer in {NETWORK_TIMEOUT:.0f} s"
    if isinstance(exc, JailtuiError):
        return describe(exc)
    return f"{tool}: {exc}"


def _failed(res: CommandResult) -> str:
    """A tool that ran and failed: its own words (``/dev/pf: Permission denied``)."""
    err = res.stderr.decode("utf-8", "replace").strip().splitlines()
    said = err[-1] if err else f"exit status {res.returncode}"
    if "Permission denied" in said or "Operation not permitted" in said:
        return f"{said} (needs root)"
    return said


class SockstatFlavour:
    """Whether this host's sockstat takes ``--libxo`` (asked once, then remembered)."""

    def __init__(self) -> None:
        self.libxo: bool | None = None


async def _sockets(run: Run, name: str, state: SockstatFlavour) -> Part[list[net.Socket]]:
    try:
        if state.libxo is not False:
            res = await run(argvmod.sockstat_argv(name, libxo=True), NETWORK_TIMEOUT)
            if res.returncode != 0 and net.sockstat_lacks_libxo(res.stderr):
                state.libxo = False
            elif res.returncode != 0:
                return Part(note=_failed(res))
            else:
                state.libxo = True
                return Part(net.parse_sockstat_json(res.stdout))
        res = await run(argvmod.sockstat_argv(name, libxo=False), NETWORK_TIMEOUT)
        if res.returncode != 0:
            return Part(note=_failed(res))
        return Part(net.parse_sockstat_text(res.stdout))
    except (JailtuiError, OSError) as exc:
        return Part(note=_why(exc, "sockstat"))


async def _interfaces(run: Run, names: Sequence[str]) -> Part[list[VnetInterface]]:
    if not names:
        return Part([], note="no vnet.interface in its jail.conf block "
                             "(its interfaces were moved in some other way)")
    try:
        res = await run(argvmod.ifconfig_group_argv("epair"), NETWORK_TIMEOUT)
        # ifconfig -g of a group nobody is in prints nothing and exits 0.
        epairs = set(net.parse_ifconfig_group(res.stdout)) if res.returncode == 0 else set()
        res = await run(argvmod.ifconfig_group_argv("bridge"), NETWORK_TIMEOUT)
        bridges = net.parse_ifconfig_group(res.stdout) if res.returncode == 0 else []
        members: dict[str, tuple[str, tuple[str, ...]]] = {}
        for bridge in bridges:
            got = await run(argvmod.ifconfig_argv(bridge), NETWORK_TIMEOUT)
            if got.returncode != 0:
                continue
            for iface in net.parse_ifconfig(got.stdout):
                for m in iface.members:
                    members[m] = (iface.name, iface.inet)
    except (JailtuiError, OSError) as exc:
        return Part(note=_why(exc, "ifconfig"))
    out = []
    for n in names:
        peer = peer_of(n)
        bridge, inet = members.get(peer, ("", ()))
        out.append(VnetInterface(n, peer, peer in epairs, bridge, inet))
    return Part(out)


async def _rdr(run: Run, name: str) -> Part[list[str]]:
    try:
        res = await run(argvmod.pfctl_rdr_argv(name), NETWORK_TIMEOUT)
    except (JailtuiError, OSError) as exc:
        return Part(note=_why(exc, "pfctl"))
    if res.returncode != 0:
        said = _failed(res)
        if "No such file or directory" in said and "/dev/pf" in said:
            return Part(note="pf is not running on this host (no /dev/pf)")
        return Part(note=said)
    return Part(net.parse_pf_rules(res.stdout))


def vnet_interfaces(value: object) -> list[str]:
    """``vnet.interface`` of a jail.conf block: one name or a list (jail(8))."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return []



async def collect(run: Run, jail: Jail, *, vnet: bool, vnet_interface: object = None,
                  bastille: bool = False, sockstat: SockstatFlavour | None = None
                  ) -> NetworkInfo:
    """The jail's network (see the module docstring); the parts run concurrently.

    ``vnet``: the jail's ``vnet`` parameter is ``new`` (``jls -n vnet``, asked by
    the caller); ``vnet_interface`` is the jail.conf value of ``vnet.interface``;
    ``bastille`` asks for the jail's rdr anchor; ``sockstat`` remembers, per
    host, whether its sockstat takes ``--libxo``.
    """
    state = sockstat or SockstatFlavour()
    sockets_task = asyncio.ensure_future(_sockets(run, jail.name, state))
    ifaces_task = asyncio.ensure_future(_interfaces(run, vnet_interfaces(vnet_interface))) \
        if vnet else None
    rdr_task = asyncio.ensure_future(_rdr(run, jail.name)) if bastille else None
    sockets = await sockets_task
    interfaces: Part[list[VnetInterface]] = await ifaces_task if ifaces_task else Part()
    rdr = await rdr_task if rdr_task else None
    return NetworkInfo(vnet, tuple(jail.ip4), tuple(jail.ip6), interfaces, sockets, rdr)
