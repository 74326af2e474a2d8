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


def run(session: Session, args: argparse.Namespace) -> int:
    ctl = session.controller
    if args.quarantine_command == "list":
        found = asyncio.run(ctl.quarantine_list(args.name))
        if args.json:
            json.dump({"jail": args.name, "quarantined": [q.to_json() for q in found]},
                      sys.stdout, indent=2)
            print()
            return 0
        if not found:
            print(f"{visible(args.name)}: no quarantined roots")
            return 0
        datasets = [q for q in found if isinstance(q, qmod.Quarantined)]
        if datasets:
            print_table(f"quarantined roots of {visible(args.name)}", ["DATASET", "USED", "MOUNTPOINT", "CHILDREN", "RESTORED FROM IT"],
                        [[visible(q.dataset.name), human_bytes(q.dataset.used),
                          visible(q.dataset.mountpoint), str(len(q.children)),
                          visible(", ".join(q.clones)) or "-"] for q in datasets])
        dirs = [q for q in found if isinstance(q, qmod.QuarantinedDir)]
        if dirs:
            print_table(f"quarantined roots of {visible(args.name)} (directories beside "
                        "its root)", ["DIRECTORY"], [[visible(q.path)] for q in dirs])
        return 0
    target = args.quarantine
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"jailtui: quarantine: {visible(target)} not destroyed: confirm with --yes "
                  "(stdin is not a terminal)", file=sys.stderr)
            return 1
        answer = input(visible(qmod.destroy_question(args.name, target), 600) + " [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not destroyed")
            return 1
    result = asyncio.run(ctl.quarantine_destroy(args.name, target))
    print(visible(result.message, 2000), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1
