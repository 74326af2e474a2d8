"""User names of jailed processes, from each jail's own passwd (issue 13 item 39).

ps prints a uid that the host's passwd does not know as a number. For a
process in a jail, :class:`JailUsers` looks the uid up in that jail's
``etc/passwd``, read host side through the jail-root reader
(core/transport/jailfs.py) and never executed; a refused or missing file
leaves the number. The parse is cached by the file's identity (device,
inode, size, mtime, ctime: jailfs.identity_of), so an unchanged passwd is
parsed once; on a remote host (no identity) for :data:`REMOTE_MAX_AGE`
seconds. On this machine the file is not even read while its identity
holds: a poll asks only for the identities of the passwd files named
before (one thread for all, resolved and opened as the read would:
jailfs.identity_under_root) and reads the ones that changed (issue 18:
57 reads a poll at 5,000 processes, 286 at 50,000, before).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from jailtui.core.freebsd.passwd import uid_names
from jailtui.core.model import Jail, Process
from jailtui.core.transport.jailfs import FileRead, Identity

#: Seconds a remote jail's passwd is trusted before it is read again.
REMOTE_MAX_AGE = 30.0

#: The file read in each jail root.
PASSWD = "etc/passwd"

Reader = Callable[[str, Sequence[str]], Awaitable[list[FileRead]]]
#: (jail roots, path inside them) -> each file's identity (None: not a
#: regular file there), or None when this host cannot tell (a remote one).
Identities = Callable[[Sequence[str], str], Awaitable[list[Identity | None] | None]]


class JailUsers:
    """uid -> name per jail root, cached by file identity."""

    def __init__(self, read: Reader, clock: Callable[[], float] = time.monotonic,
                 identities: Identities | None = None) -> None:
        self._read = read
        self._clock = clock
        self._identities = identities
        #: jail root -> (identity or None, read at, uid map)
        self._cache: dict[str, tuple[Identity | None, float, dict[int, str]]] = {}

    async def _unchanged(self, roots: Sequence[str]) -> set[str]:
        """Those of ``roots`` whose passwd has the identity of its last read."""
        known = [r for r in roots if r in self._cache and self._cache[r][0] is not None]
        if not known or self._identities is None:
            return set()
        now = await self._identities(known, PASSWD)
        if now is None:
            return set()
        return {r for r, ident in zip(known, now, strict=True)
                if ident is not None and ident == self._cache[r][0]}

    async def names(self, root: str) -> dict[int, str]:
        cached = self._cache.get(root)
        if cached is not None and cached[0] is None and \
                self._clock() - cached[1] < REMOTE_MAX_AGE:
            return cached[2]
        (got,) = await self._read(root, [PASSWD])
        if cached is not None and got.identity is not None and cached[0] == got.identity:
            return cached[2]
        text = got.text()
        names = uid_names(text) if text is not None else {}
        self._cache[root] = (got.identity, self._clock(), names)
        return names

    async def name_users(self, procs: Sequence[Process],
                         jails: Sequence[Jail]) -> tuple[Process, ...]:
        """``procs`` with numeric users of jailed processes named from their jail."""
        roots = {j.jid: j.path for j in jails if j.jid is not None and j.path}
        wanted = {p.jid for p in procs if p.jid != 0 and p.user.isdigit() and p.jid in roots}
        if not wanted:
            return tuple(procs)
        same = await self._unchanged([roots[jid] for jid in wanted])
        maps = {jid: self._cache[roots[jid]][2] if roots[jid] in same
                else await self.names(roots[jid]) for jid in wanted}
        live = {roots[jid] for jid in roots}
        for gone in [r for r in self._cache if r not in live]:
            del self._cache[gone]
        out = []
        # The same uid text repeats in a jail (every worker): looked up once.
        named: dict[tuple[int, str], str | None] = {}
        for p in procs:
            m = maps.get(p.jid)
            if m is not None and p.user.isdigit():
                key = (p.jid, p.user)
                if key in named:
                    name = named[key]
                else:
                    name = named[key] = m.get(int(p.user))
                if name is not None:
                    p = p.with_user(name)
            out.append(p)
        return tuple(out)
