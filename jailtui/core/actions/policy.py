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
    """Everything the controller can do; ``VIEW`` is reading."""

    VIEW = "view"
    START = "start"
    STOP = "stop"
    RESTART = "restart"
    SHELL = "shell"
    EXEC = "exec"
    SIGNAL = "signal"
    SERVICES = "services"
    EDIT = "edit"


#: Actions that change something; none of them is offered to read-only users.
MUTATING = frozenset(a for a in Action if a is not Action.VIEW)


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

    def permits(self, action: Action, jail_name: str | None = None) -> bool:
        """May this session take ``action`` (on ``jail_name``)?"""
        if jail_name is not None and not self.in_scope(jail_name):
            return False
        if action is Action.VIEW:
            return True
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
    if action in (Action.STOP, Action.RESTART, Action.SHELL, Action.EXEC, Action.SERVICES):
        return jail.state is JailState.RUNNING
    if action is Action.EDIT:
        return jail.configured
    return True
