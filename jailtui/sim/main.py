"""exec_main(): what a shim (or ``jailtui sim exec``) runs.

Writes dispatch()'s output to file descriptors 1 and 2 and returns the exit
code -- except for ``jexec``, which replaces the process with a real shell
(or command) "rooted" at the jail's directory, so an interactive session
behaves like ``jexec web`` on FreeBSD.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from jailtui.sim.commands import dispatch, tool_name
from jailtui.sim.managers import TOOLS as MANAGER_TOOLS


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def exec_main(simdir: str, argv: Sequence[str]) -> int:
    """Run ``argv`` on the simulated host in ``simdir`` with real stdio."""
    if not argv:
        return 2
    name = tool_name(argv[0])
    env = dict(os.environ)
    if name == "jexec":
        from jailtui.sim.jexec import exec_interactive
        return exec_interactive(simdir, list(argv), env, dispatch)
    if name in MANAGER_TOOLS and os.isatty(0):
        # A manager's console/login/term on a terminal becomes the jexec it runs
        # (docs/managers.md 1.1-1.5), execed like jexec itself.
        from jailtui.sim.managers.interactive import interactive_argv
        jexec_argv = interactive_argv(simdir, list(argv), env)
        if jexec_argv is not None:
            from jailtui.sim.jexec import exec_interactive
            return exec_interactive(simdir, jexec_argv, env, dispatch)
    if name == "stat":
        from jailtui.sim.statls import exec_machine_stat, foreign_stat_argv
        if foreign_stat_argv(list(argv[1:])):
            return exec_machine_stat(argv[0], list(argv[1:]))
    if "COLUMNS" not in env and name == "ps" and os.isatty(1):
        # ps cuts its last column at the terminal width (docs/freebsd.md 2.1).
        try:
            env["COLUMNS"] = str(os.get_terminal_size(1).columns)
        except OSError:
            pass
    if name == "zfs" and len(argv) > 1 and argv[1] in ("send", "receive", "recv"):
        return _zfs_stream(simdir, list(argv[1:]))
    stdin = None
    if name in ("jail",) and not os.isatty(0) and "-" in argv:
        stdin = sys.stdin.buffer.read()
    if name == "bsdtar" and not os.isatty(0) and ("-" in argv or "@-" in argv):
        stdin = sys.stdin.buffer.read()
    rc, out, err = dispatch(simdir, argv, stdin=stdin, env=env)
    _write_all(1, out)
    _write_all(2, err)
    return rc


def _zfs_stream(simdir: str, args: list[str]) -> int:
    """``zfs send`` writes its stream to fd 1 as it makes it (a long send is seen
    progressing, and stops at a closed pipe); ``zfs receive`` reads fd 0 to its end
    (docs/freebsd.md 12.7)."""
    from pathlib import Path

    from jailtui.sim import zfs_model, zfs_stream
    if not zfs_model.PoolStore(simdir).exists():
        _write_all(2, b"internal error: failed to initialize ZFS library\n")
        return 1
    if args[0] == "send":
        rc, out, err = zfs_stream.send(Path(simdir), args[1:], 1)
    else:
        tty = os.isatty(0)
        data = b"" if tty else sys.stdin.buffer.read()
        rc, out, err = zfs_stream.receive(Path(simdir), args[1:], data, stdin_tty=tty)
    _write_all(1, out)
    _write_all(2, err)
    return rc
