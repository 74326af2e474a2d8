"""What the console needs from a host and a controller (structural types).

The console is written against these protocols rather than the concrete
``core.hosts.host.Host`` and ``core.actions.control.Controller`` so that tests
(and the screenshot script) can hand it fixed data: ``tests/tui_fakes.py``
implements both, whole, without a runner. Everything the screens use is
here: no screen probes a controller or a host for a method.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

# Types only: the protocols' signatures name them, nothing here uses them at run
# time, and importing them would load the restore, posture, limits and editor
# modules before the first frame (benchmarks/README.md, the start row).
if TYPE_CHECKING:
    from jailtui.core import consolelog
    from jailtui.core.actions.control import ActionResult, OwnerEdit, OwnerProperties, PreparedShell
    from jailtui.core.actions.exec_stream import Stream
    from jailtui.core.actions.limits import LimitChange
    from jailtui.core.actions.policy import Action, Policy, Role
    from jailtui.core.checks.rcstatus import ServiceStatus
    from jailtui.core.config.confedit import EditSession
    from jailtui.core.drift import DriftReport
    from jailtui.core.freebsd.rctl import RctlRule
    from jailtui.core.hosts.protocol import JailHost
    from jailtui.core.model import HostSnapshot, Jail, ParamValue, Process
    from jailtui.core.network import NetworkInfo
    from jailtui.core.posture.baseline import Baseline
    from jailtui.core.posture.model import FlagChange, JailPosture
    from jailtui.core.procdetail import ProcessDetail, What
    from jailtui.core.storage.backup import BackupResult, PrunePlan
    from jailtui.core.storage.changes import ChangeReport
    from jailtui.core.storage.locate import JailStorage
    from jailtui.core.storage.pipe import Progress
    from jailtui.core.storage.quarantine import Quarantined, QuarantinedDir
    from jailtui.core.storage.restore import RestoreResult, StepResult
    from jailtui.core.storage.snapshots import SnapshotList
    from jailtui.core.transport.ssh import LinkState


class Login(Protocol):
    """A who(1) row (``core.freebsd.misc.Login``)."""

    @property
    def user(self) -> str: ...

    @property
    def line(self) -> str: ...

    @property
    def time(self) -> str: ...

    @property
    def host(self) -> str: ...


class ConsoleHost(Protocol):
    """The host side: one poll per tick, slow facts for the detail screen."""

    @property
    def label(self) -> str:
        """"FreeBSD" or "SIMULATED": shown wherever output is shown."""
        ...

    @property
    def name(self) -> str | None:
        """The host's short name among several ("web1"); None for a lone host."""
        ...

    async def poll(self) -> HostSnapshot: ...

    def link(self) -> LinkState | None:
        """The SSH link now (None: this machine, nothing to reach)."""
        ...

    def retry_now(self) -> None:
        """Cut an SSH backoff short (the user asked to reconnect)."""
        ...

    async def jail_params(self, name: str) -> dict[str, ParamValue]: ...

    async def rctl_usage(self, name: str) -> dict[str, int]: ...

    async def rctl_rules(self, name: str) -> list[RctlRule]:
        """The rctl rules that apply to the jail (``rctl jail:NAME``)."""
        ...

    async def drift(self, name: str) -> DriftReport:
        """Where the running jail differs from jail.conf and its manager (core/drift.py)."""
        ...

    async def who(self, name: str) -> Sequence[Login]: ...

    async def services(self, name: str) -> list[str]: ...

    async def service_status(self, name: str, service: str) -> ServiceStatus:
        """``service -j NAME SERVICE status``, read as core/checks/rcstatus.py reads it."""
        ...

    async def network(self, jail: Jail) -> NetworkInfo:
        """The jail's addresses, VNET interfaces, listening sockets and rdr rules
        (core/network.py), asked when the detail opens and on ``r``."""
        ...

    async def disk_usage(self, path: str) -> tuple[int, int, int] | None: ...

    def config_block(self, name: str) -> tuple[str, int, str] | None: ...

    async def posture(self, jails: Sequence[Jail], baseline: Baseline, *,
                      host_name: str | None = None) -> list[JailPosture]:
        """The security posture of ``jails`` against ``baseline`` (core/posture/collect.py
        on this host), rows tagged with ``host_name`` (None: a console of one host);
        a host of fixed data answers from its own data or raises
        ``screens.posture.Unavailable``."""
        ...

    def checkable(self) -> JailHost | None:
        """The host as ``core.checks.health`` evaluates it (commands and files
        to read): the host itself; None for a host of fixed data (the tests'
        fakes, the screenshot script), which the health view says it cannot check."""
        ...


class ConsoleController(Protocol):
    """The one gate for actions (``core.control.Controller``)."""

    @property
    def role(self) -> Role: ...

    @property
    def user(self) -> str: ...

    @property
    def scope(self) -> str | None: ...

    @property
    def policy(self) -> Policy:
        """The session's policy: its ``scope`` is the delegate's jails (health
        findings of the host as a whole never reach them)."""
        ...

    def allowed(self, action: Action, jail: Jail | None = None) -> bool: ...

    def jail_user(self) -> str:
        """The user of every ``jexec -l -U USER`` this gate runs (the exec title shows it)."""
        ...

    def may(self, action: Action) -> bool:
        """May the session ever take ``action`` (its role)? The palette offers only these."""
        ...

    def refusal(self, action: Action, jail: Jail | None = None) -> str | None:
        """Why ``action`` on ``jail`` is refused; None if allowed (core/actions/policy.py)."""
        ...

    async def start(self, name: str, expect: Jail | None = None, *,
                    unknown_ok: bool = False) -> ActionResult: ...

    async def stop(self, name: str, expect: Jail | None = None, *,
                   unknown_ok: bool = False) -> ActionResult: ...

    async def restart(self, name: str, expect: Jail | None = None, *,
                      unknown_ok: bool = False) -> ActionResult: ...

    async def signal(self, pid: int, sig: str, expect: Process) -> ActionResult: ...

    async def service(self, name: str, service: str, verb: str,
                      expect: Jail | None = None) -> ActionResult:
        """``service -j NAME SERVICE VERB`` for an rc.d service in the jail (the services screen)."""
        ...

    async def console_log(self, name: str,
                          since: consolelog.LogMark | None = None) -> consolelog.LogChunk:
        """The jail's exec.consolelog from ``since`` (core/consolelog.py)."""
        ...

    async def process_detail(self, expect: Process, what: What) -> ProcessDetail:
        """A process's open files, memory map or environment (core/procdetail.py);
        the environment is a host admin's only (Action.PROCESS_ENV)."""
        ...

    async def apply_flags(self, name: str, changes: Sequence[FlagChange],
                          expect: Jail | None = None) -> ActionResult:
        """Set the baseline's file flags on the jail root (the posture screen's ``f``)."""
        ...

    async def exec_stream(self, name: str, command: Sequence[str],
                          sink: Callable[[Stream, bytes], None], *, cancel: asyncio.Event,
                          timeout: float | None = 600.0,  # noqa: ASYNC109 - as Controller's
                          ) -> ActionResult:
        """One command in the jail, its output handed to ``sink`` as it comes (``!``)."""
        ...

    async def prepare_shell(self, name: str, expect: Jail | None = None) -> PreparedShell: ...

    def run_shell(self, shell: PreparedShell) -> int: ...

    async def resolve(self, name: str) -> Jail | None:
        """The jail as the kernel sees it now (``jls -j NAME``), None if not running."""
        ...

    async def storage(self, name: str, expect: Jail | None = None) -> JailStorage | None:
        """Where the jail's root lives (core/storage; reading, a VIEW)."""
        ...

    async def rctl_rules(self, name: str) -> list[RctlRule]:
        """The jail's rctl rules now (a VIEW; core/actions/limits.py)."""
        ...

    async def rctl_persisted(self, name: str) -> list[RctlRule] | None:
        """The jail's rules in its /etc/rctl.conf block (None: the file is unreadable)."""
        ...

    async def rctl_change(self, name: str, change: LimitChange,
                          expect: Jail | None = None) -> ActionResult:
        """Add/change/remove a rule, keep it: the ``rctl`` action (gate, audit)."""
        ...

    async def racct_problem(self) -> str | None:
        """Why rctl cannot work on the host (racct off or missing); None when it can."""
        ...

    async def snapshot_list(self, name: str, expect: Jail | None = None) -> SnapshotList:
        """The jail's dataset and its snapshots, newest first (a VIEW)."""
        ...

    async def snapshot_create(self, name: str, snap: str, expect: Jail | None = None, *,
                              keep: int = 0) -> ActionResult:
        """Take a snapshot; ``keep`` > 0 prunes the console's own beyond that many."""
        ...

    async def snapshot_destroy(self, name: str, snap: str,
                               expect: Jail | None = None) -> ActionResult: ...

    async def restore(self, name: str, snap: str, expect: Jail | None = None,
                      on_step: Callable[[StepResult], None] | None = None, *,
                      discard: bool = False) -> RestoreResult:
        """Replace the jail's root with ``snap`` (core/storage/restore.py); ``discard``:
        roll back in place, keeping nothing."""
        ...

    async def restore_swap_back(self, name: str, expect: Jail | None = None,
                                on_step: Callable[[StepResult], None] | None = None
                                ) -> RestoreResult:
        """Put the quarantined root back (a start that failed, a run cut short)."""
        ...

    async def restore_resume(self, name: str, expect: Jail | None = None,
                             on_step: Callable[[StepResult], None] | None = None
                             ) -> RestoreResult:
        """Finish a restore cut short (its journal says how far it got)."""
        ...

    async def restore_pending(self, name: str) -> str | None:
        """What a restore cut short left half done, with the ways out; None: nothing."""
        ...

    async def restore_pending_all(self) -> list[tuple[str, str, bool]]:
        """Every jail with a restore half done that this user may restore: (jail, what
        is half done and the ways out, whether it can be undone by a swap back); the
        console asks this once at start."""
        ...

    async def prune_plan(self, name: str, keep: int,
                         expect: Jail | None = None,
                         target_dir: str | None = None) -> PrunePlan:
        """What ``keep`` would destroy of the console's own snapshots, or of a UFS
        root's archives in ``target_dir`` (nothing changes)."""
        ...

    async def prune(self, plan: PrunePlan, expect: Jail | None = None) -> ActionResult:
        """Destroy what ``plan`` names (asked first), each audited."""
        ...

    async def backup(self, name: str, expect: Jail | None = None,
                     on_progress: Callable[[Progress], None] | None = None,
                     cancel: asyncio.Event | None = None,
                     target_dir: str | None = None, *,
                     where: JailStorage | None = None) -> BackupResult:
        """Copy the jail out of its reach (core/storage/backup.py); ``cancel`` stops it;
        ``target_dir``: ``[backup] target`` for a jail not on a dataset of its own;
        ``where``: its root's location as just read (:meth:`storage`), not read again
        where the flow need not."""
        ...

    async def what_changed(self, name: str, quarantine: str,
                           expect: Jail | None = None) -> ChangeReport:
        """A quarantined root against its known-good snapshot (core/storage/changes.py)."""
        ...

    async def ufs_standby(self, name: str, expect: Jail | None = None
                          ) -> tuple[str, bool] | None:
        """(ROOT.standby, whether it exists) for a root that can have a standby copy (a
        directory on UFS); None otherwise (core/storage/standby.py)."""
        ...

    async def restore_standby(self, name: str, expect: Jail | None = None,
                              on_step: Callable[[StepResult], None] | None = None
                              ) -> RestoreResult:
        """Swap a UFS root's standby copy in, the root kept aside (core/storage/standby.py)."""
        ...

    async def standby_make(self, name: str, expect: Jail | None = None,
                           on_progress: Callable[[Progress], None] | None = None,
                           cancel: asyncio.Event | None = None,
                           target_dir: str | None = None) -> BackupResult:
        """Make ROOT.standby beside a UFS root from its newest archive in ``target_dir``."""
        ...

    async def ufs_quarantines(self, name: str, expect: Jail | None = None) -> list[str]:
        """A UFS jail's ROOT.quarantine-* directories beside its root, oldest first
        (core/storage/changes.py); empty for a root on ZFS."""
        ...

    async def quarantine_list(self, name: str, expect: Jail | None = None
                              ) -> list[Quarantined | QuarantinedDir]:
        """The jail's quarantined roots (datasets, or directories beside a UFS root),
        oldest first (core/storage/quarantine.py; a VIEW)."""
        ...

    async def quarantine_destroy(self, name: str, quarantine: str,
                                 expect: Jail | None = None) -> ActionResult:
        """Destroy one quarantined root (asked first; the ``restore`` action): the same
        code as ``jailtui quarantine destroy``."""
        ...

    def run_interactive(self, argv: Sequence[str]) -> int:
        """Run an interactive argv (an editor) on a fresh pty (blocking); its exit status."""
        ...

    @property
    def editable_params(self) -> tuple[str, ...] | None: ...

    @property
    def external_editor_allowed(self) -> bool: ...

    def open_config(self, name: str) -> EditSession: ...

    async def check_config(self, session: EditSession, candidate: str) -> None: ...

    async def save_config(self, session: EditSession, candidate: str) -> ActionResult: ...

    def owner_edit(self, name: str) -> OwnerEdit | None:
        """A managed jail's edit that is not the jail.conf editor (iocage's properties,
        another manager's file read-only); None: the jail.conf editor."""
        ...

    async def owner_properties(self, name: str, expect: Jail | None = None
                               ) -> OwnerProperties: ...

    async def set_owner_properties(self, name: str, changes: Mapping[str, str],
                                   expect: Jail | None = None) -> ActionResult: ...


#: The configuration part of :class:`ConsoleController` (one protocol; the
#: name says what the editor screens use it for).
ConfigController = ConsoleController
