"""The simulated host with a UFS jail whose root is a directory (``sim init
--ufs-dir-jail``: jail ``legacy`` at /ufs/jails/legacy on /dev/ada2p1), and what the
standby and quarantine tests run on it: the CLI as a user types it, over ``--sim`` or
the shims with ``--host local``, and the host's files from the outside."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from jailtui.core.actions.audit import MemorySink
from jailtui.core.actions.control import Controller
from jailtui.core.actions.policy import Policy, Role
from jailtui.core.hosts.host import Host
from jailtui.sim.builder import init_host
from jailtui.sim.runner import SimRunner
from jailtui.sim.shims import write_shims


def make_ufs_sim(tmp_path: Path) -> Path:
    d = tmp_path / "sim"
    init_host(d, ufs_dir_jail=True)
    return d


def file_shims_path(sim_dir: Path, tmp_path: Path) -> str:
    """The shims with the file tools (ls, rm, mv, mkdir) too, first on PATH."""
    bindir = tmp_path / "bin"
    write_shims(sim_dir, bindir, files=True)
    return f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"


def cli(sim_dir: Path, *args: str, local: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    """``jailtui --sim DIR ...``, or with ``local`` (a PATH with the shims) the real
    subprocess path: ``--host local --root DIR/root``."""
    where = (["--host", "local", "--root", str(sim_dir / "root")] if local
             else ["--sim", str(sim_dir)])
    return subprocess.run([sys.executable, "-m", "jailtui", *where, *args],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
                          env={**os.environ, "COLUMNS": "200",
                               **({"PATH": local} if local else {})})


def real(sim_dir: Path, path: str) -> Path:
    return sim_dir / "root" / path.lstrip("/")


def beside(sim_dir: Path) -> list[str]:
    return sorted(p.name for p in real(sim_dir, "/ufs/jails").iterdir())


def controller(sim_dir: Path, policy: Policy | None = None) -> tuple[Controller, MemorySink]:
    runner = SimRunner(sim_dir)
    sink = MemorySink()
    host = Host(runner, backend="SIMULATED", paths=runner.paths)
    return Controller(host, policy or Policy(Role.HOST_ADMIN, "root", 0), audit=sink), sink
