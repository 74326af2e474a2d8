"""sockstat(1): the listening sockets of the simulated host (sim/netstate.py).

argv handling and output after usr.bin/sockstat (docs/freebsd.md 15.1):
FreeBSD 15's main.c takes ``--libxo`` (xo_parse_args) and writes, in JSON,
``{"__version": "1", "sockstat": {"socket": [{"user", "command", "pid", "fd",
"proto", "local": {"address", "port"}, "foreign": {...}}]}}``; FreeBSD 14's
sockstat.c has no libxo, so ``--libxo`` is getopt(3)'s "illegal option -- -"
and the usage line. ``-j JAIL`` (name or jid, jail_getid) keeps the sockets of
that jail's processes; for a VNET jail sockstat attaches to the jail and shows
its whole stack instead. Only listening TCP and bound UDP sockets are modelled
(``-l``); ``-c`` alone shows nothing (no connections are simulated).
"""

from __future__ import annotations

from jailtui.sim import netstate, passwd
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt, libxo_style
from jailtui.sim.state import State, Store
from jailtui.sim.xo import string

_USAGE_15 = ("usage: sockstat [--libxo] [-46ACcfIiLlnqSsUuvw] [-j jid] [-p ports]\n"
             "                [-P protocols]\n")
_USAGE_14 = "usage: sockstat [-46CciLlnqSsUuvw] [-j jid] [-p ports] [-P protocols]\n"
_OPTS_15 = "46ACcfIij:Llnp:P:qSsUuvw"
_OPTS_14 = "46Ccij:Llnp:P:qSsUuvw"


def run(ctx: Ctx, args: list[str]) -> int:
    with Store(ctx.simdir).read() as st:
        return _run(ctx, st, args)


def _run(ctx: Ctx, st: State, args: list[str]) -> int:
    modern = st.freebsd >= 15
    usage = _USAGE_15 if modern else _USAGE_14
    style: str | None = None
    if modern:
        style, args = libxo_style(args)
    try:
        opts, rest = getopt(args, _OPTS_15 if modern else _OPTS_14)
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(usage)
        return 1
    if rest:
        ctx.write_err(usage)
        return 1
    flags = {o for o, _ in opts}
    jail_arg = next((a for o, a in reversed(opts) if o == "j"), None)
    jid = -1
    if jail_arg is not None:
        err = st.getid_error(jail_arg)
        if err is not None:
            ctx.warn(f"jail_getid: {err}")
            return 1
        found = st.lookup(jail_arg)
        assert found is not None
        jid = found.jid
    want4, want6 = "4" in flags, "6" in flags
    if not want4 and not want6 and "u" not in flags:
        want4 = want6 = True
    listening = "l" in flags or "c" not in flags
    numeric = "n" in flags
    users = passwd.by_uid(passwd.load(ctx.paths.real("/etc/passwd")))
    # The stack sockstat looks at: the host's, or a VNET jail's after jail_attach.
    stack = netstate.in_vnet_of(st, jid) if jid > 0 else 0
    if stack and stack == jid:
        jid = -1
    rows = []
    for s in netstate.sockets(st) if listening else []:
        if netstate.in_vnet_of(st, s.jid) != stack:
            continue
        if jid >= 0 and s.jid != jid:
            continue
        if not ((want4 and "4" in s.family) or (want6 and "6" in s.family)):
            continue
        user = str(s.uid) if numeric else users.get(s.uid, str(s.uid))
        rows.append((user, s))
    if style == "json":
        ctx.write(_json(rows))
    else:
        ctx.write(_text(rows, "q" in flags))
    return 0


def _foreign(s: netstate.SimSocket) -> str:
    return "*:*"


def _text(rows: list[tuple[str, netstate.SimSocket]], quiet: bool) -> str:
    """The table with main.c's column widths: USER and PID/FD as wide as needed,
    COMMAND 10 (cut at 10), PROTO at least 5, the addresses 21."""
    wu = max([4, *(len(u) for u, _ in rows)])
    wp = max([3, *(len(str(s.pid)) for _, s in rows)])
    wf = max([2, *(len(str(s.fd)) for _, s in rows)])
    wr = max([5, *(len(s.proto_name) for _, s in rows)])
    lines = []
    if not quiet:
        lines.append(f"{'USER':<{wu}} {'COMMAND':<10} {'PID':>{wp}} {'FD':>{wf}} "
                     f"{'PROTO':<{wr}} {'LOCAL ADDRESS':<21} {'FOREIGN ADDRESS':<21}")
    for user, s in rows:
        lines.append(f"{user:<{wu}} {s.comm[:10]:<10} {s.pid:>{wp}} {s.fd:>{wf}} "
                     f"{s.proto_name:<{wr}} {s.local():<21.21} {_foreign(s):<21.21}")
    return "".join(line + "\n" for line in lines)


def _json(rows: list[tuple[str, netstate.SimSocket]]) -> str:
    items = []
    for user, s in rows:
        items.append("{" + ",".join([
            f'"user":{string(user)}', f'"command":{string(s.comm)}', f'"pid":{s.pid}',
            f'"fd":{s.fd}', f'"proto":{string(s.proto_name)}',
            f'"local":{{"address":{string(s.addr)},"port":{s.port}}}',
            '"foreign":{"address":"*","port":0}']) + "}")
    return ('{"__version": "1", "sockstat": {"socket": [' + ", ".join(items) + "]}\n}\n")
