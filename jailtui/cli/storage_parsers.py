"""The argparse of ``snapshot``, ``restore``, ``diff``, ``backup`` and ``quarantine``.

Defined apart from the commands (cli/snapshot_cmd.py and the others), so
that building the parser, which every invocation does, does not import the
storage layer (ZFS, restore, backup, quarantine) for ``list`` or the console
(issue 18: start; tests/test_import_hygiene.py).
"""

from __future__ import annotations

import argparse

__all__ = ["add_all"]


def add_all(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Every storage subcommand's parser, in the order of the help."""
    add_snapshot(sub)
    add_restore(sub)
    add_diff(sub)
    add_backup(sub)
    add_quarantine(sub)


def add_snapshot(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser(
        "snapshot", help="a jail's ZFS snapshots: list, create, destroy",
        description="The ZFS snapshots of jail NAME's dataset (zfs snapshot -r: its child "
                    "datasets too). 'list' shows them newest first; 'create' takes one "
                    "(default name jailtui-UTCTIME); 'destroy' removes one by name.")
    ssub = sp.add_subparsers(dest="snapshot_command", metavar="list|create|destroy",
                             required=True)
    ls = ssub.add_parser("list", help="the jail's snapshots, newest first")
    ls.add_argument("name", metavar="NAME")
    ls.add_argument("--json", action="store_true", help="one JSON document")
    cr = ssub.add_parser("create", help="take a snapshot (zfs snapshot -r DATASET@SNAPSHOT)")
    cr.add_argument("name", metavar="NAME")
    cr.add_argument("snapshot", metavar="SNAPSHOT", nargs="?", default=None,
                    help="its name (default: jailtui-YYYYMMDDTHHMMSSZ, UTC)")
    de = ssub.add_parser("destroy", help="destroy one (zfs destroy -r DATASET@SNAPSHOT)")
    de.add_argument("name", metavar="NAME")
    de.add_argument("snapshot", metavar="SNAPSHOT", help="its name, with or without DATASET@")


def add_restore(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser(
        "restore", help="replace a jail's root with a known-good ZFS snapshot",
        description="Stop jail NAME through its owner, check it is gone and that nothing "
                    "is mounted under its root, move its dataset aside read-only "
                    "(DATASET.quarantine-UTCTIME, never destroyed), clone SNAPSHOT in its "
                    "place, start it again and check it runs. Each step is printed with "
                    "its time; a failure says where everything is.")
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("--from", dest="snapshot", metavar="SNAPSHOT",
                    help="the known-good snapshot: its name, DATASET@NAME, or a backup's "
                         "POOL/jailtui-backups/NAME@SNAP (jailtui backup NAME --list)")
    sp.add_argument("--discard", action="store_true",
                    help="with --from: zfs rollback -r instead of keeping the current root: "
                         "it and the newer snapshots are destroyed (asks first)")
    sp.add_argument("--yes", action="store_true", help="with --discard: do not ask")
    way = sp.add_mutually_exclusive_group()
    way.add_argument("--swap-back", action="store_true",
                     help="put the quarantined root back (after a start that failed, or to "
                          "undo a restore cut short); the known-good copy is set aside")
    way.add_argument("--resume", action="store_true",
                     help="finish a restore cut short (the console killed mid-flow)")
    way.add_argument("--standby", action="store_true",
                     help="a jail whose root is a directory on UFS: rename the root to "
                          "ROOT.quarantine-UTCTIME (kept) and its standby copy "
                          "ROOT.standby in its place (jailtui backup NAME --standby)")
    sp.add_argument("--json", action="store_true",
                    help="one JSON document at the end instead of lines as it goes")


def add_diff(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def add_backup(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser(
        "backup", help="copy a jail out of its reach (ZFS: POOL/jailtui-backups/NAME; "
                       "UFS: a bsdtar archive in [backup] target)",
        description="Snapshot jail NAME's dataset and its children (zfs snapshot -r "
                    "DATASET@jailtui-UTCTIME) and copy them with zfs send -R | zfs receive "
                    "-u to POOL/jailtui-backups/NAME, incremental when the backup holds a "
                    "snapshot the jail still has. The copy is never mounted and lives "
                    "outside every jail's datasets. Progress goes to stderr; ctrl+c cancels "
                    "and leaves no half-received backup. Restore with: jailtui restore NAME "
                    "--from POOL/jailtui-backups/NAME@SNAPSHOT. A jail whose root is no "
                    "dataset of its own (UFS) is archived with bsdtar --one-file-system "
                    "--numeric-owner, file flags kept, to [backup] target "
                    "(TARGET/jailtui-NAME-UTCTIME.tar, default /var/backups).")
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("--list", action="store_true",
                    help="list the backup's snapshots instead of making one")
    sp.add_argument("--prune", action="store_true",
                    help="make no copy: destroy the console's own snapshots (jailtui-*, "
                         "never a user's) of the jail and of its backup beyond the newest "
                         "--keep N (default [backup] keep); a backup does it by itself when "
                         "[backup] keep is set")
    sp.add_argument("--keep", type=int, metavar="N",
                    help="with --prune: how many to keep (1 or more)")
    sp.add_argument("--standby", action="store_true",
                    help="a jail whose root is a directory on UFS: extract its newest "
                         "archive (or copy the root) into ROOT.standby beside it, on the "
                         "same file system, for jailtui restore NAME --standby")
    sp.add_argument("--json", action="store_true", help="one JSON document at the end")


def add_quarantine(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser(
        "quarantine", help="the roots a restore moved aside: list, destroy",
        description="The quarantined roots of jail NAME (DATASET.quarantine-UTCTIME, kept "
                    "read-only by 'jailtui restore'). 'destroy' removes one with its child "
                    "datasets and snapshots after promoting the restored root that was "
                    "cloned from it (zfs promote); for a UFS root restored from its "
                    "standby copy, one ROOT.quarantine-UTCTIME directory beside it "
                    "(chflags -R, then rm -rf; never the root or the standby); it asks "
                    "first.")
    qsub = sp.add_subparsers(dest="quarantine_command", metavar="list|destroy", required=True)
    ls = qsub.add_parser("list", help="the jail's quarantined roots, oldest first")
    ls.add_argument("name", metavar="NAME")
    ls.add_argument("--json", action="store_true", help="one JSON document")
    de = qsub.add_parser("destroy", help="destroy one (zfs promote, zfs destroy -r)")
    de.add_argument("name", metavar="NAME")
    de.add_argument("quarantine", metavar="QUARANTINE", help="its dataset name; on UFS the directory "
                    "ROOT.quarantine-UTCTIME (as 'list' prints it)")
    de.add_argument("--yes", action="store_true", help="do not ask")
