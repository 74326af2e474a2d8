"""Helpers for the daemons (``D``) and command (``!``) screens' tests.

- :func:`sim_console`: the console on the real stack (core.host.Host +
  core.control.Controller + the simulator) with the audit going to
  ``SIMDIR/audit.log``, as ``jailtui --sim`` has it (cli.py);
- :class:`HeldRunner`: a SimRunner whose chosen commands wait for a gate,
  so a test can look at the console while a stop is "slow";
- the fixed-data fakes of tests/tui_fakes.py implement the daemons and
  ``!`` parts of the console protocol themselves (service states, service
  actions, exec).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tui_fakes import wait_until

from jailtui.core.actions.audit import FileSink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.core.transport.runner import CommandResult, LinklessRunner
from jailtui.sim.runner import SimRunner


class HeldRunner(LinklessRunner):
    """A SimRunner; commands for which ``hold(argv)`` is true wait for :attr:`gate`."""

    def __init__(self, inner: SimRunner, hold: Callable[[Sequence[str]], bool]) -> None:
        self.inner = inner
        self.hold = hold
        self.label = inner.label
        self.gate: asyncio.Event | None = None
        self.held: list[list[str]] = []

    @property
    def paths(self) -> Any:
        return self.inner.paths

    async def run(self, argv: Sequence[str], *, timeout: float = 10.0,  # noqa: ASYNC109
                  input: bytes | None = None) -> CommandResult:
        if self.hold(argv):
            self.held.append(list(argv))
            if self.gate is None:
                self.gate = asyncio.Event()
            await self.gate.wait()
        return await self.inner.run(argv, timeout=timeout, input=input)

    def interactive_argv(self, argv: Sequence[str]) -> list[str]:
        return self.inner.interactive_argv(argv)

    def pipe_argv(self, argv: Sequence[str]) -> list[str]:
        return self.inner.pipe_argv(argv)

    def interactive_env(self) -> dict[str, str]:
        return self.inner.interactive_env()


def sim_console(sim_dir: Path, role: Role = Role.HOST_ADMIN, *,
                runner: Any = None) -> Any:
    """The console on the simulated host; a host admin (or read-only ``bob``)."""
    from jailtui.app import JailtuiApp

    runner = runner or SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    user = "root" if role is Role.HOST_ADMIN else "bob"
    policy = Policy(role, user, os.getuid())
    controller = Controller(host, policy, audit=FileSink(str(sim_dir / "audit.log")))
    return JailtuiApp(host, controller, interval=1000.0)


def audit_lines(sim_dir: Path) -> list[str]:
    path = sim_dir / "audit.log"
    return path.read_text().splitlines() if path.exists() else []


async def wait_for(pilot: Any, predicate: Callable[[], bool], *,
                   use_settle: bool = True) -> None:
    """Poll ``predicate`` between pauses (``use_settle=False`` while a worker is held)."""
    await wait_until(pilot, predicate, settling=use_settle)


def footer_actions(app: Any) -> set[str]:
    """Actions offered now (check_action True), in the footer or not (``D`` and
    ``!`` are not shown there; help and the palette list them)."""
    return {ab.binding.action for ab in app.screen.active_bindings.values() if ab.enabled}


def log_text(log: Any) -> list[str]:
    """The lines a RichLog shows, as plain text."""
    return ["".join(seg.text for seg in strip).rstrip() for strip in log.lines]


# -- fixed data (snapshots) --------------------------------------------------------------

#: service -> (state, pid) of the fake jails' daemons.
__all__ = ["HeldRunner", "audit_lines", "footer_actions",
           "log_text", "sim_console", "wait_for"]
