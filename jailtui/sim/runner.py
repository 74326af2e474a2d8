"""SimRunner: the Runner protocol, answered by the simulated host in-process.

The console uses it as its default backend off FreeBSD: ``run()`` calls
:func:`jailtui.sim.commands.dispatch` in a worker thread (it may take the
state lock or run jail.conf hooks), bounded by the same timeout a local
command gets. Interactive commands (``jexec web``) go through a real
process: :meth:`interactive_argv` re-enters ``python -m jailtui --sim DIR
sim exec -- ...``, which execs a real shell rooted at the jail.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from jailtui.core.errors import CommandNotFound, CommandTimeout
from jailtui.core.transport.hostfs import PathMap
from jailtui.core.transport.runner import DEFAULT_TIMEOUT, CommandResult, LinklessRunner
from jailtui.sim import cancel
from jailtui.sim.commands import available, dispatch, tool_name


class SimRunner(LinklessRunner):
    """Runs argv on the simulated FreeBSD host in ``simdir``."""

    label = "simulated"

    def __init__(self, simdir: str | os.PathLike[str], *,
                 env: Mapping[str, str] | None = None) -> None:
        self.simdir = Path(simdir).resolve()
        self._env = dict(os.environ if env is None else env)

    @property
    def paths(self) -> PathMap:
        """Host paths of the simulated host live under ``SIMDIR/root``."""
        return PathMap(root=str(self.simdir / "root"))

    async def run(self, argv: Sequence[str], *,
                  timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the Runner protocol
                  input: bytes | None = None) -> CommandResult:
        if not argv:
            raise ValueError("empty argv")
        if not available(self.simdir, tool_name(argv[0])):
            raise CommandNotFound(argv)
        token = cancel.Token()

        def answer() -> tuple[int, bytes, bytes]:
            with cancel.running(token):
                return dispatch(self.simdir, list(argv), input, self._env)

        try:
            rc, out, err = await asyncio.wait_for(asyncio.to_thread(answer), timeout)
        except (TimeoutError, asyncio.CancelledError) as exc:
            # Like LocalRunner: the command is killed. Its children (the
            # jexec'd command, hooks) die with their process groups now, and
            # the thread stops before saving any state (sim/cancel.py).
            token.cancel()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise CommandTimeout(argv, timeout) from None
        return CommandResult(tuple(argv), rc, out, err)

    def interactive_argv(self, argv: Sequence[str]) -> list[str]:
        return [sys.executable, "-m", "jailtui", "--sim", str(self.simdir), "sim", "exec", "--",
                *argv]

    def pipe_argv(self, argv: Sequence[str]) -> list[str]:
        """The same real process as :meth:`interactive_argv`: it asks for no terminal."""
        return self.interactive_argv(argv)

    def interactive_env(self) -> dict[str, str]:
        """Environment for :meth:`interactive_argv`: this package importable by ``-m``."""
        env = dict(self._env)
        parent = str(Path(__file__).resolve().parents[2])
        old = env.get("PYTHONPATH", "")
        env["PYTHONPATH"] = parent + (os.pathsep + old if old else "")
        return env
