"""What the rest of jailtui may use of a jail host: :class:`JailHost`.

Two classes implement it: :class:`~jailtui.core.hosts.host.Host` (the whole
host) and :class:`~jailtui.core.hosts.scoped.ScopedHost` (a delegate's view
of it, by composition). Code outside ``core/hosts`` is written against this
protocol, so a delegate's session cannot reach a method the scoped view does
not cover: tests/test_scoped_host.py enumerates the members below and fails
on any that ScopedHost does not classify.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from jailtui.core.hosts import confsource
from jailtui.core.model import HostInfo, HostSnapshot, Jail, ParamValue
from jailtui.core.owners import ManagedJail, Ownership
from jailtui.core.transport import jailfs
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import Runner

if TYPE_CHECKING:
    # Named in annotations only; imported where the methods run (host.py), so
    # `list` loads none of them (tests/test_import_hygiene.py LIST_LAZY).
    from jailtui.core import consolelog
    from jailtui.core.checks import rcstatus
    from jailtui.core.drift import DriftReport
    from jailtui.core.freebsd import misc, rctl
    from jailtui.core.network import NetworkInfo
    from jailtui.core.posture.baseline import Baseline
    from jailtui.core.posture.model import JailPosture
    from jailtui.core.transport.ssh import LinkState

__all__ = ["HostConf", "HostFiles", "JailHost"]


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

    def invalidate(self) -> None:
        """Forget cached contents (a remote host's files): after a save."""
        ...


class HostConf(Protocol):
    """Where a host keeps its jail configuration (``host.HostPaths``)."""

    @property
    def jail_conf(self) -> str: ...

    @property
    def jail_conf_d(self) -> str: ...

    @property
    def rc_conf(self) -> str: ...


class JailHost(Protocol):
    """A jail host as the controller, the checks, the CLI and the console see it."""

    # -- what it is -----------------------------------------------------------

    @property
    def label(self) -> str:
        """"FreeBSD" or "SIMULATED": shown wherever output is shown."""
        ...

    @property
    def name(self) -> str | None:
        """Short name among several hosts ("local", "web1"); None alone."""
        ...

    @property
    def runner(self) -> Runner: ...

    @property
    def paths(self) -> PathMap: ...

    @property
    def files(self) -> HostFiles: ...

    @property
    def conf(self) -> HostConf: ...

    def hostname(self) -> str: ...

    def info(self) -> HostInfo: ...

    def link(self) -> LinkState | None:
        """The SSH link now; None for a host reached without one."""
        ...

    def retry_now(self) -> None:
        """Cut an SSH backoff short (the user asked to reconnect)."""
        ...

    async def os_release(self) -> str | None:
        """``kern.osrelease`` of a FreeBSD host; raises NotFreeBSD naming the
        system when it is another one; None when it cannot tell (docs/freebsd.md 5.5)."""
        ...

    def checkable(self) -> JailHost:
        """The host health checks evaluate: itself (the console's protocol
        allows None there for hosts of fixed data, screens/contracts.py)."""
        ...

    # -- the poll and the configuration ---------------------------------------

    async def poll(self, *, processes: bool = True) -> HostSnapshot:
        """One tick; ``processes=False``: the jails and their aggregates, no
        process rows (for ``list``, which shows none)."""
        ...

    def ps_argv(self, jail: str | None = None) -> list[str]:
        """The process poll's argv as this host's ps understands it (jail keyword or not)."""
        ...

    def configured(self) -> confsource.ConfiguredJails: ...

    # -- slow facts about one jail ----------------------------------------------

    async def jail_params(self, name: str) -> dict[str, ParamValue]: ...

    async def rctl_usage(self, name: str) -> dict[str, int]: ...

    async def rctl_rules(self, name: str) -> list[rctl.RctlRule]: ...

    async def drift(self, name: str) -> DriftReport:
        """Where running jail ``name`` differs from jail.conf and its manager (core/drift.py)."""
        ...

    async def who(self, name: str) -> list[misc.Login]: ...

    async def services(self, name: str) -> list[str]: ...

    async def service_status(self, name: str, service: str) -> rcstatus.ServiceStatus: ...

    async def network(self, jail: Jail) -> NetworkInfo:
        """The jail's addresses, VNET interfaces, listening sockets and rdr rules,
        read on the host (core/network.py; each part fails on its own)."""
        ...

    def config_block(self, name: str) -> tuple[str, int, str] | None: ...

    async def console_log(self, name: str,
                          since: consolelog.LogMark | None = None) -> consolelog.LogChunk:
        """The jail's exec.consolelog from ``since`` (core/consolelog.py)."""
        ...

    # -- who owns a jail (core/owners, docs/managers.md 1.7) ----------------------

    def ownership(self, name: str, path: str | None) -> Ownership:
        """Who owns ``name`` now: from its jls ``path`` when it runs, else from the
        configuration (the controller asks with the re-resolved path)."""
        ...

    def managed_jail(self, name: str) -> ManagedJail | None:
        """The manager's record of jail ``name`` (kernel name) from the last inventory."""
        ...

    def owner_of(self, name: str) -> Ownership:
        """The last poll's owner of a row (the editor and the detail; no jls)."""
        ...

    def manager_alias(self, name: str) -> ManagedJail | None:
        """The managed jail whose manager calls it ``name`` while jls knows it by another
        name (iocage's ``backup`` is ``ioc-backup``), for a hint; None otherwise."""
        ...

    # -- files and file systems, by host path -----------------------------------

    async def read_jail_files(self, root: str,
                              rels: Sequence[str]) -> list[jailfs.FileRead]:
        """Files under a jail's root through the one safe reader (core/transport/jailfs.py)."""
        ...

    def read_text(self, host_path: str) -> str: ...

    def glob(self, pattern: str) -> list[str]: ...

    async def disk_usage(self, path: str) -> tuple[int, int, int] | None: ...

    async def posture(self, jails: Sequence[Jail], baseline: Baseline, *,
                      host_name: str | None = None) -> list[JailPosture]:
        """The security posture of ``jails`` (core/posture/collect.py, on demand)."""
        ...
