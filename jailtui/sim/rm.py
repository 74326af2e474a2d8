"""rm(1) of the simulated host's files: ``rm [-f] [--] file ...``, no ``-r``.

What the console needs (pruning its own archives: core/storage/backup.py) and
what bin/rm/rm.c does for it: each operand unlinked in turn, a failure said as
``rm: FILE: STRERROR`` (warn(3)) and the others still removed, exit 1 when any
failed. A missing file is ``No such file or directory`` (silent with ``-f``,
which still exits 0 for it); a directory without ``-r`` is ``FILE: is a
directory``; a file with an immutable or append-only flag (schg, uchg, sappnd,
uappnd) cannot be unlinked: unlink(2) EPERM, ``Operation not permitted``
(chflags(1), docs/freebsd.md 13.2). No prompt: rm(1) asks about a write-protected
file only when its stdin is a terminal, and a runner's never is.
"""

from __future__ import annotations

import os
import stat as statmod

from jailtui.sim import fflags
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Store

USAGE = ("usage: rm [-f | -i] [-dIPRrvWx] file ...\n"
         "       unlink [-fh] file\n")
#: Flags that make unlink(2) fail with EPERM (sys/stat.h IMMUTABLE|APPEND, NOUNLINK).
_NO_UNLINK = frozenset({"schg", "uchg", "sappnd", "uappnd", "sunlnk", "uunlnk"})


def run(ctx: Ctx, args: list[str]) -> int:
    """rm(1) without recursion; see the module docstring."""
    try:
        opts, files = getopt(args, "f")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(USAGE)
        return 1
    force = any(ch == "f" for ch, _ in opts)
    if not files:
        if force:
            return 0
        ctx.write_err(USAGE)
        return 1
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
