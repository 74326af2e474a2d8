"""Roles and what each may do.

The role is decided once, on the privileged side, and fails closed:

- host admin: root (uid 0) on a FreeBSD host, or the owner of a simulated
  host;
- read-only: anyone else running jailtui directly, or anyone with
  ``--readonly`` (everything readable is shown, every action hidden);
- delegate: a non-root user mapped to one jail by the root-owned policy file
  (the delegation issue builds this role; until then it is never granted).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from jailtui.core.model import Jail, JailState


class Role(enum.StrEnum):
    HOST_ADMIN = "host admin"
    DELEGATE = "delegate"
    READ_ONLY = "read-only"


class Action(enum.StrEnum):
    """Everything the controller can do; :data:`READS` are reading."""

    VIEW = "view"
    #: See a jail's rc.d services and their state (``service -j NAME -e``,
    #: ``service -j NAME SVC status``): reading, so every role that sees the
    #: jail may (issue 13 item 24); only while it runs, they run only then.
    #: Words (docs/internals.md, "Names"): a *service* is an rc.d script, what
    #: service(8) starts and stops; a *daemon* is a process one runs.
    SERVICE_STATUS = "service_status"
    #: Read the jail's console log (its exec.consolelog: the output of its
    #: /etc/rc and exec.* commands): reading, within the role's scope.
    CONSOLE_LOG = "console_log"
    #: A process's open files and memory map (``procstat -f``/``-v``, issue 20):
    #: reading, every role, within its scope (a delegate: its jail's processes).
    PROCESS = "process"
    #: A process's environment (``procstat -e``): reading, but values may be
    #: secrets (tokens, passwords in the environment), so a host admin's only,
    #: never a delegate's or a read-only session's (ADMIN_READS); audited.
    PROCESS_ENV = "process_env"
    START = "start"
    STOP = "stop"
    RESTART = "restart"
    SHELL = "shell"
    EXEC = "exec"
    SIGNAL = "signal"
    SERVICES = "services"
    EDIT = "edit"
    #: Take or destroy a snapshot of the jail's datasets (docs/freebsd.md 12.3).
    SNAPSHOT = "snapshot"
    #: Replace the jail's root with a known-good copy, keeping the old one aside
    #: (docs/freebsd.md 12.6).
    RESTORE = "restore"
    #: Copy the jail's datasets somewhere outside its reach.
    BACKUP = "backup"
    #: Set the baseline's file flags on a jail root from the host (``jailtui flags
    #: --apply``, issue 17): a host admin's only, never a delegate's (HOST_ONLY).
    FLAGS = "flags"
    #: Add, change or remove an rctl rule of the jail (``rctl -a``/``-r``) and keep
    #: it in /etc/rctl.conf (issue 20, core/actions/limits.py): delegable, in scope.
    RCTL = "rctl"


#: Actions that only read: allowed to every role, within its scope.
READS = frozenset({Action.VIEW, Action.SERVICE_STATUS, Action.CONSOLE_LOG, Action.PROCESS,
                   Action.PROCESS_ENV})
#: Reads only a host admin may make: what they show may be secret (docs/security.md).
ADMIN_READS = frozenset({Action.PROCESS_ENV})
#: Actions only a host admin takes, whatever a delegation grants: chflags on a
#: jail root is the host's protection against that jail's root (docs/security.md 8).
HOST_ONLY = frozenset({Action.FLAGS})


@dataclass(frozen=True, slots=True)
class Policy:
    """The decision of who may do what, for one session."""

    role: Role
    user: str
    uid: int
    #: A delegate's jails (names); None means every jail (host admin, read-only).
    scope: frozenset[str] | None = None
    #: Actions a delegate may take (from the policy file).
    actions: frozenset[Action] = field(default_factory=frozenset)

    def in_scope(self, name: str) -> bool:
        return self.scope is None or name in self.scope

    def may(self, action: Action) -> bool:
        """May this session take ``action`` on some jail it sees (role only)?

        What the palette and the help offer: nothing the role can never do.
        """
        if action in ADMIN_READS:
            return self.role is Role.HOST_ADMIN
        if action in READS:
            return True
        if action in HOST_ONLY:
            return self.role is Role.HOST_ADMIN
        if self.role is Role.READ_ONLY:
            return False
        if self.role is Role.DELEGATE:
            return action in self.actions
        return True

    def permits(self, action: Action, jail_name: str | None = None) -> bool:
        """May this session take ``action`` (on ``jail_name``)?"""
        if jail_name is not None and not self.in_scope(jail_name):
            return False
        if action in ADMIN_READS:
            return self.role is Role.HOST_ADMIN
        if action in READS:
            return True
        if action in HOST_ONLY:
            return self.role is Role.HOST_ADMIN
        if self.role is Role.READ_ONLY:
            return False
        if self.role is Role.DELEGATE:
            return action in self.actions and jail_name is not None
        return True

    def describe(self) -> str:
        if self.role is Role.DELEGATE and self.scope:
            return f"delegate of {', '.join(sorted(self.scope))}"
        return self.role.value


def valid_for_state(action: Action, jail: Jail | None) -> bool:
    """Only the actions that make sense for a jail's state are offered."""
    if jail is None:
        return action in (Action.VIEW, Action.SIGNAL)
    if jail.state is JailState.DYING:
        # Going away: nothing to act on, only details (its name belongs to the
        # live or configured row beside it; docs/freebsd.md 5.4).
        return action is Action.VIEW
    if action is Action.START:
        return jail.state is JailState.STOPPED
    if action in (Action.STOP, Action.RESTART, Action.SHELL, Action.EXEC, Action.SERVICES,
                  Action.SERVICE_STATUS):
        return jail.state is JailState.RUNNING
    if action is Action.EDIT:
        return jail.configured
    return True


def refused(action: str, reason: str) -> str:
    """``stop: refused — read-only session``: how a refusal is said, everywhere."""
    return f"{action}: refused — {reason}"


def policy_refusal(policy: Policy, action: Action, name: str | None) -> str | None:
    """The policy's part of :func:`refusal` (role and scope; no jail state)."""
    if policy.permits(action, name):
        return None
    if policy.role is Role.READ_ONLY:
        return "read-only session"
    return f"{action.value} is not permitted for {policy.user} ({policy.describe()})"


def dying_refusal(jail: Jail) -> str:
    """Why no action is taken on a dying row (it may share its name with a live jail)."""
    return f"{jail.name} (jid {jail.jid}) is dying: no action until the kernel lets it go"


def refusal(policy: Policy, action: Action, jail: Jail | None) -> str | None:
    """Why ``policy`` refuses ``action`` on ``jail``; None when it is allowed.

    The one wording of a refusal, for the command line (``jailtui: start:
    read-only session``) and the console (``start: refused — web is already
    running``) alike (Controller.refusal). The jail's name appears only for
    a jail the policy covers: a delegate never learns that another exists.
    """
    denied = policy_refusal(policy, action, jail.name if jail is not None else None)
    if denied is not None:
        return denied
    return state_refusal(action, jail)


def state_refusal(action: Action, jail: Jail | None) -> str | None:
    """The jail's part of :func:`refusal`: why its state rules ``action`` out."""
    if jail is None:
        return None if action is not Action.START else "no jail selected"
    if jail.dying and action is not Action.VIEW:
        return dying_refusal(jail)
    if valid_for_state(action, jail):
        return None
    if action is Action.START:
        return f"{jail.name} is already {jail.state.value}"
    if action is Action.EDIT:
        return f"{jail.name} is not in jail.conf (created by hand)"
    return f"{jail.name} is not running"

