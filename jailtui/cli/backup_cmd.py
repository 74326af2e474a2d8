"""``jailtui backup NAME [--list] [--standby] [--json]``: copy a jail's datasets out of
its reach (core/storage/backup.py), progress on stderr as it goes, ctrl+c cancels;
``--list`` shows the backup's snapshots (what ``restore NAME --from BACKUP`` takes);
``--standby`` makes a UFS root's standby copy beside it (core/storage/standby.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time

from jailtui.cli.output import print_table
from jailtui.cli.session import Session
from jailtui.core.storage import backup as backupmod
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.storage.pipe import Progress
from jailtui.core.text import human_bytes, visible


def _list(session: Session, args: argparse.Namespace) -> int:
    snaps = snapmod.Snapshots(session.controller)
    where = asyncio.run(snaps.locate(args.name))
    if where is not None and where.dataset is None:
        from jailtui.core.config.settings import load_settings

        target = load_settings(args.config).backup_target
        raise backupmod.BackupError(
            f"{args.name}: its root is no ZFS dataset of its own ({where.summary()}): its "
            f"backups are bsdtar archives {target}/jailtui-{args.name}-UTCTIME.tar")
    if where is None or where.dataset is None:
        raise backupmod.BackupError(snapmod.not_on_zfs(args.name, where).replace(
            "no snapshots", "no ZFS backup"))
    target = backupmod.backup_dataset(where.dataset.name, args.name)
    datasets, _ = asyncio.run(snapmod.read_tables(session.controller.host.runner))
    found = [] if target not in {d.name for d in datasets} else asyncio.run(
        snapmod.list_of(session.controller.host.runner, target))
    now = time.time()
    if args.json:
        json.dump({"jail": args.name, "backup": target if found else None,
                   "snapshots": [snapmod.snapshot_json(s, now) for s in found]},
                  sys.stdout, indent=2)
        print()
        return 0
    if not found:
        print(f"{visible(args.name)}: no backup ({visible(target)} does not exist): "
              f"make one with: jailtui backup {visible(args.name)}")
        return 0
    rows = [[visible(s.name), snapmod.utc_text(s.creation), snapmod.age_text(now - s.creation),
             human_bytes(s.refer)] for s in found]
    print_table(f"backup of {visible(args.name)} ({visible(target)}), newest first",
                ["NAME", "CREATED (UTC)", "AGE", "REFER"], rows, right=(2, 3), shrink=(0,))
    return 0


def _prune(session: Session, args: argparse.Namespace, keep: int, target: str) -> int:
    plan = asyncio.run(backupmod.prune_plan(session.controller, args.name, keep,
                                            target_dir=target))
    result = asyncio.run(backupmod.prune(session.controller, plan)) if plan.any else None
    if args.json:
        json.dump({"jail": args.name, "keep": keep, "pruned": plan.names if result and
                   result.ok else [], "held": plan.held,
                   "message": result.message if result else plan.text()}, sys.stdout, indent=2)
        print()
    else:
        print(visible(result.message if result else plan.text(), 2000),
              file=sys.stdout if result is None or result.ok else sys.stderr)
    return 0 if result is None or result.ok else 1


def run(session: Session, args: argparse.Namespace) -> int:
    if args.list:
        return _list(session, args)

    from jailtui.core.config.settings import load_settings

    settings = load_settings(args.config)
    target = settings.backup_target
    if args.standby and args.prune:
        print("jailtui: backup: --standby and --prune do not go together", file=sys.stderr)
        return 2
    if args.keep is not None and not args.prune:
        print("jailtui: backup: --keep goes with --prune", file=sys.stderr)
        return 2
    if args.prune:
        keep = args.keep if args.keep is not None else settings.backup_keep
        if keep <= 0:
            print("jailtui: backup: --prune needs --keep N (1 or more) or [backup] keep in "
                  "config.toml", file=sys.stderr)
            return 2
        return _prune(session, args, keep, target)

    def show(p: Progress) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\r{backupmod.progress_text(p)}   ", end="", file=sys.stderr, flush=True)

    async def go() -> backupmod.BackupResult:
        cancel = asyncio.Event()
        loop = asyncio.get_running_loop()
        # ctrl+c: stop both commands and clean up, instead of dying mid-receive.
        loop.add_signal_handler(signal.SIGINT, cancel.set)
        try:
            if args.standby:
                from jailtui.core.storage import standby

                return await standby.make(session.controller, args.name, None, target,
                                          show, cancel)
            return await backupmod.Backup(session.controller, on_progress=show,
                                          target_dir=target).run(args.name, cancel)
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    result = asyncio.run(go())
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    pruned = None
    if result.ok and settings.backup_keep > 0 and not args.standby:
        # The rule ([backup] keep): after a backup, the console's own beyond N go
        # (snapshots on ZFS, jailtui-NAME-*.tar archives in the target on UFS).
        plan = asyncio.run(backupmod.prune_plan(session.controller, args.name,
                                                settings.backup_keep, target_dir=target))
        pruned = (asyncio.run(backupmod.prune(session.controller, plan)).message
                  if plan.any else "")
    if args.json:
        doc = result.to_json()
        if pruned is not None:
            doc["pruned"] = pruned
        json.dump(doc, sys.stdout, indent=2)
        print()
    else:
        print(visible(result.message, 2000), file=sys.stdout if result.ok else sys.stderr)
        if pruned:
            print(visible(pruned, 2000))
    return 0 if result.ok else 1
