"""Shim executables: put the simulated host on PATH.

``write_shims(simdir, bindir)`` writes one small Python script per tool
(``jls``, ``ps``, ``jail`` ...). Each starts with ``#!<this interpreter>``,
makes this package importable and calls :func:`jailtui.sim.main.exec_main`
with the fixed SIMDIR, so LocalRunner, SSH and third-party code exercise
the real subprocess path against the simulator.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

#: Tools written by default (the console's whole command surface).
HOST_TOOLS = ("jls", "ps", "jail", "jexec", "rctl", "service", "sysctl", "who", "kill", "zfs",
              "mount", "umount",
              # The posture's (docs/freebsd.md 13.5). stat is FreeBSD's for every argv
              # FreeBSD's stat accepts and hands the rest (--version, GNU -c) to this
              # machine's stat, which scripts run here pick by `stat --version`
              # (core/config/remotefile.py). ls stays off PATH (everyone's ls would
              # become the simulated host's); `jailtui sim exec` and the SimRunner
              # answer `ls -lo` (and rm, for the same reason: sim/rm.py).
              "chflags", "devfs", "pkg", "stat",
              # bsdtar (not tar: GNU tar of this machine's scripts stays theirs).
              "bsdtar",
              # The detail's network and process sections (docs/freebsd.md 15).
              "sockstat", "ifconfig", "pfctl", "procstat")

#: Tools of the simulated host's files that stay off PATH unless asked for
#: (``write_shims(..., files=True)``): with them on PATH this machine's ls, rm, mv and
#: mkdir would become the simulated host's for every script. A test of a flow that runs
#: them through the real subprocess path (the UFS standby swap) asks for them.
FILE_TOOLS = ("ls", "rm", "mv", "mkdir")

_TEMPLATE = '''#!{python}
# Simulated FreeBSD {tool}(8) for the host in {simdir!r}; written by jailtui.
import sys
sys.path.insert(0, {pkg_parent!r})
from jailtui.sim.main import exec_main
sys.exit(exec_main({simdir!r}, sys.argv))
'''


def write_shims(simdir: str | os.PathLike[str], bindir: str | os.PathLike[str],
                tools: Iterable[str] | None = None, *, python: str | None = None,
                simdir_as: str | None = None, pkg_parent_as: str | None = None,
                files: bool = False) -> list[Path]:
    """Write the shims into ``bindir`` (created if needed); return their paths.

    By default: HOST_TOOLS plus the jail managers installed on the simulated host
    (``sim init --managers``); a manager that is not installed gets no shim, so it is
    "command not found" on PATH as on a host without the package.

    ``python``, ``simdir_as`` and ``pkg_parent_as`` name the interpreter, the
    host and the package as seen where the shims run (inside a confined
    jail they are under sim.confine.SIM_MOUNT); by default, this machine's.
    ``files``: also :data:`FILE_TOOLS`.
    """
    sim = str(Path(simdir).resolve())
    if tools is None:
        from jailtui.sim.commands import available
        from jailtui.sim.managers import TOOLS as MANAGER_TOOLS
        tools = (*HOST_TOOLS, *(t for t in MANAGER_TOOLS if available(sim, t)))
    if files:
        tools = (*tools, *FILE_TOOLS)
    sim = simdir_as or sim
    pkg_parent = pkg_parent_as or str(Path(__file__).resolve().parents[2])
    python = python or sys.executable
    out = Path(bindir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for tool in tools:
        path = out / tool
        tmp = out / f".{tool}.tmp"
        tmp.write_text(_TEMPLATE.format(python=python, tool=tool, simdir=sim,
                                        pkg_parent=pkg_parent), encoding="utf-8")
        tmp.chmod(0o755)
        os.replace(tmp, path)
        written.append(path)
    return written
