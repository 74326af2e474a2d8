"""bsdtar(1) of the simulated host: create, extract and list pax archives of host paths.

What the console uses it for (docs/freebsd.md 12.8): the copy of a UFS jail's root,
``bsdtar -c --one-file-system --numeric-owner -f - -C ROOT .``, written to an
archive by a second ``bsdtar -c -f ARCHIVE @-`` (the ``@archive`` operand copies
the entries of another archive, here standard input), and the way back,
``bsdtar -x --fflags -p -f ARCHIVE -C DIR``.

The archives are real pax archives (Python's tarfile writes the format
libarchive reads); file flags travel as libarchive stores them, in the pax
header ``SCHILY.fflags`` (names as fflagstostr prints them), taken from and
given back to the simulator's record of flags (sim/fflags.py). As bsdtar(1)
says, flags are archived by default in c mode (``--no-fflags`` leaves them
out) and restored in x mode with ``--fflags`` (or ``-p``; the simulator's
commands run as root). ``--one-file-system`` does not descend into a directory
where another file system is mounted (the mount table of sim/zfs_model.py: a
running jail's devfs, a nullfs mount); the mount point itself is archived,
empty. Entry names are ``./PATH`` for ``.`` as bsdtar writes them; on extract a
name with ``..`` is refused (``Path contains '..'``) and a leading ``/`` is
stripped, as bsdtar does without ``-P``.

Messages are bsdtar's (``bsdtar: Failed to open 'X'``, ``bsdtar: could not chdir
to 'X'``, ``bsdtar: Must specify one of -c, -r, -t, -u, -x``, ``bsdtar: Error
exit delayed from previous errors.``).
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from jailtui.sim import zfs_model as zm
from jailtui.sim.context import Ctx
from jailtui.sim.state import Store

USAGE = ("Usage:\n  List:    bsdtar -tf <archive-filename>\n"
         "  Extract: bsdtar -xf <archive-filename>\n"
         "  Create:  bsdtar -cf <archive-filename> [filenames...]\n"
         "  Help:    bsdtar --help\n")
_FLAGS_KEY = "SCHILY.fflags"


class TarError(Exception):
    """A fatal error: ``bsdtar: TEXT`` on stderr, exit status 1."""


class _Opts:
    def __init__(self) -> None:
        self.mode = ""
        #: bsdtar's default on FreeBSD is the tape device; here, stdin/stdout.
        self.archive = "-"
        self.chdir: str | None = None
        self.one_fs = False
        self.fflags: bool | None = None
        self.preserve = False
        self.verbose = False
        self.operands: list[str] = []


def _parse(args: list[str]) -> _Opts:
    o = _Opts()
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            o.operands += args[i:]
            break
        if a.startswith("--"):
            name, _, value = a[2:].partition("=")
            if name in ("file", "directory", "cd"):
                if not value:
                    if i >= len(args):
                        raise TarError(f"Option --{name} requires an argument")
                    value = args[i]
                    i += 1
                if name == "file":
                    o.archive = value
                else:
                    o.chdir = value
            elif name == "one-file-system":
                o.one_fs = True
            elif name == "numeric-owner":
                pass  # owners are stored by number here anyway
            elif name == "fflags":
                o.fflags = True
            elif name == "no-fflags":
                o.fflags = False
            elif name in ("create", "extract", "list"):
                o.mode = {"create": "c", "extract": "x", "list": "t"}[name]
            else:
                raise TarError(f"Option --{name} is not supported")
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                ch = a[j]
                j += 1
                if ch in "cxt":
                    if o.mode and o.mode != ch:
                        raise TarError(f"Can't specify both -{o.mode} and -{ch}")
                    o.mode = ch
                elif ch in "fC":
                    value = a[j:]
                    if not value:
                        if i >= len(args):
                            raise TarError(f"Option -{ch} requires an argument")
                        value = args[i]
                        i += 1
                    if ch == "f":
                        o.archive = value
                    else:
                        o.chdir = value
                    break
                elif ch == "p":
                    o.preserve = True
                elif ch == "v":
                    o.verbose = True
                else:
                    raise TarError(f"Option -{ch} is not supported")
            continue
        o.operands.append(a)
    return o


def run(ctx: Ctx, args: list[str]) -> int:
    try:
        o = _parse(args)
        if not o.mode:
            raise TarError("Must specify one of -c, -r, -t, -u, -x")
        if o.mode == "c":
            return _create(ctx, o)
        return _extract_or_list(ctx, o)
    except TarError as exc:
        ctx.write_err(f"bsdtar: {exc}\n")
        if "requires an argument" in str(exc) or "not supported" in str(exc):
            ctx.write_err(USAGE)
        return 1


def _flags(ctx: Ctx) -> dict[str, list[str]]:
    with Store(ctx.simdir).read() as st:
        return {k: list(v) for k, v in st.flags.items()}


def _mount_points(ctx: Ctx) -> set[str]:
    store = zm.PoolStore(ctx.simdir)
    with Store(ctx.simdir).read() as st:
        roots = [j.path for j in st.jails if not j.dying]
    if store.exists():
        with store.read() as pool:
            table = zm.mount_table(pool, roots)
    else:
        table = zm.mount_table(None, roots)
    return {m.point.rstrip("/") or "/" for m in table}


def _create(ctx: Ctx, o: _Opts) -> int:
    if not o.operands:
        raise TarError("no files or directories specified")
    base = o.chdir or "/"
    real_base = Path(ctx.paths.real(base))
    if not real_base.is_dir():
        raise TarError(f"could not chdir to '{base}'")
    flags = _flags(ctx) if o.fflags is not False else {}
    points = _mount_points(ctx) if o.one_fs else set()
    buf = io.BytesIO()
    errors = 0
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for op in o.operands:
            if op == "@-" or op.startswith("@"):
                src = (ctx.stdin or b"") if op == "@-" else None
                if src is None:
                    path = Path(ctx.paths.real(op[1:]))
                    try:
                        src = path.read_bytes()
                    except OSError:
                        raise TarError(f"Failed to open '{op[1:]}'") from None
                try:
                    with tarfile.open(fileobj=io.BytesIO(src), mode="r:") as inner:
                        for m in inner:
                            content = inner.extractfile(m) if m.isfile() else None
                            tar.addfile(m, content)
                except tarfile.TarError:
                    raise TarError("Error reading archive -: Unrecognized archive "
                                   "format") from None
                continue
            host = os.path.normpath(os.path.join(base, op))
            real = Path(ctx.paths.real(host))
            if not os.path.lexists(real):
                ctx.write_err(f"bsdtar: {op}: Cannot stat: No such file or directory\n")
                errors += 1
                continue
            _add(tar, real, host, op.rstrip("/") or ".", flags, points, top=True)
    data = buf.getvalue()
    if o.archive == "-":
        ctx.out += data
    else:
        target = Path(ctx.paths.real(o.archive))
        try:
            with open(target, "wb") as f:
                f.write(data)
        except OSError as exc:
            if exc.errno == 28:  # ENOSPC
                raise TarError(f"Write error: {os.strerror(28)}") from None
            raise TarError(f"Failed to open '{o.archive}'") from None
    if errors:
        ctx.write_err("bsdtar: Error exit delayed from previous errors.\n")
        return 1
    return 0


def _add(tar: tarfile.TarFile, real: Path, host: str, name: str,
         flags: dict[str, list[str]], points: set[str], top: bool = False) -> None:
    st = real.lstat()
    info = tar.tarinfo()
    info.name = "./" if name == "." else name
    info.mode = st.st_mode & 0o7777
    info.mtime = int(st.st_mtime)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname = info.gname = ""
    got = flags.get(host)
    if got:
        info.pax_headers = {_FLAGS_KEY: ",".join(got)}
    if real.is_symlink():
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(real)
        tar.addfile(info)
        return
    if real.is_dir():
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
        if not top and (host.rstrip("/") or "/") in points:
            return  # --one-file-system: another file system is mounted here
        prefix = "./" if name == "." else name.rstrip("/") + "/"
        for child in sorted(os.listdir(real)):
            _add(tar, real / child, host.rstrip("/") + "/" + child, prefix + child, flags,
                 points)
        return
    if real.is_file():
        info.type = tarfile.REGTYPE
        info.size = st.st_size
        with open(real, "rb") as f:
            tar.addfile(info, f)


def _extract_or_list(ctx: Ctx, o: _Opts) -> int:
    if o.archive == "-":
        data = ctx.stdin or b""
    else:
        try:
            data = Path(ctx.paths.real(o.archive)).read_bytes()
        except OSError:
            raise TarError(f"Error opening archive: Failed to open '{o.archive}'") from None
    if not data:
        raise TarError("Error opening archive: Unrecognized archive format")
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except tarfile.TarError:
        raise TarError("Error opening archive: Unrecognized archive format") from None
    base = o.chdir or "/"
    real_base = Path(ctx.paths.real(base))
    if o.mode == "x" and not real_base.is_dir():
        raise TarError(f"could not chdir to '{base}'")
    restore_flags = o.fflags is True or (o.fflags is None and o.preserve)
    new_flags: dict[str, list[str]] = {}
    errors = 0
    dirs: list[tuple[Path, tarfile.TarInfo]] = []
    try:
        for m in tar:
            if o.mode == "t":
                ctx.write(m.name + "\n")
                continue
            rel = m.name.lstrip("/")
            parts = [p for p in rel.split("/") if p not in ("", ".")]
            if ".." in parts:
                ctx.write_err(f"bsdtar: {m.name}: Path contains '..'\n")
                errors += 1
                continue
            dest = real_base.joinpath(*parts) if parts else real_base
            host = os.path.normpath(os.path.join(base, *parts)) if parts else base
            if m.isdir():
                dest.mkdir(parents=True, exist_ok=True)
                dirs.append((dest, m))
            elif m.issym():
                dest.parent.mkdir(parents=True, exist_ok=True)
                if os.path.lexists(dest):
                    dest.unlink()
                os.symlink(m.linkname, dest)
            elif m.isfile():
                dest.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(m)
                assert src is not None
                if dest.is_symlink():
                    dest.unlink()  # never written through a link
                dest.write_bytes(src.read())
                os.chmod(dest, m.mode & 0o7777)
                os.utime(dest, (m.mtime, m.mtime))
            if restore_flags and m.pax_headers.get(_FLAGS_KEY):
                new_flags[host] = m.pax_headers[_FLAGS_KEY].split(",")
    except tarfile.TarError:
        raise TarError("Error exit delayed from previous errors.") from None
    for dest, m in reversed(dirs):
        os.chmod(dest, (m.mode & 0o7777) | 0o700)
        os.utime(dest, (m.mtime, m.mtime))
    if new_flags:
        with Store(ctx.simdir).write() as st:
            st.flags.update(new_flags)
    if errors:
        ctx.write_err("bsdtar: Error exit delayed from previous errors.\n")
        return 1
    return 0
