"""Fixtures for the simulator's conformance tests: a fresh host driven through its shims.

Each test module declares its own ``sim`` fixture with :func:`make_host`
(conftest.py belongs to the lead). Every command runs as a real subprocess
of the shim executables (argv lists, no shell, a timeout), so the tests
exercise the same path LocalRunner and SSH use.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

#: A fixed clock (2025-06-02 10:00:00 UTC) for tests that compare exact values.
PINNED_NOW = 1748858400.0


@dataclass
class SimHost:
    """A simulated host on disk plus a bin dir of shims."""

    simdir: Path
    bindir: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The host's "/" on this machine."""
        return self.simdir / "root"

    def run(self, *argv: str, env: dict[str, str] | None = None, cwd: str | Path | None = None,
            input: bytes | None = None, timeout: float = 60.0) -> subprocess.CompletedProcess[bytes]:
        """Run ``argv`` through the shim named by argv[0]."""
        exe = self.bindir / argv[0]
        full_env = {"PATH": f"{self.bindir}:/usr/bin:/bin", "HOME": str(self.simdir),
                    "LANG": "C.UTF-8", "TZ": "UTC", **self.env, **(env or {})}
        return subprocess.run([str(exe), *argv[1:]], capture_output=True, env=full_env,
                              cwd=cwd, input=input, timeout=timeout, check=False)

    def out(self, *argv: str, **kw: object) -> str:
        """stdout of a command that must succeed."""
        res = self.run(*argv, **kw)  # type: ignore[arg-type]
        assert res.returncode == 0, (argv, res.returncode, res.stderr)
        return res.stdout.decode()


def make_host(base: Path, **kwargs: object) -> SimHost:
    from jailtui.sim.builder import init_host
    from jailtui.sim.shims import write_shims

    kwargs.setdefault("now", PINNED_NOW)
    simdir = init_host(base / "sim", **kwargs)  # type: ignore[arg-type]
    bindir = base / "bin"
    write_shims(simdir, bindir, tools=("jls", "ps", "jail", "jexec", "rctl", "service",
                                       "sysctl", "who", "kill", "hostname"))
    return SimHost(simdir, bindir, {"TZ": "UTC", "JAILTUI_SIM_NOW": str(PINNED_NOW)})

