"""Simulated ``bastille`` 1.x (docs/managers.md 1.1).

``start``/``stop``/``restart``/``console``/``list jails``, as
``BastilleBSD/bastille:usr/local/share/bastille/{start,stop,common}.sh`` (1.x) do them:

- TARGET is an exact jail name, ``ALL``, or a *unique prefix* of one (``jail_autocomplete``
  in common.sh); several prefixed jails are an error; none: ``Jail not found "NAME"``,
  exit 1.
- start prints ``[NAME]:`` (``info``: on **stderr**, after an empty line), runs
  ``jail [-v] -f <jailsdir>/NAME/jail.conf -c NAME`` (jail(8)'s ``NAME: created`` on
  stdout), then ``rctl -a`` each line of ``rctl.conf``; an already running jail is
  ``Jail is already running.`` on stderr and the loop goes on (exit 0).
- stop removes the ``rctl.conf`` rules, runs ``jail [-v] -f ... -r NAME``; an already
  stopped jail is ``Jail is already stopped.`` (exit 0).
- options ``-b``/``--boot`` (skip jails whose settings.conf says ``boot=off``),
  ``-d``/``--delay N``, ``-v``/``--verbose``, ``-x``/``--debug``; any other option is
  ``[ERROR]: Unknown Option: "-q"``, exit 1; no TARGET prints the usage, exit 1.

pf tables, cpuset and rdr have nothing to act on in the simulator. A missing
bastille.conf stops every command with ``No config file found!``.
"""

from __future__ import annotations

from jailtui.core.owners import bastille as driver
from jailtui.sim import rctl
from jailtui.sim.context import Ctx
from jailtui.sim.managers.common import LOGIN_AS_ROOT, SimFiles, run_jail, running

USAGE = ("Usage:\n  bastille command TARGET [args]\n\n"
         "Available Commands:\n  console  list  restart  start  stop\n")

#: The options text each of start/stop/restart prints after its usage line (start.sh).
OPTIONS = ("\n    Options:\n\n"
           "    -b | --boot                 Respect jail boot setting.\n"
           "    -d | --delay VALUE          Time (seconds) to wait after each jail.\n"
           "    -v | --verbose              Print every action.\n"
           "    -x | --debug                Enable debug mode.\n\n")


class Refused(Exception):
    """What a Bastille script prints before ``exit 1`` (stderr)."""


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


def _names(ctx: Ctx, jailsdir: str) -> list[str]:
    """``bastille list jails``: the directories of jailsdir that hold a jail.conf."""
    return [p.rsplit("/", 2)[-2] for p in SimFiles(ctx.paths).glob(f"{jailsdir}/*/jail.conf")]


def _targets(ctx: Ctx, jailsdir: str, target: str) -> list[str]:
    """set_target (common.sh): ALL, an exact name, or the one jail a prefix names."""
    names = _names(ctx, jailsdir)
    if target in ("ALL", "all"):
        return names
    if target in names:
        return [target]
    # jail_autocomplete: `grep -E "^TARGET"` over `bastille list jails`.
    prefixed = [n for n in names if n.startswith(target)]
    if len(prefixed) == 1:
        return prefixed
    if prefixed:
        raise Refused(f"Multiple jails found for {target}:\n" + "\n".join(prefixed))
    raise Refused(f'Jail not found "{target}"')


def _options(cmd: str, args: list[str]) -> tuple[dict[str, bool], list[str]]:
    """start.sh/stop.sh's option loop: flags, then the words from the first non-option."""
    flags = {"boot": False, "verbose": False}
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-h", "--help", "help"):
            raise Refused(f"Usage: bastille {cmd} [option(s)] TARGET")
        if a in ("-b", "--boot"):
            flags["boot"] = True
        elif a in ("-d", "--delay"):
            if i + 1 >= len(args) or not args[i + 1].isdigit():
                raise Refused("[-d|--delay] requires a value.")
            i += 1
        elif a in ("-v", "--verbose"):
            flags["verbose"] = True
        elif a in ("-x", "--debug"):
            pass
        elif a.startswith("-") and len(a) > 1:
            for ch in a.lstrip("-"):
                if ch == "b":
                    flags["boot"] = True
                elif ch == "v":
                    flags["verbose"] = True
                elif ch != "x":
                    raise Refused(f'[ERROR]: Unknown Option: "{a}"')
        else:
            break
        i += 1
    return flags, args[i:]


def _rctl_rules(ctx: Ctx, jailsdir: str, name: str) -> list[str]:
    files = SimFiles(ctx.paths)
    file = f"{jailsdir}/{name}/rctl.conf"
    if files.stat(file) is None:
        return []
    return [ln.strip() for ln in files.read_text(file).splitlines() if ln.strip()]


def _rctl(ctx: Ctx, flag: str, rules: list[str]) -> None:
    for rule in rules:
        sub = ctx.child(prog="rctl")
        rctl.run(sub, [flag, rule])
        ctx.err += sub.err


def _boot_off(ctx: Ctx, jailsdir: str, name: str) -> bool:
    files = SimFiles(ctx.paths)
    file = f"{jailsdir}/{name}/settings.conf"
    if files.stat(file) is None:
        return False
    return any(ln.strip().replace('"', "") == "boot=off"
               for ln in files.read_text(file).splitlines())


def _one(ctx: Ctx, jailsdir: str, verb: str, name: str, flags: dict[str, bool]) -> int:
    conf = f"{jailsdir}/{name}/jail.conf"
    if flags["boot"] and _boot_off(ctx, jailsdir, name):
        return 0
    up = running(ctx, name) is not None
    # info "\n[NAME]:" (common.sh): to stderr, after an empty line.
    ctx.write_err(f"\n[{name}]:\n")
    v = ["-v"] if flags["verbose"] else []
    if verb == "start":
        if up:
            ctx.write_err("Jail is already running.\n")
            return 0
        rc = run_jail(ctx, [*v, "-f", conf, "-c", name])
        if rc == 0:
            _rctl(ctx, "-a", _rctl_rules(ctx, jailsdir, name))
        return rc
    if not up:
        ctx.write_err("Jail is already stopped.\n")
        return 0
    _rctl(ctx, "-r", _rctl_rules(ctx, jailsdir, name))
    return run_jail(ctx, [*v, "-f", conf, "-r", name])


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
            for n in _names(ctx, jailsdir):
                ctx.write(n + "\n")
            return 0
        ctx.write_err("jailtui's simulated bastille supports only `bastille list jails`\n")
        return 1
    if cmd not in ("start", "stop", "restart", "console"):
        ctx.write(USAGE)
        return 1
    try:
        flags, words = _options(cmd, rest)
        if not words or (cmd != "console" and len(words) != 1):
            raise Refused(f"Usage: bastille {cmd} [option(s)] TARGET")
        names = _targets(ctx, jailsdir, words[0])
    except Refused as exc:
        ctx.write_err(f"{exc}\n")
        if str(exc).startswith("Usage:"):
            ctx.write(OPTIONS)
        return 1
    if cmd == "console":
        # Non-interactive (captured) console: what jexec does with no terminal.
        from jailtui.sim import jexec
        return jexec.run(ctx, [*LOGIN_AS_ROOT, names[0]])
    rc = 0
    for name in names:
        if cmd == "restart":
            rc |= _one(ctx, jailsdir, "stop", name, flags)
            rc |= _one(ctx, jailsdir, "start", name, flags)
        else:
            rc |= _one(ctx, jailsdir, cmd, name, flags)
    return rc


def interactive(ctx: Ctx, args: list[str]) -> list[str] | None:
    """``bastille console NAME [USER]`` -> the jexec argv to exec (console.sh runs
    ``jexec -l NAME login -f root``: see common.LOGIN_AS_ROOT)."""
    if args[:1] != ["console"]:
        return None
    jailsdir = _jailsdir(ctx)
    if jailsdir is None:
        return None
    try:
        _, words = _options("console", args[1:])
        if not words:
            return None
        names = _targets(ctx, jailsdir, words[0])
    except Refused:
        return None
    return ["jexec", "-l", "-U", words[1] if len(words) > 1 else "root", names[0]]
