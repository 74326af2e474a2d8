"""``jailtui quarantine list NAME [--json]``, ``jailtui quarantine destroy NAME
QUARANTINE [--yes]``: the roots a restore moved aside, and destroying one (a
separate, confirmed action: core/storage/quarantine.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from jailtui.cli.output import print_table
from jailtui.cli.session import Session
from jailtui.core.storage import quarantine as qmod
from jailtui.core.text import human_bytes, visible


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser(
        "quarantine", help="the roots a restore moved aside: list, destroy",
        description="The quarantined roots of jail NAME (DATASET.quarantine-UTCTIME, kept "
                    "read-only by 'jailtui restore'). 'destroy' removes one with its child "
                    "datasets and snapshots after promoting the restored root that was "
                    "cloned from it (zfs promote); it asks first.")
    qsub = sp.add_subparsers(dest="quarantine_command", metavar="list|destroy", required=True)
    ls = qsub.add_parser("list", help="the jail's quarantined roots, oldest first")
    ls.add_argument("name", metavar="NAME")
    ls.add_argument("--json", action="store_true", help="one JSON document")
    de = qsub.add_parser("destroy", help="destroy one (zfs promote, zfs destroy -r)")
    de.add_argument("name", metavar="NAME")
    de.add_argument("quarantine", metavar="QUARANTINE", help="its dataset name")
    de.add_argument("--yes", action="store_true", help="do not ask")


def run(session: Session, args: argparse.Namespace) -> int:
    ctl = session.controller
    if args.quarantine_command == "list":
        found = asyncio.run(qmod.quarantined(ctl, args.name))
        if args.json:
            json.dump({"jail": args.name, "quarantined": [q.to_json() for q in found]},
                      sys.stdout, indent=2)
            print()
            return 0
        if not found:
            print(f"{visible(args.name)}: no quarantined roots")
            return 0
        print_table(f"quarantined roots of {visible(args.name)}", ["DATASET", "USED", "MOUNTPOINT", "CHILDREN", "RESTORED FROM IT"],
                    [[visible(q.dataset.name), human_bytes(q.dataset.used),
                      visible(q.dataset.mountpoint), str(len(q.children)),
                      visible(", ".join(q.clones)) or "-"] for q in found])
        return 0
    target = args.quarantine
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"jailtui: quarantine: {visible(target)} not destroyed: confirm with --yes "
                  "(stdin is not a terminal)", file=sys.stderr)
            return 1
        answer = input(f"Destroy {visible(target)}, its child datasets and snapshots (the "
                       f"evidence of {visible(args.name)}'s compromise)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not destroyed")
            return 1
    result = asyncio.run(qmod.destroy(ctl, args.name, target))
    print(visible(result.message, 2000), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1
