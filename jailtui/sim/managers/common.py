"""What the simulated managers share: their host's files, an in-process jail(8), lookups."""

from __future__ import annotations

import glob as globmod
import os

from jailtui.core.transport.hostfs import PathMap
from jailtui.sim import jail as jailcmd
from jailtui.sim.context import Ctx
from jailtui.sim.state import SimJail, Store

BINDIR = "/usr/local/bin"

#: What a manager's console does: ``jexec NAME login -f root`` runs login(1) *inside*
#: the jail, which takes root's shell and home from the JAIL's passwd. The simulated
#: jexec has no login(1); ``jexec -l -U root`` is the same session (the jail's passwd,
#: a login environment). Plain ``jexec -l NAME`` would not be: without -U jexec takes the
#: HOST's passwd entry (jexec.c get_user_info before jail_attach, docs/freebsd.md 6), so
#: a host root shell of bash fails in a jail without bash.
LOGIN_AS_ROOT = ["-l", "-U", "root"]


class SimFiles:
    """A simulated host's files for core.owners' readers (host paths)."""

    def __init__(self, paths: PathMap) -> None:
        self.paths = paths

    def read_text(self, host_path: str) -> str:
        with open(self.paths.real(host_path), encoding="utf-8", errors="surrogateescape") as f:
            return f.read()

    def stat(self, host_path: str) -> tuple[int, int] | None:
        try:
            st = os.stat(self.paths.real(host_path))
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def glob(self, pattern: str) -> list[str]:
        return sorted(self.paths.host(p) for p in globmod.glob(self.paths.real(pattern)))


def installed(paths: PathMap, command: str) -> bool:
    """Is the manager's executable on the simulated host (``/usr/local/bin/CMD``)?"""
    return os.path.exists(paths.real(f"{BINDIR}/{command}"))


def run_jail(ctx: Ctx, args: list[str], stdin: bytes | None = None) -> int:
    """Run the simulated jail(8) as the manager's script would, output into ``ctx``."""
    sub = ctx.child(prog="jail", stdin=stdin)
    rc = jailcmd.run(sub, args)
    ctx.out += sub.out
    ctx.err += sub.err
    return rc


def running(ctx: Ctx, kernel_name: str) -> SimJail | None:
    with Store(ctx.simdir).read() as st:
        j = st.jail_by_name(kernel_name)
    return j if j is not None and not j.dying else None


def write_host_file(ctx: Ctx, host_path: str, text: str) -> None:
    real = ctx.paths.real(host_path)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    tmp = real + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, real)
