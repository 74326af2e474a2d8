"""A recorded FreeBSD host: jls/ps bytes of a simulated host, replayed by ``cat``.

Used by ``benchmarks/figures.py`` (issue 18). The simulator's jls and ps are
Python programs; FreeBSD's are C and answer in milliseconds. To measure the
console and ``list`` and not the simulator, the bytes of ``jls --libxo json
-v -d`` and of the ``ps --libxo json ...`` poll are recorded once from
``jailtui sim init --jails N --processes M``, and executables named ``jls``,
``ps`` and ``sysctl`` are put on PATH that only ``cat`` them (as cheap as
FreeBSD's own tools). The production path then runs against them:
``jailtui --host local --root SIMDIR/root`` (jail.conf, rc.conf and the jail
roots are the simulated host's files).

Two samples 5 s apart are recorded (CPU and memory moved, a few short-lived
processes came and went); the shims alternate between them every second, so
a console polling them sees data that changes, as on a live host. With
``JAILTUI_BENCH_SAMPLE=0`` (or 1) they always give that one sample.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jailtui.core.freebsd import argv as argvmod  # noqa: E402
from jailtui.core.freebsd import jls as jlsmod  # noqa: E402
from jailtui.core.freebsd import ps as psmod  # noqa: E402
from jailtui.sim.builder import init_host  # noqa: E402
from jailtui.sim.commands import dispatch  # noqa: E402

_CAT_SHIM = """#!/bin/sh
# {tool}: replays the bytes recorded from the simulated host (benchmarks/recorded.py).
s=${{JAILTUI_BENCH_SAMPLE:-$(( $(date +%s) % 2 ))}}
exec cat "{dir}/{tool}.$s.out"
"""

_SYSCTL_SHIM = """#!/bin/sh
# sysctl: the two questions Host.poll asks once (benchmarks/recorded.py).
case "$*" in
"-n kern.ostype kern.osrelease") exec cat "{dir}/ostype.out" ;;
"-n hw.physmem") exec cat "{dir}/physmem.out" ;;
esac
echo "sysctl: unknown oid '$*'" >&2
exit 1
"""


@dataclass(frozen=True)
class Recorded:
    """One recorded host: where its files and its PATH directory are."""

    jails: int
    processes: int
    simdir: Path
    data: Path
    bindir: Path

    @property
    def root(self) -> Path:
        """``--root``: the simulated host's "/" (jail.conf, rc.conf, jail roots)."""
        return self.simdir / "root"

    def sample(self, tool: str, i: int = 0) -> Path:
        return self.data / f"{tool}.{i}.out"

    def env(self, home: Path, sample: int | None = None) -> dict[str, str]:
        """An environment with the shims first on PATH and a throwaway HOME."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("JAILTUI")}
        env.update(PATH=f"{self.bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                   HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
                   XDG_CACHE_HOME=str(home / "cache"), TZ="UTC")
        if sample is not None:
            env["JAILTUI_BENCH_SAMPLE"] = str(sample)
        return env


def record(base: Path, jails: int, processes: int, seed: int = 0) -> Recorded:
    """Build the simulated host under ``base`` and record its answers (once)."""
    simdir = base / f"sim-{jails}-{processes}"
    data = base / f"rec-{jails}-{processes}"
    bindir = data / "bin"
    rec = Recorded(jails, processes, simdir, data, bindir)
    if (data / "done").exists():
        return rec
    init_host(simdir, jails=jails, processes=processes, seed=seed, force=True)
    bindir.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for i in range(2):
        env = {"JAILTUI_SIM_NOW": str(now + 5 * i), "TZ": "UTC"}
        for tool, argv in (("jls", list(jlsmod.JLS_POLL_ARGV)), ("ps", psmod.ps_argv())):
            rc, out, err = dispatch(simdir, argv, env=env)
            if rc != 0:
                raise SystemExit(f"{tool}: {err.decode(errors='replace')}")
            rec.sample(tool, i).write_bytes(out)
    for name, argv in (("ostype", argvmod.OSTYPE_ARGV),
                       ("physmem", argvmod.sysctl_value_argv("hw.physmem"))):
        rc, out, err = dispatch(simdir, list(argv))
        if rc != 0:
            raise SystemExit(f"sysctl: {err.decode(errors='replace')}")
        (data / f"{name}.out").write_bytes(out)
    for tool in ("jls", "ps"):
        _write_exe(bindir / tool, _CAT_SHIM.format(tool=tool, dir=data))
    _write_exe(bindir / "sysctl", _SYSCTL_SHIM.format(dir=data))
    (data / "done").write_text("")
    return rec


def _write_exe(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
