"""rm(1) of the simulated host's files: ``rm [-f] [-rRx] [--] file ...``.

What the console needs (pruning its own archives: core/storage/backup.py) and
what bin/rm/rm.c does for it: each operand unlinked in turn, a failure said as
``rm: FILE: STRERROR`` (warn(3)) and the others still removed, exit 1 when any
failed. A missing file is ``No such file or directory`` (silent with ``-f``,
which still exits 0 for it); a directory without ``-r`` is ``FILE: is a
directory``; a file with an immutable or append-only flag (schg, uchg, sappnd,
uappnd) cannot be unlinked: unlink(2) EPERM, ``Operation not permitted``
(chflags(1), docs/freebsd.md 13.2). No prompt: rm(1) asks about a write-protected
file only when its stdin is a terminal, and a runner's never is.

``-r``/``-R`` (rm.c ``rm_tree``, what destroying a UFS quarantine uses:
core/storage/quarantine.py): an fts(3) walk with FTS_PHYSICAL, so a symlink is
removed itself and never followed (the operand neither); a directory is removed
after its entries (post-order, rmdir(2)), ``DIR: Directory not empty`` when one
of them stayed. As root (the simulated host's tools run as root) rm clears
``uchg``/``uappnd`` itself before the unlink unless ``schg``/``sappnd`` is set
too. ``-x`` (FTS_XDEV): a directory on another
file system (a mount point in the simulated mount table) is not entered; rmdir(2)
of a mount point fails with EBUSY (``Device busy``), with -x or without. unlink(2)/rmdir(2) are refused (EPERM) for an entry with
immutable/append/nounlink flags or in a directory with immutable or append
flags (ufs_remove, ufs_rmdir in sys/ufs/ufs/ufs_vnops.c). ``-f`` hides only a
missing file: every other failure is still said (``warn("%s", path)``), exit 1.
``.``/``..`` and ``/`` are refused before anything (checkdot, checkslash).
"""

from __future__ import annotations

import os
import stat as statmod

from jailtui.sim import fflags, fsdev
from jailtui.sim import mount as mountmod
from jailtui.sim import zfs_model as zm
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import State, Store

USAGE = ("usage: rm [-f | -i] [-dIPRrvWx] file ...\n"
         "       unlink [-fh] file\n")
#: Flags that make unlink(2) fail with EPERM (sys/stat.h IMMUTABLE|APPEND, NOUNLINK).
_NO_UNLINK = frozenset({"schg", "uchg", "sappnd", "uappnd", "sunlnk", "uunlnk"})
#: Flags of a directory that stop removing entries from it (IMMUTABLE | APPEND).
_LOCKED_DIR = frozenset({"schg", "uchg", "sappnd", "uappnd"})
#: What root's rm clears itself (UF_APPEND | UF_IMMUTABLE), unless a system one is set.
_USER_LOCKS = frozenset({"uchg", "uappnd"})
_SYSTEM_LOCKS = frozenset({"schg", "sappnd"})


def run(ctx: Ctx, args: list[str]) -> int:
    """rm(1); see the module docstring."""
    try:
        opts, files = getopt(args, "frRx")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(USAGE)
        return 1
    chars = {ch for ch, _ in opts}
    force = "f" in chars
    if not files:
        if force:
            return 0
        ctx.write_err(USAGE)
        return 1
    if chars & {"r", "R"}:
        return _rm_tree(ctx, files, force, "x" in chars)
    rc = 0
    with Store(ctx.simdir).write() as st:
        _, root = fflags.jail_root(st, ctx)
        for f in files:
            host_path = fflags.operand(ctx, root, f)
            real = ctx.paths.real(host_path)
            try:
                sb = os.lstat(real)
            except OSError:
                if not force:
                    ctx.warn(f"{f}: No such file or directory")
                    rc = 1
                continue
            if statmod.S_ISDIR(sb.st_mode):
                ctx.warn(f"{f}: is a directory")
                rc = 1
                continue
            if set(fflags.flags_of(st, host_path)) & _NO_UNLINK:
                ctx.warn(f"{f}: Operation not permitted")
                rc = 1
                continue
            try:
                os.unlink(real)
            except OSError as exc:
                ctx.warn(f"{f}: {os.strerror(exc.errno or 1)}")
                rc = 1
                continue
            st.flags.pop(host_path, None)
    return rc


def _checked(ctx: Ctx, files: list[str]) -> tuple[list[str], int]:
    """rm.c checkdot() and checkslash(): ``.``, ``..`` and ``/`` are never removed."""
    rc = 0
    kept = []
    dots = False
    for f in files:
        last = f.rstrip("/").rpartition("/")[2] if f.rstrip("/") else f
        if f and not f.strip("/"):
            ctx.warn('"/" may not be removed')
            rc = 1
        elif last in (".", ".."):
            if not dots:
                ctx.warn('"." and ".." may not be removed')
            dots = True
            rc = 1
        else:
            kept.append(f)
    return kept, rc


def _rm_tree(ctx: Ctx, files: list[str], force: bool, xdev: bool) -> int:
    files, rc = _checked(ctx, files)
    if not files:
        return rc
    mounts = mountmod.table(ctx)
    with Store(ctx.simdir).write() as st:
        _, root = fflags.jail_root(st, ctx)
        for f in files:
            host_path = fflags.operand(ctx, root, f)
            real = ctx.paths.real(host_path)
            if not os.path.lexists(real):
                if not force:
                    ctx.warn(f"{f}: No such file or directory")
                    rc = 1
                continue
            start = fsdev.holder(mounts, host_path)
            if not _remove(ctx, st, mounts, start if xdev else None, host_path,
                           f.rstrip("/") or f):
                rc = 1
    return rc


def _remove(ctx: Ctx, st: State, mounts: list[zm.Mount], start: zm.Mount | None,
            host_path: str, shown: str) -> bool:
    """Remove one entry and, for a directory, what is in it first (fts post-order);
    False when anything stayed (each said as rm.c's warn does)."""
    real = ctx.paths.real(host_path)
    sb = os.lstat(real)
    ok = True
    if statmod.S_ISDIR(sb.st_mode):
        other_fs = start is not None and _mount_point(mounts, host_path) \
            and fsdev.holder(mounts, host_path) != start
        if not other_fs:
            for name in sorted(os.listdir(real)):
                ok = _remove(ctx, st, mounts, start, f"{host_path}/{name}",
                             f"{shown}/{name}") and ok
    flags = set(fflags.flags_of(st, host_path))
    if flags & _USER_LOCKS and not flags & _SYSTEM_LOCKS:
        flags -= _USER_LOCKS
        _set_flags(st, host_path, flags)
    parent = host_path.rpartition("/")[0] or "/"
    if flags & _NO_UNLINK or set(fflags.flags_of(st, parent)) & _LOCKED_DIR:
        ctx.warn(f"{shown}: Operation not permitted")
        return False
    if statmod.S_ISDIR(sb.st_mode) and _mount_point(mounts, host_path):
        ctx.warn(f"{shown}: Device busy")  # rmdir(2) EBUSY: a file system is mounted there
        return False
    try:
        if statmod.S_ISDIR(sb.st_mode):
            os.rmdir(real)
        else:
            os.unlink(real)
    except OSError as exc:
        ctx.warn(f"{shown}: {os.strerror(exc.errno or 1)}")
        return False
    st.flags.pop(host_path, None)
    return ok


def _mount_point(mounts: list[zm.Mount], host_path: str) -> bool:
    return any((m.point.rstrip("/") or "/") == host_path for m in mounts)


def _set_flags(st: State, host_path: str, names: set[str]) -> None:
    if names:
        st.flags[host_path] = sorted(names, key=lambda n: fflags.ORDER[n])
    else:
        st.flags.pop(host_path, None)
