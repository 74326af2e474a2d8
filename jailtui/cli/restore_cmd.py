"""``jailtui restore NAME --from SNAPSHOT [--discard [--yes]] [--json]``,
``jailtui restore NAME --swap-back | --resume | --standby`` (a UFS root, its standby
copy renamed in: core/storage/standby.py): replace a jail's root with a
known-good snapshot (core/storage/restore.py), each step printed with its time as it
ends, then the total and where everything is; put the old root back after a start
that failed, or finish a run cut short."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from jailtui.cli.session import Session
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.storage.restore import Restore, RestoreResult, StepResult, discard_loss
from jailtui.core.text import visible


def _line(r: StepResult) -> str:
    stamp = time.strftime("%H:%M:%S", time.gmtime(r.started)) + f".{int(r.started % 1 * 1000):03d}"
    mark = "skip" if r.skipped else ("ok" if r.ok else "FAILED")
    return f"{stamp}Z {r.seconds:7.2f}s  {r.step:<15} {mark:<6} {visible(r.message, 600)}"


def _what_is_lost(session: Session, name: str, snapshot: str) -> list[str]:
    """The newer snapshots a ``zfs rollback -r`` destroys, newest first."""
    listing = asyncio.run(snapmod.Snapshots(session.controller).listing(name))
    shorts = [s.short for s in listing.snapshots]
    short = snapshot.split("@", 1)[-1]
    return shorts[:shorts.index(short)] if short in shorts else []


def run(session: Session, args: argparse.Namespace) -> int:
    def show(r: StepResult) -> None:
        if not args.json:
            print(_line(r), flush=True)

    sim = " (SIMULATED FreeBSD host)" if session.target.sim_dir is not None else ""
    flow = Restore(session.controller, on_step=show)
    name = args.name
    if args.standby:
        if args.snapshot or args.discard:
            print("jailtui: restore: --standby takes no --from/--discard", file=sys.stderr)
            return 2
        from jailtui.core.storage.standby import StandbySwap

        if not args.json:
            print(f"# restore {visible(name)} from its standby copy{sim}", flush=True)
        return _end(args, asyncio.run(StandbySwap(session.controller, on_step=show)
                                      .run_standby(name)))
    if args.swap_back or args.resume:
        if args.snapshot or args.discard:
            print("jailtui: restore: --swap-back and --resume take no --from/--discard",
                  file=sys.stderr)
            return 2
        verb = "swap back" if args.swap_back else "finish the restore of"
        if not args.json:
            print(f"# {verb} {visible(name)}{sim}", flush=True)
        return _end(args, asyncio.run(flow.swap_back(name) if args.swap_back
                                      else flow.resume(name)))
    if not args.snapshot:
        print("jailtui: restore: --from SNAPSHOT is needed (or --swap-back, --resume)",
              file=sys.stderr)
        return 2
    if args.discard and not args.yes:
        try:
            lost = _what_is_lost(session, name, args.snapshot)
        except JailtuiError as exc:
            print(f"jailtui: restore: {visible(describe(exc), 2000)}", file=sys.stderr)
            return 1
        what = discard_loss(name, args.snapshot, lost)
        if not sys.stdin.isatty():
            print(f"jailtui: restore: --discard: {what}: confirm with --yes (stdin is not a "
                  "terminal)", file=sys.stderr)
            return 1
        answer = input(f"Discard: {what}. Roll back? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not rolled back")
            return 1
    if not args.json:
        how = " discarding the current root" if args.discard else ""
        print(f"# restore {visible(name)} from {visible(args.snapshot)}{how}{sim}", flush=True)
    return _end(args, asyncio.run(flow.run(name, args.snapshot, discard=args.discard)))


def _end(args: argparse.Namespace, result: RestoreResult) -> int:
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        print()
    else:
        print(visible(result.summary, 2000), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1
