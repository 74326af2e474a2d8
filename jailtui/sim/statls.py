"""stat(1) ``-f FORMAT`` and ``ls -lo`` of the simulated host's files, with their flags.

Sizes, link counts and times are this machine's; owners print as root and
wheel (the simulated host's files are root's); the flags come from the
state (sim/fflags.py). stat(1) without ``-L`` describes a symlink itself
(lstat(2)); a missing file is ``stat: PATH: stat: No such file or
directory`` and exit 1, the other files still printed (usr.bin/stat/stat.c).
``ls -lo`` prints the flags column between group and size, ``-`` for none
(bin/ls/print.c printlong; docs/freebsd.md 13.2).
"""

from __future__ import annotations

import contextlib
import os
import stat as statmod
import sys
import time

from jailtui.sim import faults, fflags
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Store

STAT_USAGE = ("usage: stat [-FLnq] [-f format | -l | -r | -s | -x] [-t timefmt] "
              "[file|handle ...]\n")
#: stat(1)'s default when no -f is given is long; the simulator prints the
#: parts this project reads (name and flags) in the -f syntax.
DEFAULT_FORMAT = "%N %Sf"


def _format(fmt: str, name: str, st: os.stat_result, flags: list[str],
            dev: int = 0) -> str:
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        spec = fmt[i + 1:i + 3]
        if spec == "Sf":
            out.append(fflags.shown(flags))
            i += 3
            continue
        one = fmt[i + 1:i + 2]
        i += 2
        if one == "N":
            out.append(name)
        elif one == "n":
            out.append("\n")
        elif one == "t":
            out.append("\t")
        elif one == "%":
            out.append("%")
        elif one == "f":
            out.append(str(sum(fflags.BITS[f] for f in flags if f in fflags.BITS)))
        elif one == "m":
            out.append(str(int(st.st_mtime)))
        elif one == "d":
            # The simulated file system's number (sim/fsdev.py), not this machine's.
            out.append(str(dev))
        elif one == "i":
            out.append(str(st.st_ino))
        elif one == "z":
            out.append(str(st.st_size))
        else:
            out.append("%" + one)
    return "".join(out)


#: stat(1)'s options (usr.bin/stat/stat.c getopt "FHLlf:nqrst:x"); what the
#: simulator does not model -H (a file handle): it goes to this machine's stat too.
STAT_OPTIONS = "FLlnqrsxf:t:"


def foreign_stat_argv(args: list[str]) -> bool:
    """Is ``args`` an argv FreeBSD's stat(1) rejects as a usage error
    (``--version``, GNU's ``-c FORMAT``, any long option)? The ``stat`` shim
    hands those to this machine's stat (docs/freebsd.md 13.5): FreeBSD's answer
    would only be the usage message, and scripts that pick a flavour with
    ``stat --version`` (core/config/remotefile.py) then keep this machine's."""
    try:
        getopt(args, STAT_OPTIONS)
    except GetoptError:
        return True
    return False


def exec_machine_stat(shim: str, args: list[str]) -> int:
    """Replace this process with the next ``stat`` on PATH that is not ``shim``;
    without one, FreeBSD's usage error (exit 1)."""
    for d in os.environ.get("PATH", "").split(os.pathsep):
        cand = os.path.join(d or ".", "stat")
        if not os.access(cand, os.X_OK) or os.path.isdir(cand):
            continue
        try:
            if os.path.samefile(cand, shim):
                continue
        except OSError:
            continue
        os.execv(cand, ["stat", *args])
    sys.stderr.write(STAT_USAGE)
    return 1


def run_stat(ctx: Ctx, args: list[str]) -> int:
    try:
        opts, files = getopt(args, STAT_OPTIONS)
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(STAT_USAGE)
        return 1
    fmt = DEFAULT_FORMAT
    newline = True
    quiet = False
    for ch, val in opts:
        if ch == "f":
            fmt = val
        elif ch == "n":
            newline = False
        elif ch == "q":
            quiet = True
    follow = any(ch == "L" for ch, _ in opts)
    rc = 0
    mounts = None
    if "%d" in fmt:
        from jailtui.sim import mount as mountmod

        mounts = mountmod.table(ctx)
    with Store(ctx.simdir).read() as state:
        _, root = fflags.jail_root(state, ctx)
        for f in files:
            host_path = root + fflags._norm(f if f.startswith("/") else "/" + f)
            real = ctx.paths.real(host_path)
            if faults.consume(ctx.simdir, "rotated", host_path):
                with contextlib.suppress(OSError):
                    os.unlink(real)
            try:
                st = os.stat(real) if follow else os.lstat(real)
            except OSError as exc:
                if not quiet:
                    ctx.warn(f"{f}: {'stat' if follow else 'lstat'}: "
                             f"{os.strerror(exc.errno or 2)}")
                rc = 1
                continue
            dev = 0
            if mounts is not None:
                from jailtui.sim import fsdev

                dev = fsdev.device_number(fsdev.holder(mounts, host_path))
            ctx.write(_format(fmt, f, st, fflags.flags_of(state, host_path), dev)
                      + ("\n" if newline else ""))
    return rc


LS_USAGE = "usage: ls [-ABCFGHILPRSTUWZabcdfghiklmnopqrstuvwxy1,] [--color=when] [-D format] [file ...]\n"


def _mode(st: os.stat_result) -> str:
    # strmode(3): ten characters and one for ACLs/extended attributes (a space).
    return statmod.filemode(st.st_mode) + " "


def _when(mtime: float, now: float) -> str:
    tm = time.localtime(mtime)
    six_months = 365 * 86_400 / 2
    if now - six_months < mtime <= now + six_months:
        return time.strftime("%b %e %H:%M", tm)
    return time.strftime("%b %e  %Y", tm)


def run_ls(ctx: Ctx, args: list[str]) -> int:
    """``ls [-l] [-o] [-d] [-a] [file ...]``: the long listing with flags."""
    try:
        opts, files = getopt(args, "1adlo")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(LS_USAGE)
        return 1
    flags = {ch for ch, _ in opts}
    long_ = "l" in flags
    rc = 0
    with Store(ctx.simdir).read() as state:
        _, root = fflags.jail_root(state, ctx)
        for f in files or ["."]:
            host_path = root + fflags._norm(f if f.startswith("/") else "/" + f)
            real = ctx.paths.real(host_path)
            try:
                st = os.lstat(real)
            except OSError as exc:
                ctx.warn(f"{f}: {os.strerror(exc.errno or 2)}")
                rc = 1
                continue
            if statmod.S_ISDIR(st.st_mode) and "d" not in flags:
                names = sorted(n for n in os.listdir(real) if "a" in flags or n[:1] != ".")
                entries = [(n, f"{host_path.rstrip('/')}/{n}", os.path.join(real, n))
                           for n in names]
                if len(files) > 1:
                    ctx.write(f"{f}:\n")
            else:
                entries = [(f, host_path, real)]
            rows: list[tuple[str, str, str, str, str, str]] = []
            blocks = 0
            for name, hp, rp in entries:
                try:
                    est = os.lstat(rp)
                except OSError:
                    continue
                blocks += est.st_blocks
                shown = name
                if statmod.S_ISLNK(est.st_mode):
                    shown += " -> " + os.readlink(rp)
                rows.append((_mode(est), str(est.st_nlink),
                             fflags.shown(fflags.flags_of(state, hp)) if "o" in flags else "",
                             str(est.st_size), _when(est.st_mtime, ctx.now), shown))
            if not long_:
                for r in rows:
                    ctx.write(r[5] + "\n")
                continue
            if len(entries) != 1 or entries[0][1] != host_path:
                ctx.write(f"total {blocks // 2}\n")
            wl = max((len(r[1]) for r in rows), default=1)
            wf = max((len(r[2]) for r in rows), default=1)
            ws = max((len(r[3]) for r in rows), default=1)
            for mode, nlink, fl, size, when, shown in rows:
                flag_col = f"{fl:<{wf}} " if "o" in flags else ""
                ctx.write(f"{mode}{nlink:>{wl}} root  wheel  {flag_col}{size:>{ws}} "
                          f"{when} {shown}\n")
    return rc
