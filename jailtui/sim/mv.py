"""mv(1) of the simulated host: ``mv [-f | -i | -n] [-v] source target`` and
``source ... directory``, as bin/mv/mv.c does it.

- A target that is a directory takes each source inside it (``TARGET/NAME``);
  otherwise exactly two operands (more: the usage, exit 64, EX_USAGE).
- An existing target: ``-n`` leaves it (``-v``: ``TARGET not overwritten``), ``-i``
  asks on stdin (a runner's stdin is no terminal: EOF is ``not overwritten``).
- Then rename(2). It fails with EXDEV when the source and the target's directory
  are on different file systems (the simulated mount table: sim/fsdev.py), which
  a mount point always is from its parent's; with EPERM when the source has an
  immutable, append-only or no-unlink flag, or the directory it is in is
  append-only (sys/ufs/ufs/ufs_vnops.c ufs_rename(); docs/freebsd.md 13.2); other
  errors are
  ``mv: rename FROM to TO: STRERROR``.
- After EXDEV mv does not give up: a mount point is refused (``mv: cannot rename
  a mount point``); a regular file is copied and unlinked (fastcopy()); anything
  else is copied with ``cp -PRp`` and the source removed with ``rm -rf``
  (copy()), whose failures are ``mv: PATH: Operation not permitted`` (rm runs as
  ``mv``) and ``mv: /bin/rm -rf FROM: terminated with 1 (non-zero) status``. So a
  move across file systems is a copy (slow, and not atomic) -- the reason the
  console checks ``stat -f %d`` before it moves a jail root (docs/freebsd.md 12.9).

File flags follow the files (the simulator keeps them by host path, State.flags).
Off PATH by default, like ls and rm (sim/shims.py FILE_TOOLS).
"""

from __future__ import annotations

import os
import shutil
import stat as statmod

from jailtui.sim import fflags, fsdev
from jailtui.sim import mount as mountmod
from jailtui.sim import zfs_model as zm
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import State, Store

USAGE = ("usage: mv [-f | -i | -n] [-v] source target\n"
         "       mv [-f | -i | -n] [-v] source ... directory\n")
EX_USAGE = 64
#: Flags that make rename(2) of the file fail (ufs_rename: NOUNLINK|IMMUTABLE|APPEND).
_NO_RENAME = frozenset({"schg", "uchg", "sappnd", "uappnd", "sunlnk", "uunlnk"})
_APPEND = frozenset({"sappnd", "uappnd"})
_PATH_RM = "/bin/rm"


def _parent(path: str) -> str:
    return path.rstrip("/").rpartition("/")[0] or "/"


def _move_flags(st: State, old: str, new: str, *, keep_old: bool = False) -> None:
    """The flag records of ``old`` and everything below it, now under ``new``."""
    for key in [k for k in st.flags if k == old or k.startswith(old + "/")]:
        st.flags[new + key[len(old):]] = list(st.flags[key])
        if not keep_old:
            del st.flags[key]


class _Mover:
    def __init__(self, ctx: Ctx, st: State, root: str, mounts: list[zm.Mount],
                 force: bool, ask: bool, noclobber: bool, verbose: bool) -> None:
        self.ctx, self.st, self.root, self.mounts = ctx, st, root, mounts
        self.force, self.ask, self.noclobber, self.verbose = force, ask, noclobber, verbose

    def dev(self, host_path: str) -> int:
        return fsdev.device_number(fsdev.holder(self.mounts, host_path))

    def is_mount_point(self, host_path: str) -> bool:
        p = host_path.rstrip("/") or "/"
        return any((m.point.rstrip("/") or "/") == p for m in self.mounts)

    def move(self, src: str, dst: str) -> int:
        ctx = self.ctx
        hs, hd = fflags.operand(ctx, self.root, src), fflags.operand(ctx, self.root, dst)
        rs, rd = ctx.paths.real(hs), ctx.paths.real(hd)
        if not self.force and os.path.lexists(rd):
            if not os.path.lexists(rs):
                ctx.warn(f"{src}: No such file or directory")
                return 1
            if self.noclobber:
                if self.verbose:
                    ctx.write(f"{dst} not overwritten\n")
                return 0
            if self.ask:
                ctx.write_err(f"overwrite {dst}? (y/n [n]) ")
                answer = (ctx.stdin or b"").split(b"\n", 1)[0]
                if answer[:1] not in (b"y", b"Y"):
                    ctx.write_err("not overwritten\n")
                    return 0
        err = self.rename(hs, hd, rs, rd)
        if err == 0:
            if self.verbose:
                ctx.write(f"{src} -> {dst}\n")
            return 0
        if err != 18:  # errno.EXDEV
            ctx.warn(f"rename {src} to {dst}: {os.strerror(err)}")
            return 1
        try:
            sb = os.lstat(rs)
        except OSError as exc:
            ctx.warn(f"{src}: {os.strerror(exc.errno or 2)}")
            return 1
        if not statmod.S_ISLNK(sb.st_mode) and self.is_mount_point(hs):
            ctx.warn("cannot rename a mount point")
            return 1
        return self.copy(src, hs, hd, rs, rd, sb)

    def rename(self, hs: str, hd: str, rs: str, rd: str) -> int:
        """rename(2): 0 or an errno."""
        if not os.path.lexists(rs):
            return 2  # ENOENT
        if self.dev(hs) != self.dev(_parent(hd)):
            return 18  # EXDEV
        flags = set(fflags.flags_of(self.st, hs))
        if flags & _NO_RENAME or set(fflags.flags_of(self.st, _parent(hs))) & _APPEND:
            return 1  # EPERM
        try:
            os.rename(rs, rd)
        except OSError as exc:
            return exc.errno or 5
        _move_flags(self.st, fflags._norm(hs), fflags._norm(hd))
        return 0

    def copy(self, src: str, hs: str, hd: str, rs: str, rd: str, sb: os.stat_result) -> int:
        """mv.c fastcopy() / copy(): cp -PRp, then rm -rf of the source."""
        ctx = self.ctx
        try:
            if statmod.S_ISDIR(sb.st_mode):
                if os.path.isdir(rd):
                    ctx.warn(f"rename {src} to {hd}: Directory not empty")
                    return 1
                shutil.copytree(rs, rd, symlinks=True)
            else:
                if os.path.lexists(rd):
                    os.unlink(rd)
                shutil.copy2(rs, rd, follow_symlinks=False)
        except OSError as exc:
            ctx.warn(f"{hd}: {os.strerror(exc.errno or 5)}")
            return 1
        old, new = fflags._norm(hs), fflags._norm(hd)
        _move_flags(self.st, old, new, keep_old=True)  # cp -p keeps the flags
        if not statmod.S_ISDIR(sb.st_mode):
            os.unlink(rs)
            self.st.flags.pop(old, None)
            return 0
        failed = self.remove_tree(old, rs)
        if failed:
            ctx.warn(f"{_PATH_RM} -rf {src}: terminated with 1 (non-zero) status")
            return 1
        return 0

    def remove_tree(self, host: str, real: str) -> bool:
        """rm -rf (as ``mv``): what a flag protects stays, said; True when any stayed."""
        stayed = False
        for dirpath, dirnames, filenames in os.walk(real, topdown=False):
            rel = dirpath[len(real):]
            for n in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                hp = f"{host}{rel}/{n}"
                if set(fflags.flags_of(self.st, hp)) & _NO_RENAME:
                    self.ctx.warn(f"{hp}: Operation not permitted")
                    stayed = True
                    continue
                os.unlink(os.path.join(dirpath, n))
                self.st.flags.pop(hp, None)
            hp = f"{host}{rel}"
            try:
                os.rmdir(dirpath)
                self.st.flags.pop(hp, None)
            except OSError as exc:
                if not stayed:
                    self.ctx.warn(f"{hp}: {os.strerror(exc.errno or 39)}")
                stayed = True
        return stayed


def run(ctx: Ctx, args: list[str]) -> int:
    try:
        opts, files = getopt(args, "finv")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(USAGE)
        return EX_USAGE
    force = ask = noclobber = False
    for ch, _ in opts:  # the last of -f, -i, -n wins (mv.c)
        if ch in "fin":
            force, ask, noclobber = ch == "f", ch == "i", ch == "n"
    verbose = any(ch == "v" for ch, _ in opts)
    if len(files) < 2:
        ctx.write_err(USAGE)
        return EX_USAGE
    mounts = mountmod.table(ctx)
    with Store(ctx.simdir).write() as st:
        _, root = fflags.jail_root(st, ctx)
        mover = _Mover(ctx, st, root, mounts, force, ask, noclobber, verbose)
        target = files[-1]
        real_target = ctx.paths.real(fflags.operand(ctx, root, target))
        if not os.path.isdir(real_target):
            if len(files) > 2:
                ctx.write_err(USAGE)
                return EX_USAGE
            return mover.move(files[0], target)
        rc = 0
        base = target if target.endswith("/") else target + "/"
        for src in files[:-1]:
            name = src.rstrip("/").rpartition("/")[2]
            if mover.move(src, base + name):
                rc = 1
        return rc
