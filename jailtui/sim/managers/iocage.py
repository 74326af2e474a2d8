"""Simulated ``iocage`` (docs/managers.md 1.2).

``start`` writes ``/var/run/jail.ioc-NAME.conf`` from config.json and runs
``jail -f /var/run/jail.ioc-NAME.conf -c`` (ioc_start.py); ``stop`` runs
``jail -q -f /var/run/jail.ioc-NAME.conf -r ioc-NAME`` (ioc_stop.py); ``restart``,
``console``, ``get PROP NAME`` and ``set PROP=VALUE NAME``. iocroot is the default
``/zroot/iocage`` (a real iocage finds it from the active pool's ZFS property).
Progress lines are iocage's own (``* Starting NAME`` with ``.`` -> ``_``, ``  + Started
OK``, the devfs ruleset, the IP options ... ``ioc_start.py``/``ioc_stop.py``,
docs/managers.md 1.2); what jail(8) and the jail's rc print goes to
``<iocroot>/log/NAME-console.log``, not the terminal.
"""

from __future__ import annotations

import json
import os
from typing import Any

from jailtui.core.owners import base
from jailtui.core.owners import iocage as driver
from jailtui.sim.context import Ctx
from jailtui.sim.managers.common import (
    LOGIN_AS_ROOT,
    SimFiles,
    run_jail,
    running,
    write_host_file,
)
from jailtui.sim.state import Store

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


#: iocage's magic "use the default" devfs_ruleset: it then generates a ruleset of its
#: own from ``min_dyn_devfs_ruleset`` (1000) up (ioc_common.py generate_devfs_ruleset).
IOCAGE_DEVFS_RULESET = 4
MIN_DYN_DEVFS_RULESET = 1000


def _uuid(name: str) -> str:
    """The name as iocage prints it and builds ``ioc-...`` from (``self.uuid =
    uuid.replace(".", "_")`` in ioc_start.py and ioc_stop.py)."""
    return name.replace(".", "_")


def _ruleset(ctx: Ctx, data: dict[str, Any]) -> tuple[int, bool]:
    """(the devfs ruleset the jail gets, whether iocage generated it): the first number
    from 1000 up that no ruleset and no running jail uses (a stop deletes its set,
    so a dying jail holds none), for the default 4; the
    configured one otherwise (generate_devfs_ruleset; the simulated devfs's
    ``rule showsets`` does not list the generated sets, docs/managers.md 1.2)."""
    try:
        configured = int(str(data.get("devfs_ruleset", IOCAGE_DEVFS_RULESET)))
    except ValueError:
        configured = IOCAGE_DEVFS_RULESET
    if configured != IOCAGE_DEVFS_RULESET:
        return configured, False
    with Store(ctx.simdir).read() as st:
        used = {int(str(j.params.get("devfs_ruleset", 0)))
                for j in st.jails
                if not j.dying and str(j.params.get("devfs_ruleset", "")).isdigit()}
    n = MIN_DYN_DEVFS_RULESET
    while n in used:
        n += 1
    return n, True


def _ip_options(data: dict[str, Any]) -> list[str]:
    """The IP parameters ``+ Using IP options:`` lists for a non-VNET jail
    (ioc_start.py ``net``): ip4.addr when set, then saddrsel and ip4/ip6 modes."""
    net: list[str] = []
    for fam in ("ip4", "ip6"):
        addr = str(data.get(f"{fam}_addr", "none"))
        if addr not in ("none", ""):
            net.append(f"{fam}.addr={addr}")
        net += [f"{fam}.saddrsel={data.get(f'{fam}_saddrsel', 1)}",
                f"{fam}={data.get(fam, 'new')}"]
    return net


def runtime_conf(name: str, data: dict[str, Any], ruleset: int) -> str:
    """The jail.conf ``iocage start`` writes to /var/run/jail.ioc-NAME.conf."""
    k = driver.kernel_name(name)
    root = f"{driver.DEFAULT_ROOT}/jails/{name}"
    # The block's name is the jail's name (jail.conf(5): a block may not redefine it).
    lines = [f'{k} {{', f'    host.hostuuid = "{_uuid(name)}";',
             f'    path = "{root}/root";', f'    mount.fstab = "{root}/fstab";',
             f'    host.hostname = "{data.get("host_hostname") or name}";',
             f'    securelevel = {int(str(data.get("securelevel", "2")) or 2)};',
             f'    devfs_ruleset = {ruleset};',
             '    exec.start = "/bin/sh /etc/rc";',
             '    exec.stop = "/bin/sh /etc/rc.shutdown";',
             # ioc_start.py passes it on jail(8)'s command line (docs/managers.md 1.2).
             f'    exec.consolelog = "{driver.console_log(f"{root}/config.json", name)}";',
             "    persist;"]
    addrs = base.bare_addrs(data.get("ip4_addr", "none"))
    if addrs:
        lines.append("    ip4.addr = " + ", ".join(f'"{a}"' for a in addrs) + ";")
    return "\n".join([*lines, "}", ""])


def _console_log(ctx: Ctx, name: str, text: bytes | bytearray) -> None:
    """iocage keeps what exec_start/exec_stop print in ``<iocroot>/log/NAME-console.log``
    (ioc_start.py, ioc_stop.py), not on the terminal."""
    real = ctx.paths.real(f"{driver.DEFAULT_ROOT}/log/{_uuid(name)}-console.log")
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "ab") as f:
        f.write(text)


def _start(ctx: Ctx, name: str) -> int:
    got = _conf(ctx, name)
    if got is None:
        return 1
    _, data = got
    k, u = driver.kernel_name(name), _uuid(name)
    if running(ctx, k) is not None:
        ctx.write_err(f"{u} is already running!\n")
        return 1
    ruleset, generated = _ruleset(ctx, data)
    runtime = f"/var/run/jail.{k}.conf"
    write_host_file(ctx, runtime, runtime_conf(name, data, ruleset))
    ctx.write(f"* Starting {u}\n")
    sub = ctx.child(prog="iocage", stdin=b"")
    rc = run_jail(sub, ["-f", runtime, "-c"])
    _console_log(ctx, name, sub.out)
    if rc != 0:
        ctx.write("  + Start FAILED\n")
        ctx.err += sub.err
        return 1
    ctx.write("  + Started OK\n")
    ctx.write(f"  + Using devfs_ruleset: {ruleset}"
              + (" (iocage generated default)\n" if generated else "\n"))
    if not base.truthy(data.get("vnet", 0)):
        ctx.write(f"  + Using IP options: {' '.join(_ip_options(data))}\n")
    ctx.write("  + Starting services OK\n  + Executing poststart OK\n")
    return 0


def _stop(ctx: Ctx, name: str) -> int:
    if _conf(ctx, name) is None:
        return 1
    k, u = driver.kernel_name(name), _uuid(name)
    j = running(ctx, k)
    if j is None:
        ctx.write_err(f"{u} is not running!\n")
        return 1
    ctx.write(f"* Stopping {u}\n  + Executing prestop OK\n  + Stopping services OK\n")
    ruleset = str(j.params.get("devfs_ruleset", ""))
    if ruleset.isdigit() and int(ruleset) >= MIN_DYN_DEVFS_RULESET:
        ctx.write(f"  + Removing devfs_ruleset: {ruleset} OK\n")
    else:
        ctx.write(f"  + Refusing to remove protected devfs_ruleset: {ruleset or 0}\n")
    runtime = f"/var/run/jail.{k}.conf"
    files = SimFiles(ctx.paths)
    args = ["-q", "-r", k]
    if files.stat(runtime) is not None:
        args = ["-q", "-f", runtime, "-r", k]
    sub = ctx.child(prog="iocage", stdin=b"")
    rc = run_jail(sub, args)
    _console_log(ctx, name, sub.out)
    if rc != 0 or sub.err:
        ctx.write("  + Removing jail process FAILED:\n")
        ctx.err += sub.err
        return 1
    ctx.write("  + Removing jail process OK\n")
    # The runtime jail.conf goes with the jail (ioc_stop.py unlinks it).
    try:
        os.unlink(ctx.paths.real(runtime))
    except OSError:
        pass
    ctx.write("  + Executing poststop OK\n")
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
        return jexec.run(ctx, [*LOGIN_AS_ROOT, driver.kernel_name(name)])
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
            # json_set_value's own line (ioc_json.py): `KEY: OLD -> NEW`.
            ctx.write(f"{key}: {'none' if old is None else old} -> {data[key]}\n")
        write_host_file(ctx, file, json.dumps(data, indent=4, sort_keys=True) + "\n")
        return 0
    ctx.write_err(f"Usage: iocage {cmd} [OPTIONS] ...\n")
    return 1


def interactive(ctx: Ctx, args: list[str]) -> list[str] | None:
    """``iocage console NAME`` -> ``jexec -l -U root ioc-NAME`` (ioc_exec.py runs
    ``jexec ioc-NAME login -p -f root``: see common.LOGIN_AS_ROOT)."""
    words = [a for a in args[1:] if not a.startswith("-")]
    if args[:1] != ["console"] or len(words) != 1 or _conf(ctx, words[0]) is None:
        return None
    return ["jexec", *LOGIN_AS_ROOT, driver.kernel_name(words[0])]
