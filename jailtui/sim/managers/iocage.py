"""Simulated ``iocage`` (docs/managers.md 1.2).

``start`` writes ``/var/run/jail.ioc-NAME.conf`` from config.json and runs
``jail -f /var/run/jail.ioc-NAME.conf -c`` (ioc_start.py); ``stop`` runs
``jail -q -f /var/run/jail.ioc-NAME.conf -r ioc-NAME`` (ioc_stop.py); ``restart``,
``console``, ``get PROP NAME`` and ``set PROP=VALUE NAME``. iocroot is the default
``/zroot/iocage`` (a real iocage finds it from the active pool's ZFS property).
Progress lines are iocage's (``* Starting NAME``, ``  + Started OK``), unverified
(docs/managers.md 1.2); jail(8)'s own output is captured by iocage, not shown.
"""

from __future__ import annotations

import json
from typing import Any

from jailtui.core.owners import base
from jailtui.core.owners import iocage as driver
from jailtui.sim.context import Ctx
from jailtui.sim.managers.common import SimFiles, run_jail, running, write_host_file

USAGE = ("Usage: iocage [OPTIONS] COMMAND [ARGS]...\n\n"
         "Commands:\n  console  get  restart  set  start  stop\n")


def _conf(ctx: Ctx, name: str) -> tuple[str, dict[str, Any]] | None:
    root = driver.DEFAULT_ROOT
    file = f"{root}/jails/{name}/config.json"
    files = SimFiles(ctx.paths)
    if files.stat(file) is None:
        ctx.write_err(f"JAIL: {name} not found!\n")
        return None
    try:
        data = json.loads(files.read_text(file))
    except ValueError:
        ctx.write_err(f"{name} is CORRUPT: {file} is not valid JSON\n")
        return None
    if not isinstance(data, dict):
        ctx.write_err(f"{name} is CORRUPT: {file} is not valid JSON\n")
        return None
    return file, data


def _runtime_conf(name: str, data: dict[str, Any]) -> str:
    k = driver.kernel_name(name)
    root = f"{driver.DEFAULT_ROOT}/jails/{name}"
    # The block's name is the jail's name (jail.conf(5): a block may not redefine it).
    lines = [f'{k} {{', f'    host.hostuuid = "{name.replace(".", "_")}";',
             f'    path = "{root}/root";', f'    mount.fstab = "{root}/fstab";',
             f'    host.hostname = "{data.get("host_hostname") or name}";',
             f'    securelevel = {int(str(data.get("securelevel", "2")) or 2)};',
             '    exec.start = "/bin/sh /etc/rc";',
             '    exec.stop = "/bin/sh /etc/rc.shutdown";',
             # ioc_start.py passes it on jail(8)'s command line (docs/managers.md 1.2).
             f'    exec.consolelog = "{driver.console_log(f"{root}/config.json", name)}";',
             "    persist;"]
    addrs = base.bare_addrs(data.get("ip4_addr", "none"))
    if addrs:
        lines.append("    ip4.addr = " + ", ".join(f'"{a}"' for a in addrs) + ";")
    return "\n".join([*lines, "}", ""])


def _start(ctx: Ctx, name: str) -> int:
    got = _conf(ctx, name)
    if got is None:
        return 1
    _, data = got
    k = driver.kernel_name(name)
    if running(ctx, k) is not None:
        ctx.write_err(f"{name} is already running!\n")
        return 1
    runtime = f"/var/run/jail.{k}.conf"
    write_host_file(ctx, runtime, _runtime_conf(name, data))
    ctx.write(f"* Starting {name}\n")
    sub = ctx.child(prog="iocage", stdin=b"")
    rc = run_jail(sub, ["-f", runtime, "-c"])
    if rc != 0:
        ctx.write("  + Start FAILED\n")
        ctx.err += sub.err
        return 1
    ctx.write("  + Started OK\n")
    return 0


def _stop(ctx: Ctx, name: str) -> int:
    if _conf(ctx, name) is None:
        return 1
    k = driver.kernel_name(name)
    if running(ctx, k) is None:
        ctx.write_err(f"{name} is not running!\n")
        return 1
    ctx.write(f"* Stopping {name}\n")
    runtime = f"/var/run/jail.{k}.conf"
    args = ["-q", "-r", k]
    if SimFiles(ctx.paths).stat(runtime) is not None:
        args = ["-q", "-f", runtime, "-r", k]
    sub = ctx.child(prog="iocage", stdin=b"")
    if run_jail(sub, args) != 0:
        ctx.write("  + Removing jail process FAILED\n")
        ctx.err += sub.err
        return 1
    ctx.write("  + Removing jail process OK\n")
    return 0


def run(ctx: Ctx, args: list[str]) -> int:
    if not args or args[0] in ("--help", "-h"):
        ctx.write(USAGE)
        return 0 if args else 1
    cmd = args[0]
    words = [a for a in args[1:] if not a.startswith("-")]
    if cmd in ("start", "stop", "restart", "console") and len(words) == 1:
        name = words[0]
        if cmd == "start":
            return _start(ctx, name)
        if cmd == "stop":
            return _stop(ctx, name)
        if cmd == "restart":
            rc = _stop(ctx, name)
            return rc | _start(ctx, name) if rc == 0 else rc
        if _conf(ctx, name) is None:
            return 1
        from jailtui.sim import jexec
        return jexec.run(ctx, ["-l", driver.kernel_name(name)])
    if cmd == "get" and ({"-a", "--all"} & set(args[1:]) and len(words) == 1
                         or words[:1] == ["all"] and len(words) == 2):
        # `get -a NAME` (the flag turns the first argument into the jail) or
        # `get all NAME`: every property, `prop:value` a line (iocage_cli/get.py).
        got = _conf(ctx, words[-1])
        if got is None:
            return 1
        for key, value in got[1].items():
            ctx.write(f"{key}:{value}\n")
        return 0
    if cmd == "get" and len(words) == 2:
        got = _conf(ctx, words[1])
        if got is None:
            return 1
        if words[0] not in got[1]:
            ctx.write_err(f"{words[0]} is not a valid property!\n")
            return 1
        ctx.write(f"{got[1][words[0]]}\n")
        return 0
    if cmd == "set" and len(words) >= 2 and all("=" in w for w in words[:-1]):
        # `set PROP=VALUE [PROP=VALUE ...] NAME`: stored in the jail's config.json,
        # which iocage's next start turns into its jail.conf (docs/managers.md 1.2).
        got = _conf(ctx, words[-1])
        if got is None:
            return 1
        file, data = got
        for word in words[:-1]:
            key, _, value = word.partition("=")
            old = data.get(key)
            data[key] = int(value) if isinstance(old, int) and value.isdigit() else value
            ctx.write(f"Property: {key} has been updated to {value}\n")
        write_host_file(ctx, file, json.dumps(data, indent=4, sort_keys=True) + "\n")
        return 0
    ctx.write_err(f"Usage: iocage {cmd} [OPTIONS] ...\n")
    return 1


def interactive(ctx: Ctx, args: list[str]) -> list[str] | None:
    """``iocage console NAME`` -> ``jexec -l ioc-NAME`` (ioc_exec.py runs
    ``jexec ioc-NAME login -p -f root``; the simulated jexec has no login(1))."""
    words = [a for a in args[1:] if not a.startswith("-")]
    if args[:1] != ["console"] or len(words) != 1 or _conf(ctx, words[0]) is None:
        return None
    return ["jexec", "-l", driver.kernel_name(words[0])]
