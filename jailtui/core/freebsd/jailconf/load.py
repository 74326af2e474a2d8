"""Loading a configuration as jail(8) does: ``.include`` followed (config.c
``include_config``), the pseudo-jails built (jailparse.y), :class:`Config`."""

from __future__ import annotations

import glob as _globmod
import os
from collections.abc import Callable, Sequence

from jailtui.core.freebsd.jailconf.dialect import modern
from jailtui.core.freebsd.jailconf.effective import CJail, Config
from jailtui.core.freebsd.jailconf.errors import JailConfError
from jailtui.core.freebsd.jailconf.syntax import Block, ConfFile, Item, Param, parse_with_includes

__all__ = ["MAX_INCLUDE_DEPTH", "GlobFn", "ReadFn", "load", "load_string"]

#: config.c ``MAX_INCLUDE_DEPTH``.
MAX_INCLUDE_DEPTH = 32

ReadFn = Callable[[str], str]
GlobFn = Callable[[str], list[str]]

# --------------------------------------------------------------------------
# Loading with includes


def _default_read(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return f.read()


def _default_glob(pattern: str) -> list[str]:
    return sorted(_globmod.glob(pattern))


def _has_magic(pattern: str) -> bool:
    """glob(3) ``GLOB_MAGCHAR``: the pattern has ``*``, ``?`` or ``[``."""
    return any(c in pattern for c in "*?[")


class _Loader:
    def __init__(self, read: ReadFn, glob: GlobFn, freebsd: int | None) -> None:
        self.read = read
        self.glob = glob
        self.freebsd = freebsd
        self.modern = modern(freebsd)
        self.included: dict[int, list[ConfFile]] = {}

    def load_file(self, path: str, depth: int) -> ConfFile:
        try:
            text = self.read(path)
        except OSError as e:
            msg = os.strerror(e.errno) if e.errno else str(e)
            raise JailConfError(path, None, msg) from e

        def hook(p: Param, name: str) -> None:
            # config.c include_config()
            if depth + 1 > MAX_INCLUDE_DEPTH:
                raise JailConfError(path, p.end_line, "maximum include depth exceeded",
                                    bare=True)
            if not name.startswith("/") and "/" in path:
                name = path[:path.rfind("/") + 1] + name
            targets = self.glob(name) if _has_magic(name) else [name]
            got = self.included.setdefault(id(p), [])
            for t in targets:
                got.append(self.load_file(t, depth + 1))

        return parse_with_includes(text, path, hook, freebsd=self.freebsd)

    def build(self, path: str) -> Config:
        root = self.load_file(path, 0)
        jails: list[CJail] = []
        order: list[ConfFile] = []
        seq = 0
        #: jailparse.y (14.0+) ``global_jail``: made once, by the first
        #: top-level parameter of any file, and kept for all the others.
        global_jail: CJail | None = None

        def walk(cf: ConfFile, items: Sequence[Item], current: CJail | None) -> None:
            nonlocal seq, global_jail
            if not any(f.filename == cf.filename for f in order):
                order.append(cf)
            for it in items:
                if isinstance(it, Block):
                    name = it.local_name if current is None else f"{current.name}.{it.local_name}"
                    seq += 1
                    j = CJail(name, seq, it, cf.filename)
                    jails.append(j)
                    walk(cf, it.items, j)
                elif isinstance(it, Param):
                    if it.is_include and self.modern:
                        for sub in self.included.get(id(it), []):
                            walk(sub, sub.items, current)
                    elif current is not None:
                        current.params.append(it)
                    elif self.modern:
                        # 14.0+ jailparse.y: every top-level parameter, from
                        # every included file, goes into the one global
                        # pseudo-jail, which sits where the first one stood;
                        # so a jail's own block overrides a global written
                        # after it (config.c load_config merges by seq).
                        if global_jail is None:
                            seq += 1
                            global_jail = CJail("*", seq, None, cf.filename, is_global=True)
                            jails.append(global_jail)
                        global_jail.params.append(it)
                    else:
                        # Up to 13.x (jailparse.y 0e5ec9dc ``conf param ';'``):
                        # a new "*" pseudo-jail unless the last one made is
                        # one, so a global written after a block is merged
                        # after it and overrides the block.
                        if not jails or not jails[-1].is_global:
                            seq += 1
                            jails.append(CJail("*", seq, None, cf.filename, is_global=True))
                        jails[-1].params.append(it)

        walk(root, root.items, None)
        return Config(path, order, jails)


def load(path: str, *, read: ReadFn | None = None, glob: GlobFn | None = None,
         freebsd: int | None = None) -> Config:
    """Load ``path`` (a host path) and its includes as jail(8) does.

    ``read(path) -> str`` and ``glob(pattern) -> sorted paths`` default to
    the local file system.  ``.include`` names are globs relative to the
    including file's directory; a pattern matching nothing is fine, a
    literal name that cannot be read is an error; nesting stops at 32.
    ``freebsd`` is the host's major release (dialect.py; None: the newest).
    Raises :class:`JailConfError` for the first error.
    """
    return _Loader(read or _default_read, glob or _default_glob, freebsd).build(path)


def load_string(text: str, filename: str = "/etc/jail.conf", *, read: ReadFn | None = None,
                glob: GlobFn | None = None, freebsd: int | None = None) -> Config:
    """:func:`load` for a text already in hand (includes still go to ``read``)."""
    base = read or _default_read

    def reader(p: str) -> str:
        return text if p == filename else base(p)
    return load(filename, read=reader, glob=glob, freebsd=freebsd)
