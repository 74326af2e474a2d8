"""``jailtui restore NAME --from SNAPSHOT [--json]``: replace a jail's root with a
known-good snapshot (core/storage/restore.py), each step printed with its time as it
ends, then the total and where everything is."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from jailtui.cli.session import Session
from jailtui.core.storage.restore import Restore, StepResult
from jailtui.core.text import visible


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser(
        "restore", help="replace a jail's root with a known-good ZFS snapshot",
        description="Stop jail NAME through its owner, check it is gone and that nothing "
                    "is mounted under its root, move its dataset aside read-only "
                    "(DATASET.quarantine-UTCTIME, never destroyed), clone SNAPSHOT in its "
                    "place, start it again and check it runs. Each step is printed with "
                    "its time; a failure says where everything is.")
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("--from", dest="snapshot", metavar="SNAPSHOT", required=True,
                    help="the known-good snapshot: its name, DATASET@NAME, or a backup's "
                         "POOL/jailtui-backups/NAME@SNAP (jailtui backup NAME --list)")
    sp.add_argument("--json", action="store_true",
                    help="one JSON document at the end instead of lines as it goes")


def _line(r: StepResult) -> str:
    stamp = time.strftime("%H:%M:%S", time.gmtime(r.started)) + f".{int(r.started % 1 * 1000):03d}"
    mark = "skip" if r.skipped else ("ok" if r.ok else "FAILED")
    return f"{stamp}Z {r.seconds:7.2f}s  {r.step:<15} {mark:<6} {visible(r.message, 600)}"


def run(session: Session, args: argparse.Namespace) -> int:
    def show(r: StepResult) -> None:
        if not args.json:
            print(_line(r), flush=True)

    if not args.json:
        sim = " (SIMULATED FreeBSD host)" if session.target.sim_dir is not None else ""
        print(f"# restore {visible(args.name)} from {visible(args.snapshot)}{sim}", flush=True)
    result = asyncio.run(Restore(session.controller, on_step=show).run(args.name,
                                                                        args.snapshot))
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        print()
    else:
        print(visible(result.summary, 2000), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1
