"""Simulated ``pot`` (docs/managers.md 1.3).

``start [-p] NAME`` runs ``jail -c`` with the pot's parameters on the command line (no
jail.conf file, share/pot/start.sh); ``stop [-p] NAME`` pipes a generated config into
``jail -f- -q -r NAME`` (stop.sh); ``term NAME`` is ``jexec -l -U root NAME``
(term.sh); there is no ``restart``. ``ls -q``/``ps -q`` print names.
"""

from __future__ import annotations

from jailtui.core.owners import base, shconf
from jailtui.core.owners import pot as driver
from jailtui.sim.context import Ctx
from jailtui.sim.managers.common import SimFiles, run_jail, running

USAGE = ("Usage: pot command [options]\n\n"
         "Commands:\n\thelp\tls/list\tps\tstart\tstop\tterm\trun\n")


def _fs_root(ctx: Ctx) -> str:
    return shconf.load(SimFiles(ctx.paths), driver.CONF_FILES,
                       driver.DEFAULTS).values["POT_FS_ROOT"].rstrip("/")


def _pot(ctx: Ctx, name: str) -> dict[str, str] | None:
    file = f"{_fs_root(ctx)}/jails/{name}/conf/pot.conf"
    files = SimFiles(ctx.paths)
    if files.stat(file) is None:
        ctx.write_err(f"###>  {name} is not a valid pot\n")
        return None
    return driver.read_pot_conf(files.read_text(file))


def _names(ctx: Ctx) -> list[str]:
    root = _fs_root(ctx)
    return [p.rsplit("/", 3)[-3] for p in SimFiles(ctx.paths).glob(f"{root}/jails/*/conf/pot.conf")]


def run(ctx: Ctx, args: list[str]) -> int:
    if not args or args[0] == "help":
        ctx.write(USAGE)
        return 0 if args else 1
    cmd = args[0]
    words = [a for a in args[1:] if not a.startswith("-")]
    if cmd in ("ls", "list") and "-q" in args:
        for n in _names(ctx):
            ctx.write(n + "\n")
        return 0
    if cmd == "ps" and "-q" in args:
        for n in _names(ctx):
            if running(ctx, n) is not None:
                ctx.write(n + "\n")
        return 0
    if cmd not in ("start", "stop", "term", "run") or len(words) != 1:
        ctx.write(USAGE)
        return 1
    name = words[0]
    kv = _pot(ctx, name)
    if kv is None:
        return 1
    up = running(ctx, name) is not None
    if cmd == "start":
        if up:
            ctx.write_err(f"###>  pot {name} is already running\n")
            return 1
        params = [f"name={name}", f"path={_fs_root(ctx)}/jails/{name}/m",
                  f"host.hostname={kv.get('host.hostname', name)}",
                  f"exec.start={kv.get('pot.cmd', 'sh /etc/rc').replace('sh /etc/rc', '/bin/sh /etc/rc')}",
                  "persist"]
        addrs = base.bare_addrs(kv.get("ip", ""))
        if addrs and kv.get("network_type", "inherit") != "inherit":
            params.append("ip4.addr=" + ",".join(addrs))
        sub = ctx.child(prog="pot", stdin=b"")
        if run_jail(sub, ["-c", *params]) != 0:
            ctx.err += sub.err
            return 1
        ctx.write(f"===>  Starting the pot {name}\n")
        return 0
    if cmd == "stop":
        if not up:
            ctx.write_err(f"###>  pot {name} is not running\n")
            return 1
        conf = f'{name} {{\n    exec.stop = "/bin/sh /etc/rc.shutdown";\n}}\n'.encode()
        sub = ctx.child(prog="pot", stdin=b"")
        if run_jail(sub, ["-f", "-", "-q", "-r", name], stdin=conf) != 0:
            ctx.err += sub.err
            return 1
        ctx.write(f"===>  Stopping the pot {name}\n")
        return 0
    if not up:
        ctx.write_err(f"###>  pot {name} is not running\n")
        return 1
    from jailtui.sim import jexec
    return jexec.run(ctx, ["-l", "-U", "root", name])


def interactive(ctx: Ctx, args: list[str]) -> list[str] | None:
    words = [a for a in args[1:] if not a.startswith("-")]
    if args[:1] != ["term"] or len(words) != 1 or _pot(ctx, words[0]) is None:
        return None
    return ["jexec", "-l", "-U", "root", words[0]]
