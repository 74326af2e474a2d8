"""What the console needs from a host and a controller (structural types).

The console is written against these protocols rather than the concrete
``core.host.Host`` and ``core.control.Controller`` so that tests (and the
screenshot script) can hand it fixed data: ``tests/tui_fakes.py`` implements
both without a runner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from jailtui.core.actions.control import ActionResult, PreparedShell
from jailtui.core.actions.policy import Action, Role
from jailtui.core.config.confedit import EditSession
from jailtui.core.model import HostSnapshot, Jail, ParamValue, Process


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
    def label(self) -> str: ...

    async def poll(self) -> HostSnapshot: ...

    async def jail_params(self, name: str) -> dict[str, ParamValue]: ...

    async def rctl_usage(self, name: str) -> dict[str, int]: ...

    async def who(self, name: str) -> Sequence[Login]: ...

    async def services(self, name: str) -> list[str]: ...

    async def disk_usage(self, path: str) -> tuple[int, int, int] | None: ...

    def config_block(self, name: str) -> tuple[str, int, str] | None: ...


class ConsoleController(Protocol):
    """The one gate for actions (``core.control.Controller``)."""

    @property
    def role(self) -> Role: ...

    @property
    def user(self) -> str: ...

    @property
    def scope(self) -> str | None: ...

    def allowed(self, action: Action, jail: Jail | None = None) -> bool: ...

    async def start(self, name: str, expect: Jail | None = None) -> ActionResult: ...

    async def stop(self, name: str, expect: Jail | None = None) -> ActionResult: ...

    async def restart(self, name: str, expect: Jail | None = None) -> ActionResult: ...

    async def signal(self, pid: int, sig: str, expect: Process) -> ActionResult: ...

    async def prepare_shell(self, name: str, expect: Jail | None = None) -> PreparedShell: ...

    def run_shell(self, shell: PreparedShell) -> int: ...


class ConfigController(ConsoleController, Protocol):
    """A controller that edits jail configuration (``core.control.Controller``).

    Separate from :class:`ConsoleController` because the tests' fake has no
    configuration to edit: the console checks for ``open_config`` and says
    "not available" without it.
    """

    @property
    def editable_params(self) -> tuple[str, ...] | None: ...

    @property
    def external_editor_allowed(self) -> bool: ...

    def open_config(self, name: str) -> EditSession: ...

    async def check_config(self, session: EditSession, candidate: str) -> None: ...

    async def save_config(self, session: EditSession, candidate: str) -> ActionResult: ...
