"""Simulated ``appjail`` (docs/managers.md 1.4).

``start NAME`` compiles ``conf/template.conf`` (``key: value`` lines) into
``conf/jail.conf`` with ``name`` and ``path = ${JAILDIR}/NAME/jail`` and runs
``jail -c -f ${JAILDIR}/NAME/conf/jail.conf NAME`` (cmd/start); ``stop NAME`` runs
``jail -r -f ${JAILDIR}/NAME/conf/jail.conf NAME`` (cmd/stop); ``restart`` is both;
``login NAME`` is ``jexec -l NAME login -f root`` (cmd/login); ``status -q NAME``
answers by exit status.
"""

from __future__ import annotations

from jailtui.core.owners import appjail as driver
from jailtui.core.owners import shconf
from jailtui.sim.context import Ctx
from jailtui.sim.managers.common import (
    LOGIN_AS_ROOT,
    SimFiles,
    run_jail,
    running,
    write_host_file,
)

USAGE = "usage: appjail [-h] <command> [<args>]\n"


def _jaildir(ctx: Ctx) -> str:
    return shconf.load(SimFiles(ctx.paths), [driver.CONF],
                       driver.DEFAULTS).values["JAILDIR"].rstrip("/")


def _exists(ctx: Ctx, name: str) -> bool:
    if SimFiles(ctx.paths).stat(f"{_jaildir(ctx)}/{name}/conf/config.conf") is None:
        ctx.write_err(f"[ error ] Cannot find the jail `{name}`\n")
        return False
    return True


def compile_conf(template: str, name: str, jaildir: str) -> str:
    """conf/jail.conf from conf/template.conf: ``key: value`` -> ``key = value;``."""
    # The block's name is the jail's name (jail.conf(5): a block may not redefine it).
    lines = [f"{name} {{", f'    path = "{jaildir}/{name}/jail";']
    for raw in template.splitlines():
        key, sep, value = raw.partition(":")
        if not sep or not key.strip() or key.strip().startswith("#"):
            continue
        value = value.strip()
        lines.append(f"    {key.strip()} = {value};" if value else f"    {key.strip()};")
    return "\n".join([*lines, "}", ""])


def _start(ctx: Ctx, name: str) -> int:
    if running(ctx, name) is not None:
        ctx.write_err(f"[ warn  ] [{name}] {name} is currently running.\n")
        return 1
    jaildir = _jaildir(ctx)
    files = SimFiles(ctx.paths)
    template = f"{jaildir}/{name}/conf/template.conf"
    text = files.read_text(template) if files.stat(template) is not None else ""
    conf = f"{jaildir}/{name}/conf/jail.conf"
    write_host_file(ctx, conf, compile_conf(text, name, jaildir))
    ctx.write(f"[ info  ] [{name}] Starting {name}...\n")
    return run_jail(ctx, ["-c", "-f", conf, name])


def _stop(ctx: Ctx, name: str) -> int:
    if running(ctx, name) is None:
        ctx.write_err(f"[ warn  ] [{name}] {name} is not running.\n")
        return 1
    ctx.write(f"[ info  ] [{name}] Stopping {name}...\n")
    return run_jail(ctx, ["-r", "-f", f"{_jaildir(ctx)}/{name}/conf/jail.conf", name])


def run(ctx: Ctx, args: list[str]) -> int:
    if not args or args[0] in ("-h", "help"):
        ctx.write_err(USAGE)
        return 0 if args else 64
    cmd = args[0]
    words = [a for a in args[1:] if not a.startswith("-")]
    if cmd == "login" and "-u" in args:
        words = words[1:]
    if cmd not in ("start", "stop", "restart", "login", "status") or len(words) != 1:
        ctx.write_err(USAGE)
        return 64
    name = words[0]
    if not _exists(ctx, name):
        return 1
    if cmd == "status":
        up = running(ctx, name) is not None
        if "-q" not in args:
            ctx.write(f"{name} is {'running' if up else 'stopped'}\n")
        return 0 if up else 1
    if cmd == "start":
        return _start(ctx, name)
    if cmd == "stop":
        return _stop(ctx, name)
    if cmd == "restart":
        rc = _stop(ctx, name)
        return rc if rc != 0 else _start(ctx, name)
    from jailtui.sim import jexec
    return jexec.run(ctx, [*LOGIN_AS_ROOT, name])


def interactive(ctx: Ctx, args: list[str]) -> list[str] | None:
    words = [a for a in args[1:] if not a.startswith("-")]
    user = None
    if "-u" in args and words:
        user, words = words[0], words[1:]
    if args[:1] != ["login"] or len(words) != 1 or not _exists(ctx, words[0]):
        return None
    return ["jexec", "-l", "-U", user or "root", words[0]]
