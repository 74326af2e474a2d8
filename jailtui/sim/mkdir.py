"""mkdir(1) of the simulated host: ``mkdir [-p] [-m mode] directory ...``.

As bin/mkdir/mkdir.c does: each operand made in turn, mode 0777 less the umask
unless ``-m`` gives an octal mode (a symbolic one is not simulated: ``invalid
file mode``); a failure is ``mkdir: DIR: STRERROR`` (warn(3), ``File exists``,
``No such file or directory`` for a missing parent) and the others are still
made, exit 1 when any failed; ``-p`` makes the missing parents and is silent
about a directory that exists. Off PATH by default, like ls and rm
(sim/shims.py FILE_TOOLS): everyone's mkdir would become the simulated host's.
"""

from __future__ import annotations

import os

from jailtui.sim import fflags
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Store

USAGE = "usage: mkdir [-pv] [-m mode] directory ...\n"


def run(ctx: Ctx, args: list[str]) -> int:
    try:
        opts, dirs = getopt(args, "m:pv")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(USAGE)
        return 1
    if not dirs:
        ctx.write_err(USAGE)
        return 1
    parents = any(ch == "p" for ch, _ in opts)
    verbose = any(ch == "v" for ch, _ in opts)
    mode = 0o777
    for ch, val in opts:
        if ch == "m":
            if not val or any(c not in "01234567" for c in val):
                ctx.warn(f"invalid file mode: {val}")
                return 1
            mode = int(val, 8) & 0o7777
    rc = 0
    with Store(ctx.simdir).read() as st:
        _, root = fflags.jail_root(st, ctx)
    for d in dirs:
        real = ctx.paths.real(fflags.operand(ctx, root, d))
        try:
            if parents:
                os.makedirs(real, exist_ok=True)
            else:
                os.mkdir(real)
            if any(ch == "m" for ch, _ in opts):
                os.chmod(real, mode)  # -m is the mode itself, not less the umask
        except OSError as exc:
            ctx.warn(f"{d}: {os.strerror(exc.errno or 1)}")
            rc = 1
            continue
        if verbose:
            ctx.write(f"{d}\n")
    return rc
