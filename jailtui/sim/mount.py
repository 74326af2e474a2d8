"""mount(8) and umount(8) of the simulated host: the mount table, and nullfs mounts.

``mount -p`` prints the table in fstab(5) form, padded with tabs the way
mount.c putfsent() pads it (docs/freebsd.md 12.4); plain ``mount`` prints
``DEVICE on POINT (TYPE, OPTIONS)``. ``mount -t nullfs [-o ro] SRC DST``
adds a mount (a test's or a demo's "host directory mounted into a jail"),
``umount DST`` removes one. The table itself is :func:`zfs_model.mount_table`.
"""

from __future__ import annotations

import os

from jailtui.sim import zfs_model as zm
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Store

_USAGE = ("usage: mount [-adflpruvw] [-F fstab] [-o options] [-t [no]type[,type ...]]\n"
          "       mount [-dfpruvw] special | node\n"
          "       mount [-dfpruvw] [-o options] [-t [no]type[,type ...]] special node\n")


def table(ctx: Ctx) -> list[zm.Mount]:
    store = zm.PoolStore(ctx.simdir)
    with Store(ctx.simdir).read() as st:
        roots = [j.path for j in sorted(st.jails, key=lambda j: j.jid) if not j.dying]
    if not store.exists():
        return zm.mount_table(None, roots)
    with store.read() as pool:
        return zm.mount_table(pool, roots)


def describe(m: zm.Mount) -> str:
    """Plain mount(8)'s ``(TYPE, flags)``: ``local`` for a local file system, the
    flags by name (``read-only``; ``rw`` is not printed; mount.c prmount())."""
    words = [m.fstype]
    if m.fstype in ("ufs", "zfs", "nullfs"):
        words.append("local")
    for opt in m.opts.split(","):
        if opt == "ro":
            words.append("read-only")
        elif opt not in ("rw", ""):
            words.append(opt)
    return ", ".join(words)


def run(ctx: Ctx, args: list[str]) -> int:
    if ctx.prog == "umount":
        return _umount(ctx, args)
    try:
        opts, operands = getopt(args, "adflpruvwF:o:t:")
    except GetoptError as exc:
        ctx.warn(str(exc))
        ctx.write_err(_USAGE)
        return 1
    flags = {o for o, _ in opts}
    fstype = next((a for o, a in opts if o == "t"), "")
    options = next((a for o, a in opts if o == "o"), "")
    if not operands:
        for m in table(ctx):
            if "p" in flags:
                ctx.write(zm.fstab_line(m))
            else:
                ctx.write(f"{m.device} on {m.point} ({describe(m)})\n")
        return 0
    if fstype != "nullfs" or len(operands) != 2:
        ctx.warn(f"{operands[-1]}: Operation not supported by device")
        return 1
    src, dst = operands
    store = zm.PoolStore(ctx.simdir)
    if not store.exists():
        ctx.warn(f"{dst}: Operation not supported by device")
        return 1
    if not os.path.isdir(ctx.paths.real(dst)):
        ctx.warn(f"{dst}: No such file or directory")
        return 1
    with store.write() as pool:
        opts_text = "ro" if "ro" in options.split(",") else "rw"
        pool.mounts.append(zm.Mount(src, dst.rstrip("/") or "/", "nullfs", opts_text))
    return 0


def _umount(ctx: Ctx, args: list[str]) -> int:
    try:
        _opts, operands = getopt(args, "fv")
    except GetoptError as exc:
        ctx.warn(str(exc))
        ctx.write_err("usage: umount [-dfNnv] special ... | node ... | fsid ...\n")
        return 1
    store = zm.PoolStore(ctx.simdir)
    rc = 0
    for op in operands:
        point = op.rstrip("/") or "/"
        if not store.exists():
            ctx.warn(f"{op}: not a file system root directory")
            rc = 1
            continue
        with store.write() as pool:
            hit = next((m for m in pool.mounts if m.fstype == "nullfs" and point in
                        (m.point, m.device)), None)
            if hit is None:
                ctx.warn(f"{op}: not a file system root directory")
                rc = 1
                continue
            pool.mounts.remove(hit)
    return rc
