"""Simulated ``pot`` (docs/managers.md 1.3).

As ``bsdpot/pot:share/pot/{start,stop,common}.sh`` do it: every message is on **stdout**
(``_msg`` echoes ``###> `` errors, ``===> `` info; debug only with ``-v``).
``start [-p] NAME`` prints ``===>  Starting the pot NAME`` and runs ``jail -c`` with the
pot's parameters on the command line (no jail.conf file); a running pot is left alone,
silently, exit 0; an unknown one is ``###>   Pot NAME not found``, exit 1.
``stop [-p] NAME`` runs ``jail -q -r NAME`` (quiet: no ``removed`` line) and prints
nothing; a pot that is not running is cleaned up silently, exit 0; an unknown one is
``###>  The pot NAME is not a valid pot`` and the help, exit 1. ``term NAME`` is
``jexec -l -U root NAME`` (term.sh); there is no ``restart``. ``ls -q``/``ps -q`` print
names.
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


STOP_HELP = ("pot stop [-hv] [potname]\n  -h print this help\n  -v verbose\n"
             "  potname : the jail that has to start\n")


def _pot(ctx: Ctx, name: str, cmd: str = "start") -> dict[str, str] | None:
    """The pot's pot.conf (``_is_pot``, common.sh), or its refusal printed."""
    file = f"{_fs_root(ctx)}/jails/{name}/conf/pot.conf"
    files = SimFiles(ctx.paths)
    if files.stat(file) is None:
        if cmd == "stop":
            # stop.sh: `_is_pot NAME quiet`, then its own words and the help.
            ctx.write(f"###>  The pot {name} is not a valid pot\n{STOP_HELP}")
        else:
            # `_qerror "" "Pot NAME not found"`: echo "###> " "" "..." -> three spaces.
            ctx.write(f"###>   Pot {name} not found\n")
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
    kv = _pot(ctx, name, cmd)
    if kv is None:
        return 1
    up = running(ctx, name) is not None
    if cmd == "start":
        if up:
            # `_debug "pot NAME is already running"; return 0` (start.sh).
            if "-v" in args:
                ctx.write(f"=====>  pot {name} is already running\n")
            return 0
        ctx.write(f"===>  Starting the pot {name}\n")
        params = [f"name={name}", f"path={_fs_root(ctx)}/jails/{name}/m",
                  f"host.hostname={kv.get('host.hostname', name)}",
                  f"exec.start={kv.get('pot.cmd', 'sh /etc/rc').replace('sh /etc/rc', '/bin/sh /etc/rc')}",
                  "persist"]
        addrs = base.bare_addrs(kv.get("ip", ""))
        if addrs and kv.get("network_type", "inherit") != "inherit":
            params.append("ip4.addr=" + ",".join(addrs))
        # jail(8)'s own "NAME: created" goes to the terminal, as from start.sh.
        return 1 if run_jail(ctx, ["-c", *params]) != 0 else 0
    if cmd == "stop":
        if not up:
            return 0  # _js_stop only cleans up what a stopped pot left (stop.sh)
        # `jail -q -r NAME`: no jail.conf names the pot, so no exec.stop runs (stop.sh).
        sub = ctx.child(prog="pot", stdin=b"")
        if run_jail(sub, ["-q", "-r", name]) != 0:
            ctx.err += sub.err
            ctx.write(f"###>  Stop the pot {name} failed\n")
            return 1
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
