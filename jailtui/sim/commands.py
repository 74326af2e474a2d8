"""dispatch(): the simulated host's one entry point, argv in, (rc, stdout, stderr) out.

argv[0] may be a bare name or a path; its basename picks the tool, as a
shell would after a PATH lookup. Each tool lives in its own module.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from jailtui.core.transport.hostfs import PathMap
from jailtui.sim import cancel, lifecycle
from jailtui.sim.context import Ctx
from jailtui.sim.managers import TOOLS as MANAGER_TOOLS
from jailtui.sim.state import NotASimDir, Store

Tool = Callable[[Ctx, list[str]], int]


def _tools() -> dict[str, Tool]:
    # Imported lazily: a shim pays only for the tool it runs.
    from jailtui.sim import (
        bsdtar,
        devfs,
        fflags,
        hostname,
        ifconfig,
        jail,
        jexec,
        jls,
        kill,
        mkdir,
        mount,
        mv,
        pfctl,
        pkg,
        procstat,
        ps,
        rctl,
        rm,
        service,
        sockstat,
        statls,
        sysctl,
        who,
        zfs,
    )
    return {"zfs": zfs.run, "mount": mount.run, "umount": mount.run,"jls": jls.run, "ps": ps.run, "jail": jail.run, "jexec": jexec.run,
            "rctl": rctl.run, "service": service.run, "sysctl": sysctl.run, "who": who.run,
            "kill": kill.run, "hostname": hostname.run,
            # Security posture (docs/freebsd.md 13):
            "chflags": fflags.run, "stat": statls.run_stat, "ls": statls.run_ls,
            "rm": rm.run,
            # A UFS jail root's standby swapped in (docs/freebsd.md 12.9):
            "mv": mv.run, "mkdir": mkdir.run,
            "devfs": devfs.run, "pkg": pkg.run,
            # The copy of a UFS jail root (docs/freebsd.md 12.8):
            "bsdtar": bsdtar.run,
            # Network and process detail, read on the host (docs/freebsd.md 15):
            "sockstat": sockstat.run, "ifconfig": ifconfig.run, "pfctl": pfctl.run,
            "procstat": procstat.run}


def _tool(name: str) -> Tool | None:
    """The tool's entry point; a jail manager's module is imported only for its own
    command (a ``ps`` shim must not pay for five managers)."""
    if name in MANAGER_TOOLS:
        import importlib

        module = {"ezjail-admin": "ezjail"}.get(name, name)
        run: Tool = importlib.import_module(f"jailtui.sim.managers.{module}").run
        return run
    return _tools().get(name)


#: Names dispatch() answers; anything else is "command not found".
TOOLS = ("jls", "ps", "jail", "jexec", "rctl", "service", "sysctl", "who", "kill", "hostname",
         "zfs", "mount", "umount", "chflags", "stat", "ls", "rm", "mv", "mkdir", "devfs", "pkg", "bsdtar",
         "sockstat", "ifconfig", "pfctl", "procstat", *MANAGER_TOOLS)


def available(simdir: str | os.PathLike[str], name: str) -> bool:
    """Does the simulated host have this command? A jail manager only where it was
    installed (``sim init --managers``: its executable in /usr/local/bin)."""
    if name not in TOOLS:
        return False
    if name in MANAGER_TOOLS:
        from jailtui.sim.managers.common import installed
        return installed(PathMap(root=str(Path(simdir) / "root")), name)
    return True


def tool_name(argv0: str) -> str:
    return os.path.basename(argv0)


def _free_expired(ctx: Ctx) -> None:
    """Dying jails whose time is up are gone before any tool looks (lifecycle.reap_dying).

    Only a read unless something expired, so a poll's jls and ps stay cheap.
    """
    store = Store(ctx.simdir)
    with store.read() as st:
        if not lifecycle.expired(st, ctx.now):
            return
    from jailtui.sim import faults

    stuck = set(faults.load(ctx.simdir).get("nostop", []))
    with store.write() as st:
        lifecycle.reap_dying(st, ctx.now, stuck)


def dispatch(simdir: str | os.PathLike[str], argv: Sequence[str], stdin: bytes | None = None,
             env: Mapping[str, str] | None = None) -> tuple[int, bytes, bytes]:
    """Run ``argv`` on the simulated host in ``simdir``; return (exit code, stdout, stderr).

    An unknown tool gives exit 127 and sh's ``NAME: not found`` (the
    runner turns that into CommandNotFound before calling here).
    """
    if not argv:
        raise ValueError("empty argv")
    name = tool_name(argv[0])
    ctx = Ctx(Path(simdir), dict(os.environ if env is None else env), stdin, prog=name,
              dispatch=dispatch)
    fn = _tool(name) if available(simdir, name) else None
    if fn is None:
        return 127, b"", f"{name}: not found\n".encode()
    try:
        _free_expired(ctx)
        rc = fn(ctx, list(argv[1:]))
    except cancel.Cancelled:
        # The caller was told "timed out (killed)": report a SIGKILL death.
        return 128 + 9, bytes(ctx.out), bytes(ctx.err)
    except NotASimDir as e:
        return 1, bytes(ctx.out), bytes(ctx.err) + f"{name}: {e}\n".encode()
    return rc, bytes(ctx.out), bytes(ctx.err)
