"""One jail host: what it runs (poll) and the slower facts about one jail.

A tick is exactly one ``jls --libxo json -v -d`` and one ``ps --libxo json
-ax -ww -o ...``, run concurrently (docs/architecture.md: "never fork a command per
jail per tick"). jail.conf, jail.conf.d and rc.conf are read through the
host's :class:`~jailtui.core.transport.hostfs.PathMap` and parsed only when their stat
signature changes, so configured-but-stopped jails cost nothing per tick.
"""

from __future__ import annotations

import asyncio
import glob as globmod
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import psutil

from jailtui.core.errors import (
    CommandError,
    CommandTimeout,
    JailtuiError,
    NotFreeBSD,
    ParseError,
    PollFailed,
    describe,
)
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd import jailconf
from jailtui.core.freebsd import jls as jlsmod
from jailtui.core.freebsd import ps as psmod
from jailtui.core.freebsd.errors import check
from jailtui.core.freebsd.errors import decode as psdecode
from jailtui.core.hosts import confsource, oneview
from jailtui.core.hosts.jailusers import JailUsers
from jailtui.core.hosts.protocol import HostFiles
from jailtui.core.memory import release_free_memory
from jailtui.core.model import (
    HostInfo,
    HostSnapshot,
    Jail,
    JailState,
    ParamValue,
    Process,
    ProcessTotals,
    aggregate,
    apply_totals,
)
from jailtui.core.owners import EditKind, ManagedJail, Owner, OwnerIndex, Ownership
from jailtui.core.owners import driver as owner_driver
from jailtui.core.owners import messages as owner_messages
from jailtui.core.owners.base import ConfigUnreadable, bare_addrs, read_config
from jailtui.core.owners.base import title as owner_title
from jailtui.core.owners.iocage import console_log as iocage_console_log
from jailtui.core.owners.registry import NO_OWNER
from jailtui.core.transport import jailfs
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import CommandResult, Runner, run_all

#: The one thread that parses every poll's output (of every host). The GIL
#: runs one parse at a time anyway, and one thread keeps their allocations in
#: one malloc arena: glibc gives each thread of asyncio's default pool its
#: own, and each kept the high-water mark of a 50,000-process parse (the
#: console's VmHWM; issue 18). Its thread starts on the first poll.
_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jailtui-parse")


def _parse_poll(jls_out: bytes, ps_box: list[bytes], processes: bool = True,
                namer: psmod.RowNamer | None = None
                ) -> tuple[jlsmod.JlsResult, tuple[Process, ...] | ProcessTotals]:
    """jls and ps decoded; ps as its Processes (numeric users of jails named
    by ``namer`` as they are made), or only their per-jail sums.

    ``ps_box`` holds ps's bytes, taken out here so that they are freed once
    decoded to text (15 MB at 50,000 processes, not alive beside the text
    and the Processes being made). A big host's decode also leaves tens of
    MB freed in the heap: handed back to the system right after
    (core/memory.py), so the console's resident size follows what it keeps,
    not the last parse's high-water mark.
    """
    ps_text = psdecode(ps_box.pop())
    big = len(ps_text) >= _TRIM_AFTER
    try:
        return jlsmod.parse_jls_verbose(jls_out), (psmod.parse_ps(ps_text, namer) if processes
                                                   else psmod.parse_ps_totals(ps_text))
    finally:
        del ps_text
        if big:
            release_free_memory()


#: The ps output size from which a parse is followed by release_free_memory()
#: (about 1,500 processes: below it there is little to give back).
_TRIM_AFTER = 512 * 1024


#: Timeout of the poll commands. jls and ps answer in milliseconds; a host
#: that takes longer is in trouble and the console says so (stale data).
POLL_TIMEOUT = 8.0

if TYPE_CHECKING:
    # Imported where a method uses them (the console's detail, log and service
    # screens), not by `list` (tests/test_import_hygiene.py LIST_LAZY).
    from jailtui.core import consolelog, network
    from jailtui.core.checks import rcstatus
    from jailtui.core.drift import DriftReport
    from jailtui.core.freebsd import misc, rctl
    from jailtui.core.posture.baseline import Baseline
    from jailtui.core.posture.model import JailPosture
    from jailtui.core.transport.ssh import LinkState



class LocalFiles:
    """Files of this machine, or of a simulated host under its root."""

    def __init__(self, paths: PathMap) -> None:
        self.paths = paths

    def read_text(self, host_path: str) -> str:
        # Regular files only, size-capped (core/transport/jailfs.py): a FIFO
        # or /dev/zero planted as a config file must not hang or exhaust us.
        data = jailfs.read_host_file(self.paths.real(host_path))
        # Universal newlines, as open() in text mode gave before.
        return data.decode("utf-8", "surrogateescape").replace("\r\n", "\n").replace("\r", "\n")

    def stat(self, host_path: str) -> tuple[int, int] | None:
        try:
            st = os.stat(self.paths.real(host_path))
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def glob(self, pattern: str) -> list[str]:
        return sorted(self.paths.host(p) for p in globmod.glob(self.paths.real(pattern)))

    def local_path(self, host_path: str) -> str | None:
        return self.paths.real(host_path)

    def invalidate(self) -> None:
        """Nothing is cached: files are read when asked."""


@dataclass(frozen=True, slots=True)
class _Sig:
    """What confsource needs of a stat result."""

    st_mtime_ns: int
    st_size: int


@dataclass(frozen=True, slots=True)
class HostPaths:
    """Where this host keeps its jail configuration (host paths)."""

    jail_conf: str = "/etc/jail.conf"
    jail_conf_d: str = "/etc/jail.conf.d"
    rc_conf: str = "/etc/rc.conf"


class Host:
    """A jail host reached through a runner (local FreeBSD, simulated, SSH)."""

    def __init__(self, runner: Runner, *, backend: str, paths: PathMap | None = None,
                 conf: HostPaths | None = None, hostname: str | None = None,
                 files: HostFiles | None = None, name: str | None = None,
                 owner_settings: Mapping[str, str] | None = None) -> None:
        self.runner = runner
        #: "FreeBSD" or "SIMULATED": shown wherever output is shown.
        self.label = backend
        #: Short name of this host among several ("local", "web1"); None alone.
        self.name = name
        self.paths = paths or PathMap()
        self.files: HostFiles = files or LocalFiles(self.paths)
        self.conf = conf or HostPaths()
        self._hostname = hostname
        #: hw.physmem in KiB once asked (None: unknown); see _physmem_kib.
        self._physmem: tuple[float | None] | None = None
        #: ``kern.osrelease`` once the first poll asked (docs/freebsd.md 5.5).
        self._os_release: str | None = None
        self._source = confsource.ConfSource(
            read=self.files.read_text, glob=self.files.glob,
            exists=lambda p: self.files.stat(p) is not None, stat=self._stat_obj,
            rc_conf=self.conf.rc_conf, names=self._names_in)
        self._last_conf: confsource.ConfiguredJails | None = None
        self._users = JailUsers(self.read_jail_files, identities=self._jail_file_identities)
        #: False once this host's ps said ``ps: jail: keyword not found``:
        #: remembered, so later polls ask without the keyword and name the
        #: processes from jls by jid (docs/freebsd.md 2.1).
        self.ps_jail_keyword = True
        #: Called with every snapshot a poll returns (cli/session.py sets it
        #: for the local host: the jail names for shell completion,
        #: core/hosts/namecache.py). Must not raise.
        self.on_poll: Callable[[HostSnapshot], None] | None = None
        #: Who owns each jail: the managers' files, read on a slow cadence (never a
        #: manager's `list` per tick; docs/managers.md 1.7).
        self.owners = OwnerIndex(self.files, owner_settings)
        #: The last poll's ownership of every row, by kernel name.
        self._owned: dict[str, Ownership] = {}
        #: Whether this host's sockstat takes --libxo (FreeBSD 15), learnt once.
        self._sockstat: network.SockstatFlavour | None = None

    # -- files --------------------------------------------------------------

    def read_text(self, host_path: str) -> str:
        return self.files.read_text(host_path)

    async def read_jail_files(self, root: str, rels: Sequence[str]) -> list[jailfs.FileRead]:
        """Files under a jail's root (host path ``root``), through the one safe
        reader (core/transport/jailfs.py): never a symlink out of the root, a
        FIFO, a device or an endless file; off the event loop, bounded in
        time and size. On a remote host the same rules run there."""
        if not rels:
            return []
        base = root.rstrip("/") or "/"
        local = self.files.local_path(base)
        if local is not None:
            return list(await asyncio.gather(*(
                jailfs.aread_under_root(local, rel, shown=f"{base.rstrip('/')}/{rel}")
                for rel in rels)))
        return await jailfs.aread_remote(self.runner, self._remote_paths().real(base), rels,
                                         shown_root=base)

    async def _jail_file_identities(self, roots: Sequence[str], rel: str
                                   ) -> list[jailfs.Identity | None] | None:
        """jailfs.identity_under_root of ``rel`` under each jail root (host paths),
        all in one thread; None on a host whose files are not on this machine."""
        local = [self.files.local_path(root.rstrip("/") or "/") for root in roots]
        if any(p is None for p in local):
            return None
        return await jailfs.aidentities_under_root([p for p in local if p is not None], rel)

    def _remote_paths(self) -> PathMap:
        """Host paths -> paths on the remote machine: the remote files' own map
        (RemoteFiles.paths; a simulated host there keeps its "/" in a directory)."""
        return getattr(self.files, "paths", self.paths)

    def glob(self, pattern: str) -> list[str]:
        return self.files.glob(pattern)

    def _stat(self, host_path: str) -> tuple[int, int] | None:
        return self.files.stat(host_path)

    def _names_in(self, host_dir: str) -> frozenset[str] | None:
        """The names in a directory of this machine (one scandir), for
        confsource's lookup: empty when it does not exist or is not a
        directory (then nothing in it exists either), None when it cannot
        be listed (permissions) or is remote (asked file by file)."""
        try:
            local = self.files.local_path(host_dir)
        except OSError:
            return None
        if local is None:
            return None
        try:
            with os.scandir(local) as it:
                return frozenset(e.name for e in it)
        except (FileNotFoundError, NotADirectoryError):
            return frozenset()
        except OSError:
            return None

    def _stat_obj(self, host_path: str) -> _Sig:
        sig = self.files.stat(host_path)
        if sig is None:
            raise FileNotFoundError(host_path)
        return _Sig(sig[0], sig[1])

    def configured(self, *, freebsd: int | None = None) -> confsource.ConfiguredJails:
        """Jails from jail.conf, jail.conf.d and rc.conf (cached by stat).

        ``freebsd``: read as the jail(8) of that major release (13.x and
        14.0+ differ: core/freebsd/jailconf/dialect.py); None keeps the
        source's own setting (the newest unless the host says otherwise).
        """
        if freebsd is not None and freebsd != self._source.freebsd:
            return confsource.ConfSource(
                read=self.files.read_text, glob=self.files.glob,
                exists=lambda p: self.files.stat(p) is not None,
                rc_conf=self.conf.rc_conf, freebsd=freebsd).load()
        # One check per action (core/hosts/oneview.py); else the files' stat, each call.
        conf = oneview.configured(self, self._source.load)
        self._last_conf = conf
        return conf

    # -- the tick -----------------------------------------------------------

    async def _run(self, argv: Sequence[str], timeout: float = POLL_TIMEOUT,
                   input: bytes | None = None) -> CommandResult:
        return await self.runner.run(argv, timeout=timeout, input=input)

    async def poll(self, *, processes: bool = True) -> HostSnapshot:
        """One tick: jls and ps concurrently, merged with the configuration.

        ``processes=False`` (``list``, which shows none): the snapshot has no
        processes, only the jails' aggregates, summed without making a
        Process per row or naming users (psmod.parse_ps_totals; issue 18).

        Raises CommandError or ParseError when jls or ps fail; the console then
        keeps the last good snapshot and marks it stale. Anything else that
        is not one of our errors (a bug, an answer nothing expected) is
        wrapped here, the poll's one boundary for the console, ``list``,
        ``ps`` and ``check`` alike, into :class:`PollFailed`, which says
        what failed and what to do (issue 13 item 37).
        """
        try:
            return await self._poll(processes)
        except JailtuiError:
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary: worded, never a bare type
            raise PollFailed(exc) from exc

    async def _poll(self, processes: bool) -> HostSnapshot:
        # Until the host has said which system it is: ask beside the poll's
        # own commands (no extra round trip), and believe nothing of a host
        # that is not FreeBSD: it says so instead of "loading" for ever
        # (issue 13 item 28; docs/freebsd.md 5.5).
        asking = (asyncio.ensure_future(self.os_release()) if self._os_release is None
                  else None)
        try:
            jls_res, ps_res = await run_all(self.runner,
                                            [jlsmod.JLS_POLL_ARGV, self.ps_argv()], POLL_TIMEOUT)
        except asyncio.CancelledError:
            if asking is not None:
                asking.cancel()
            raise
        except Exception:
            if asking is not None:
                await asyncio.wait([asking])
                err = None if asking.cancelled() else asking.exception()
                if isinstance(err, NotFreeBSD):
                    raise err from None
            raise
        if asking is not None:
            self._os_release = await asking  # NotFreeBSD: raised here
        check(jls_res)
        if self.ps_jail_keyword and psmod.lacks_jail_keyword(ps_res):
            # Everything but the jail column was printed: use it, and ask
            # without the keyword from now on.
            self.ps_jail_keyword = False
        else:
            check(ps_res)
        # Parsing 50,000 processes takes a good part of a second: off the
        # event loop, so keys and drawing stay fluent meanwhile; in the one
        # parse thread (_PARSER), and the answer's bytes let go right after.
        # The ps bytes in a box the parse empties: they are let go as soon as
        # they are decoded to text, before the JSON decode's own peak.
        jls_out, ps_box = jls_res.stdout, [ps_res.stdout]
        del jls_res, ps_res
        # The jails' numeric users are named in the parse, from the last
        # poll's passwd maps; settle() below checks them against this poll's
        # (jailusers.py: a new Process only where a name changed; issue 18).
        naming = self._users.naming()
        jls, parsed = await asyncio.get_running_loop().run_in_executor(
            _PARSER, _parse_poll, jls_out, ps_box, processes, naming)
        del jls_out, ps_box
        warnings: list[str] = []
        try:
            conf = await asyncio.to_thread(self.configured)
        except (OSError, JailtuiError) as exc:  # never lose the live data for a config problem
            conf = confsource.ConfiguredJails({}, [], [], False)
            warnings.append(f"jail configuration: {exc}")
        warnings.extend(conf.errors)
        warnings.extend(f"hint: {h}" for h in conf.hints)  # e.g. CRLF for 13.x jail(8)
        jails = merge_jails(jls.jails, conf)
        try:
            jails, problems = await asyncio.to_thread(self._apply_owners, jails, conf)
            warnings.extend(problems)
        except (OSError, JailtuiError) as exc:  # ownership never costs the live data
            warnings.append(f"jail owners: {exc}")
        physmem = await self._physmem_kib()
        if isinstance(parsed, ProcessTotals):
            procs: tuple[Process, ...] = ()
            jails = apply_totals(jails, parsed, physmem)
        else:
            # settle() first: it finds the rows to rename by the Processes the
            # parse made, which name_processes (the jail column) may copy.
            procs = name_processes(await self._users.settle(parsed, jails, naming), jails)
            jails = aggregate(jails, procs, physmem)
        snapshot = HostSnapshot(info=self.info(), taken_at=time.time(),
                                jails=jails, processes=procs,
                                warnings=tuple(warnings), jls_version=jls.version,
                                conf_stamps=tuple((p, *sig) for p, sig in
                                                  sorted(conf.stamps.items())))
        if self.on_poll is not None:
            self.on_poll(snapshot)
        return snapshot

    def ps_argv(self, jail: str | None = None) -> list[str]:
        """The process poll's argv as this host's ps understands it."""
        return psmod.ps_argv(jail, jail_keyword=self.ps_jail_keyword)
    async def os_release(self) -> str | None:
        """``kern.osrelease`` of a FreeBSD host (``14.3-RELEASE``); raises
        NotFreeBSD naming the system when the host says it is another one;
        None when it cannot tell (no sysctl, no uname: the poll's own
        commands then say what is missing). docs/freebsd.md 5.5.

        The release's major number sets the jail(8) grammar the
        configuration is read with (13.x differs: jailconf/dialect.py).
        """
        try:
            res: CommandResult | None = await self._run(argvmod.OSTYPE_ARGV)
        except CommandTimeout:
            return None  # a host that hangs cannot tell; the poll says it hangs
        except CommandError:
            res = None
        lines = [ln.strip() for ln in res.stdout.decode("utf-8", "replace").splitlines()
                 if ln.strip()] if res is not None and res.returncode == 0 else []
        if lines and lines[0] == "FreeBSD":
            release = lines[1] if len(lines) > 1 else ""
            major = release.split(".", 1)[0]
            if major.isdigit():
                self._source.read_as(int(major))
            return release
        if lines:
            raise NotFreeBSD(" ".join(lines))  # e.g. Darwin's sysctl
        try:
            uname = await self._run(argvmod.UNAME_ARGV)
        except CommandError:
            return None
        system = uname.stdout.decode("utf-8", "replace").strip()
        if uname.returncode != 0 or not system or system.split()[0] == "FreeBSD":
            return None
        raise NotFreeBSD(system)

    async def _physmem_kib(self) -> float | None:
        """``sysctl -n hw.physmem`` (bytes) in KiB, asked once per host: what ps
        divides RSS by for %MEM (keyword.c), so a jail's %MEM is computed the
        same way (core.model.aggregate). None where it cannot be had."""
        if self._physmem is None:
            value: float | None = None
            try:
                res = await self._run(argvmod.sysctl_value_argv("hw.physmem"), timeout=5)
                text = res.stdout.decode("ascii", "replace").strip()
                if res.returncode == 0 and text.isdigit() and int(text) > 0:
                    value = int(text) / 1024
            except CommandError:
                value = None
            self._physmem = (value,)
        return self._physmem[0]

    def _apply_owners(self, jails: Sequence[Jail], conf: confsource.ConfiguredJails
                     ) -> tuple[tuple[Jail, ...], list[str]]:
        """Every row with its owner, plus the managers' configured-but-stopped jails.

        A running jail is attributed from its jls name and path (docs/managers.md 1.7);
        a manager's jail gets the manager's boot flag and file. Blocking (reads files on
        the slow cadence): called off the event loop.
        """
        configured = {n: cj.file for n, cj in conf.jails.items()}
        out: list[Jail] = []
        owned: dict[str, Ownership] = {}
        rowed: set[str] = set()
        for j in jails:
            if j.state is JailState.STOPPED:
                own = Ownership(Owner.JAILCONF, j.name, f"block in {j.conf_file}",
                                j.conf_file or "", j.enabled)
            else:
                own = self.owners.attribute(j.name, j.path, configured)
            out.append(with_owner(j, own))
            if j.state is not JailState.DYING or j.name not in owned:
                owned[j.name] = own
            if j.state is not JailState.DYING:
                rowed.add(j.name)
        for mj in self.owners.configured_jails():
            # A dying jail is its own row beside the stopped one (docs/freebsd.md 5.4).
            if mj.kernel_name in rowed:
                continue
            own = managed_ownership(mj)
            owned[mj.kernel_name] = own
            out.append(Jail(name=mj.kernel_name, jid=None, state=JailState.STOPPED,
                            hostname=mj.hostname, path=mj.path, ip4=mj.ip4, configured=True,
                            enabled=mj.enabled, conf_file=mj.conf_file, owner=mj.owner.value,
                            owner_name=mj.name, owner_reason=own.reason,
                            boot_source=owner_boot_source(own)))
        for mname, b in self.owners.unusable_jails():
            # Its manager's file is broken: still listed (stopped, unknown, the reason),
            # never driven by a guess (issue 15 "Bad input").
            if b.kernel_name in rowed:
                continue
            rowed.add(b.kernel_name)
            own = Ownership(Owner.UNKNOWN, mname, b.reason, b.conf_file)
            owned[b.kernel_name] = own
            out.append(Jail(name=b.kernel_name, jid=None, state=JailState.STOPPED,
                            path=b.path, configured=True, conf_file=b.conf_file,
                            owner=Owner.UNKNOWN.value, owner_name=mname,
                            owner_reason=b.reason))
        self._owned = owned
        return tuple(out), self.owners.problems()

    def ownership(self, name: str, path: str | None) -> Ownership:
        """Who owns ``name`` now: from its jls ``path`` when running (re-resolved by the
        controller), else from the configuration (jail.conf first, as the rows).

        The managers' files are checked again first (the controller asks just before an
        action): a jail whose file went since the last poll is not driven by its name --
        Bastille would complete the name to another jail's (docs/managers.md 1.1). Every
        answer the last reading got is asked again (OwnerIndex.recheck); only a change
        reads and parses them again (docs/managers.md 1.7).
        """
        self.owners.recheck()
        return self._decide(name, path)

    def _decide(self, name: str, path: str | None) -> Ownership:
        try:
            configured = {n: cj.file for n, cj in self.configured().jails.items()}
        except (OSError, JailtuiError):
            configured = {}
        if path is not None:
            return self.owners.attribute(name, path, configured)
        if name in configured:
            return Ownership(Owner.JAILCONF, name, f"block in {configured[name]}",
                             configured[name])
        for mj in self.owners.configured_jails():
            if mj.kernel_name == name:
                return managed_ownership(mj)
        for mname, b in self.owners.unusable_jails():
            if b.kernel_name == name:
                return Ownership(Owner.UNKNOWN, mname, b.reason, b.conf_file)
        return Ownership(Owner.UNKNOWN, "", NO_OWNER)

    def manager_alias(self, name: str) -> ManagedJail | None:
        """The managed jail a manager calls ``name`` while the kernel knows it by another
        name (iocage ``backup`` = ``ioc-backup``, docs/managers.md 1.9); None when
        ``name`` is a jail's own name (jail.conf or kernel) or no manager's alone."""
        try:
            if name in self.configured().jails:
                return None
        except (OSError, JailtuiError):
            pass
        mine = list(self.owners.configured_jails())
        if any(mj.kernel_name == name for mj in mine):
            return None
        hits = {mj.kernel_name: mj for mj in mine if mj.name == name}
        # Two managers calling different jails by one name: no single hint to give.
        return next(iter(hits.values())) if len(hits) == 1 else None

    def managed_jail(self, name: str) -> ManagedJail | None:
        """The manager's record of jail ``name`` (its kernel name), if a manager has one."""
        for inv in self.owners.inventories().values():
            found = inv.jails.get(name)
            if found is not None:
                return found
        return None

    def owner_of(self, name: str) -> Ownership:
        """The last poll's owner of a row (the editor; no jls here)."""
        own = self._owned.get(name)
        return own if own is not None else self._decide(name, None)

    def info(self) -> HostInfo:
        """Host facts from psutil (this machine: local FreeBSD or the simulator's),
        and the release the host's kernel said (``kern.osrelease``, once polled).

        A remote host's load and memory are not this machine's: left empty.
        """
        base = HostInfo(hostname=self.hostname(), backend=self.label,
                        os_release=self._os_release or "")
        if not isinstance(self.files, LocalFiles):
            return base
        try:
            load = psutil.getloadavg()
            vm = psutil.virtual_memory()
            return replace(base, load=(round(load[0], 2), round(load[1], 2), round(load[2], 2)),
                           mem_total_kib=vm.total // 1024, mem_used_kib=vm.used // 1024,
                           ncpu=psutil.cpu_count())
        except (OSError, AttributeError):
            return base

    def hostname(self) -> str:
        return self._hostname or socket.gethostname()

    def checkable(self) -> Host:
        """This host: health checks run its commands and read its files."""
        return self

    # -- the link -----------------------------------------------------------

    def link(self) -> LinkState | None:
        """The SSH link now; None for a host reached without one (local, simulated)."""
        return self.runner.link()

    def retry_now(self) -> None:
        """Cut the SSH backoff short (the user asked to reconnect)."""
        self.runner.retry_now()

    # -- slow facts about one jail (detail screen) ---------------------------

    async def jail_params(self, name: str) -> dict[str, ParamValue]:
        """Every parameter ``jls -n -j NAME all`` gives (booleans as bool)."""
        res = check(await self._run(jlsmod.jls_params_argv(["all"], jail=name)))
        rows = jlsmod.parse_jls_params(res.stdout)
        if not rows:
            raise ParseError("jls -n all", f"no parameters for jail {name!r}")
        return rows[0]

    async def rctl_usage(self, name: str) -> dict[str, int]:
        from jailtui.core.freebsd import rctl

        res = check(await self._run(rctl.rctl_usage_argv(name)))
        return rctl.parse_rctl_usage(res.stdout)

    async def rctl_rules(self, name: str) -> list[rctl.RctlRule]:
        from jailtui.core.freebsd import rctl

        res = check(await self._run(rctl.rctl_rules_argv(name)))
        return rctl.parse_rctl_rules(res.stdout)

    async def drift(self, name: str) -> DriftReport:
        """Where running jail ``name`` differs from jail.conf and its manager (core/drift.py)."""
        from jailtui.core.drift import jail_drift

        return await jail_drift(self, name)

    async def who(self, name: str) -> list[misc.Login]:
        """Users logged in to the jail: ``jexec NAME who`` (docs/freebsd.md 9.2)."""
        from jailtui.core.freebsd import misc

        res = check(await self._run(argvmod.who_argv(name)))
        return misc.parse_who(res.stdout)

    async def services(self, name: str) -> list[str]:
        """Enabled rc.d services of the jail: ``service -j NAME -e``."""
        from jailtui.core.freebsd import misc

        res = check(await self._run(argvmod.service_enabled_argv(name)))
        return [misc.service_name(p) for p in misc.parse_service_enabled(res.stdout)]

    async def network(self, jail: Jail) -> network.NetworkInfo:
        """The jail's network as the host sees it (core/network.py): on opening the
        detail and on ``r``, never per tick. ``vnet`` from ``jls -n vnet``; the
        VNET interfaces from the jail's effective jail.conf block; the rdr anchor
        only for a Bastille jail."""
        from jailtui.core import network as netmod

        if self._sockstat is None:
            self._sockstat = netmod.SockstatFlavour()
        vnet = False
        try:
            res = await self._run(jlsmod.jls_params_argv(["vnet"], jail=jail.name))
            if res.returncode == 0:
                rows = jlsmod.parse_jls_params(res.stdout)
                vnet = bool(rows) and str(rows[0].get("vnet", "")) == "new"
        except (JailtuiError, OSError):
            vnet = False
        try:
            conf = self.configured().jails.get(jail.name)
        except (JailtuiError, OSError):
            conf = None
        iface = conf.params.get("vnet.interface") if conf is not None else None
        bastille = self.owner_of(jail.name).owner is Owner.BASTILLE
        return await netmod.collect(self._run, jail, vnet=vnet, vnet_interface=iface,
                                    bastille=bastille, sockstat=self._sockstat)

    async def service_status(self, name: str, service: str) -> rcstatus.ServiceStatus:
        """``service -j NAME SERVICE status``: on demand (the services screen, D), never per tick."""
        from jailtui.core.checks import rcstatus

        argv = rcstatus.status_argv(name, service)
        return rcstatus.parse_status(service, await self._run(argv, timeout=30))

    async def posture(self, jails: Sequence[Jail], baseline: Baseline, *,
                      host_name: str | None = None) -> list[JailPosture]:
        """The security posture of ``jails`` (core/posture/collect.py, on demand: S and F)."""
        from jailtui.core.posture.collect import collect

        return await collect(self, jails, baseline, host_name=host_name)

    async def disk_usage(self, path: str) -> tuple[int, int, int] | None:
        """File system usage of a jail's path (statvfs; on ZFS the dataset's view)."""
        local = self.files.local_path(path)
        if local is None:
            return await self._remote_disk_usage(path)
        try:
            du = await asyncio.to_thread(psutil.disk_usage, local)
        except (OSError, ValueError):
            return None
        return (du.total, du.used, du.free)

    async def _remote_disk_usage(self, path: str) -> tuple[int, int, int] | None:
        """``df -k PATH`` on a remote host (POSIX output: 1024-byte blocks)."""
        from jailtui.core.freebsd import misc

        try:
            res = await self._run(argvmod.df_argv(path), timeout=10)
        except CommandError:
            return None
        return misc.parse_df(res.stdout) if res.returncode == 0 else None

    def config_block(self, name: str) -> tuple[str, int, str] | None:
        """(file, first line, text) of the jail's block in its config file."""
        conf = self._last_conf or self.configured()
        cj = conf.jails.get(name)
        if cj is None:
            return self._owner_config(name)
        try:
            block = jailconf.parse(self.read_text(cj.file), cj.file).block(name)
        except (OSError, JailtuiError):
            return None
        if block is None:
            return None
        return (cj.file, block.start_line, block.text)

    def _owner_config(self, name: str) -> tuple[str, int, str] | None:
        """A manager's jail: its block in Bastille's per-jail jail.conf, or the whole
        file of the others (shown read-only: docs/managers.md 1.8)."""
        own = self.owner_of(name)
        d = owner_driver(own.owner)
        if d is None or own.owner is Owner.JAILCONF or not own.conf_file:
            return None
        try:
            text = read_config(self.files, own.conf_file)
            if d.edit(own.name or name, own.conf_file).kind is EditKind.JAILCONF:
                block = jailconf.parse(text, own.conf_file).block(name)
                return None if block is None else (own.conf_file, block.start_line, block.text)
        except (OSError, JailtuiError, ConfigUnreadable):
            return None
        return (own.conf_file, 1, text)

    def _console_log_path(self, name: str) -> tuple[str | None, str]:
        """The jail's ``exec.consolelog`` (host path, or None) and where it is set.

        From the configuration rc.d/jail starts it with, else from its
        manager's jail.conf(5) (Bastille's per-jail file, docs/managers.md 1.1);
        the other managers' formats name no console log of jail(8).
        """
        from jailtui.core import consolelog

        conf = self._last_conf or self.configured()
        cj = conf.jails.get(name)
        if cj is not None:
            path = consolelog.configured_path(cj.params)
            return path, (f"{consolelog.PARAM} in {cj.file}" if path
                          else f"no {consolelog.PARAM} in {cj.file}")
        own = self.owner_of(name)
        d = owner_driver(own.owner)
        if d is None or own.owner is Owner.JAILCONF or not own.conf_file:
            return None, f"{name} is not defined in a configuration file"
        if own.owner is Owner.IOCAGE:
            return (iocage_console_log(own.conf_file, own.name or name),
                    f"{consolelog.PARAM} of iocage's start (ioc_start.py)")
        if d.edit(own.name or name, own.conf_file).kind is not EditKind.JAILCONF:
            return None, (f"{owner_title(own.owner)} sets no {consolelog.PARAM} jailtui "
                          "knows of (docs/managers.md)")
        try:
            cfg = jailconf.load(own.conf_file, read=self.files.read_text, glob=self.files.glob)
            path = consolelog.configured_path(cfg.effective(own.name or name))
        except (OSError, JailtuiError) as exc:
            return None, f"{own.conf_file}: {describe(exc)}"
        return path, (f"{consolelog.PARAM} in {own.conf_file}" if path
                      else f"no {consolelog.PARAM} in {own.conf_file}")

    async def console_log(self, name: str,
                          since: consolelog.LogMark | None = None) -> consolelog.LogChunk:
        """The jail's console log from ``since`` (the tail when None): a host
        file, read on the host's side, its bytes the jail's (core/consolelog.py)."""
        from jailtui.core import consolelog

        path, source = await asyncio.to_thread(self._console_log_path, name)
        if path is None:
            return consolelog.LogChunk("", reason=source, source=source)
        if not path.startswith("/"):
            return consolelog.LogChunk(path, reason=f"{consolelog.PARAM}: {path}: not an "
                                       "absolute pathname", source=source)
        local = self.files.local_path(path)
        if local is not None:
            chunk = await asyncio.to_thread(consolelog.read_local, local, path, since)
        else:
            chunk = await consolelog.read_remote(self.runner, self._remote_paths().real(path),
                                                 path, since)
        return replace(chunk, source=source)


def merge_jails(live: Sequence[Jail], conf: confsource.ConfiguredJails) -> tuple[Jail, ...]:
    """Running and dying jails from jls, then configured jails that are not running.

    Live jails get ``configured``/``enabled``/``conf_file`` from the config;
    configured-only jails appear as STOPPED with the hostname, path and
    addresses jail.conf gives them. A dying jail is its own row and does not
    hide the configured jail's STOPPED row (the jail can be started again
    while the old one is dying: kern_jail_set looks up only live jails,
    docs/freebsd.md 5.4).
    """
    out: list[Jail] = []
    seen: set[str] = set()
    stops_with = confsource.dependents(conf, [j.name for j in live if j.state is JailState.RUNNING])
    for j in live:
        # One positional copy a jail (Jail.with_config), not replace() (issue 18).
        cj = conf.jails.get(j.name)
        deps = stops_with.get(j.name) if j.state is JailState.RUNNING else None
        if cj is not None:
            j = j.with_config(True, cj.enabled, cj.file, cj.boot_source,
                              j.dependents if deps is None else deps)
        elif deps is not None:
            j = j.with_config(j.configured, j.enabled, j.conf_file, j.boot_source, deps)
        out.append(j)
        if j.state is not JailState.DYING:
            seen.add(j.name)
    for name, cj in conf.jails.items():
        if name in seen:
            continue
        p = cj.params
        out.append(Jail(name=name, jid=None, state=JailState.STOPPED,
                        hostname=_str(p.get("host.hostname")), path=_str(p.get("path")),
                        ip4=_addrs(p.get("ip4.addr")), ip6=_addrs(p.get("ip6.addr")),
                        configured=True, enabled=cj.enabled, conf_file=cj.file,
                        boot_source=cj.boot_source))
    return tuple(out)


def managed_ownership(mj: ManagedJail) -> Ownership:
    return Ownership(mj.owner, mj.name, f"{mj.conf_file}", mj.conf_file, mj.enabled)


def with_owner(j: Jail, own: Ownership) -> Jail:
    """``j`` with its owner; a manager's jail is configured by the manager's file and
    starts at boot by the manager's own flag (Bastille ``boot``, iocage ``boot`` ...)."""
    # Positional (Jail.with_owner), not replace(): once a jail each poll (issue 18).
    # The owner's value from a dict: Enum's ``value`` is a Python-level
    # descriptor in 3.11 (Lib/enum.py ``property.__get__``), 1,000 calls a poll.
    value = _OWNER_VALUE[own.owner]
    if own.owner in (Owner.JAILCONF, Owner.UNKNOWN):
        return j.with_owner(value, own.name or j.name, own.reason, j.configured,
                            j.enabled, j.conf_file, j.boot_source, j.dependents)
    # The manager stops it with its own file (``jail -f FILE -r``), which
    # names no other jail: jail.conf's dependents are not removed with it.
    return j.with_owner(value, own.name, own.reason, True, own.enabled,
                        own.conf_file, owner_boot_source(own), ())


_OWNER_VALUE: dict[Owner, str] = {o: o.value for o in Owner}


def owner_boot_source(own: Ownership) -> str:
    """Where a managed jail's "starts at boot" comes from (docs/managers.md 1.0)."""
    return owner_messages.boot_source(own.owner, own.enabled)


def name_processes(procs: Sequence[Process], jails: Sequence[Jail]) -> tuple[Process, ...]:
    """Give every jailed process its jail's name when ps could not.

    Older ps(1) has no ``jail`` keyword (docs/freebsd.md 2.1: first release
    unverified), so the name comes from jls by jid.
    """
    names = {j.jid: j.name for j in jails if j.jid is not None}
    out = []
    for p in procs:
        if p.jail is None and p.jid != 0 and p.jid in names:
            p = replace(p, jail=names[p.jid])
        out.append(p)
    return tuple(out)


def _str(value: ParamValue | None) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def _addrs(value: ParamValue | None) -> tuple[str, ...]:
    """Bare addresses from jail.conf's ``iface|addr/mask`` syntax (docs/freebsd.md 4.3)."""
    return bare_addrs(value)


__all__ = ["Host", "HostFiles", "HostPaths", "LocalFiles", "merge_jails", "name_processes",
           "run_all"]
