"""``jailtui [--sim DIR] sim ...``: create, reset and drive a simulated host.

- ``sim init DIR [--jails N] [--processes P] [--seed S] [--managers LIST]
  [--freebsd 14|15] [--dying-seconds S] [--ps-without-jail-keyword] [--force]``:
  build a host in a new or empty DIR (``--force`` replaces one of ours, never
  anything else: builder.prepare_dir);
- ``sim shims BINDIR``: write jls/ps/jail/... executables for ``--sim DIR``;
- ``sim reset``: rebuild ``--sim DIR`` with its original parameters;
- ``sim fault [KIND [ARG] | --clear [KIND]]``: inject a fault (sim/faults.py),
  list them, or clear them;
- ``sim exec -- ARGV...``: run one command on it with real stdio (``jexec``
  execs a shell rooted at the jail).
"""

from __future__ import annotations

import argparse
import sys

from jailtui.sim.state import NotASimDir


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jailtui sim", description="the simulated FreeBSD host")
    sub = p.add_subparsers(dest="cmd", required=True)
    init = sub.add_parser("init", help="create a simulated host in DIR",
                          description="Build a simulated FreeBSD host in DIR (new or empty; "
                                      "--force replaces one that sim init made, nothing else).")
    init.add_argument("dir")
    init.add_argument("--jails", type=int, default=None,
                      help="number of jails (default: the 8-jail demo host)")
    init.add_argument("--processes", type=int, default=None,
                      help="total processes to reach with worker processes")
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--managers", default=None, metavar="LIST",
                      help="jail managers to lay out, comma-separated: bastille,iocage,"
                           "appjail,pot,ezjail (two jails each; docs/managers.md); 'none' "
                           "for none (default: bastille,iocage on the demo host)")
    init.add_argument("--freebsd", type=int, choices=(14, 15), default=15,
                      help="FreeBSD generation to behave like (default 15): on 14 a jail "
                           "started again while its old self is dying gets a new jid beside "
                           "it; 15 replaces the dying one and has jail -C")
    init.add_argument("--dying-seconds", type=float, default=30.0, metavar="S",
                      help="how long a removed jail stays dying, holding its jid (default 30)")
    init.add_argument("--ps-without-jail-keyword", action="store_true",
                      help="a ps(1) without the 'jail' -o keyword (older releases)")
    init.add_argument("--no-racct", action="store_true",
                      help="a kernel booted with kern.racct.enable=0: rctl refuses every "
                           "request (the default has resource accounting on)")
    init.add_argument("--ufs-dir-jail", action="store_true",
                      help="add the jail 'legacy' whose root is a directory on a UFS disk "
                           "mounted at /ufs (a standby copy beside it can be renamed in: "
                           "jailtui backup legacy --standby)")
    init.add_argument("--force", action="store_true",
                      help="replace the simulated host already in DIR (only one made by "
                           "sim init; any other non-empty DIR is refused)")
    shims = sub.add_parser("shims", help="write tool shims for --sim DIR into BINDIR",
                           description="Write jls, ps, jail, jexec, rctl, service, sysctl, who "
                                       "and kill executables for the host of --sim DIR into "
                                       "BINDIR (put it first on PATH, use --host local).")
    shims.add_argument("bindir")
    sub.add_parser("reset", help="rebuild --sim DIR with the parameters it was built with",
                   description="Rebuild the host of --sim DIR as it was first built (also from "
                               "a corrupt state); prints what it made.")
    co = sub.add_parser("compromise", help="plant an intruder's files in running jail NAME",
                        description="Plant what a demo intruder leaves in jail NAME's root "
                                    "(an SSH key for root, a setuid-root binary, a root "
                                    "crontab, a line in rc.conf), to be found by "
                                    "'jailtui diff' after 'jailtui restore'.")
    co.add_argument("name", metavar="NAME")
    from jailtui.sim.faults import KINDS
    fa = sub.add_parser("fault", help="inject a fault into --sim DIR (full pool, busy dataset "
                                      "...), list or clear them",
                        description="Make the simulated tools fail as FreeBSD's do: "
                                    + "; ".join(f"{k}{' ' + a if a else ''}: {w}"
                                                for k, (a, w) in KINDS.items())
                                    + ". Without KIND: list the active faults.")
    fa.add_argument("kind", metavar="KIND", nargs="?", choices=sorted(KINDS))
    fa.add_argument("arg", metavar="ARG", nargs="?", default="")
    fa.add_argument("--clear", action="store_true",
                    help="remove the faults of KIND (all without KIND)")
    ex = sub.add_parser("exec", help="run ARGV on --sim DIR with real stdio",
                        description="Run one command of the simulated host with this terminal: "
                                    "jailtui --sim DIR sim exec -- jexec -U root web.")
    ex.add_argument("argv", nargs=argparse.REMAINDER)
    return p


def main(global_simdir: str | None, args: list[str]) -> int:
    """Entry point of ``jailtui ... sim ...``; returns the exit code."""
    ns = _parser().parse_args(args)
    if ns.cmd != "init" and global_simdir is None:
        print(f"jailtui sim {ns.cmd}: needs --sim DIR", file=sys.stderr)
        return 2
    try:
        if ns.cmd == "init":
            from jailtui.sim.builder import describe, init_host
            for name, n in (("--jails", ns.jails), ("--processes", ns.processes)):
                if n is not None and n < 0:
                    print(f"jailtui sim init: {name} must be 0 or more", file=sys.stderr)
                    return 2
            from jailtui.sim.managers.layout import parse_managers
            try:
                managers = None if ns.managers is None else parse_managers(ns.managers)
            except ValueError as exc:
                print(f"jailtui sim init: {exc}", file=sys.stderr)
                return 2
            path = init_host(ns.dir, ns.jails, ns.processes, ns.seed, force=ns.force,
                             managers=managers, freebsd=ns.freebsd,
                             dying_seconds=ns.dying_seconds,
                             ps_jail_keyword=not ns.ps_without_jail_keyword,
                             racct=not ns.no_racct, ufs_dir_jail=ns.ufs_dir_jail)
            print(f"simulated host ready in {path}: {describe(path)}")
            return 0
        assert global_simdir is not None  # checked above
        if ns.cmd == "shims":
            from jailtui.sim.shims import write_shims
            for path in write_shims(global_simdir, ns.bindir):
                print(path)
            return 0
        if ns.cmd == "reset":
            from jailtui.sim.builder import describe, reset
            path = reset(global_simdir)
            print(f"simulated host in {path} rebuilt as first built: {describe(path)}")
            return 0
        if ns.cmd == "compromise":
            from jailtui.sim.compromise import CompromiseError, plant
            try:
                for planted in plant(global_simdir, ns.name):
                    print(f"planted {planted}")
            except CompromiseError as exc:
                print(f"jailtui sim compromise: {exc}", file=sys.stderr)
                return 1
            return 0
        if ns.cmd == "fault":
            from jailtui.sim import faults
            from jailtui.sim.state import check_simdir
            check_simdir(global_simdir)
            try:
                if ns.clear:
                    faults.clear(global_simdir, ns.kind)
                elif ns.kind is not None:
                    faults.add(global_simdir, ns.kind, ns.arg)
            except faults.FaultError as exc:
                print(f"jailtui sim fault: {exc}", file=sys.stderr)
                return 2
            for line in faults.describe(global_simdir):
                print(line)
            return 0
        argv = list(ns.argv)
        if argv and argv[0] == "--":
            argv = argv[1:]
        if not argv:
            print("jailtui sim exec: no command", file=sys.stderr)
            return 2
        from jailtui.sim.main import exec_main
        return exec_main(global_simdir, argv)
    except NotASimDir as e:
        print(f"jailtui sim: {e}", file=sys.stderr)
        return 1
