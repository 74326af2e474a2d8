"""A console on a simulated host for Pilot tests, and its snapshots screen (``z``).

Shared by the storage screens' tests (snapshots, quarantined copies, restore
flows, the UFS standby): the production Host and Controller over the
simulator's runner, the audit kept in memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_fakes import settle, wait_until

from jailtui.app import JailtuiApp
from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.config.settings import Settings
from jailtui.core.hosts.host import Host
from jailtui.screens.main import MainScreen
from jailtui.screens.snapshots import SnapshotsScreen


def sim_console(sim_dir: Path, role: Role = Role.HOST_ADMIN,
                scope: frozenset[str] | None = None,
                settings: Settings | None = None) -> tuple[JailtuiApp, MemorySink]:
    """The console on ``sim_dir`` as root (a host admin) or as "bob" in ``role``."""
    from jailtui.sim.runner import SimRunner

    runner = SimRunner(sim_dir)
    host = Host(runner, backend="SIMULATED", paths=runner.paths, hostname="simhost")
    sink = MemorySink()
    policy = Policy(role, "root" if role is Role.HOST_ADMIN else "bob", os.getuid(), scope)
    return JailtuiApp(host, Controller(host, policy, audit=sink), interval=1000.0,
                      settings=settings), sink


async def open_snapshots(pilot: Any, jail: str,
                         ready: Callable[[SnapshotsScreen], bool]) -> SnapshotsScreen:
    """``z`` on ``jail`` in the jails pane, until ``ready(screen)``."""
    await settle(pilot)
    main = pilot.app.screen
    assert isinstance(main, MainScreen)
    main.jails.move_to_key(jail)
    await pilot.pause()
    await pilot.press("z")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SnapshotsScreen)
                     and ready(pilot.app.screen))
    screen = pilot.app.screen
    assert isinstance(screen, SnapshotsScreen)
    return screen
