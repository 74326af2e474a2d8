"""jexec(8) of the simulated host (reference section 6).

There is no jail_attach(2) on Linux, so "inside the jail" means: the
jail's root directory as the working directory, a jail environment
(``JAILTUI_SIM_JAIL=NAME``, ``PATH`` starting with ``SIMDIR/jailbin`` where
hostname, ps, who, service, sysctl ... answer as seen from inside the jail)
and a prompt with the jail's hostname. Interactive use (a shim, or
``jailtui sim exec -- jexec web``) execs a real ``/bin/sh``; through
dispatch() (SimRunner) a command runs captured, with a timeout, and the
simulated tools answer in-process.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jailtui.sim import passwd
from jailtui.sim.context import ENV_JAIL, Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import SimJail, Store

USAGE = "usage: jexec [-l] [-u username | -U username] jail [command ...]\n"

#: Upper bound for a command run through dispatch(); the runner's own
#: timeout is normally shorter.
CAPTURE_TIMEOUT = 300.0

#: Tools that have an in-jail answer (SIMDIR/jailbin shims, dispatch in-process).
JAIL_TOOLS = ("hostname", "ps", "who", "service", "sysctl", "jls", "jail", "kill")

#: Where FreeBSD keeps them: ``jexec web /usr/sbin/service nginx status``
#: (how service.sh itself calls it) must reach the simulated tool, not fail
#: on a Linux machine that has no /usr/sbin/service.
_FREEBSD_PATHS = frozenset({"/bin/hostname", "/bin/ps", "/usr/bin/who", "/usr/sbin/service",
                            "/sbin/sysctl", "/usr/sbin/jls", "/usr/sbin/jail", "/bin/kill"})


def sim_tool(argv0: str) -> str | None:
    """The simulated tool an in-jail argv[0] names, if any."""
    if argv0 in JAIL_TOOLS or argv0 in _FREEBSD_PATHS:
        return os.path.basename(argv0)
    return None


@dataclass
class Target:
    """Where and as whom a jexec'd command runs."""

    jail: SimJail
    user: passwd.User
    #: This machine's directory of the jail's root.
    root: str
    login: bool


def resolve(ctx: Ctx, args: list[str]) -> tuple[Target, list[str]] | int:
    """Parse jexec's arguments; on error write the message and return the exit code."""
    try:
        opts, rest = getopt(args, "lnu:U:")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(USAGE)
        return 1
    login = False
    uname: str | None = None
    host_user = jail_user = False
    for ch, arg in opts:
        if ch == "l":
            login = True
        elif ch == "u":
            uname, host_user = arg, True
        elif ch == "U":
            uname, jail_user = arg, True
    if not rest or (host_user and jail_user):
        ctx.write_err(USAGE)
        return 1
    host_users = passwd.load(ctx.paths.real("/etc/passwd"))
    user: passwd.User | None = None
    if host_user and uname is not None:
        # -u: the host's passwd, looked up before entering the jail.
        user = passwd.by_name(host_users, uname)
        if user is None:
            ctx.warn(f"{uname}: no such user")
            return 1
    key = rest[0]
    with Store(ctx.simdir).read() as st:
        if ctx.jail is not None and not (key.isdigit() and int(key) != 0):
            key = f"{ctx.jail}.{key}"
        j = st.lookup(key)
        if j is None:
            # jail_getid() without JAIL_DYING: "not found" or "is dying"
            # (jexec.c errx(1, "%s", jail_errmsg); docs/freebsd.md 6).
            err = st.getid_error(key) or "not found"
            ctx.warn(err.replace(f'"{key}"', f'"{rest[0]}"'))
            return 1
    root = ctx.paths.real(j.path) if j.path.startswith("/") else j.path
    jail_users = passwd.load(os.path.join(root, "etc/passwd"))
    if jail_user and uname is not None:
        user = passwd.by_name(jail_users, uname)
        if user is None:
            ctx.warn(f"{uname}: no such user")
            return 1
    if user is None:
        user = passwd.by_name(jail_users, "root") or passwd.BASE_USERS[0]
    return Target(j, user, root, login), rest[1:]


def jail_env(simdir: Path, t: Target, base: Mapping[str, str]) -> dict[str, str]:
    """The environment of a process "inside" the simulated jail."""
    env: dict[str, str] = {} if t.login else {
        k: v for k, v in base.items() if not k.startswith("JAILTUI_SIM_")}
    term = base.get("TERM")
    home = os.path.join(t.root, t.user.home.lstrip("/"))
    short = (t.jail.hostname or t.jail.name).split(".", 1)[0]
    env.update({
        "HOME": home,
        "SHELL": "/bin/sh",
        "USER": t.user.name,
        "LOGNAME": t.user.name,
        "PATH": f"{simdir / 'jailbin'}:/bin:/usr/bin",
        "PS1": f"{t.user.name}@{short}:/ {'#' if t.user.uid == 0 else '$'} ",
        ENV_JAIL: t.jail.name,
    })
    if term:
        env["TERM"] = term
    return env


def workdir(t: Target) -> str:
    """jexec chdirs to the jail's "/" (or the user's home with -l)."""
    if t.login:
        home = os.path.join(t.root, t.user.home.lstrip("/"))
        if os.path.isdir(home):
            return home
    return t.root


def run(ctx: Ctx, args: list[str]) -> int:
    """Non-interactive jexec: run the command captured (dispatch / SimRunner)."""
    got = resolve(ctx, args)
    if isinstance(got, int):
        return got
    t, cmd = got
    env = jail_env(ctx.simdir, t, ctx.env)
    if cmd and sim_tool(cmd[0]) is not None:
        rc, out, err = ctx.run_tool(cmd, stdin=ctx.stdin, env=env)
        ctx.out += out
        ctx.err += err
        return rc
    argv = cmd if cmd else ["/bin/sh", "-i"]
    try:
        proc = subprocess.run(argv, cwd=workdir(t), env=env, input=ctx.stdin or b"",
                              capture_output=True, timeout=CAPTURE_TIMEOUT, check=False)
    except FileNotFoundError:
        ctx.warn(f"execvp: {argv[0]}: No such file or directory")
        return 1
    except PermissionError:
        ctx.warn(f"execvp: {argv[0]}: Permission denied")
        return 1
    except subprocess.TimeoutExpired as e:
        ctx.out += e.stdout or b""
        ctx.err += e.stderr or b""
        ctx.warn(f"{argv[0]}: timed out after {CAPTURE_TIMEOUT:g} s")
        return 1
    ctx.out += proc.stdout
    ctx.err += proc.stderr
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode


def exec_interactive(simdir: str, argv: list[str], env: dict[str, str]) -> int:
    """Interactive jexec: replace this process with the shell (or command).

    Returns only on an error before the exec (exit code 1, message on fd 2).
    """
    ctx = Ctx(Path(simdir), env, prog="jexec")
    got = resolve(ctx, argv[1:])
    if isinstance(got, int):
        os.write(2, bytes(ctx.err))
        return got
    t, cmd = got
    jenv = jail_env(Path(simdir), t, env)
    os.chdir(workdir(t))
    if not cmd:
        shell = jenv.get("SHELL", "/bin/sh")
        try:
            os.execve(shell, [shell, "-i"], jenv)
        except OSError as e:
            os.write(2, f"jexec: execlp: {shell}: {e.strerror}\n".encode())
            return 1
    tool = sim_tool(cmd[0])
    if tool is not None:
        cmd = [str(Path(simdir) / "jailbin" / tool), *cmd[1:]]
    try:
        os.execvpe(cmd[0], cmd, jenv)
    except OSError as e:
        os.write(2, f"jexec: execvp: {cmd[0]}: {e.strerror}\n".encode())
        return 1
    return 1  # not reached
