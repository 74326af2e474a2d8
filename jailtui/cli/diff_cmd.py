"""``jailtui diff NAME QUARANTINE [--json]``: what changed in a quarantined root since
its known-good snapshot (core/storage/changes.py), flagged changes first."""

from __future__ import annotations

import argparse
import asyncio
import json
import stat
import sys

from jailtui.cli.session import Session
from jailtui.core.storage.changes import KINDS, Change, what_changed
from jailtui.core.text import visible


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser(
        "diff", help="what changed in a quarantined root since its known-good snapshot",
        description="Compare jail NAME's quarantined root (DATASET.quarantine-UTCTIME, left "
                    "by 'jailtui restore') with the snapshot the jail was restored from "
                    "(zfs diff, its child datasets too): setuid files, new files in /etc, "
                    "/usr/local/etc and /root, crontabs and rc.d scripts first, then every "
                    "change by directory. A jail on UFS: QUARANTINE is the directory "
                    "ROOT.quarantine-UTCTIME its old root was moved to, compared with the "
                    "root in place by a walk of both (size, mtime, mode, flags, SHA-256; "
                    "no link followed).")
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("quarantine", metavar="QUARANTINE",
                    help="the quarantined dataset (its full name, or its last component); on "
                         "UFS the directory ROOT.quarantine-UTCTIME")
    sp.add_argument("--json", action="store_true", help="one JSON document")


def _line(c: Change) -> str:
    path = visible(c.rel, 400) + (f" -> {visible(c.new_rel, 400)}" if c.new_rel else "")
    mode = f" {stat.S_IMODE(c.mode):04o}" if c.mode is not None else ""
    flags = f"  [{', '.join(c.flags)}]" if c.flags else ""
    return f"  {c.kind} {c.ftype}{mode:>5}  {path}{flags}"


def run(session: Session, args: argparse.Namespace) -> int:
    report = asyncio.run(what_changed(session.controller, args.name, args.quarantine))
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        print()
        return 0
    sim = " (SIMULATED FreeBSD host)" if session.target.sim_dir is not None else ""
    print(f"# {visible(report.quarantine)} since {visible(report.snapshot)}{sim}")
    counts = {k: sum(1 for c in report.changes if c.kind == k) for k in KINDS}
    print("  " + ", ".join(f"{n} {KINDS[k]}" for k, n in counts.items()) +
          f"; {len(report.flagged)} flagged")
    if report.flagged:
        print("flagged:")
        for c in report.flagged:
            print(_line(c))
    for directory, changes in report.groups():
        print(f"{visible(directory, 400)}:")
        for c in changes:
            print(_line(c))
    return 0
