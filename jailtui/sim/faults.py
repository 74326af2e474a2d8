"""Faults a test or a demo injects into the simulated host (``jailtui sim fault``).

Real hosts fail in ways a fresh simulated one never does; the restore flow
must meet each with a clear message and a consistent state. Each fault makes
the simulated tools fail the way FreeBSD's do (libzfs_util.c zfs_standard_error, zfs(8), jail(8)), with
OpenZFS's and jail(8)'s own words:

- ``nospace``: the pool is full. ``zfs snapshot`` and ``zfs clone`` need new
  space and fail with libzfs's EZFS_NOSPC text (``cannot create 'X': out of
  space``); renames and property changes fit in the pool's reserved slop
  space and still work (zfsprops(7), spa_slop_shift in zfs(4)).
- ``vanish SNAP``: another administrator destroys the snapshot between the
  listing and its use: the next ``zfs clone`` or ``zfs rollback`` of a snapshot
  of that short name (or full name) finds it gone (``cannot open 'X': dataset
  does not exist``). One-shot.
- ``busy DATASET``: a host process holds a file open under the dataset's
  mount point: unmounting it fails (``cannot unmount '/path': pool or dataset
  is busy``), so ``zfs rename`` and ``zfs destroy`` of it are refused.
- ``nostop NAME``: the jail's processes do not exit (stuck in an
  uninterruptible wait): ``jail -r`` removes the jail, which stays dying with
  them, and its root stays busy.
- ``rotated FILE``: the jail's newsyslog (or its root) removes the file between
  a listing of its directory and the next ``stat`` of it: stat(1) reports it
  missing (``lstat: No such file or directory``) and exits 1, after describing
  the other files (usr.bin/stat/stat.c). One-shot.
- ``nopf``: pf is not loaded, so ``pfctl`` cannot open /dev/pf (sim/pfctl.py).
- ``nostart NAME``: the jail's ``/etc/rc`` fails, as a broken root's does:
  ``jail -c`` prints ``jail: NAME: /bin/sh /etc/rc: failed`` and removes it.

A mount under a jail's root needs no fault: ``mount -t nullfs`` makes one.
The faults live in ``SIMDIR/faults.json``, replaced atomically.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

FILE = "faults.json"

#: kind -> (what its argument is, or "" for none; what it does).
KINDS: dict[str, tuple[str, str]] = {
    "nospace": ("", "the pool is full: zfs snapshot and zfs clone fail with 'out of space'"),
    "vanish": ("SNAPSHOT", "the snapshot (NAME or DATASET@NAME) is destroyed just before the "
                           "next zfs clone or rollback of it (once)"),
    "busy": ("DATASET", "a host process holds files open under DATASET: unmounting it for "
                        "zfs rename or destroy fails with 'pool or dataset is busy'"),
    "nostop": ("JAIL", "the jail's processes do not exit: jail -r leaves it dying with them"),
    "nostart": ("JAIL", "the jail's /etc/rc fails: jail -c fails and removes it"),
    "rotated": ("FILE", "the file (a host path) is removed just before the next stat of it "
                        "(once), as a log rotated between a listing and the read"),
    "nopf": ("", "pf is not loaded: pfctl fails with '/dev/pf: No such file or directory'"),
}


class FaultError(ValueError):
    """A fault that does not exist, or one given without its argument."""


def _path(simdir: str | os.PathLike[str]) -> Path:
    return Path(simdir) / FILE


def load(simdir: str | os.PathLike[str]) -> dict[str, list[str]]:
    """The active faults: kind -> its arguments ([""] for one without)."""
    try:
        with open(_path(simdir), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): [str(a) for a in v] for k, v in data.items()
            if k in KINDS and isinstance(v, list)}


def _save(simdir: str | os.PathLike[str], faults: dict[str, list[str]]) -> None:
    path = _path(simdir)
    if not faults:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    fd, tmp = tempfile.mkstemp(prefix=".faults.", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(faults, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def add(simdir: str | os.PathLike[str], kind: str, arg: str = "") -> None:
    """Inject one fault."""
    if kind not in KINDS:
        raise FaultError(f"no fault {kind!r}: one of {', '.join(KINDS)}")
    wants = KINDS[kind][0]
    if bool(wants) != bool(arg):
        raise FaultError(f"fault {kind} takes {wants or 'no argument'}")
    faults = load(simdir)
    args = faults.setdefault(kind, [])
    if arg not in args:
        args.append(arg)
    _save(simdir, faults)


def clear(simdir: str | os.PathLike[str], kind: str | None = None) -> None:
    """Remove one kind of fault, or all. Processes a ``nostop`` held in a dying jail
    exit now (what they waited for came back)."""
    faults = load(simdir)
    if kind is None:
        faults = {}
    else:
        faults.pop(kind, None)
    _save(simdir, faults)
    from jailtui.sim.state import Store

    stuck = set(faults.get("nostop", []))
    with Store(simdir).write() as st:
        dying = {j.jid for j in st.jails if j.dying and j.name not in stuck}
        if dying and any(p.jid in dying for p in st.procs):
            st.procs = [p for p in st.procs if p.jid not in dying]


def active(simdir: str | os.PathLike[str], kind: str, arg: str = "") -> bool:
    return arg in load(simdir).get(kind, [])


def consume(simdir: str | os.PathLike[str], kind: str, *candidates: str) -> str | None:
    """A one-shot fault matching one of ``candidates``: removed, and returned."""
    faults = load(simdir)
    args = faults.get(kind, [])
    hit = next((c for c in candidates if c in args), None)
    if hit is None:
        return None
    args.remove(hit)
    if not args:
        del faults[kind]
    _save(simdir, faults)
    return hit


def describe(simdir: str | os.PathLike[str]) -> list[str]:
    """One line per active fault, for ``sim fault`` without arguments."""
    return [f"{kind} {arg}".rstrip() + f": {KINDS[kind][1]}"
            for kind, args in sorted(load(simdir).items()) for arg in args]
