"""``jailtui net NAME`` and ``jailtui proc PID``: the detail view's Network section and
the process screen on the command line (issue 20), from the same core code
(core/network.py through the session's host; core/procdetail.py through the
controller's gate: the environment is a host admin's only, and audited).

Everything printed comes from the host's tools about a jail, so it is made
visible (core/text.py) in the text form; the JSON form carries it raw, as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from typing import TYPE_CHECKING, Any

from jailtui.cli.session import Session
from jailtui.core.freebsd.jailname import check_jail_name
from jailtui.core.text import human_kib, visible

if TYPE_CHECKING:
    from jailtui.core.network import NetworkInfo
    from jailtui.core.procdetail import ProcessDetail, What


def add_parsers(sub: Any) -> None:
    """The two subcommands' parsers (cli/main.py build_parser)."""
    sp = sub.add_parser("net", help="a jail's network: addresses, VNET interfaces, sockets, rdr",
                        description="The jail's network as the host sees it: its addresses, "
                                    "a VNET jail's interfaces with their epair and bridge "
                                    "(ifconfig), what it listens on (sockstat -j NAME -l) and "
                                    "a Bastille jail's pf rdr rules (pfctl -a rdr/NAME -sn). "
                                    "Nothing runs inside the jail.")
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("--json", action="store_true", help="one JSON object")
    sp = sub.add_parser("proc", help="a process's open files, memory map, environment",
                        description="procstat -f (open files) and -v (memory map, summarised) "
                                    "of process PID, after checking it is still the process "
                                    "ps shows; --env adds procstat -e (host admins only, "
                                    "recorded in the audit log: values may be secrets).")
    sp.add_argument("pid", type=int, metavar="PID")
    sp.add_argument("--env", action="store_true", help="also the environment (host admins)")
    sp.add_argument("--json", action="store_true", help="one JSON object")


def run_net(session: Session, args: argparse.Namespace) -> int:
    check_jail_name(args.name)
    host = session.host
    snap = asyncio.run(host.poll())
    jail = snap.jail(args.name)
    if jail is None or not jail.running:
        print(f'jailtui: net: jail "{visible(args.name)}" is not running', file=sys.stderr)
        return 1
    info = asyncio.run(host.network(jail))
    if args.json:
        print(json.dumps({"jail": jail.name, **dataclasses.asdict(info)}, ensure_ascii=False))
        return 0
    print("\n".join(net_lines(info)))
    return 0


def net_lines(info: NetworkInfo) -> list[str]:
    """The Network section as plain lines (every jail-made text made visible)."""
    out: list[str] = []
    if info.vnet:
        out.append("stack       VNET: its own stack (addresses are set inside the jail)")
        ifaces = info.interfaces
        if ifaces.note:
            out.append(f"interfaces  {visible(ifaces.note, 300)}")
        for i in ifaces.data or []:
            where = (f"epair, host end {visible(i.peer, 32)}"
                     + (f" on {visible(i.bridge, 32)}" if i.bridge else " on no bridge")
                     if i.peer_present else
                     f"its host end {visible(i.peer, 32)} is not on the host" if i.peer else "")
            out.append(f"interface   {visible(i.name, 32)}  {where}".rstrip())
    else:
        addrs = [*info.ip4, *info.ip6]
        out.append("addresses   " + (visible(", ".join(addrs), 512) if addrs else "none"))
    if info.sockets.note:
        out.append(f"listening   {visible(info.sockets.note, 300)}")
    elif not info.sockets.data:
        out.append("listening   nothing")
    for s in info.sockets.data or []:
        pid = s.pid if s.pid is not None else "?"
        out.append(f"listening   {visible(s.proto, 8):<6} {visible(s.local, 48):<22} "
                   f"{visible(s.command, 32)} {pid} {visible(s.user, 32)}")
    if info.rdr is not None:
        if info.rdr.note:
            out.append(f"rdr         {visible(info.rdr.note, 300)}")
        for rule in info.rdr.data or []:
            out.append(f"rdr         {visible(rule, 300)}")
    return out


def run_proc(session: Session, args: argparse.Namespace) -> int:
    snap = asyncio.run(session.host.poll())
    proc = snap.process(args.pid)
    if proc is None:
        print(f"jailtui: proc: {args.pid}: No such process", file=sys.stderr)
        return 1
    parts: list[What] = ["files", "vm"]
    if args.env:
        parts.append("env")
    got = [asyncio.run(session.controller.process_detail(proc, what)) for what in parts]
    if args.json:
        print(json.dumps({"pid": proc.pid, "jail": proc.jail, "command": proc.command,
                          **{g.what: dataclasses.asdict(g) for g in got}}, ensure_ascii=False))
        return 1 if any(g.gone for g in got) else 0
    for g in got:
        print("\n".join(proc_lines(g)))
    return 1 if any(g.gone for g in got) else 0


def proc_lines(got: ProcessDetail) -> list[str]:
    title = {"files": "open files (procstat -f)", "vm": "memory map (procstat -v)",
             "env": "environment (procstat -e)"}[got.what]
    out = [f"-- {title}"]
    if got.note:
        return [*out, visible(got.note, 300)]
    if got.what == "files":
        out += [f"{visible(f.fd, 8):>5} {visible(f.type, 2)} {visible(f.vtype, 2)} "
                f"{visible(f.flags, 8):<8} {visible(f.proto, 4):<3} {visible(f.name, 1024)}"
                for f in got.files]
    elif got.what == "vm":
        out += [f"{human_kib(r):>9} resident {human_kib(m):>9} mapped {n:>3} maps  "
                f"{visible(w, 1024)}" for w, n, m, r in got.vm]
    else:
        out += [visible(e, 4096) for e in got.env]
    return out
