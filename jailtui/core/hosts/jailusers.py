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

The console's poll names while ps is parsed (:class:`Naming`, from the
maps of the last poll's jails), then :meth:`JailUsers.settle` checks each
(jail, uid) against this poll's maps and makes a new Process only for
the rows whose name changed (a passwd edited, a jail gone or restarted
with another root): the same rows :meth:`JailUsers.name_users` gives,
without a second Process for every named row each poll (issue 18: about
1,100 at 5,000 processes). tests/test_jailusers.py compares the two.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

from jailtui.core.freebsd.passwd import uid_names
from jailtui.core.model import Jail, Process, ProcessFields, make_process
from jailtui.core.transport.jailfs import FileRead, Identity

#: Seconds a remote jail's passwd is trusted before it is read again.
REMOTE_MAX_AGE = 30.0

#: The file read in each jail root.
PASSWD = "etc/passwd"

Reader = Callable[[str, Sequence[str]], Awaitable[list[FileRead]]]
#: (jail roots, path inside them) -> each file's identity (None: not a
#: regular file there), or None when this host cannot tell (a remote one).
Identities = Callable[[Sequence[str], str], Awaitable[list[Identity | None] | None]]


UidKey = tuple[int, str]
"""(jid, the uid as ps printed it)."""


class Naming:
    """Names numeric users of jailed rows as the ps parse makes them
    (core.freebsd.ps.RowNamer), from the uid maps the last poll settled on.

    Runs in the parse thread; the maps are never changed once made (a
    passwd read again gets a new map), and this object is handed back to
    the event loop only when the parse is done.
    """

    __slots__ = ("_maps", "given", "rows")

    def __init__(self, maps: Mapping[int, Mapping[int, str]]) -> None:
        self._maps = maps
        #: (jid, uid) -> the name given its rows, or None (the number kept).
        self.given: dict[UidKey, str | None] = {}
        #: (jid, uid) -> the Processes made with it, in order.
        self.rows: dict[UidKey, list[Process]] = {}

    def make(self, values: ProcessFields) -> Process:
        (pid, ppid, jid, jail, uid, state, cpu, mem, vsz, rss, etime, elapsed, started,
         command, host) = values
        key = (jid, uid)
        rows = self.rows.get(key)
        if rows is None:
            m = self._maps.get(jid)
            name = self.given[key] = m.get(int(uid)) if m is not None else None
            rows = self.rows[key] = []
        else:
            name = self.given[key]
        proc = make_process(values if name is None else (
            pid, ppid, jid, jail, name, state, cpu, mem, vsz, rss, etime, elapsed, started,
            command, host))
        rows.append(proc)
        return proc


class JailUsers:
    """uid -> name per jail root, cached by file identity."""

    def __init__(self, read: Reader, clock: Callable[[], float] = time.monotonic,
                 identities: Identities | None = None) -> None:
        self._read = read
        self._clock = clock
        self._identities = identities
        #: jail root -> (identity or None, read at, uid map)
        self._cache: dict[str, tuple[Identity | None, float, dict[int, str]]] = {}
        #: jid -> jail root, of the last poll settled (what naming() predicts from).
        self._roots: dict[int, str] = {}

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

    async def _maps(self, roots: Mapping[int, str],
                    wanted: set[int]) -> dict[int, dict[int, str]]:
        """The uid map of each jail of ``wanted``, each passwd read only if it changed;
        the cache forgets the roots no jail has any more."""
        same = await self._unchanged([roots[jid] for jid in wanted])
        maps = {jid: self._cache[roots[jid]][2] if roots[jid] in same
                else await self.names(roots[jid]) for jid in wanted}
        live = set(roots.values())
        for gone in [r for r in self._cache if r not in live]:
            del self._cache[gone]
        return maps

    async def name_users(self, procs: Sequence[Process],
                         jails: Sequence[Jail]) -> tuple[Process, ...]:
        """``procs`` with numeric users of jailed processes named from their jail."""
        roots = {j.jid: j.path for j in jails if j.jid is not None and j.path}
        wanted = {p.jid for p in procs if p.jid != 0 and p.user.isdigit() and p.jid in roots}
        if not wanted:
            return tuple(procs)
        maps = await self._maps(roots, wanted)
        self._roots = roots
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

    def naming(self) -> Naming:
        """For the next ps parse: the maps of the jails the last poll settled on."""
        cache = self._cache
        return Naming({jid: cache[root][2] for jid, root in self._roots.items()
                       if root in cache})

    async def settle(self, procs: tuple[Process, ...], jails: Sequence[Jail],
                     naming: Naming) -> tuple[Process, ...]:
        """What :meth:`name_users` gives for the rows of a parse that named with
        ``naming``: this poll's maps asked as it asks them (the same reads), and
        a new Process only for a (jid, uid) whose name is not the one given."""
        roots = {j.jid: j.path for j in jails if j.jid is not None and j.path}
        wanted = {jid for jid, _uid in naming.given if jid in roots}
        maps = await self._maps(roots, wanted) if wanted else {}
        if wanted:
            self._roots = roots
        fixed: dict[int, Process] = {}
        for key, given in naming.given.items():
            m = maps.get(key[0])
            name = m.get(int(key[1])) if m is not None else None
            if name != given:
                user = key[1] if name is None else name
                for p in naming.rows[key]:
                    fixed[id(p)] = p.with_user(user)
        if not fixed:
            return procs
        return tuple(fixed.get(id(p), p) for p in procs)
