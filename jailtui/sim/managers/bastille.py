"""Simulated ``bastille`` (docs/managers.md 1.1).

``start``/``stop``/``restart``/``console``/``list jails``. start runs
``jail -f <jailsdir>/NAME/jail.conf -c NAME`` and prints ``[NAME]:`` before jail(8)'s
``NAME: created`` (Bastille's docs, start.rst); stop runs ``jail -f ... -r NAME``
(``NAME: removed``). rctl/cpuset/pf rdr have nothing to act on here. A missing
bastille.conf stops every command with ``No config file found!``.
"""

from __future__ import annotations

from jailtui.core.owners import bastille as driver
from jailtui.sim.context import Ctx
from jailtui.sim.managers.common import SimFiles, run_jail, running

USAGE = ("Usage:\n  bastille command TARGET [args]\n\n"
         "Available Commands:\n  console  list  restart  start  stop\n")


def _jailsdir(ctx: Ctx) -> str | None:
    files = SimFiles(ctx.paths)
    if files.stat(driver.CONF) is None:
        ctx.write_err(f"{driver.NO_CONFIG}\n")
        return None
    jailsdir, conf = driver.BastilleDriver().jailsdir(files)
    if conf.problems:
        # sh would fail on the same line; Bastille then runs with what it has.
        ctx.write_err(f"{conf.problems[0]}\n")
        return None
    return jailsdir


def _targets(ctx: Ctx, jailsdir: str, target: str) -> list[str] | None:
    files = SimFiles(ctx.paths)
    names = [p.rsplit("/", 2)[-2] for p in files.glob(f"{jailsdir}/*/jail.conf")]
    if target == "ALL":
        return names
    if target not in names:
        ctx.write_err(f"[ERROR]: Jail not found: {target}\n")
        return None
    return [target]


def _options(args: list[str]) -> list[str]:
    """Drop start/stop/restart options (-b/--boot, -d/--delay N, -v, -x, -i)."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-d", "--delay"):
            skip = True
            continue
        if a.startswith("-") and len(out) == 0:
            continue
        out.append(a)
    return out


def _one(ctx: Ctx, jailsdir: str, verb: str, name: str) -> int:
    conf = f"{jailsdir}/{name}/jail.conf"
    ctx.write(f"[{name}]:\n")
    up = running(ctx, name) is not None
    if verb == "start":
        if up:
            ctx.write_err("Jail is already running.\n")
            return 0
        return run_jail(ctx, ["-f", conf, "-c", name])
    if not up:
        ctx.write_err("Jail is not running.\n")
        return 0
    return run_jail(ctx, ["-f", conf, "-r", name])


def run(ctx: Ctx, args: list[str]) -> int:
    if not args or args[0] in ("help", "-h", "--help"):
        ctx.write(USAGE)
        return 0 if args else 1
    cmd, rest = args[0], args[1:]
    jailsdir = _jailsdir(ctx)
    if jailsdir is None:
        return 1
    if cmd == "list":
        if rest[:1] == ["jails"]:
            files = SimFiles(ctx.paths)
            for p in files.glob(f"{jailsdir}/*/jail.conf"):
                ctx.write(p.rsplit("/", 2)[-2] + "\n")
            return 0
        ctx.write_err("jailtui's simulated bastille supports only `bastille list jails`\n")
        return 1
    if cmd not in ("start", "stop", "restart", "console"):
        ctx.write(USAGE)
        return 1
    words = _options(rest)
    if not words:
        ctx.write(f"Usage: bastille {cmd} [option(s)] TARGET\n")
        return 1
    names = _targets(ctx, jailsdir, words[0])
    if names is None:
        return 1
    if cmd == "console":
        # Non-interactive (captured) console: what jexec does with no terminal.
        from jailtui.sim import jexec
        return jexec.run(ctx, ["-l", names[0]])
    rc = 0
    for name in names:
        if cmd == "restart":
            rc |= _one(ctx, jailsdir, "stop", name)
            ctx.write("\n")
            rc |= _one(ctx, jailsdir, "start", name)
        else:
            rc |= _one(ctx, jailsdir, cmd, name)
    return rc


def interactive(ctx: Ctx, args: list[str]) -> list[str] | None:
    """``bastille console NAME [USER]`` -> the jexec argv to exec (console.sh runs
    ``jexec -l NAME login -f root``; the simulated jexec has no login(1): a login shell)."""
    words = _options(args[1:]) if args[:1] == ["console"] else []
    if not words or _jailsdir(ctx) is None:
        return None
    argv = ["jexec", "-l"]
    if len(words) > 1:
        argv += ["-U", words[1]]
    return [*argv, words[0]]
