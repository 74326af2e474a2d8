"""The Controller: the one gate every action goes through.

Screens and the command line never build argv or run commands for actions;
they call a method here. Every action on a jail (start, stop, restart,
shell, exec, service, signal, config save) first passes :meth:`Controller._target`:

1. the policy (role, jail scope, read-only);
2. the jail re-resolved by name just before acting, and its jid and path
   compared with what the user was shown (jids are reused after a restart;
   jexec(8) BUGS, docs/security.md 2.8): a changed identity is refused;

then the action builds its argv in ``core/freebsd/argv.py`` (never a shell),
runs it through the host's runner and writes exactly one audit record with
the jail's jid, after the outcome is known (success, failure or denial;
for the shell, its exit status).
"""

from __future__ import annotations

import asyncio
import enum
import os
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jailtui.core import consolelog
from jailtui.core.actions import delegation
from jailtui.core.actions.audit import AuditRecord, AuditSink, MemorySink
from jailtui.core.actions.policy import (
    Action,
    Policy,
    Role,
    dying_refusal,
    policy_refusal,
    refusal,
    refused,
)
from jailtui.core.checks import rcstatus
from jailtui.core.errors import (
    CommandError,
    CommandNotFound,
    CommandTimeout,
    JailNotFound,
    JailtuiError,
    PolicyDenied,
)
from jailtui.core.freebsd import argv as argvmod
from jailtui.core.freebsd import jailconf
from jailtui.core.freebsd import jls as jlsmod
from jailtui.core.freebsd import ps as psmod
from jailtui.core.freebsd import rctl as rctlmod
from jailtui.core.freebsd.errors import tool_error
from jailtui.core.freebsd.jailname import INVALID_JAIL_NAME, InvalidJailName, jail_name_problem
from jailtui.core.freebsd.signals import parse_signal
from jailtui.core.hosts import confsource, oneview
from jailtui.core.hosts.protocol import JailHost
from jailtui.core.model import Jail, JailState, Process
from jailtui.core.owners import EditInfo, EditKind, Owner, Ownership, driver
from jailtui.core.owners import iocage as iocage_owner
from jailtui.core.owners import messages as owner_messages
from jailtui.core.transport.runner import BlockingRunner, CommandResult

# The editor (confedit), the process screen (procdetail), ``!`` (exec_stream)
# and the flags (posture.model) are imported by the methods that use them:
# ``list`` builds a Controller and calls none of them (issue 18: its CPU;
# tests/test_import_hygiene.py).
if TYPE_CHECKING:
    from jailtui.core import procdetail
    from jailtui.core.actions.exec_stream import Stream
    from jailtui.core.actions.limits import LimitChange
    from jailtui.core.config import confedit
    from jailtui.core.posture.model import FlagChange
    from jailtui.core.storage.backup import BackupResult, PrunePlan
    from jailtui.core.storage.changes import ChangeReport
    from jailtui.core.storage.locate import JailStorage
    from jailtui.core.storage.pipe import Progress
    from jailtui.core.storage.quarantine import Quarantined, QuarantinedDir
    from jailtui.core.storage.restore import RestoreResult, StepResult
    from jailtui.core.storage.snapshots import SnapshotList

__all__ = ["Action", "ActionResult", "Controller", "PreparedShell", "Role", "StartMethod",
           "SIGNALS"]

#: Signals offered for processes (kill(1) names; FreeBSD numbers in
#: sys/sys/signal.h, docs/freebsd.md): htop's common set plus the job-control
#: and status ones an admin reaches for (STOP/CONT, INFO is ctrl+t).
SIGNALS = ("TERM", "HUP", "INT", "QUIT", "KILL", "STOP", "CONT", "TSTP", "USR1", "USR2",
           "WINCH", "INFO", "ALRM")

#: Actions whose jail name goes into a tool's argv: validated in Controller._gate.
NAMED_ACTIONS = frozenset({Action.START, Action.STOP, Action.RESTART, Action.SHELL, Action.EXEC,
                           Action.SERVICES, Action.SERVICE_STATUS, Action.SNAPSHOT, Action.RESTORE,
                           Action.BACKUP, Action.CONSOLE_LOG})

#: Upper bound of the command line's ``exec`` (``--timeout`` changes it).
EXEC_STREAM_TIMEOUT = 3600.0

#: The jail user of ``jexec -U`` when none is configured (Controller.jail_user).
DEFAULT_JAIL_USER = "root"

#: Lifecycle commands may run exec.start/exec.stop hooks (rc scripts) and
#: wait stop.timeout (default 10 s, docs/freebsd.md 3.7) per jail.
ACTION_TIMEOUT = 120.0

#: ``iocage get``/``set`` read and write one JSON file (and import iocage's Python).
PROPERTY_TIMEOUT = 60.0

#: Lines of a killed command's output kept with its result (the action log
#: shows them under the "timed out" line: what came, not everything).
PARTIAL_LINES = 20


def partial_output(exc: CommandError) -> str:
    """The last :data:`PARTIAL_LINES` lines a command wrote before it was
    killed at its timeout (capture.collect keeps them, issue 14 item 10);
    "" for any other failure. Raw: the action log sanitises."""
    if not isinstance(exc, CommandTimeout):
        return ""
    text = (exc.stdout + exc.stderr_bytes).decode("utf-8", "replace")
    lines = text.splitlines()
    if len(lines) > PARTIAL_LINES:
        lines = [f"[... {len(lines) - PARTIAL_LINES} earlier lines]", *lines[-PARTIAL_LINES:]]
    return "\n".join(lines) + ("\n" if lines else "")


#: The lifecycle verb of each lifecycle action.
_VERBS: dict[Action, argvmod.Lifecycle] = {Action.START: "start", Action.STOP: "stop",
                                           Action.RESTART: "restart"}


class StartMethod(enum.StrEnum):
    """How jails are started and stopped on a host (issue: per host, configurable)."""

    #: ``service jail start|stop|restart NAME``: rc.d/jail (docs/freebsd.md 8.3).
    SERVICE = "service"
    #: ``jail [-f FILE] -c|-r|-rc NAME`` (docs/freebsd.md 3.2).
    JAIL = "jail"
    #: SERVICE when rc.conf has jail_enable=YES, else JAIL.
    AUTO = "auto"


def dying_note(jail: Jail) -> str:
    """``dying, jid 5, kernel resources still held``: what a dying jail is, in one line.

    jail_remove(2) kills the processes, but the kernel keeps the prison
    (and its jid) while anything references it: sockets in TIME_WAIT, open
    files, for seconds to many minutes (docs/freebsd.md 5.4).
    """
    return f"dying, jid {jail.jid}, kernel resources still held"


def stopped_message(name: str, after: Jail | None) -> str:
    """The success line of a stop: gone, or gone but still dying."""
    return f"{name}: stopped" if after is None else f"{name}: stopped ({dying_note(after)})"


def dependents_note(names: Sequence[str]) -> str:
    """What a stop or restart also stopped: jail(8) removes the jails that
    ``depend`` on it first and does not start them again (docs/freebsd.md 3.7)."""
    return f"; also stopped {', '.join(names)} (depend{'s' if len(names) == 1 else ''} on it)"


def not_running_message(name: str) -> str:
    """Stop or restart of a jail the kernel does not have: in our words, not
    jail(8)'s ``jail: "web" not found``, which reads as "no such jail"
    (issue 13 item 20)."""
    return f"{name} is not running"


def already_running_message(jail: Jail) -> str:
    """Start of a jail that runs: not jail(8)'s ``jail: "web" already exists``."""
    return f"{jail.name} is already running (jid {jail.jid})"


def failed_message(action: Action, name: str, tool_line: str) -> str:
    """A lifecycle command that ran and failed: what we tried, then the
    tool's own line (its whole output stays in the result and the log)."""
    return f"could not {action.value} {name}: {tool_line}"


@dataclass(frozen=True, slots=True)
class ActionResult:
    """How an action ended. ``message`` and ``output`` are raw tool text."""

    ok: bool
    message: str
    output: str = ""
    argv: tuple[str, ...] = ()
    #: The dependents a stop or restart took down with it, named in ``message``
    #: (:func:`dependents_note`), so a caller adding its own note does not name
    #: them twice (a restore's stop step).
    stopped_too: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """A jail that passed the gate: its name and the kernel's view of it now
    (None: not running), re-resolved just before the action."""

    name: str
    now: Jail | None

    @property
    def jid(self) -> int | None:
        return self.now.jid if self.now is not None else None


@dataclass(frozen=True, slots=True)
class OwnerEdit:
    """What ``e`` opens for a managed jail (Controller.owner_edit)."""

    owner: Owner
    info: EditInfo
    #: The file's text, for a read-only one ("" when it could not be read).
    text: str
    #: The note above a read-only file: whose it is, what changes it.
    note: str


@dataclass(frozen=True, slots=True)
class OwnerProperties:
    """A jail's properties as its manager keeps them (iocage ``get -a``), for the form."""

    #: The kernel's name (the row's) and the manager's own.
    name: str
    owner_name: str
    #: Where the manager stores them (iocage's config.json): shown, never written by us.
    file: str
    #: The form's properties (iocage.FORM_PROPERTIES the jail has), in that order.
    values: dict[str, str]
    #: Those this session may change (Controller.property_editable).
    editable: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PreparedShell:
    """A shell that passed the gate (:meth:`Controller.prepare_shell`), to be
    run by :meth:`Controller.run_shell` in the suspended terminal."""

    name: str
    jid: int | None
    argv: tuple[str, ...]
    #: The audit record's detail: the owner and the command (``owner=bastille argv=...``).
    detail: str = ""


class Controller:
    """Carries out actions on one host for one session's policy."""

    def __init__(self, host: JailHost, policy: Policy, *, audit: AuditSink | None = None,
                 method: StartMethod = StartMethod.AUTO,
                 shell_command: Sequence[str] = (), shell_user: str | None = None,
                 editable_params: Sequence[str] | None = None,
                 min_securelevel: int | None = None,
                 owner_methods: Mapping[str, str] | None = None) -> None:
        self.host = host
        self.policy = policy
        self.audit = audit or MemorySink()
        self.method = method
        #: Command run by ``jexec -l NAME`` for the shell; empty: the user's
        #: login shell from the jail's passwd (jexec runs ``$SHELL -i``).
        self.shell_command = tuple(shell_command)
        #: ``jexec -U USER``: a user from the jail's passwd (None: DEFAULT_JAIL_USER).
        self.shell_user = shell_user
        #: A delegate's editable parameters (policy); None: free text (host admin).
        self.editable_params = (tuple(editable_params) if editable_params is not None
                                else None)
        self.min_securelevel = min_securelevel
        #: Per owner ("bastille", "iocage" ...): "jail" drives its jails with jail(8)
        #: instead of the manager (per-host setting owner_methods, core/hosts/fleet.py).
        self.owner_methods = dict(owner_methods or {})

    @property
    def external_editor_allowed(self) -> bool:
        """$VISUAL/$EDITOR only for a host admin: a delegate's session runs as
        root and an editor's shell escape would be host root (security.md 2.1)."""
        return self.policy.role is Role.HOST_ADMIN

    # -- what the UI asks ---------------------------------------------------

    @property
    def role(self) -> Role:
        return self.policy.role

    @property
    def user(self) -> str:
        return self.policy.user

    @property
    def scope(self) -> str | None:
        return ",".join(sorted(self.policy.scope)) if self.policy.scope else None

    def allowed(self, action: Action, jail: Jail | None = None) -> bool:
        """Is ``action`` offered for ``jail`` (policy and state)?"""
        return self.refusal(action, jail) is None

    def may(self, action: Action) -> bool:
        """May this session ever take ``action`` (the role; Policy.may)?"""
        return self.policy.may(action)

    def refusal(self, action: Action, jail: Jail | None = None) -> str | None:
        """Why ``action`` on ``jail`` is refused (policy, then state); None if allowed.

        The one wording, for the command line and the console (core/actions/policy.py).
        """
        return refusal(self.policy, action, jail)

    # -- audit / gate -----------------------------------------------------------

    def _record(self, action: Action, name: str | None, jid: int | None, result: str,
                detail: str = "") -> None:
        self.audit.write(AuditRecord(user=self.policy.user, uid=self.policy.uid,
                                     role=self.policy.describe(), action=action.value,
                                     jail=name, jid=jid, result=result, detail=detail))

    def _gate(self, action: Action, name: str | None) -> None:
        if action in NAMED_ACTIONS and name is not None:
            problem = jail_name_problem(name)
            if problem is not None:
                # Before any tool sees it: '*' or '-x' would be jail(8)'s
                # wildcard or an option (core/freebsd/jailname.py).
                self._record(action, None, None, f"denied: {INVALID_JAIL_NAME}: {problem}")
                raise InvalidJailName(name, problem)
        reason = policy_refusal(self.policy, action, name)
        if reason is not None:
            # The name is not echoed for out-of-scope jails: a delegate must
            # not learn which other jails exist (issue: "not in an error message").
            shown = name if name is None or self.policy.in_scope(name) else None
            self._record(action, shown, None, f"denied: {reason}")
            raise PolicyDenied(refused(action.value, reason))

    def gate(self, action: Action, name: str | None) -> None:
        """The policy check of an action carried out elsewhere (core/storage):
        raises PolicyDenied or InvalidJailName, audited, exactly as for our own."""
        self._gate(action, name)

    def record(self, action: Action, name: str | None, jid: int | None, result: str,
               detail: str = "") -> None:
        """Write the one audit record of an action carried out elsewhere."""
        self._record(action, name, jid, result, detail)

    async def target(self, action: Action, name: str, expect: Jail | None = None) -> Target:
        """The target check of an action carried out elsewhere (core/actions/limits.py):
        policy, scope and the jail re-resolved, audited when refused, as for our own."""
        return await self._target(action, name, expect)

    # -- rctl limits (core/actions/limits.py: the gate and the audit are used there) ----

    async def rctl_rules(self, name: str) -> list[rctlmod.RctlRule]:
        """The rctl rules that apply to jail ``name`` now (``rctl jail:NAME``)."""
        from jailtui.core.actions import limits

        return await limits.rules(self, name)

    async def rctl_persisted(self, name: str) -> list[rctlmod.RctlRule] | None:
        """``name``'s rules in /etc/rctl.conf's jailtui block (None: unreadable)."""
        from jailtui.core.actions import limits

        return await limits.persisted(self, name)

    async def rctl_change(self, name: str, change: LimitChange,
                          expect: Jail | None = None) -> ActionResult:
        """Add/change/remove a rule, persist: the ``rctl`` action (one audit record)."""
        from jailtui.core.actions import limits

        return await limits.change(self, name, change, expect)

    async def racct_problem(self) -> str | None:
        """Why rctl cannot work on this host (racct off or missing), None when it can."""
        from jailtui.core.actions import limits

        return await limits.racct_state(self)

    # -- storage (core/storage/snapshots.py: the gate and the audit are used there) --------

    async def storage(self, name: str, expect: Jail | None = None) -> JailStorage | None:
        from jailtui.core.storage.snapshots import Snapshots

        return await Snapshots(self).locate(name, expect)

    async def snapshot_list(self, name: str, expect: Jail | None = None) -> SnapshotList:
        from jailtui.core.storage.snapshots import Snapshots

        return await Snapshots(self).listing(name, expect)

    async def snapshot_create(self, name: str, snap: str, expect: Jail | None = None, *,
                              keep: int = 0) -> ActionResult:
        from jailtui.core.storage.snapshots import Snapshots

        return await Snapshots(self).create(name, snap, expect, keep=keep)

    async def snapshot_destroy(self, name: str, snap: str,
                               expect: Jail | None = None) -> ActionResult:
        from jailtui.core.storage.snapshots import Snapshots

        return await Snapshots(self).destroy(name, snap, expect)

    async def restore(self, name: str, snap: str, expect: Jail | None = None,
                      on_step: Callable[[StepResult], None] | None = None, *,
                      discard: bool = False) -> RestoreResult:
        from jailtui.core.storage.restore import Restore

        return await Restore(self, on_step=on_step).run(name, snap, expect, discard=discard)

    async def restore_swap_back(self, name: str, expect: Jail | None = None,
                                on_step: Callable[[StepResult], None] | None = None
                                ) -> RestoreResult:
        from jailtui.core.storage.restore import Restore

        return await Restore(self, on_step=on_step).swap_back(name, expect)

    async def restore_resume(self, name: str, expect: Jail | None = None,
                             on_step: Callable[[StepResult], None] | None = None
                             ) -> RestoreResult:
        from jailtui.core.storage.restore import Restore

        return await Restore(self, on_step=on_step).resume(name, expect)

    async def restore_pending(self, name: str) -> str | None:
        from jailtui.core.storage.restore import Restore

        found = await Restore(self).pending(name)
        return None if found is None else found[1]

    async def restore_pending_all(self) -> list[tuple[str, str, bool]]:
        from jailtui.core.storage import journal

        # Asked once at every start (screens/resume.py): with no journal (the usual
        # case) the restore layer is not imported at all (issue 18: start).
        if not journal.journal_jails(journal.key_of(self.host)):
            return []
        from jailtui.core.storage.restore import Restore

        return [(name, text, e.mode in ("clone", "standby"))
                for name, e, text in await Restore(self).pending_all()]

    async def prune_plan(self, name: str, keep: int,
                         expect: Jail | None = None,
                         target_dir: str | None = None) -> PrunePlan:
        from jailtui.core.storage.backup import DEFAULT_TARGET, prune_plan

        return await prune_plan(self, name, keep, expect, target_dir or DEFAULT_TARGET)

    async def prune(self, plan: PrunePlan, expect: Jail | None = None) -> ActionResult:
        from jailtui.core.storage.backup import prune

        return await prune(self, plan, expect)

    async def backup(self, name: str, expect: Jail | None = None,
                     on_progress: Callable[[Progress], None] | None = None,
                     cancel: asyncio.Event | None = None,
                     target_dir: str | None = None, *,
                     where: JailStorage | None = None) -> BackupResult:
        from jailtui.core.storage.backup import DEFAULT_TARGET, Backup

        return await Backup(self, on_progress=on_progress,
                            target_dir=target_dir or DEFAULT_TARGET).run(name, cancel, expect,
                                                                         where)

    async def what_changed(self, name: str, quarantine: str,
                           expect: Jail | None = None) -> ChangeReport:
        from jailtui.core.storage.changes import what_changed

        return await what_changed(self, name, quarantine, expect)

    async def restore_standby(self, name: str, expect: Jail | None = None,
                              on_step: Callable[[StepResult], None] | None = None
                              ) -> RestoreResult:
        from jailtui.core.storage.standby import StandbySwap

        return await StandbySwap(self, on_step=on_step).run_standby(name, expect)

    async def standby_make(self, name: str, expect: Jail | None = None,
                           on_progress: Callable[[Progress], None] | None = None,
                           cancel: asyncio.Event | None = None,
                           target_dir: str | None = None) -> BackupResult:
        from jailtui.core.storage import standby
        from jailtui.core.storage.backup import DEFAULT_TARGET

        return await standby.make(self, name, expect, target_dir or DEFAULT_TARGET,
                                  on_progress, cancel)

    async def ufs_standby(self, name: str, expect: Jail | None = None
                          ) -> tuple[str, bool] | None:
        from jailtui.core.storage.standby import existing

        return await existing(self, name, expect)

    async def ufs_quarantines(self, name: str, expect: Jail | None = None) -> list[str]:
        from jailtui.core.storage.changes import ufs_quarantines

        return await ufs_quarantines(self, name, expect)

    async def quarantine_list(self, name: str, expect: Jail | None = None
                              ) -> list[Quarantined | QuarantinedDir]:
        """The jail's quarantined roots, oldest first (a VIEW; core/storage/quarantine.py)."""
        from jailtui.core.storage import quarantine

        return await quarantine.quarantined(self, name, expect)

    async def quarantine_destroy(self, name: str, quarantine: str,
                                 expect: Jail | None = None) -> ActionResult:
        """Destroy one of them (the ``restore`` action; asked first by the caller):
        the CLI's ``quarantine destroy`` and the console's ``D``."""
        from jailtui.core.storage import quarantine as qmod

        return await qmod.destroy(self, name, quarantine, expect)

    async def resolve(self, name: str) -> Jail | None:
        """The jail as the kernel sees it now (``jls -j NAME``), or None if not running."""
        res = await self.host.runner.run([*jlsmod.JLS_POLL_ARGV, "-j", name], timeout=10)
        if res.returncode != 0:
            err = tool_error(res)
            if isinstance(err, JailNotFound):
                return None
            raise err
        for j in jlsmod.parse_jls_verbose(res.stdout).jails:
            if j.name == name:
                return j
        return None

    async def live_jails(self) -> list[Jail]:
        """The jails the kernel has now (``jls``, the poll's own argv), without ps, the
        configuration or ownership: for a step that only needs which jails run (a
        restore's "also stopped" set; issue 16). Only those in the caller's scope, as a
        delegate's scoped poll shows them."""
        res = await self.host.runner.run(list(jlsmod.JLS_POLL_ARGV), timeout=10)
        if res.returncode != 0:
            raise tool_error(res)
        return [j for j in jlsmod.parse_jls_verbose(res.stdout).jails
                if self.policy.in_scope(j.name)]

    async def jail_processes(self, jail: Jail) -> tuple[Process, ...]:
        """The processes of one jail now (``jail``: as ``resolve`` gave it), without jls,
        the configuration or owners: for a step that needs only that jail's processes
        (a restore's verify steps; issue 16). None of a jail outside the caller's scope.

        A live jail: ``ps -J JID`` (docs/freebsd.md 2.2: only the processes directly in
        it; "nothing matched", exit 1 with no stderr, is none; a jid gone meanwhile,
        ``Invalid jail id``, has none either). A dying jail's jid is no ``-J`` argument
        (libjail's jail_getid looks up live jails only), so the host-wide ``ps -ax``,
        kept to that jid. Without the ``jail`` column (known here; any ps has the rest).
        """
        if jail.jid is None or not self.policy.in_scope(jail.name):
            return ()
        live = jail.state is JailState.RUNNING
        argv = psmod.ps_argv(str(jail.jid) if live else None, jail_keyword=False)
        res = await self.host.runner.run(argv, timeout=10)
        try:
            procs = psmod.parse_ps_result(res)
        except JailNotFound:
            if live:
                return ()
            raise
        return tuple(p for p in procs if p.jid == jail.jid)

    async def jail_pids(self, jail: Jail) -> tuple[int, ...]:
        """The pids of one jail now (``jail``: as ``resolve`` gave it), two columns of
        ps and no more: for a step that needs only whether any is left (a restore's
        "verify stopped"; issue 16). As :meth:`jail_processes`: ``ps -J JID`` of a live
        jail (a jid gone meanwhile has none), the host-wide ps kept to the jid of a
        dying one, none of a jail outside the caller's scope."""
        if jail.jid is None or not self.policy.in_scope(jail.name):
            return ()
        live = jail.state is JailState.RUNNING
        res = await self.host.runner.run(psmod.pids_argv(jail.jid if live else None),
                                         timeout=10)
        try:
            return psmod.parse_jail_pids(res, jail.jid)
        except JailNotFound:
            if live:
                return ()
            raise

    async def _check_identity(self, action: Action, name: str, jid: int | None,
                              path: str = "") -> Jail | None:
        """Re-resolve ``name``; refuse if its jid or path changed since it was shown."""
        now = await self.resolve(name)
        if jid is not None and now is not None:
            if now.jid != jid or (path and now.path != path):
                msg = (f"{name}: jail changed since it was shown (jid {jid} -> {now.jid});"
                       " refresh and try again")
                self._record(action, name, now.jid, f"failed: {msg}")
                raise PolicyDenied(msg)
        return now

    async def refuse_manager_name(self, action: Action, name: str) -> None:
        """Refuse a manager's name for a jail the kernel knows by another (iocage's
        ``backup`` is ``ioc-backup``; ezjail's ``www.example.com`` is ``www_example_com``,
        docs/managers.md 1.9) with a hint naming the jail, instead of acting on it.

        A jail keeps one identity, its jls name: the policy, the scope, the audit and
        the jid check all go by it, so an alias is never resolved, only pointed out --
        and only when that jail is in the caller's scope (a ScopedHost answers None
        otherwise), so a hint never tells a delegate of another jail. A live jail that
        really has the name ``name`` is that jail, not an alias.
        """
        if action not in NAMED_ACTIONS or jail_name_problem(name) is not None:
            return
        mj = self.host.manager_alias(name)
        if mj is None or not self.policy.in_scope(mj.kernel_name):
            return
        if await self.resolve(name) is not None:
            return
        msg = owner_messages.manager_name_hint(name, mj.kernel_name, mj.owner)
        self._record(action, name, None, f"denied: {msg}")
        raise PolicyDenied(msg)

    async def _target(self, action: Action, name: str, expect: Jail | None = None, *,
                      jid: int | None = None, running: bool = False) -> Target:
        """The one target check of every action on a jail: policy, then the jail
        re-resolved by name and compared by jid (and path) with ``expect`` (or
        ``jid``) as the user saw it. ``running``: refuse unless it runs now.

        Raises PolicyDenied (audited) when refused.
        """
        await self.refuse_manager_name(action, name)
        self._gate(action, name)
        if expect is not None and expect.state is JailState.DYING:
            # A dying row never acts on the live jail that may share its name.
            msg = dying_refusal(expect)
            self._record(action, name, expect.jid, f"denied: {msg}")
            raise PolicyDenied(msg)
        if expect is not None:
            jid, path = expect.jid, expect.path
        else:
            path = ""
        now = await self._check_identity(action, name, jid, path)
        if running and (now is None or now.state is not JailState.RUNNING):
            msg = _not_running_message(action, name)
            self._record(action, name, now.jid if now else None, f"failed: {msg}")
            raise PolicyDenied(msg)
        return Target(name, now)

    # -- lifecycle ------------------------------------------------------------

    def _method(self) -> StartMethod:
        if self.method is not StartMethod.AUTO:
            return self.method
        try:
            conf = self.host.configured()
        except (OSError, JailtuiError):
            return StartMethod.JAIL
        return StartMethod.SERVICE if conf.jail_enable else StartMethod.JAIL

    def lifecycle_argv(self, action: Action, name: str) -> list[str]:
        """The command that starts, stops or restarts ``name`` on this host.

        rc.d/jail is not used for a hierarchical name (``parent.child``): it
        turns ``.`` and ``/`` into ``_`` (``tr /. _``), finds no jail of that
        name and skips it silently, exiting 0 (docs/freebsd.md 8.2). jail(8)
        takes the name as it is.
        """
        verb = _VERBS[action]
        if self._method() is StartMethod.SERVICE and not _rc_mangles(name):
            return argvmod.service_jail_argv(verb, name)
        return argvmod.jail_lifecycle_argv(verb, name, self._conf_file(name))

    def _through_manager(self, own: Ownership) -> bool:
        """Is this jail driven by its manager's own command? Not for plain and unknown
        jails, nor where the host's ``owners`` table says ``jail`` for that manager."""
        return (own.owner not in (Owner.JAILCONF, Owner.UNKNOWN)
                and driver(own.owner) is not None
                and self.owner_methods.get(own.owner.value, "manager") != "jail")

    def action_argvs(self, action: Action, name: str, own: Ownership) -> list[list[str]]:
        """The commands, in order, that carry out ``action`` on a jail of this owner:
        the manager's own (docs/managers.md 1.0), or jail(8) for plain and unknown jails
        and where the host's settings say so."""
        d = driver(own.owner)
        if self._through_manager(own) and d is not None:
            return d.argvs(action.value, own.name or name)
        if own.owner is Owner.JAILCONF:
            return [self.lifecycle_argv(action, name)]
        verb = _VERBS[action]
        if own.owner is not Owner.UNKNOWN and own.conf_file.endswith("jail.conf"):
            # A manager's jail through jail(8) (owners = "jail"): its own jail.conf
            # (Bastille's per-jail file, docs/managers.md 1.1); rc.d/jail does not know it.
            return [argvmod.jail_lifecycle_argv(verb, name, own.conf_file)]
        # Not in jail.conf, so not rc.d/jail's either: jail(8) by name alone (it can
        # remove a running jail; creating one needs a config, docs/freebsd.md 3.2).
        return [argvmod.jail_lifecycle_argv(verb, name)]

    async def _running_dependents(self, name: str, own: Ownership) -> list[str]:
        """The running jails ``jail -r NAME`` stops first (docs/freebsd.md 3.7):
        only through jail.conf (a manager's ``jail -f FILE`` names no other jail)."""
        if own.owner is not Owner.JAILCONF:
            return []
        try:
            conf = self.host.configured()
        except (OSError, JailtuiError):
            return []
        found = confsource.dependents(conf, list(conf.jails)).get(name, ())
        return [d for d in found if await self._is_running(d)]

    async def _is_running(self, name: str) -> bool:
        try:
            now = await self.resolve(name)
        except JailtuiError:
            return False
        return now is not None and now.state is JailState.RUNNING

    def _conf_file(self, name: str) -> str | None:
        """The root config rc.d/jail would pass to ``jail -f`` (confsource.jail_f_file)."""
        try:
            cj = self.host.configured().jails.get(name)
        except (OSError, JailtuiError):
            return None
        return confsource.jail_f_file(cj)

    async def start(self, name: str, expect: Jail | None = None, *,
                    unknown_ok: bool = False) -> ActionResult:
        return await self._lifecycle(Action.START, name, expect, unknown_ok)

    async def stop(self, name: str, expect: Jail | None = None, *,
                   unknown_ok: bool = False) -> ActionResult:
        return await self._lifecycle(Action.STOP, name, expect, unknown_ok)

    async def restart(self, name: str, expect: Jail | None = None, *,
                      unknown_ok: bool = False) -> ActionResult:
        return await self._lifecycle(Action.RESTART, name, expect, unknown_ok)

    async def _lifecycle(self, action: Action, name: str, expect: Jail | None,
                         unknown_ok: bool = False) -> ActionResult:
        """``unknown_ok``: the user confirmed jail(8) on a jail nobody owns. The action's
        decisions (name hint, owner, argv, dependents) read the configuration once, one
        view (core/hosts/oneview.py); the next action checks the files again."""
        with oneview.one_view():
            return await self._lifecycle_in_view(action, name, expect, unknown_ok)

    async def _lifecycle_in_view(self, action: Action, name: str, expect: Jail | None,
                                 unknown_ok: bool) -> ActionResult:
        now = (await self._target(action, name, expect)).now
        # jls -d -j NAME gives the live jail, or a dying one when none is live
        # (kern_jail.c prison_find_name); a dying one does not block a start
        # (kern_jail_set looks up only live jails; docs/freebsd.md 5.4).
        live = now if now is not None and now.state is JailState.RUNNING else None
        if action is Action.START and live is not None:
            msg = already_running_message(live)
            self._record(action, name, live.jid, f"failed: {msg}")
            return ActionResult(False, msg)
        if action in (Action.STOP, Action.RESTART) and live is None:
            msg = (not_running_message(name) if now is None
                   else f"{name}: not running ({dying_note(now)})")
            self._record(action, name, now.jid if now else None, f"failed: {msg}")
            return ActionResult(False, msg)
        # A start goes by the configuration (a dying jail's path says who had it, not
        # who starts it again); a stop or restart by the live jail's jls path.
        own = self.host.ownership(name, live.path if live is not None else None)
        # A jail that exists and nobody owns needs saying so, as does a stopped one whose
        # manager's file is broken (own.conf_file names it); a name no file and no
        # kernel knows is jail(8)'s to refuse (`jail: "x" not found`), nothing to confirm.
        if (own.owner is Owner.UNKNOWN and (live is not None or own.conf_file)
                and not unknown_ok):
            msg = owner_messages.unknown_refused(name, own.reason)
            self._record(action, name, now.jid if now else None, f"denied: {msg}")
            return ActionResult(False, msg)
        argvs = self.action_argvs(action, name, own)
        stops_too = (await self._running_dependents(name, own)
                     if action is not Action.START else [])
        via = f"owner={own.owner.value} argv=" + " ; ".join(shlex.join(a) for a in argvs)
        shown = "".join(f"$ {shlex.join(a)}\n" for a in argvs)
        raw = b""
        argv = argvs[0]
        for argv in argvs:
            try:
                res = await self.host.runner.run(argv, timeout=ACTION_TIMEOUT)
            except CommandNotFound as exc:
                d = driver(own.owner)
                msg = (owner_messages.not_installed(d.command, d.package)
                       if d is not None and self._through_manager(own) else exc.message)
                self._record(action, name, now.jid if now else None, f"failed: {msg}", via)
                return ActionResult(False, msg, shown, argv=tuple(argv))
            except CommandError as exc:
                msg = failed_message(action, name, exc.message)
                self._record(action, name, now.jid if now else None, f"failed: {msg}", via)
                return ActionResult(False, msg, shown + partial_output(exc), tuple(argv))
            raw += res.stdout + res.stderr
            if res.returncode != 0:
                break
        output = shown + raw.decode("utf-8", "replace")
        after = await self.resolve(name)
        running = after is not None and after.state is JailState.RUNNING
        # A stop succeeded when the jail is gone or dying: jail_remove(2) is
        # done, the kernel lets go of the prison later (docs/freebsd.md 5.4).
        ok = res.returncode == 0 and (running if action is not Action.STOP else not running)
        if ok:
            message = {Action.START: f"{name}: started (jid {after.jid if after else '?'})",
                       Action.STOP: stopped_message(name, after),
                       Action.RESTART: f"{name}: restarted (jid {after.jid if after else '?'})"}[action]
            gone = [d for d in stops_too if not await self._is_running(d)]
            if gone:
                message += dependents_note(gone)
        else:
            gone = []
            message = failed_message(action, name, _failure_message(raw, argv, res.returncode))
        seen = after or now
        self._record(action, name, seen.jid if seen is not None else None,
                     "ok" if ok else f"failed: {message}", via)
        return ActionResult(ok, message, output, tuple(argv), tuple(gone))

    # -- shell, exec, services ---------------------------------------------------

    async def prepare_shell(self, name: str, expect: Jail | None = None) -> PreparedShell:
        """The gate for the interactive shell: policy, the jail re-resolved and
        running, the same jid as ``expect``. Nothing is audited yet: the record is
        written by :meth:`run_shell` once the shell has ended.

        A managed jail's shell is its manager's console (``bastille console``,
        ``iocage console``, ``appjail login``, ``pot term``, ``ezjail-admin console``:
        it knows the jail's login and fib, docs/managers.md 1.0); jexec otherwise.
        """
        target = await self._target(Action.SHELL, name, expect, running=True)
        own = self.host.ownership(name, target.now.path if target.now is not None else None)
        d = driver(own.owner)
        if self._through_manager(own) and d is not None:
            argv = d.argvs("shell", own.name or name)[0]
        else:
            argv = argvmod.jexec_argv(name, self.shell_command, user=self.jail_user())
        return PreparedShell(name, target.jid, tuple(self.host.runner.interactive_argv(argv)),
                             f"owner={own.owner.value} argv={shlex.join(argv)}")

    def run_shell(self, shell: PreparedShell) -> int:
        """Open a prepared shell in this terminal, on a fresh pty; return its
        exit status, audited with it (blocking: the console calls it inside
        ``App.suspend()``).

        The pty keeps a jailed process from pushing keystrokes into our
        terminal (TIOCSTI) or keeping it after the shell exits
        (core/transport/ptyrelay.py).
        """
        try:
            code = self.run_interactive(shell.argv)
        except OSError as exc:
            self._record(Action.SHELL, shell.name, shell.jid,
                         f"failed: {shell.argv[0]}: {exc.strerror or exc}", shell.detail)
            raise
        self._record(Action.SHELL, shell.name, shell.jid,
                     "ok" if code == 0 else f"failed: exit status {code}", shell.detail)
        return code

    def jail_user(self) -> str:
        """The user of ``jexec -l -U USER``: always given, so the JAIL's passwd decides.

        ``jexec -l`` without -U takes the shell, home and login class from the
        host's passwd before jail_attach (usr.sbin/jexec/jexec.c,
        get_user_info; docs/freebsd.md 6): a host root shell of
        /usr/local/bin/bash fails in a jail without bash, and every command
        fails with ``jexec: chdir: /root`` in a jail without /root.
        """
        return self.shell_user or DEFAULT_JAIL_USER

    def shell_env(self) -> dict[str, str]:
        """Environment of the shell: the runner's clean one plus a validated TERM.

        ``jexec -l`` replaces it with the jail's login environment anyway
        (jexec(8)); TERM is passed on so the shell works over SSH.
        """
        from jailtui.core.actions.harden import safe_environment

        env = dict(self.host.runner.interactive_env())
        # The identity of the sudo/doas caller is ours to decide, not the
        # shell's: a child seeing SUDO_UID would take itself for a delegate.
        for key in ("SUDO_UID", "SUDO_GID", "SUDO_USER", "SUDO_COMMAND", "DOAS_USER"):
            env.pop(key, None)
        safe = safe_environment(os.environ)
        env["TERM"] = safe["TERM"]
        env.setdefault("PATH", safe["PATH"])
        for key in ("LANG", "LC_ALL", "LC_CTYPE", "COLORTERM"):
            if key in safe:
                env[key] = safe[key]
        return env

    def run_interactive(self, argv: Sequence[str]) -> int:
        """Run an interactive argv (a shell, an editor) on a fresh pty (blocking)."""
        from jailtui.core.transport.ptyrelay import run_on_pty

        return run_on_pty(argv, env=self.shell_env())

    async def exec_stream(self, name: str, command: Sequence[str],
                          sink: Callable[[Stream, bytes], None], *, cancel: asyncio.Event,
                          timeout: float | None = 600.0) -> ActionResult:
        """The console's ``!``: :meth:`exec`, with the output handed to ``sink``
        as it comes (core/actions/exec_stream.py) instead of buffered; ``cancel``
        kills it. One audit record with the outcome. ``output`` stays empty:
        the sink got it. Over SSH the runner's interactive argv gets no pty
        here (stdin is not a terminal: ssh(1) ``-t``), so the streams stay apart.
        """
        from jailtui.core.actions.exec_stream import stream_command

        self._gate(Action.EXEC, name)
        if not command:
            raise PolicyDenied("exec: no command given")
        jexec = argvmod.jexec_argv(name, command, user=self.jail_user())
        argv = self.host.runner.interactive_argv(jexec)
        detail = " ".join(command)
        try:
            end = await stream_command(argv, sink, env=self.shell_env(), timeout=timeout,
                                       cancel=cancel)
        except OSError as exc:
            message = f"{argv[0]}: {exc.strerror or exc}"
            self._record(Action.EXEC, name, None, f"failed: {message}", detail)
            return ActionResult(False, message, argv=tuple(argv))
        if end.cancelled:
            message = "cancelled (killed)"
        elif end.timed_out:
            message = f"timed out after {timeout:g} s (killed)"
        elif end.returncode < 0:
            message = f"killed by signal {-end.returncode}"
        else:
            message = f"exit status {end.returncode}"
        ok = end.returncode == 0 and not (end.cancelled or end.timed_out)
        self._record(Action.EXEC, name, None, "ok" if ok else f"failed: {message}", detail)
        return ActionResult(ok, message, argv=tuple(argv))

    async def exec(self, name: str, command: Sequence[str], timeout: float = 60.0,
                   expect: Jail | None = None) -> ActionResult:
        """Run a command in the jail (``jexec -l NAME CMD...``) and capture its output."""
        self._gate(Action.EXEC, name)
        if not command:
            raise PolicyDenied("exec: no command given")
        target = await self._target(Action.EXEC, name, expect)
        if (refused := self._not_running(Action.EXEC, target)) is not None:
            return refused
        argv = argvmod.jexec_argv(name, command, user=self.jail_user())
        return await self._simple(Action.EXEC, target, argv, timeout, detail=" ".join(command))

    def run_exec_streamed(self, name: str, command: Sequence[str],
                          timeout: float | None = EXEC_STREAM_TIMEOUT) -> int:
        """Run ``jexec -l -U USER NAME CMD...`` with this process's stdin, stdout
        and stderr (blocking): output shows as it comes (``tail -f``), the two
        streams stay apart and the command's exit status is returned (jexec
        execs the command, docs/freebsd.md 6). One audit record with the status.

        The command line's ``exec``; the console's exec screen captures instead.
        Killed after ``timeout`` seconds, with every process it started
        (core/transport/capture.py kill_tree: it shares our group): CommandTimeout,
        named for jexec (the CLI exits 124 on it, like timeout(1)). ctrl+c
        reaches the command (same process group): 130.
        """
        import signal
        import subprocess

        self._gate(Action.EXEC, name)
        if not command:
            raise PolicyDenied("exec: no command given")
        jexec = argvmod.jexec_argv(name, command, user=self.jail_user())
        argv = self.host.runner.interactive_argv(jexec)
        detail = " ".join(command)
        try:
            proc = subprocess.Popen(argv, env=self.shell_env())
        except OSError as exc:
            self._record(Action.EXEC, name, None, f"failed: {exc.strerror}", detail)
            raise JailtuiError(f"{argv[0]}: {exc.strerror}") from None
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            from jailtui.core.transport.capture import kill_tree

            kill_tree(proc.pid)
            proc.wait()
            self._record(Action.EXEC, name, None, f"failed: timed out after {timeout:g} s",
                         detail)
            raise CommandTimeout(jexec, timeout or 0) from None
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            rc = proc.wait()
        status = rc if rc >= 0 else 128 - rc
        self._record(Action.EXEC, name, None, "ok" if status == 0 else f"exit {status}", detail)
        return status

    async def service(self, name: str, service: str, verb: str,
                      expect: Jail | None = None) -> ActionResult:
        """``service -j NAME SERVICE VERB`` for a daemon inside the jail.

        ``status`` only reads: :meth:`_read_status`.
        """
        if verb == "status":
            return await self._read_status(name, service)
        self._gate(Action.SERVICES, name)
        if verb not in ("start", "stop", "restart", "status", "onestart", "onestop",
                        "onerestart", "reload"):
            raise PolicyDenied(f"service: unknown verb {verb!r}")
        if not rcstatus.valid_service_name(service):
            raise PolicyDenied(f"service: bad service name {service!r}")
        target = await self._target(Action.SERVICES, name, expect)
        if (refused := self._not_running(Action.SERVICES, target)) is not None:
            return refused
        return await self._simple(Action.SERVICES, target,
                                  argvmod.service_argv(name, service, verb),
                                  ACTION_TIMEOUT, detail=f"{service} {verb}")

    async def _read_status(self, name: str, service: str) -> ActionResult:
        """``service -j NAME SERVICE status``: reading, so every role that sees
        the jail may ask (issue 13 item 24), and nothing is audited (nothing
        changes; the services screen asks the same through the host).
        rc.subr(8)'s status exits 1 for a daemon that is not running (as
        core/checks/rcstatus.py reads it): the result is then not ok."""
        self._gate(Action.SERVICE_STATUS, name)
        if not rcstatus.valid_service_name(service):
            raise PolicyDenied(f"service: bad service name {service!r}")
        result, _outcome = await self._run_tool(rcstatus.status_argv(name, service), 30)
        return result

    async def console_log(self, name: str,
                          since: consolelog.LogMark | None = None) -> consolelog.LogChunk:
        """The jail's console log (``l``): reading, so every role that sees the
        jail may, and nothing is audited; a delegate's host is scoped, so
        another jail's log is refused twice (here and by ScopedHost)."""
        self._gate(Action.CONSOLE_LOG, name)
        return await self.host.console_log(name, since)

    async def apply_flags(self, name: str, changes: Sequence[FlagChange],
                          expect: Jail | None = None) -> ActionResult:
        """Set the baseline's flags on jail ``name``'s root (``jailtui flags --apply``,
        the posture screen): host admin only, the jail re-resolved, refused (audited)
        when the host's securelevel forbids the change or a path no longer walks
        cleanly from the root; one audit record with every file (core/posture/apply.py).
        """
        from jailtui.core.posture import apply as flagsmod

        target = await self._target(Action.FLAGS, name, expect)
        if not changes:
            return ActionResult(True, f"{name}: the flags already meet the baseline")
        detail = "; ".join(flagsmod.describe(changes))
        root = (target.now.path if target.now is not None else
                expect.path if expect is not None else "")
        if not root:
            msg = f"{name}: the jail has no root path to set flags on"
            self._record(Action.FLAGS, name, target.jid, f"denied: {msg}", detail)
            raise PolicyDenied(refused(Action.FLAGS.value, msg))
        local = self.host.files.local_path(root)
        try:
            res = await self.host.runner.run(argvmod.sysctl_value_argv("kern.securelevel"),
                                             timeout=10)
            level = int(res.stdout.decode().strip()) if res.returncode == 0 else None
        except (CommandError, ValueError):
            level = None
        if level is None:
            msg = "the host's securelevel could not be read (sysctl kern.securelevel)"
            self._record(Action.FLAGS, name, target.jid, f"denied: {msg}", detail)
            raise PolicyDenied(refused(Action.FLAGS.value, msg))
        why = flagsmod.securelevel_problem(level, changes)
        if why is None:
            if local is not None:
                problems = await asyncio.to_thread(flagsmod.recheck, local, root, changes)
            else:  # a remote host (SSH): the same walk, run there
                problems = await flagsmod.recheck_remote(
                    self.host.runner, self.host.paths.real(root), root, changes)
            if problems:
                why = "the jail root changed since it was read: " + "; ".join(problems[:3])
        if why is not None:
            self._record(Action.FLAGS, name, target.jid, f"denied: {why}", detail)
            raise PolicyDenied(refused(Action.FLAGS.value, why))
        n = len(changes)
        if local is None:  # a remote host (SSH): chflags from the held directories
            try:
                problems, output = await flagsmod.apply_remote(
                    self.host.runner, self.host.paths.real(root), root, changes,
                    ACTION_TIMEOUT)
            except CommandError as exc:
                self._record(Action.FLAGS, name, target.jid, f"failed: {exc.message}", detail)
                return ActionResult(False, exc.message, partial_output(exc))
            if problems:
                msg = (f"{name}: flags not set on {len(problems)} of {n} files: "
                       + "; ".join(problems[:3]))
                self._record(Action.FLAGS, name, target.jid, f"failed: {msg}", detail)
                return ActionResult(False, msg, output)
            self._record(Action.FLAGS, name, target.jid, "ok", detail)
            return ActionResult(True, f"{name}: flags set on {n} file{'s' if n != 1 else ''}",
                                "\n".join(flagsmod.describe(changes)))
        outputs: list[str] = []
        for argv in flagsmod.commands(changes):
            result, outcome = await self._run_tool(argv, ACTION_TIMEOUT)
            outputs.append(result.output)
            if not result.ok:
                self._record(Action.FLAGS, name, target.jid, outcome, detail)
                return ActionResult(False, result.message, "".join(outputs), tuple(argv))
        self._record(Action.FLAGS, name, target.jid, "ok", detail)
        return ActionResult(True, f"{name}: flags set on {n} file{'s' if n != 1 else ''}",
                            "\n".join(flagsmod.describe(changes)))

    def _not_running(self, action: Action, target: Target) -> ActionResult | None:
        """A failed result (audited) when the target does not run now, else None."""
        if target.now is not None and target.now.state is JailState.RUNNING:
            return None
        msg = _not_running_message(action, target.name)
        self._record(action, target.name, target.jid, f"failed: {msg}")
        return ActionResult(False, msg)

    async def _simple(self, action: Action, target: Target | None, argv: list[str],
                      timeout: float, detail: str = "") -> ActionResult:
        """Run ``argv`` for an action that passed :meth:`_target` (``target``;
        None: a host process, no jail) and audit the outcome once."""
        name = target.name if target is not None else "-"
        jid = target.jid if target is not None else None
        result, outcome = await self._run_tool(argv, timeout)
        self._record(action, name, jid, outcome, detail)
        return result

    async def _run_tool(self, argv: list[str], timeout: float) -> tuple[ActionResult, str]:
        """Run ``argv``: its result, and the outcome as the audit log words it."""
        try:
            res = await self.host.runner.run(argv, timeout=timeout)
        except CommandError as exc:
            return (ActionResult(False, exc.message, partial_output(exc), tuple(argv)),
                    f"failed: {exc.message}")
        output = (res.stdout + res.stderr).decode("utf-8", "replace")
        if res.returncode == 0:
            return ActionResult(True, output.strip().splitlines()[-1] if output.strip() else "done",
                                output, tuple(argv)), "ok"
        msg = tool_error(res).message
        return ActionResult(False, msg, output, tuple(argv)), f"failed: {msg}"

    # -- configuration ---------------------------------------------------------

    def owner_edit(self, name: str) -> OwnerEdit | None:
        """How ``e`` edits a jail a manager owns, when not through our jail.conf editor:
        iocage's properties (the form), or another manager's file shown read-only with
        the command that changes it (docs/managers.md 1.8). None: the jail.conf editor
        (plain jails, Bastille's per-jail jail.conf, unknown owners)."""
        self._gate(Action.EDIT, name)
        own = self.host.owner_of(name)
        d = driver(own.owner)
        if own.owner in (Owner.JAILCONF, Owner.UNKNOWN) or d is None:
            return None
        info = d.edit(own.name or name, own.conf_file)
        if info.kind is EditKind.JAILCONF:
            return None
        text = ""
        if info.kind is EditKind.READ_ONLY:
            block = self.host.config_block(name)
            text = block[2] if block is not None else ""
        return OwnerEdit(own.owner, info, text, owner_messages.read_only_note(own.owner, info))

    def open_config(self, name: str) -> confedit.EditSession:
        """Load the file holding ``name``'s block for editing (not the live file
        in an editor: edits happen on a copy and are saved atomically)."""
        from jailtui.core.config import confedit

        self._gate(Action.EDIT, name)
        conf = self.host.configured()
        cj = conf.jails.get(name)
        own = self.host.owner_of(name)
        d = driver(own.owner)
        if own.owner not in (Owner.JAILCONF, Owner.UNKNOWN) and d is not None:
            info = d.edit(own.name or name, own.conf_file)
            if info.kind is not EditKind.JAILCONF:
                # Never write a file a manager regenerates or owns (docs/managers.md 1.8).
                raise PolicyDenied(owner_messages.edit_elsewhere(own.owner, info))
            file = info.file
        elif cj is None:
            raise PolicyDenied(f'"{name}" is not defined in a configuration file')
        else:
            file = cj.file
        real = self.host.files.local_path(file)
        if real is not None:
            session = confedit.open_session(real, file, name, self.editable_params,
                                            self.min_securelevel)
        else:
            # A remote host (RemoteFiles): read, check and save the file THERE,
            # through the host's runner (core/remotefile.py).
            runner = self._remote_runner()
            if runner is None:
                raise PolicyDenied(f"{file}: this host's files cannot be edited from here")
            session = confedit.open_remote_session(runner, self.host.paths.real(file),
                                                   file, name, self.editable_params,
                                                   self.min_securelevel)
        # Checked inside the root file rc.d/jail reads it through (confedit); a
        # manager's per-jail jail.conf is its own root (`jail -f FILE`, docs/managers.md 1.1).
        root = (cj.conf or cj.file) if cj is not None and file == cj.file else file
        session.context = confedit.ConfContext(root, self.host.files.read_text,
                                               self.host.files.glob)
        return session

    def _remote_runner(self) -> BlockingRunner | None:
        return self.host.runner.blocking()

    async def check_config(self, session: confedit.EditSession, candidate: str) -> None:
        """Raise ConfigCheckError (with the line) unless the candidate is good."""
        from jailtui.core.config import confedit

        if session.editable is not None:
            confedit.check_own_file(jailconf.parse(candidate, session.path), session.jail)
        await confedit.check_candidate(session, candidate, self.host.runner,
                                       self.host.paths.host)

    async def save_config(self, session: confedit.EditSession, candidate: str) -> ActionResult:
        """Check, then save atomically; one audit record with both hashes.

        The jail is re-resolved like for every action (policy, scope); it
        need not run (a stopped jail's configuration is edited too), and
        its jid, if it runs, goes into the audit record.
        """
        from jailtui.core.config import confedit

        jid = (await self._target(Action.EDIT, session.jail)).jid
        try:
            await self.check_config(session, candidate)
            if session.remote is not None:
                backup: str | None = self.host.paths.real(confedit.BACKUP_DIR)
            else:
                backup = self.host.files.local_path(confedit.BACKUP_DIR)
            result = await confedit.save(session, candidate, backup, self.host.paths.host)
        except JailtuiError as exc:
            self._record(Action.EDIT, session.jail, jid, f"failed: {exc}",
                         f"file={session.path}")
            raise
        finally:
            # A remote host's files are cached (RemoteFiles): the next poll
            # re-reads them, saved or not (a conflict means it changed).
            self.host.files.invalidate()
        detail = (f"file={result.path} old={result.old_sha256[:12]} new={result.new_sha256[:12]}"
                  f" changed={','.join(result.changed) or '-'}")
        self._record(Action.EDIT, session.jail, jid, "ok", detail)
        msg = f"{result.path}: saved" + (f" (backup {result.backup})" if result.backup else "")
        return ActionResult(True, msg, "")

    # -- a manager's properties (iocage get/set) ----------------------------------

    def _property_owner(self, name: str, path: str | None) -> Ownership:
        """The jail's owner when its configuration is properties (iocage), else refuse
        with what changes it (docs/managers.md 1.8)."""
        own = self.host.ownership(name, path)
        d = driver(own.owner)
        if d is None or d.edit(own.name or name, own.conf_file).kind is not EditKind.PROPERTIES:
            raise PolicyDenied(owner_messages.no_properties(name))
        if own.name.startswith("-") or not own.name:
            raise PolicyDenied(owner_messages.no_properties(name))  # never an option
        return own

    def property_editable(self, prop: str) -> bool:
        """May this session change ``prop``? A host admin any; a delegate the ones whose
        jail(8) parameter its policy lists (editable_params), never a host-side one."""
        if self.editable_params is None:
            return True
        param = iocage_owner.JAIL_PARAM.get(prop)
        return (param is not None and param in self.editable_params
                and not delegation.is_never_editable(param))

    async def owner_properties(self, name: str, expect: Jail | None = None) -> OwnerProperties:
        """The form's properties of a jail iocage owns: ``iocage get -a NAME``, through
        the gate (policy, the jail re-resolved). A read: not audited."""
        target = await self._target(Action.EDIT, name, expect)
        own = self._property_owner(name, target.now.path if target.now is not None else None)
        argv = iocage_owner.get_all_argv(own.name)
        try:
            res = await self.host.runner.run(argv, timeout=PROPERTY_TIMEOUT)
        except CommandNotFound:
            d = driver(own.owner)
            assert d is not None  # _property_owner
            raise PolicyDenied(owner_messages.not_installed(d.command, d.package)) from None
        if res.returncode != 0:
            raise tool_error(res)
        values = iocage_owner.parse_get_all(res.stdout)
        shown = {p: values[p] for p in iocage_owner.FORM_PROPERTIES if p in values}
        return OwnerProperties(name, own.name, own.conf_file, shown,
                               tuple(p for p in shown if self.property_editable(p)))

    async def set_owner_properties(self, name: str, changes: Mapping[str, str],
                                   expect: Jail | None = None) -> ActionResult:
        """``iocage set PROP=VALUE NAME`` for each change, in order, through the gate;
        one audit record with the argv once the outcome is known. A property this
        session may not change, or a value iocage would misread, refuses all of them
        before anything runs."""
        target = await self._target(Action.EDIT, name, expect)
        own = self._property_owner(name, target.now.path if target.now is not None else None)
        try:
            for prop in changes:
                if not self.property_editable(prop):
                    raise PolicyDenied(refused(Action.EDIT.value,
                                               f"{prop} is not yours to change"))
            argvs = [iocage_owner.set_argv(own.name, p, v) for p, v in changes.items()]
        except (PolicyDenied, iocage_owner.PropertyError) as exc:
            self._record(Action.EDIT, name, target.jid, f"denied: {exc.message}")
            raise
        if not argvs:
            return ActionResult(True, "nothing changed")
        via = f"owner={own.owner.value} argv=" + " ; ".join(shlex.join(a) for a in argvs)
        shown = "".join(f"$ {shlex.join(a)}\n" for a in argvs)
        raw = b""
        for argv in argvs:
            try:
                res = await self.host.runner.run(argv, timeout=PROPERTY_TIMEOUT)
            except CommandNotFound:
                d = driver(own.owner)
                assert d is not None
                msg = owner_messages.not_installed(d.command, d.package)
                self._record(Action.EDIT, name, target.jid, f"failed: {msg}", via)
                return ActionResult(False, msg, shown, tuple(argv))
            except CommandError as exc:
                self._record(Action.EDIT, name, target.jid, f"failed: {exc.message}", via)
                return ActionResult(False, exc.message, shown, tuple(argv))
            raw += res.stdout + res.stderr
            if res.returncode != 0:
                msg = tool_error(res).message
                self._record(Action.EDIT, name, target.jid, f"failed: {msg}", via)
                return ActionResult(False, msg, shown + raw.decode("utf-8", "replace"),
                                    tuple(argv))
        self._record(Action.EDIT, name, target.jid, "ok", via)
        return ActionResult(True, f"{name}: {len(argvs)} "
                            f"propert{'ies' if len(argvs) > 1 else 'y'} set with iocage set",
                            shown + raw.decode("utf-8", "replace"), tuple(argvs[-1]))

    # -- signals ---------------------------------------------------------------

    async def signal(self, pid: int, sig: str, expect: Process) -> ActionResult:
        """Send ``sig`` to ``pid`` after re-checking it is the same process.

        pids are reused: just before sending, the process must still be in
        the same jail with the same command and start time, else refuse.
        """
        given = sig
        name = expect.jail
        self._gate(Action.SIGNAL, name)
        sig = parse_signal(given) or given.upper().removeprefix("SIG")
        if sig not in SIGNALS:
            raise PolicyDenied(f"kill: unknown signal {given} (one of: "
                               f"{', '.join(SIGNALS)}, or their FreeBSD numbers)")
        if self.policy.scope is not None and (name is None or not self.policy.in_scope(name)):
            self._record(Action.SIGNAL, None, None, "denied: process out of scope")
            raise PolicyDenied("signal: process not in your jail")
        # A jailed process: its jail passes the same target check as every
        # action (the jid it was shown in is still that jail's).
        target = (await self._target(Action.SIGNAL, name, jid=expect.jid)
                  if name is not None and expect.jid else None)
        # The host's ps argv: it knows whether this ps lacks the jail keyword.
        res = await self.host.runner.run([*self.host.ps_argv(), "-p", str(pid)], timeout=10)
        current = psmod.parse_ps(res.stdout) if res.returncode == 0 else ()
        now = next((p for p in current if p.pid == pid), None)
        if now is None:
            msg = f"kill: {pid}: No such process"
            self._record(Action.SIGNAL, name, expect.jid, f"failed: {msg}", f"SIG{sig} {pid}")
            return ActionResult(False, msg)
        if (now.jid, now.command, now.started) != (expect.jid, expect.command, expect.started):
            msg = f"pid {pid} is now another process; not signalled (refresh and try again)"
            self._record(Action.SIGNAL, name, expect.jid, f"failed: {msg}", f"SIG{sig} {pid}")
            return ActionResult(False, msg)
        # A jailed process is signalled from inside its jail (jexec JID kill):
        # kill(2) there reaches only that jail's processes (p_cansignal ->
        # prison_check, sys/kern/kern_prot.c), so if the pid was reused
        # since the re-check above by a process outside the jail, nothing
        # outside is hit. What remains (README security section): a reuse
        # by another process of the same jail between the ps and the kill.
        # The jid, not the name: a restarted jail is another jail.
        result = await self._simple(Action.SIGNAL, target, argvmod.kill_argv(sig, pid, now.jid), 10,
                                    detail=f"SIG{sig} {pid}")
        if result.ok:
            return ActionResult(True, f"sent SIG{sig} to {pid}", result.output, result.argv)
        return result


    async def process_detail(self, expect: Process, what: procdetail.What
                             ) -> procdetail.ProcessDetail:
        """A process's open files, memory map or environment (procstat; the process
        screen). Reading (Action.PROCESS), within the role's scope; the environment
        is Action.PROCESS_ENV, a host admin's only, and audited: its values may be
        secrets. The process must still be the one shown (core/procdetail.py)."""
        from jailtui.core import procdetail

        action = Action.PROCESS_ENV if what == "env" else Action.PROCESS
        name = expect.jail
        self._gate(action, name)
        if self.policy.scope is not None and (name is None or not self.policy.in_scope(name)):
            self._record(action, None, None, "denied: process out of scope")
            raise PolicyDenied(refused(action.value, "process not in your jail"))

        async def run(argv: Sequence[str], timeout: float) -> CommandResult:
            return await self.host.runner.run(argv, timeout=timeout)

        got = await procdetail.read(run, self.host.ps_argv(), expect, what)
        if action is Action.PROCESS_ENV:
            result = "failed: " + got.note if got.note else "ok"
            self._record(action, name, expect.jid or None, result, f"pid {expect.pid}")
        return got


def _rc_mangles(name: str) -> bool:
    """rc.d/jail's ``tr /. _`` would change this name (docs/freebsd.md 8.2)."""
    return "." in name or "/" in name
def _not_running_message(action: Action, name: str) -> str:
    return f'{action.value}: jail "{name}" is not running'


def _failure_message(output: bytes, argv: Sequence[str], code: int) -> str:
    """The tool's own error line: the ``jail: ...`` line if there is one."""
    lines = [ln.strip() for ln in output.decode("utf-8", "replace").splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith("jail: "):
            return ln
    for ln in lines:
        if "cannot start jail" in ln or ln.startswith(("jexec:", "service:")):
            return ln
    if lines:
        return lines[-1]
    return f"{argv[0]} exited with status {code}"
