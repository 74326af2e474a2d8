"""File flags (st_flags) of the simulated host's files, and chflags(1) on them.

Linux has no ``st_flags``, so the simulator records the flags of its files
in the state (``State.flags``: host path -> names). The names, their order
and the ``no`` prefix follow libc's ``strtofflags``/``fflagstostr``
(lib/libc/gen/strtofflags.c): ``fflagstostr`` prints the first (shortest)
name of each set flag, in the table's order, joined by commas; a file
without flags prints as ``-`` in ``ls -lo`` and ``stat -f %Sf``.

What the kernel refuses (ufs_setattr in sys/ufs/ufs/ufs_vnops.c, the same
rule in ZFS): when a file carries ``schg``, ``sappnd`` or ``sunlnk`` and the
securelevel is above 0, no flag of it may change at all (EPERM); inside a
jail, system flags may be changed only with ``allow.chflags``
(docs/freebsd.md 13.2).
"""

from __future__ import annotations

__all__ = ["BITS", "FLAGS", "LOCKING", "ORDER", "SYSTEM", "from_octal", "parse", "run",
           "shown", "to_string"]

import os

from jailtui.core.freebsd.fflags import (
    BITS,
    FLAGS,
    LOCKING,
    ORDER,
    SYSTEM,
    from_octal,
    parse,
    shown,
    to_string,
)
from jailtui.sim import fsdev, kernel
from jailtui.sim import mount as mountmod
from jailtui.sim import zfs_model as zm
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import SimJail, State, Store

USAGE = "usage: chflags [-fhvx] [-R [-H | -L | -P]] flags file ...\n"


def flags_of(st: State, host_path: str) -> list[str]:
    return list(st.flags.get(_norm(host_path), []))


def _norm(path: str) -> str:
    return "/" + "/".join(p for p in path.split("/") if p and p != ".")


def operand(ctx: Ctx, root: str, name: str) -> str:
    """The host path of a file operand: a relative one is resolved from the
    process's working directory on the host (a fixed script enters a directory
    and names ``./FILE``: core/transport/jailfs.py REMOTE_CHFLAGS_SCRIPT), as
    namei(9) does; in a jail, or where the cwd is outside the simulated host,
    from the root as before."""
    if name.startswith("/"):
        return root + _norm(name)
    if not root:
        try:
            cwd = ctx.paths.host(os.getcwd())
        except (ValueError, OSError):
            cwd = "/"
        return _norm(f"{cwd}/{name}")
    return root + _norm("/" + name)


def jail_root(st: State, ctx: Ctx) -> tuple[SimJail | None, str]:
    """The jail a tool runs in and its root ("" on the host)."""
    me = st.jail_by_name(ctx.jail) if ctx.jail is not None else None
    return me, (me.path.rstrip("/") if me is not None else "")


def effective_securelevel(st: State, me: SimJail | None) -> int:
    """The level the kernel tests for a process: its prison's (never below the host's)."""
    if me is None:
        return st.securelevel
    level = kernel.value(st, me, "securelevel")
    return level if isinstance(level, int) else st.securelevel


def run(ctx: Ctx, args: list[str]) -> int:
    """chflags(1): ``chflags [-fhvx] [-R] flags file ...``."""
    try:
        opts, rest = getopt(args, "HLPRfhvx")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(USAGE)
        return 1
    flags = {ch for ch, _ in opts}
    if len(rest) < 2:
        ctx.write_err(USAGE)
        return 1
    spec, files = rest[0], rest[1:]
    if "R" in flags and "h" in flags:  # chflags.c
        ctx.warn("the -R and -h options may not be specified together")
        return 1
    change: tuple[set[str], set[str]] = (set(), set())
    exact: set[str] | None = None
    if spec[:1].isdigit():
        try:
            exact = from_octal(int(spec, 8))
        except ValueError:
            ctx.warn(f"invalid flag: {spec}")
            return 1
    else:
        exact = None
        got = parse(spec)
        if got is None:
            ctx.warn(f"invalid flag: {spec}")
            return 1
        change = got
    rc = 0
    mounts = mountmod.table(ctx) if "x" in flags else None
    with Store(ctx.simdir).write() as st:
        me, root = jail_root(st, ctx)
        level = effective_securelevel(st, me)
        for f in files:
            for host_path, real in _walk(ctx, operand(ctx, root, f), "R" in flags, mounts):
                if not os.path.lexists(real):
                    if "f" not in flags:
                        ctx.warn(f"{f}: No such file or directory")
                    rc = 1
                    continue
                old = set(st.flags.get(host_path, []))
                new = set(exact) if exact is not None else (old | change[0]) - change[1]
                if new == old:
                    continue
                refused = ((old & LOCKING and level > 0)
                           or (me is not None and (old ^ new) & SYSTEM
                               and not kernel.value(st, me, "allow.chflags")))
                if refused:
                    if "f" not in flags:
                        ctx.warn(f"{_shown_path(host_path, root)}: Operation not permitted")
                    rc = 1
                    continue
                if new:
                    st.flags[host_path] = sorted(new, key=lambda n: ORDER[n])
                else:
                    st.flags.pop(host_path, None)
                if "v" in flags:
                    ctx.write(_shown_path(host_path, root) + "\n")
    return rc


def _shown_path(host_path: str, root: str) -> str:
    return host_path[len(root):] or "/" if root else host_path


def _walk(ctx: Ctx, host_path: str, recursive: bool, mounts: list[zm.Mount] | None = None
          ) -> list[tuple[str, str]]:
    """(host path, this machine's path) of the file and, with -R, everything below
    it. chflags.c: -R is an fts(3) walk with FTS_PHYSICAL, where a symlink is FTS_SL
    and skipped (the operand too, which is not followed); ``mounts`` (-x, FTS_XDEV):
    a directory on another simulated file system than the operand's is changed
    but not entered. A directory comes after its entries (changed at FTS_DP)."""
    real = ctx.paths.real(host_path)
    if not recursive:
        return [(host_path, real)]
    if os.path.islink(real):
        return []
    if not os.path.isdir(real):
        return [(host_path, real)]
    out: list[tuple[str, str]] = []
    start = fsdev.holder(mounts, host_path) if mounts is not None else None
    for name in sorted(os.listdir(real)):
        sub = f"{host_path}/{name}"
        if mounts is not None and os.path.isdir(os.path.join(real, name)) \
                and not os.path.islink(os.path.join(real, name)) \
                and fsdev.holder(mounts, sub) != start:
            out.append((sub, os.path.join(real, name)))
            continue
        out += _walk(ctx, sub, True, mounts)
    return [*out, (host_path, real)]  # a directory at FTS_DP, after its entries
