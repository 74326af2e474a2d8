"""A delegate's view of a host, by composition: :class:`ScopedHost`.

The console, ``list``, ``ps``, ``check`` and their JSON read a delegate's
host through this, so no host process, no other jail, no warning that could
name one and no file outside the delegate's jails ever reaches a delegate
(docs/security.md). It wraps a :class:`~jailtui.core.hosts.host.Host` and
implements :class:`~jailtui.core.hosts.protocol.JailHost` member by member:
nothing is inherited, so a member added to the protocol and not decided here
is a type error and fails tests/test_scoped_host.py.

Each member is one of:

- filtered: the poll and the configuration, reduced to the jails in scope;
- scoped by jail name: refused (:data:`NOT_YOUR_JAIL`) for another jail;
- scoped by path: only paths inside the root of a jail in scope, after
  resolving symlinks on this machine (a jail's ``etc/rc.conf`` that is a
  symlink to the host's or another jail's file is refused);
- host facts (label, name, hostname, the SSH link): forwarded; of
  :meth:`ScopedHost.info`, the static facts only: no load average and no
  memory in use, which are the activity of the other tenants (decided in
  docs/security.md 2.9);
- capabilities the controller needs to act (runner, path map, config
  paths): forwarded; the controller is the gate for actions and checks
  the delegate's policy itself (core/actions/control.py).
"""

from __future__ import annotations

import errno
import os
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from jailtui.core import consolelog
from jailtui.core.checks import rcstatus
from jailtui.core.errors import PolicyDenied
from jailtui.core.freebsd import misc, rctl
from jailtui.core.hosts import confsource
from jailtui.core.hosts.host import Host
from jailtui.core.hosts.protocol import HostConf, HostFiles
from jailtui.core.model import HostInfo, HostSnapshot, Jail, ParamValue
from jailtui.core.network import NetworkInfo
from jailtui.core.owners import ManagedJail, Owner, Ownership
from jailtui.core.transport import jailfs
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import Runner

if TYPE_CHECKING:
    from jailtui.core.drift import DriftReport
    from jailtui.core.posture.baseline import Baseline
    from jailtui.core.posture.model import JailPosture
    from jailtui.core.transport.ssh import LinkState

__all__ = ["NOT_YOUR_JAIL", "NOT_YOUR_PATH", "SCOPE_WARNING", "ScopedFiles", "ScopedHost",
           "tenant_view"]

#: The refusal for another jail's name (the name is not echoed: a delegate
#: must not learn which other jails exist).
NOT_YOUR_JAIL = "not permitted: that jail is not yours"
#: The refusal for a path outside the delegate's jails.
NOT_YOUR_PATH = "not permitted: that path is not in your jail"
#: What a delegate sees instead of the configuration's problems, which may
#: name other jails or files.
SCOPE_WARNING = "jail configuration has a problem (ask the host admin)"


def tenant_view(info: HostInfo) -> HostInfo:
    """What a delegate sees of the host itself: its name (they logged in to
    it; every output names it), the OS release, CPUs and memory size (fixed
    facts), but not the load average nor the memory in use: those move with
    what the other jails do, and a tenant watching them learns when the
    others are busy (docs/security.md 2.9)."""
    return replace(info, load=None, mem_used_kib=None)


class ScopedHost:
    """A Host that sees only a delegate's jails (``scope``: their names)."""

    def __init__(self, inner: Host, scope: frozenset[str]) -> None:
        self._inner = inner
        self.scope = scope
        #: Roots of the jails in scope as the last poll saw them (host paths).
        self._polled_roots: dict[str, str] = {}
        self._files = ScopedFiles(inner.files,
                                  lambda p: self.path_allowed(p) or self.conf_path_allowed(p),
                                  self.edit_path_allowed)

    # -- host facts, forwarded (info: the static ones) --------------------------

    @property
    def label(self) -> str:
        return self._inner.label

    @property
    def name(self) -> str | None:
        return self._inner.name

    def hostname(self) -> str:
        return self._inner.hostname()

    def info(self) -> HostInfo:
        return tenant_view(self._inner.info())

    async def os_release(self) -> str | None:
        return await self._inner.os_release()

    def checkable(self) -> ScopedHost:
        """This scoped host: a delegate's checks see only their jails."""
        return self

    def link(self) -> LinkState | None:
        return self._inner.link()

    def retry_now(self) -> None:
        self._inner.retry_now()

    # -- capabilities for the controller (the gate), forwarded -----------------

    @property
    def runner(self) -> Runner:
        return self._inner.runner

    @property
    def paths(self) -> PathMap:
        return self._inner.paths

    @property
    def conf(self) -> HostConf:
        return self._inner.conf

    # -- filtered ---------------------------------------------------------------

    @property
    def files(self) -> HostFiles:
        """The host's files, scoped by path (:meth:`path_allowed`)."""
        return self._files

    async def poll(self, *, processes: bool = True) -> HostSnapshot:
        snap = await self._inner.poll(processes=processes)
        jails = tuple(j for j in snap.jails if j.name in self.scope)
        self._polled_roots = {j.name: j.path for j in jails if j.path}
        jids = {j.jid for j in jails if j.jid is not None}
        procs = tuple(p for p in snap.processes if p.jid in jids and p.jid != 0)
        warnings = tuple(SCOPE_WARNING for _ in snap.warnings[:1])
        # Only the files holding their jails' blocks: the others are the host's.
        own = {j.conf_file for j in jails if j.conf_file}
        stamps = tuple(s for s in snap.conf_stamps if s[0] in own)
        return HostSnapshot(info=tenant_view(snap.info), taken_at=snap.taken_at, jails=jails,
                            processes=procs, warnings=warnings, jls_version=snap.jls_version,
                            conf_stamps=stamps)

    def ps_argv(self, jail: str | None = None) -> list[str]:
        return self._inner.ps_argv(jail)

    def configured(self) -> confsource.ConfiguredJails:
        conf = self._inner.configured()
        jails = {n: cj for n, cj in conf.jails.items() if n in self.scope}
        files = sorted({cj.file for cj in jails.values()})
        return confsource.ConfiguredJails(
            jails=jails, errors=[SCOPE_WARNING] if conf.errors else [],
            enabled_list=[n for n in conf.enabled_list if n in self.scope],
            jail_enable=conf.jail_enable, files=files)

    # -- scoped by jail name ------------------------------------------------------

    def _require(self, name: str) -> None:
        if name not in self.scope:
            raise PolicyDenied(NOT_YOUR_JAIL)

    async def jail_params(self, name: str) -> dict[str, ParamValue]:
        self._require(name)
        return await self._inner.jail_params(name)

    async def rctl_usage(self, name: str) -> dict[str, int]:
        self._require(name)
        return await self._inner.rctl_usage(name)

    async def rctl_rules(self, name: str) -> list[rctl.RctlRule]:
        self._require(name)
        return await self._inner.rctl_rules(name)

    async def drift(self, name: str) -> DriftReport:
        self._require(name)
        from jailtui.core.drift import jail_drift

        return await jail_drift(self, name)

    async def who(self, name: str) -> list[misc.Login]:
        self._require(name)
        return await self._inner.who(name)

    async def services(self, name: str) -> list[str]:
        self._require(name)
        return await self._inner.services(name)

    async def network(self, jail: Jail) -> NetworkInfo:
        self._require(jail.name)
        return await self._inner.network(jail)

    async def service_status(self, name: str, service: str) -> rcstatus.ServiceStatus:
        self._require(name)
        return await self._inner.service_status(name, service)

    def config_block(self, name: str) -> tuple[str, int, str] | None:
        self._require(name)
        return self._inner.config_block(name)

    async def console_log(self, name: str,
                          since: consolelog.LogMark | None = None) -> consolelog.LogChunk:
        self._require(name)
        return await self._inner.console_log(name, since)

    def ownership(self, name: str, path: str | None) -> Ownership:
        self._require(name)
        return self._inner.ownership(name, path)

    def managed_jail(self, name: str) -> ManagedJail | None:
        self._require(name)
        return self._inner.managed_jail(name)

    def owner_of(self, name: str) -> Ownership:
        self._require(name)
        return self._inner.owner_of(name)

    def manager_alias(self, name: str) -> ManagedJail | None:
        """The inner host's alias only when the jail it names is in scope: a delegate
        never learns of another jail from a hint, and the alias is only a hint (the
        scope holds kernel names; an alias never widens it)."""
        mj = self._inner.manager_alias(name)
        return mj if mj is not None and mj.kernel_name in self.scope else None

    def _owner_files(self) -> set[str]:
        """The managers' files of the jails in scope (Bastille's per-jail jail.conf
        is the file ``bastille start`` hands to ``jail -f``, docs/managers.md 1.1)."""
        out: set[str] = set()
        for name in self.scope:
            try:
                own = self._inner.owner_of(name)
            except (OSError, ValueError):
                continue
            if own.owner not in (Owner.JAILCONF, Owner.UNKNOWN) and own.conf_file:
                out.add(posixpath.normpath(own.conf_file))
        return out

    # -- scoped by path ------------------------------------------------------------

    def roots(self) -> list[str]:
        """Host paths of the roots of the jails in scope (running or configured).

        A root of ``/`` (a jail that shares the host's root) gives no path
        scope: everything would be inside it.
        """
        found = set(self._polled_roots.values())
        try:
            conf = self._inner.configured()
        except (OSError, ValueError):
            conf = None
        if conf is not None:
            for name, cj in conf.jails.items():
                path = cj.params.get("path")
                if name in self.scope and isinstance(path, str) and path:
                    found.add(path)
        return sorted(r for r in (posixpath.normpath(p) for p in found if p.startswith("/"))
                      if r != "/")

    def path_allowed(self, host_path: str) -> bool:
        """Is ``host_path`` inside the root of one of the delegate's jails?

        Lexically first (``..`` cannot climb out), then, for a file of this
        machine, with symlinks resolved on both sides.
        """
        if not host_path.startswith("/"):
            return False
        norm = posixpath.normpath(host_path)
        for root in self.roots():
            if not _inside(norm, root):
                continue
            real = self._inner.files.local_path(norm)
            real_root = self._inner.files.local_path(root)
            if real is None or real_root is None:
                return True  # a remote host: its reader applies its own rules
            if _inside(os.path.realpath(real), os.path.realpath(real_root)):
                return True
        return False

    def conf_path_allowed(self, host_path: str) -> bool:
        """A file of the jail configuration jail(8) reads to start the delegate's
        jail (``/etc/jail.conf`` and what it includes): the controller checks an
        edit inside it (core/config/confedit.py, ConfContext); the console shows
        the delegate only their own block of it (config_block)."""
        norm = posixpath.normpath(host_path) if host_path.startswith("/") else ""
        try:
            conf = self._inner.configured()
        except (OSError, ValueError):
            return False
        return norm in conf.files or norm in self._owner_files()

    def edit_path_allowed(self, host_path: str) -> bool:
        """A file the controller edits for the delegate: the config file of
        one of their jails, or the backup directory of saves
        (core/config/confedit.py)."""
        # Here, not at the top: a delegate's `list` never edits (issue 18).
        from jailtui.core.config.confedit import BACKUP_DIR

        norm = posixpath.normpath(host_path) if host_path.startswith("/") else ""
        if _inside(norm, BACKUP_DIR):
            return True
        try:
            conf = self._inner.configured()
        except (OSError, ValueError):
            return False
        return (any(cj.file == norm for n, cj in conf.jails.items() if n in self.scope)
                or norm in self._owner_files())

    async def read_jail_files(self, root: str,
                              rels: Sequence[str]) -> list[jailfs.FileRead]:
        """Only under the root of one of the delegate's jails."""
        norm = posixpath.normpath(root) if root.startswith("/") else ""
        if norm not in self.roots():
            raise PolicyDenied(NOT_YOUR_PATH)
        return await self._inner.read_jail_files(norm, rels)

    def read_text(self, host_path: str) -> str:
        """Only inside the delegate's jails: the jail configuration files that
        :attr:`files` lets the controller read for an edit's context
        (:meth:`conf_path_allowed`) hold other jails' blocks, so what any
        other code asks for a delegate is refused (docs/security.md 2.9)."""
        if not self.path_allowed(host_path):
            raise PermissionError(errno.EACCES, NOT_YOUR_PATH, host_path)
        return self._files.read_text(host_path)

    def glob(self, pattern: str) -> list[str]:
        return [p for p in self._files.glob(pattern) if self.path_allowed(p)]

    async def posture(self, jails: Sequence[Jail], baseline: Baseline, *,
                      host_name: str | None = None) -> list[JailPosture]:
        """The posture of the delegate's jails only, read through this scoped host."""
        from jailtui.core.posture.collect import collect

        return await collect(self, [j for j in jails if j.name in self.scope], baseline,
                             host_name=host_name)

    async def disk_usage(self, path: str) -> tuple[int, int, int] | None:
        if not self.path_allowed(path):
            raise PolicyDenied(NOT_YOUR_PATH)
        return await self._inner.disk_usage(path)


class ScopedFiles:
    """A host's files, only those ``allowed`` says (a :class:`HostFiles`).

    ``mappable`` says which paths :meth:`local_path` may map besides those:
    the files the controller edits for the delegate (it reads and writes
    them itself, behind its own gate). A refused path is a PermissionError
    (an OSError): every reader of host files already treats an unreadable
    file as "unknown".
    """

    def __init__(self, inner: HostFiles, allowed: Callable[[str], bool],
                 mappable: Callable[[str], bool]) -> None:
        self._inner = inner
        self._allowed = allowed
        self._mappable = mappable

    def _check(self, host_path: str) -> None:
        if not self._allowed(host_path):
            raise PermissionError(errno.EACCES, NOT_YOUR_PATH, host_path)

    def read_text(self, host_path: str) -> str:
        self._check(host_path)
        return self._inner.read_text(host_path)

    def stat(self, host_path: str) -> tuple[int, int] | None:
        return self._inner.stat(host_path) if self._allowed(host_path) else None

    def glob(self, pattern: str) -> list[str]:
        return [p for p in self._inner.glob(pattern) if self._allowed(p)]

    def local_path(self, host_path: str) -> str | None:
        if not self._mappable(host_path):
            self._check(host_path)
        return self._inner.local_path(host_path)

    def invalidate(self) -> None:
        self._inner.invalidate()


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")
