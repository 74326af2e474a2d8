"""What changed in a quarantined root since its known-good snapshot (``jailtui diff``).

``zfs diff -FH QUARANTINE@SNAP QUARANTINE`` for the quarantined dataset and each
of its children (docs/freebsd.md 12.5), parsed from its tab-separated lines, then
sorted the way someone looking for an intruder reads it: setuid files, new files
in ``/etc``, ``/usr/local/etc`` and ``/root``, crontabs and rc.d scripts first
(with the reason), then everything else grouped by directory.

The known-good snapshot is the one the jail's current root was cloned from
(its ``origin``), else the quarantine's newest. Only a quarantine of the jail's
own dataset is read (``DATASET.quarantine-...``): a delegate sees nothing else.
File modes (setuid) are read from the host side through core/transport/jailfs.py,
never following a link out of the root, never executing anything.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from dataclasses import dataclass, field

from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Action
from jailtui.core.errors import ParseError
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.model import Jail
from jailtui.core.storage import snapshots as snapmod
from jailtui.core.transport import jailfs

COMMAND = "zfs diff"
DIFF_TIMEOUT = 300.0

#: Change types of zfs diff.
KINDS = {"+": "added", "-": "removed", "M": "modified", "R": "renamed"}
#: Where a new file is worth a look first (jail-relative prefixes) and why.
WATCHED_DIRS = (("/etc/", "new in /etc"), ("/usr/local/etc/", "new in /usr/local/etc"),
                ("/root/", "new in /root"))
CRON = ("/var/cron/tabs/", "/etc/crontab", "/etc/cron.d/")
RC_D = ("/etc/rc.d/", "/usr/local/etc/rc.d/")


@dataclass(frozen=True, slots=True)
class Change:
    """One line of zfs diff, with the path inside the jail and why it is flagged."""

    kind: str
    ftype: str
    #: Host paths as zfs diff prints them (under the quarantine's mount point).
    path: str
    new_path: str = ""
    #: Jail-relative paths (``/etc/rc.conf``).
    rel: str = ""
    new_rel: str = ""
    mode: int | None = None
    flags: tuple[str, ...] = ()

    @property
    def shown_rel(self) -> str:
        return self.new_rel or self.rel

    def to_json(self) -> dict[str, object]:
        return {"change": KINDS.get(self.kind, self.kind), "type": self.ftype,
                "path": self.rel, "new_path": self.new_rel or None, "host_path": self.path,
                "mode": None if self.mode is None else f"{stat.S_IMODE(self.mode):04o}",
                "flags": list(self.flags)}


@dataclass
class ChangeReport:
    jail: str
    quarantine: str
    snapshot: str
    mountpoint: str
    changes: list[Change] = field(default_factory=list)

    @property
    def flagged(self) -> list[Change]:
        return [c for c in self.changes if c.flags]

    def groups(self) -> list[tuple[str, list[Change]]]:
        """The unflagged changes by directory (jail-relative), in path order."""
        out: dict[str, list[Change]] = {}
        for c in self.changes:
            if c.flags:
                continue
            rel = c.shown_rel
            d = rel.rsplit("/", 1)[0] or "/" if c.ftype != "/" else rel or "/"
            out.setdefault(d, []).append(c)
        return sorted(out.items())

    def to_json(self) -> dict[str, object]:
        return {"jail": self.jail, "quarantine": self.quarantine, "snapshot": self.snapshot,
                "mountpoint": self.mountpoint,
                "flagged": [c.to_json() for c in self.flagged],
                "changes": [c.to_json() for c in self.changes]}


def unescape(text: str) -> str:
    """Undo stream_bytes(): ``\\NNNN`` (four octal digits) is one byte."""
    out = bytearray()
    i = 0
    raw = text.encode("utf-8", "surrogateescape")
    while i < len(raw):
        digits = raw[i + 1:i + 5]
        if raw[i] == 0x5C and len(digits) == 4 and all(0x30 <= b <= 0x37 for b in digits):
            out.append(int(digits, 8) & 0xFF)
            i += 5
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "surrogateescape")


def parse_diff(data: bytes) -> list[Change]:
    """The lines of ``zfs diff -FH``: ``TYPE<TAB>FTYPE<TAB>PATH[<TAB>NEWPATH]``."""
    text = data.decode("utf-8", "surrogateescape")
    if not text:
        return []
    if not text.endswith("\n"):
        raise ParseError(COMMAND, "output cut short (no newline after the last line)")
    out = []
    for i, line in enumerate(text[:-1].split("\n"), 1):
        f = line.split("\t")
        if len(f) < 3 or f[0] not in KINDS or len(f) != (4 if f[0] == "R" else 3):
            raise ParseError(COMMAND, f"line {i}: not a zfs diff -FH line: {line[:80]!r}")
        if len(f[1]) != 1 or not f[2].startswith("/"):
            raise ParseError(COMMAND, f"line {i}: bad file type or path: {line[:80]!r}")
        out.append(Change(f[0], f[1], unescape(f[2]), unescape(f[3]) if len(f) == 4 else ""))
    return out


def flags_of(c: Change) -> tuple[str, ...]:
    """Why a change is worth a look first."""
    out: list[str] = []
    rel = c.shown_rel
    if c.kind in "+MR" and c.mode is not None and stat.S_ISREG(c.mode) and \
            c.mode & (stat.S_ISUID | stat.S_ISGID):
        out.append("setuid" if c.mode & stat.S_ISUID else "setgid")
    if c.kind in "+R" and c.ftype != "/":
        out += [why for prefix, why in WATCHED_DIRS if rel.startswith(prefix)]
    if c.kind != "-" and any(rel.startswith(p) or rel == p.rstrip("/") for p in CRON) and \
            c.ftype != "/":
        out.append("crontab")
    if c.kind != "-" and any(rel.startswith(p) for p in RC_D) and c.ftype != "/":
        out.append("rc.d script")
    return tuple(out)


def _rel(path: str, mountpoint: str) -> str:
    base = mountpoint.rstrip("/")
    if path == base or path == base + "/":
        return "/"
    return path[len(base):] if path.startswith(base + "/") else path


def classify(changes: Iterable[Change], mountpoint: str, offset: str,
             local_root: str | None) -> list[Change]:
    """Jail-relative paths, modes (from the host side) and flags; flagged first."""
    out = []
    for c in changes:
        rel = offset + _rel(c.path, mountpoint) if _rel(c.path, mountpoint) != "/" else (
            offset or "/")
        new_rel = (offset + _rel(c.new_path, mountpoint)) if c.new_path else ""
        mode = None
        if local_root is not None and c.kind != "-" and c.ftype == "F":
            mode = jailfs.mode_under_root(local_root, (new_rel or rel).lstrip("/"))
        done = Change(c.kind, c.ftype, c.path, c.new_path, rel, new_rel, mode)
        out.append(Change(done.kind, done.ftype, done.path, done.new_path, done.rel,
                          done.new_rel, done.mode, flags_of(done)))
    return sorted(out, key=lambda c: (not c.flags, c.shown_rel))


async def what_changed(controller: Controller, name: str, quarantine: str,
                       expect: Jail | None = None) -> ChangeReport:
    """The report for jail ``name``'s quarantined copy ``quarantine`` (a VIEW)."""
    snaps = snapmod.Snapshots(controller)
    where = await snaps.locate(name, expect)
    if where is not None and where.dataset is None and where.fstype != "zfs":
        return await _ufs_changes(controller, name, quarantine, where.root)
    if where is None or where.dataset is None:
        raise snapmod.StorageError(snapmod.not_on_zfs(name, where))
    ds = where.dataset
    qname = quarantine if "/" in quarantine else f"{ds.name.rsplit('/', 1)[0]}/{quarantine}"
    if not qname.startswith(f"{ds.name}.quarantine-") or "/" in qname[len(ds.name):]:
        controller.record(Action.VIEW, name, None, "denied: not its quarantine",
                          f"diff {qname[:200]}")
        raise snapmod.StorageError(f"{quarantine[:200]} is not a quarantined copy of {name} "
                                   f"({ds.name}.quarantine-...)")
    datasets, _mounts = await snapmod.read_tables(snaps.runner)
    tree = sorted((d for d in datasets if d.name == qname or d.name.startswith(qname + "/")),
                  key=lambda d: d.name)
    if not tree:
        raise snapmod.StorageError(f"{qname}: no such dataset")
    top = tree[0]
    if ds.origin.startswith(qname + "@"):
        short = ds.origin.split("@", 1)[1]
    else:
        own = await snapmod.list_of(snaps.runner, qname)
        if not own:
            raise snapmod.StorageError(f"{qname} has no snapshot to compare with")
        short = own[0].short
    # None on a remote host: modes are then not read (nothing flagged setuid there).
    local_root = controller.host.files.local_path(top.mountpoint)
    report = ChangeReport(name, qname, f"{qname}@{short}", top.mountpoint)
    for d in tree:
        res = await snaps.runner.run(argvmod.zfs_diff_argv(f"{d.name}@{short}", d.name),
                                     timeout=DIFF_TIMEOUT)
        if res.returncode != 0:
            raise tool_error(res)
        offset = d.mountpoint[len(top.mountpoint.rstrip("/")):] if d is not top else ""
        report.changes += classify(parse_diff(res.stdout), d.mountpoint, offset, local_root)
    report.changes.sort(key=lambda c: (not c.flags, c.shown_rel))
    return report


def ufs_quarantine_names(root: str, names: Iterable[str]) -> list[str]:
    """The paths of ``ROOT.quarantine-*`` among ``names`` (the entries of the root's
    parent directory), oldest first: the UTC stamp in the name orders them."""
    base = root.rstrip("/")
    parent, _, leaf = base.rpartition("/")
    prefix = f"{leaf}.quarantine-"
    return [f"{parent}/{n}" for n in sorted(set(names))
            if n.startswith(prefix) and len(n) > len(prefix) and "/" not in n]


async def ufs_quarantines(controller: Controller, name: str,
                          expect: Jail | None = None) -> list[str]:
    """A UFS jail's roots kept aside beside its root (``ROOT.quarantine-*``, what
    ``jailtui restore NAME --standby`` and the by-hand way leave), listed from the host
    side with ``ls -1 --`` of the parent directory, oldest first; a VIEW of the jail
    (the same gate as :func:`what_changed`). Empty for a root on a ZFS dataset (its
    quarantines are datasets) or one whose parent cannot be listed."""
    where = await snapmod.Snapshots(controller).locate(name, expect)
    if where is None or where.dataset is not None or where.fstype == "zfs":
        return []
    base = where.root.rstrip("/")
    parent = base.rpartition("/")[0] or "/"
    res = await controller.host.runner.run(argvmod.ls_names_argv(parent),
                                           timeout=snapmod.LIST_TIMEOUT)
    if res.returncode != 0:
        return []
    return ufs_quarantine_names(base, res.stdout.decode("utf-8", "surrogateescape")
                                .split("\n"))


async def _ufs_changes(controller: Controller, name: str, quarantine: str,
                       root: str) -> ChangeReport:
    """A UFS root kept aside by hand (``ROOT.quarantine-UTCTIME``, a directory beside
    the root) against the root now in place: a walk of both (core/storage/treediff.py),
    off the event loop; a VIEW of the jail, only a quarantine of its own root."""
    import asyncio

    from jailtui.core.storage import treediff

    base = root.rstrip("/")
    q = quarantine.rstrip("/")
    if not q.startswith(f"{base}.quarantine-") or "/" in q[len(base):]:
        controller.record(Action.VIEW, name, None, "denied: not its quarantine",
                          f"diff {q[:200]}")
        raise snapmod.StorageError(f"{quarantine[:200]} is not a quarantined copy of {name}'s "
                                   f"root ({base}.quarantine-UTCTIME, beside it)")
    files = controller.host.files
    good, suspect = files.local_path(base), files.local_path(q)
    if good is None or suspect is None:
        raise snapmod.StorageError(f"{name}: the walk of a UFS root reads the host's files "
                                   "from this machine: not over SSH (run jailtui there)")
    try:
        found = await asyncio.to_thread(treediff.compare, good, suspect)
    except OSError as exc:
        raise treediff.TreeDiffError(f"{q}: {exc.strerror or exc}") from None
    report = ChangeReport(name, q, base, q)
    changes = [Change(kind, ftype, q + rel, "", rel, "",
                      jailfs.mode_under_root(suspect, rel.lstrip("/"))
                      if kind != "-" and ftype == "F" else None)
               for kind, ftype, rel in found]
    report.changes = sorted((Change(c.kind, c.ftype, c.path, "", c.rel, "", c.mode,
                                    flags_of(c)) for c in changes),
                            key=lambda c: (not c.flags, c.shown_rel))
    return report
