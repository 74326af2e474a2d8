"""Write screenshots/*.svg: the console on the simulated host, reproducibly.

    python scripts/screenshots.py [--out DIR] [--size 120x36]

Writes ``main.svg`` (jails and the selected jail's processes),
``host-processes.svg`` (every process of the host, jailed ones marked J)
and ``jail-detail.svg`` (one jail's parameters, restrictions, rctl...).

The same files come out on every run: the simulated host is built from a
fixed seed at a fixed time (``JAILTUI_SIM_NOW``), the console's clock is
frozen, and the two facts that would come from this machine rather than the
simulator (load average, statvfs of a temporary directory) are fixed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jailtui.app import JailtuiApp  # noqa: E402
from jailtui.core.actions.control import Controller  # noqa: E402
from jailtui.core.actions.policy import Policy, Role  # noqa: E402
from jailtui.core.hosts.host import Host  # noqa: E402
from jailtui.core.model import HostSnapshot, ParamValue  # noqa: E402
from jailtui.screens.main import MainScreen  # noqa: E402
from jailtui.sim.builder import init_host  # noqa: E402
from jailtui.sim.runner import SimRunner  # noqa: E402

#: 2025-06-02 10:00:00 UTC, the simulated "now" of every screenshot.
NOW = 1748858400.0

#: (file name, jail to select, keys to press).
SHOTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("main", "web", ()),
    ("host-processes", "web", ("tab", "a")),
    ("jail-detail", "web", ("enter",)),
)


class FrozenHost:
    """The simulated host, with this machine's own facts pinned."""

    def __init__(self, inner: Host) -> None:
        self.inner = inner
        self.label = inner.label
        self.runner = inner.runner
        #: The fleet's name for it (console/fleet.py FleetConsole.of_one).
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        # Everything not pinned here is the simulated host's own: the console
        # grows host methods (network, rctl rules, drift...) faster than a
        # list of forwards kept up (it broke on checkable()).
        return getattr(self.inner, name)

    def checkable(self) -> FrozenHost:
        """Health checks see the pinned facts too (Host.checkable)."""
        return self

    async def poll(self) -> HostSnapshot:
        snap = await self.inner.poll()
        info = replace(snap.info, load=(0.42, 0.38, 0.30), mem_total_kib=32 * 1024 * 1024,
                       mem_used_kib=9 * 1024 * 1024, ncpu=8)
        return replace(snap, info=info, taken_at=NOW - 1)

    def link(self) -> Any:
        return self.inner.link()

    def retry_now(self) -> None:
        self.inner.retry_now()

    async def jail_params(self, name: str) -> dict[str, ParamValue]:
        return await self.inner.jail_params(name)

    async def rctl_usage(self, name: str) -> dict[str, int]:
        return await self.inner.rctl_usage(name)

    async def who(self, name: str) -> Any:
        return await self.inner.who(name)

    async def services(self, name: str) -> list[str]:
        return await self.inner.services(name)

    async def disk_usage(self, path: str) -> tuple[int, int, int] | None:
        # statvfs of the temporary directory would differ on every machine.
        return (40 * 1024**3, 6 * 1024**3 + 300 * 1024**2, 34 * 1024**3 - 300 * 1024**2)

    def config_block(self, name: str) -> tuple[str, int, str] | None:
        return self.inner.config_block(name)


async def shoot(app: JailtuiApp, jail: str, keys: Sequence[str], size: tuple[int, int]) -> str:
    async with app.run_test(size=size) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        main = app.screen
        assert isinstance(main, MainScreen)
        main.jails.move_to_key(jail)
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
        return app.export_screenshot()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"), help="output directory")
    parser.add_argument("--size", default="120x36", help="terminal size, COLSxROWS")
    args = parser.parse_args(argv)
    cols, rows = (int(v) for v in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jailtui-shots-") as simdir:
        init_host(simdir, seed=0, now=NOW)
        env = {**os.environ, "JAILTUI_SIM_NOW": repr(NOW), "TZ": "UTC"}
        runner = SimRunner(simdir, env=env)
        inner = Host(runner, backend="SIMULATED", paths=runner.paths,
                     hostname="jailhost.example.org")
        host = FrozenHost(inner)
        controller = Controller(inner, Policy(Role.HOST_ADMIN, "root", 0))
        for name, jail, keys in SHOTS:
            app = JailtuiApp(host, controller, interval=2.0,
                             clock=lambda: NOW)
            svg = asyncio.run(shoot(app, jail, keys, (cols, rows)))
            path = out / f"{name}.svg"
            path.write_text(svg, encoding="utf-8")
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
