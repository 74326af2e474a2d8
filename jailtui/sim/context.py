"""What one simulated command invocation sees: its directory, environment, clock and output.

Every tool module gets a :class:`Ctx` and writes to ``ctx.out`` / ``ctx.err``
instead of real file descriptors, so :func:`jailtui.sim.commands.dispatch`
can return ``(rc, stdout, stderr)`` bytes and the shims can copy them out.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from jailtui.core.transport.hostfs import PathMap

#: Set inside a simulated jail (jexec's shell and its shims): the jail's name.
#: Commands then answer as seen from inside that jail (ps shows only its
#: processes, hostname is the jail's, sysctl security.jail.jailed is 1).
ENV_JAIL = "JAILTUI_SIM_JAIL"
#: Pins the simulated clock (seconds since the epoch, float); tests use it to
#: make CPU/memory movement and elapsed times deterministic.
ENV_NOW = "JAILTUI_SIM_NOW"
#: "2" (FreeBSD 14.x, default) or "3" (newest tree) jls libxo version.
ENV_JLS_VERSION = "JAILTUI_SIM_JLS_VERSION"


class Dispatch(Protocol):
    """:func:`jailtui.sim.commands.dispatch`'s shape, handed to the tools in :class:`Ctx`.

    A tool that runs another simulated tool (jexec running ``ps`` inside a
    jail, rc.d/jail running jail(8)) calls :meth:`Ctx.run_tool`, so no tool
    module imports :mod:`jailtui.sim.commands`, which imports every tool
    (tests/test_sim_layers.py keeps it so).
    """

    def __call__(self, simdir: str | os.PathLike[str], argv: Sequence[str],
                 stdin: bytes | None = None, env: Mapping[str, str] | None = None
                 ) -> tuple[int, bytes, bytes]: ...


@dataclass
class Ctx:
    """One invocation: where the simulated host lives and where output goes."""

    simdir: Path
    env: Mapping[str, str]
    stdin: bytes | None = None
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    now: float = 0.0
    #: argv[0] as the tool calls itself in messages ("jls", "ps" ...).
    prog: str = ""
    #: How this invocation runs another simulated tool (set by dispatch()).
    dispatch: Dispatch | None = None

    def __post_init__(self) -> None:
        if not self.now:
            self.now = clock(self.env)

    @property
    def paths(self) -> PathMap:
        """Host path <-> this machine's path (SIMDIR/root is the host's "/")."""
        return PathMap(root=str(self.simdir / "root"))

    @property
    def jail(self) -> str | None:
        """Name of the jail the command runs in, or None on the host."""
        name = self.env.get(ENV_JAIL, "")
        return name or None

    def run_tool(self, argv: Sequence[str], *, stdin: bytes | None = None,
                 env: Mapping[str, str] | None = None) -> tuple[int, bytes, bytes]:
        """Run another simulated tool on the same host: (exit code, stdout, stderr)."""
        if self.dispatch is None:
            raise RuntimeError("Ctx.dispatch is not set: build contexts through dispatch()")
        return self.dispatch(self.simdir, argv, stdin=stdin,
                             env=self.env if env is None else env)

    def child(self, *, prog: str, env: Mapping[str, str] | None = None,
              stdin: bytes | None = None) -> Ctx:
        """A context for a tool this one runs in-process (same host, clock, dispatcher;
        this one's stdin unless another is given)."""
        return Ctx(self.simdir, self.env if env is None else env,
                   self.stdin if stdin is None else stdin, prog=prog, now=self.now,
                   dispatch=self.dispatch)

    def write(self, text: str) -> None:
        """Append to stdout (UTF-8, invalid code points kept as surrogates)."""
        self.out += text.encode("utf-8", "surrogateescape")

    def warn(self, text: str) -> None:
        """Append one line to stderr, prefixed like warnx(3): ``prog: text``."""
        self.err += f"{self.prog}: {text}\n".encode("utf-8", "surrogateescape")

    def write_err(self, text: str) -> None:
        """Append raw text to stderr (usage messages, rc.subr output)."""
        self.err += text.encode("utf-8", "surrogateescape")


def clock(env: Mapping[str, str] | None = None) -> float:
    """The simulated "now": ``JAILTUI_SIM_NOW`` if set, else the wall clock."""
    src = env if env is not None else os.environ
    pinned = src.get(ENV_NOW, "")
    if pinned:
        try:
            return float(pinned)
        except ValueError:
            pass
    return time.time()
