"""Simulated ``ezjail-admin`` (docs/managers.md 1.5).

``start|stop|restart NAME`` hand the safe name to rc.d/jail, which builds
``/var/run/jail.SAFENAME.conf`` from the ``jail_SAFENAME_*`` variables of
``/usr/local/etc/ezjail/SAFENAME`` and runs ``jail -f`` on it; the output is rc.d/jail's
(``Starting jails: SAFENAME.``, docs/freebsd.md 8.3). ``console NAME`` is
``jexec JID /usr/bin/login -f root`` (``ezjail_default_execute``); a jail that is not
running is ``Error: Jail NAME appears not to be running`` (exit 1) unless ``-f`` starts
it first (``emeraldonion/ezjail-hbsd:ezjail-admin``, docs/managers.md 1.5).
"""

from __future__ import annotations

from jailtui.core.owners import base, shvars
from jailtui.core.owners import ezjail as driver
from jailtui.sim.context import Ctx
from jailtui.sim.managers.common import (
    LOGIN_AS_ROOT,
    SimFiles,
    run_jail,
    running,
    write_host_file,
)

USAGE = ("Usage: ezjail-admin [archive|config|console|create|delete|install|list|restore|"
         "update] {params}\n")


def _vars(ctx: Ctx, name: str) -> tuple[str, dict[str, str]] | None:
    safe = driver.safename(name)
    files = SimFiles(ctx.paths)
    for file in (f"{driver.CFG_DIR}/{safe}", f"{driver.CFG_DIR}/{safe}.norun"):
        if files.stat(file) is not None:
            try:
                return safe, shvars.parse(files.read_text(file), file)
            except shvars.ShellVarsError as exc:
                ctx.write_err(f"Error: {exc}\n")
                return None
    ctx.write_err(f"Error: Nothing known about jail {name}.\n")
    return None


def _runtime(safe: str, v: dict[str, str]) -> str:
    lines = [f"{safe} {{", f'    host.hostname = "{v.get(f"jail_{safe}_hostname", safe)}";',
             f'    path = "{v.get(f"jail_{safe}_rootdir", "")}";',
             f'    exec.start = "{v.get(f"jail_{safe}_exec_start") or "/bin/sh /etc/rc"}";',
             # rc.d/jail's default when _exec_stop is empty (docs/freebsd.md 8.3).
             f'    exec.stop = "{v.get(f"jail_{safe}_exec_stop") or "/bin/sh /etc/rc.shutdown"}";']
    addrs = base.bare_addrs(v.get(f"jail_{safe}_ip", ""))
    if addrs:
        lines.append("    ip4.addr = " + ", ".join(f'"{a}"' for a in addrs) + ";")
    return "\n".join([*lines, "}", ""])


def _one(ctx: Ctx, verb: str, safe: str, v: dict[str, str]) -> int:
    runtime = f"/var/run/jail.{safe}.conf"
    if verb == "start":
        ctx.write("Starting jails:")
        if running(ctx, safe) is None:
            write_host_file(ctx, runtime, _runtime(safe, v))
            sub = ctx.child(prog="jail", stdin=b"")
            if run_jail(sub, ["-f", runtime, "-c", safe]) != 0:
                ctx.write(f' cannot start jail "{safe}":\n')
                ctx.err += sub.err
                return 1
            ctx.write(f" {safe}")
        ctx.write(".\n")
        return 0
    ctx.write("Stopping jails:")
    if running(ctx, safe) is not None:
        sub = ctx.child(prog="jail", stdin=b"")
        args = ["-f", runtime, "-r", safe] if SimFiles(ctx.paths).stat(runtime) else ["-r", safe]
        if run_jail(sub, args) != 0:
            ctx.write(".\n")
            ctx.err += sub.err
            return 1
        ctx.write(f" {safe}")
    ctx.write(".\n")
    return 0


def run(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.write_err(USAGE)
        return 1
    cmd = args[0]
    words = [a for a in args[1:] if not a.startswith("-")]
    if cmd == "console" and "-e" in args and words:
        words = words[1:]
    if len(words) != 1 or not (cmd.endswith(("start", "stop")) or cmd in ("restart",
                                                                          "console")):
        ctx.write_err(USAGE)
        return 1
    got = _vars(ctx, words[0])
    if got is None:
        return 1
    safe, v = got
    if cmd == "console":
        if not _console_ready(ctx, words[0], safe, v, "-f" in args):
            return 1
        from jailtui.sim import jexec
        return jexec.run(ctx, [*LOGIN_AS_ROOT, safe])
    if cmd.endswith("restart"):
        rc = _one(ctx, "stop", safe, v)
        return rc | _one(ctx, "start", safe, v)
    return _one(ctx, "start" if cmd.endswith("start") else "stop", safe, v)


def _console_ready(ctx: Ctx, name: str, safe: str, v: dict[str, str], force: bool) -> bool:
    """ezjail-admin's console: a jail that is not running is started with ``-f``, else
    refused (stderr, exit 1) in ezjail-admin's words."""
    if running(ctx, safe) is not None:
        return True
    if force:
        return _one(ctx, "start", safe, v) == 0
    ctx.write_err(f"Error: Jail {name} appears not to be running\n  Start it first, or use "
                  f"'ezjail-admin console -f {name}' to force start.\n")
    return False


def interactive(ctx: Ctx, args: list[str]) -> list[str] | None:
    words = [a for a in args[1:] if not a.startswith("-")]
    if args[:1] != ["console"] or len(words) != 1:
        return None
    got = _vars(ctx, words[0])
    if got is None or running(ctx, got[0]) is None:
        return None  # run captured: it says why (or starts it, with -f)
    return ["jexec", *LOGIN_AS_ROOT, got[0]]
