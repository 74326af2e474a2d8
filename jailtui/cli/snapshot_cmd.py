"""``jailtui snapshot list|create|destroy NAME [SNAPSHOT] [--json]``.

Through core/storage/snapshots.py (the gate, the audit): ``list`` reads,
``create`` and ``destroy`` are the ``snapshot`` action. Names and tool text
are printed through visible().
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from jailtui.cli.output import print_table
from jailtui.cli.session import Session
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.text import human_bytes, visible


def run(session: Session, args: argparse.Namespace) -> int:
    snaps = snapmod.Snapshots(session.controller)
    if args.snapshot_command == "list":
        result = asyncio.run(snaps.listing(args.name))
        now = time.time()
        if args.json:
            json.dump({"jail": args.name, "storage": snapmod.storage_json(result.where),
                       "snapshots": [snapmod.snapshot_json(s, now) for s in result.snapshots]},
                      sys.stdout, indent=2)
            print()
            return 0
        rows = [[visible(s.name), snapmod.utc_text(s.creation),
                 snapmod.age_text(now - s.creation), human_bytes(s.used),
                 human_bytes(s.refer)] for s in result.snapshots]
        sim = " (SIMULATED FreeBSD host)" if session.target.sim_dir is not None else ""
        print(f"# {visible(args.name)}: {visible(result.where.summary())}{sim}")
        if not rows:
            print(f"no snapshots of {visible(result.where.device)}")
            return 0
        print_table(f"snapshots of {visible(result.where.device)}, newest first",
                    ["NAME", "CREATED (UTC)", "AGE", "USED", "REFER"], rows, right=(2, 3, 4),
                    shrink=(0,))
        return 0
    if args.snapshot_command == "create":
        from jailtui.core.config.settings import load_settings

        keep = load_settings(args.config).backup_keep
        res = asyncio.run(snaps.create(args.name, args.snapshot, keep=keep))
    else:
        res = asyncio.run(snaps.destroy(args.name, args.snapshot))
    if not res.ok:
        for line in res.message.strip().splitlines():
            print(visible(line), file=sys.stderr)
        return 1
    print(visible(res.message))
    return 0
