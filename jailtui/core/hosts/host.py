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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import psutil

from jailtui.core.checks import daemons
from jailtui.core.errors import CommandError, JailtuiError, ParseError
from jailtui.core.freebsd import jailconf, misc, rctl
from jailtui.core.freebsd import jls as jlsmod
from jailtui.core.freebsd import ps as psmod
from jailtui.core.freebsd.errors import check
from jailtui.core.hosts import confsource
from jailtui.core.model import (
    HostInfo,
    HostSnapshot,
    Jail,
    JailState,
    ParamValue,
    Process,
    aggregate,
)
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import CommandResult, Runner
from jailtui.core.transport.ssh import LinkState, SSHRunner

#: Timeout of the poll commands. jls and ps answer in milliseconds; a host
#: that takes longer is in trouble and the console says so (stale data).
POLL_TIMEOUT = 8.0


class HostFiles(Protocol):
    """Reads the host's files (jail.conf, rc.conf, jail roots' etc/rc.conf).

    Local and simulated hosts read them directly (through a PathMap); a
    remote host reads them over its runner. Paths are host paths.
    """

    def read_text(self, host_path: str) -> str: ...

    def stat(self, host_path: str) -> tuple[int, int] | None: ...

    def glob(self, pattern: str) -> list[str]: ...

    def local_path(self, host_path: str) -> str | None:
        """This machine's path of a host file, or None when it is remote."""
        ...


class LocalFiles:
    """Files of this machine, or of a simulated host under its root."""

    def __init__(self, paths: PathMap) -> None:
        self.paths = paths

    def read_text(self, host_path: str) -> str:
        with open(self.paths.real(host_path), encoding="utf-8", errors="surrogateescape") as fh:
            return fh.read()

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


async def run_all(runner: Runner, argvs: Sequence[Sequence[str]],
                  timeout: float) -> list[CommandResult]:
    """Run several commands as one batch: one round trip where the runner can
    (SSH), concurrently otherwise."""
    many = getattr(runner, "run_many", None)
    if many is not None:
        results: list[CommandResult] = await many(argvs, timeout=timeout)
        return results
    return list(await asyncio.gather(*(runner.run(a, timeout=timeout) for a in argvs)))


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
                 files: HostFiles | None = None, name: str | None = None) -> None:
        self.runner = runner
        #: "FreeBSD" or "SIMULATED": shown wherever output is shown.
        self.label = backend
        #: Short name of this host among several ("local", "web1"); None alone.
        self.name = name
        self.paths = paths or PathMap()
        self.files: HostFiles = files or LocalFiles(self.paths)
        self.conf = conf or HostPaths()
        self._hostname = hostname
        self._source = confsource.ConfSource(
            read=self.files.read_text, glob=self.files.glob,
            exists=lambda p: self.files.stat(p) is not None, stat=self._stat_obj,
            rc_conf=self.conf.rc_conf)
        self._last_conf: confsource.ConfiguredJails | None = None
        #: False once this host's ps said ``ps: jail: keyword not found``:
        #: remembered, so later polls ask without the keyword and name the
        #: processes from jls by jid (docs/freebsd.md 2.1).
        self.ps_jail_keyword = True

    # -- files --------------------------------------------------------------

    def read_text(self, host_path: str) -> str:
        return self.files.read_text(host_path)

    def _glob(self, pattern: str) -> list[str]:
        return self.files.glob(pattern)

    def _stat(self, host_path: str) -> tuple[int, int] | None:
        return self.files.stat(host_path)

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
        conf = self._source.load()
        self._last_conf = conf
        return conf

    # -- the tick -----------------------------------------------------------

    async def _run(self, argv: Sequence[str], timeout: float = POLL_TIMEOUT,
                   input: bytes | None = None) -> CommandResult:
        return await self.runner.run(argv, timeout=timeout, input=input)

    async def poll(self) -> HostSnapshot:
        """One tick: jls and ps concurrently, merged with the configuration.

        Raises CommandError or ParseError when jls or ps fail; the console then
        keeps the last good snapshot and marks it stale.
        """
        jls_res, ps_res = await run_all(self.runner, [jlsmod.JLS_POLL_ARGV, self.ps_argv()],
                                        POLL_TIMEOUT)
        check(jls_res)
        if self.ps_jail_keyword and psmod.lacks_jail_keyword(ps_res):
            # Everything but the jail column was printed: use it, and ask
            # without the keyword from now on.
            self.ps_jail_keyword = False
        else:
            check(ps_res)
        # Parsing 50,000 processes takes a good part of a second: off the
        # event loop, so keys and drawing stay fluent meanwhile.
        jls, procs = await asyncio.to_thread(
            lambda: (jlsmod.parse_jls_verbose(jls_res.stdout), psmod.parse_ps(ps_res.stdout)))
        warnings: list[str] = []
        try:
            conf = await asyncio.to_thread(self.configured)
        except (OSError, JailtuiError) as exc:  # never lose the live data for a config problem
            conf = confsource.ConfiguredJails({}, [], [], False)
            warnings.append(f"jail configuration: {exc}")
        warnings.extend(conf.errors)
        warnings.extend(f"hint: {h}" for h in conf.hints)  # e.g. CRLF for 13.x jail(8)
        jails = merge_jails(jls.jails, conf)
        procs = name_processes(procs, jails)
        return HostSnapshot(info=self.info(), taken_at=time.time(),
                            jails=aggregate(jails, procs), processes=procs,
                            warnings=tuple(warnings), jls_version=jls.version)

    def ps_argv(self, jail: str | None = None) -> list[str]:
        """The process poll's argv as this host's ps understands it."""
        return psmod.ps_argv(jail, jail_keyword=self.ps_jail_keyword)

    def info(self) -> HostInfo:
        """Host facts from psutil (this machine: local FreeBSD or the simulator's).

        A remote host's load and memory are not this machine's: left empty.
        """
        if not isinstance(self.files, LocalFiles):
            return HostInfo(hostname=self.hostname(), backend=self.label)
        try:
            load = psutil.getloadavg()
            vm = psutil.virtual_memory()
            return HostInfo(hostname=self.hostname(), backend=self.label,
                            load=(round(load[0], 2), round(load[1], 2), round(load[2], 2)),
                            mem_total_kib=vm.total // 1024, mem_used_kib=vm.used // 1024,
                            ncpu=psutil.cpu_count())
        except (OSError, AttributeError):
            return HostInfo(hostname=self.hostname(), backend=self.label)

    def hostname(self) -> str:
        return self._hostname or socket.gethostname()

    # -- the link -----------------------------------------------------------

    def link(self) -> LinkState | None:
        """The SSH link now; None for a host reached without one (local, simulated)."""
        runner = self.runner
        return runner.state() if isinstance(runner, SSHRunner) else None

    def retry_now(self) -> None:
        """Cut the SSH backoff short (the user asked to reconnect)."""
        if isinstance(self.runner, SSHRunner):
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
        res = check(await self._run(rctl.rctl_usage_argv(name)))
        return rctl.parse_rctl_usage(res.stdout)

    async def rctl_rules(self, name: str) -> list[rctl.RctlRule]:
        res = check(await self._run(rctl.rctl_rules_argv(name)))
        return rctl.parse_rctl_rules(res.stdout)

    async def who(self, name: str) -> list[misc.Login]:
        """Users logged in to the jail: ``jexec NAME who`` (docs/freebsd.md 9.2)."""
        res = check(await self._run(["jexec", name, "who"]))
        return misc.parse_who(res.stdout)

    async def services(self, name: str) -> list[str]:
        """Enabled rc.d services of the jail: ``service -j NAME -e``."""
        res = check(await self._run(["service", "-j", name, "-e"]))
        return [misc.service_name(p) for p in misc.parse_service_enabled(res.stdout)]

    async def service_status(self, name: str, service: str) -> daemons.ServiceStatus:
        """``service -j NAME SERVICE status``: on demand (daemons screen), never per tick."""
        argv = daemons.status_argv(name, service)
        return daemons.parse_status(service, await self._run(argv, timeout=30))

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
        try:
            res = await self._run(["df", "-k", path], timeout=10)
        except CommandError:
            return None
        lines = res.stdout.decode("utf-8", "replace").splitlines()
        if res.returncode != 0 or len(lines) < 2:
            return None
        fields = lines[-1].split()
        try:
            total, used, free = (int(fields[1]) * 1024, int(fields[2]) * 1024,
                                 int(fields[3]) * 1024)
        except (IndexError, ValueError):
            return None
        return (total, used, free)

    def config_block(self, name: str) -> tuple[str, int, str] | None:
        """(file, first line, text) of the jail's block in its config file."""
        conf = self._last_conf or self.configured()
        cj = conf.jails.get(name)
        if cj is None:
            return None
        try:
            block = jailconf.parse(self.read_text(cj.file), cj.file).block(name)
        except (OSError, JailtuiError):
            return None
        if block is None:
            return None
        return (cj.file, block.start_line, block.text)


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
    for j in live:
        cj = conf.jails.get(j.name)
        if cj is not None:
            j = replace(j, configured=True, enabled=cj.enabled, conf_file=cj.file,
                        boot_source=cj.boot_source)
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
    if value is None or isinstance(value, bool | int):
        return ()
    items = value if isinstance(value, tuple) else tuple(v for v in str(value).split(","))
    out = []
    for item in items:
        item = item.strip()
        if "|" in item:
            item = item.split("|", 1)[1]
        item = item.split("/", 1)[0].split(" ", 1)[0]
        if item:
            out.append(item)
    return tuple(out)


__all__ = ["Host", "HostFiles", "HostPaths", "LocalFiles", "ScopedHost", "merge_jails",
           "name_processes", "run_all"]


class ScopedHost(Host):
    """A Host that sees only a delegate's jails: the one filter every view uses.

    The console, ``list``, ``ps``, ``check`` and their JSON all read through
    this, so no host process, no other jail and no warning that could name
    one ever reaches a delegate (issue: "Scope, in every view and output").
    """

    def __init__(self, inner: Host, scope: frozenset[str]) -> None:
        super().__init__(inner.runner, backend=inner.label, paths=inner.paths, conf=inner.conf,
                         hostname=inner._hostname, files=inner.files, name=inner.name)
        self.scope = scope

    def _require(self, name: str) -> None:
        if name not in self.scope:
            from jailtui.core.errors import PolicyDenied

            raise PolicyDenied("not permitted: that jail is not yours")

    async def poll(self) -> HostSnapshot:
        snap = await super().poll()
        jails = tuple(j for j in snap.jails if j.name in self.scope)
        jids = {j.jid for j in jails if j.jid is not None}
        procs = tuple(p for p in snap.processes if p.jid in jids and p.jid != 0)
        warnings = tuple("jail configuration has a problem (ask the host admin)"
                         for _ in snap.warnings[:1])
        return HostSnapshot(info=snap.info, taken_at=snap.taken_at, jails=jails,
                            processes=procs, warnings=warnings, jls_version=snap.jls_version)

    async def jail_params(self, name: str) -> dict[str, ParamValue]:
        self._require(name)
        return await super().jail_params(name)

    async def rctl_usage(self, name: str) -> dict[str, int]:
        self._require(name)
        return await super().rctl_usage(name)

    async def rctl_rules(self, name: str) -> list[rctl.RctlRule]:
        self._require(name)
        return await super().rctl_rules(name)

    async def who(self, name: str) -> list[misc.Login]:
        self._require(name)
        return await super().who(name)

    async def services(self, name: str) -> list[str]:
        self._require(name)
        return await super().services(name)

    async def service_status(self, name: str, service: str) -> daemons.ServiceStatus:
        self._require(name)
        return await super().service_status(name, service)

    def config_block(self, name: str) -> tuple[str, int, str] | None:
        self._require(name)
        return super().config_block(name)
