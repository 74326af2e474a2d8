"""jexec(8) of the simulated host (docs/freebsd.md 6, usr.sbin/jexec/jexec.c).

The user semantics are jexec.c's: with ``-u``, or ``-l`` without ``-U``,
the user (shell, home, login class) comes from the HOST's passwd, looked
up before jail_attach; ``-U`` takes it from the jail's passwd afterwards.
``-l`` cleans the environment (PATH, TERM kept, USER, HOME, SHELL) and
chdirs to that user's home inside the jail, failing with
``jexec: chdir: /root: ...`` where the jail has no such directory.

"Inside the jail" means confined (sim/confine.py): the jail's root as
``/``, the jail user's uid, the jail's hostname, through bubblewrap. The
simulated tools (hostname, ps, service, sysctl ...) answer in-process when
they are the command, and from ``/.jailtui-sim/host/jailbin`` on PATH
inside the confined shell. Without confinement only those tools and a few
built-ins run (sim/restricted.py), never a program on this machine's ``/``.
Every interactive session starts with a banner saying SIMULATED.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jailtui.sim import cancel, confine, passwd, restricted
from jailtui.sim.context import ENV_JAIL, Ctx, Dispatch
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.pkg import PKG_BINARY
from jailtui.sim.state import SimJail, Store

USAGE = "usage: jexec [-l] [-u username | -U username] jail [command ...]\n"

#: Upper bound for a command run through dispatch(); the runner's own
#: timeout is normally shorter.
CAPTURE_TIMEOUT = 300.0

#: Tools that have an in-jail answer (SIMDIR/jailbin shims, dispatch in-process).
JAIL_TOOLS = ("hostname", "ps", "who", "service", "sysctl", "jls", "jail", "kill", "chflags")

#: Where FreeBSD keeps them: ``jexec web /usr/sbin/service nginx status``
#: (how service.sh itself calls it) must reach the simulated tool, not fail
#: on a Linux machine that has no /usr/sbin/service.
_FREEBSD_PATHS = frozenset({"/bin/hostname", "/bin/ps", "/usr/bin/who", "/usr/sbin/service",
                            "/sbin/sysctl", "/usr/sbin/jls", "/usr/sbin/jail", "/bin/kill",
                            "/bin/chflags"})


def sim_tool(argv0: str) -> str | None:
    """The simulated tool an in-jail argv[0] names, if any."""
    if argv0 in JAIL_TOOLS or argv0 in _FREEBSD_PATHS:
        return os.path.basename(argv0)
    return None


@dataclass
class Target:
    """Where and as whom a jexec'd command runs."""

    jail: SimJail
    #: The passwd entry whose uid/gid/home/shell apply (jexec.c's ``pwd``).
    user: passwd.User
    #: This machine's directory of the jail's root.
    root: str
    #: ``-l``: a clean environment and a chdir to the user's home.
    login: bool
    #: The working directory inside the jail ("/" or the home with -l).
    cwd: str
    #: The environment of the command (see jail_env).
    env: dict[str, str]
    #: The host's name (for the banner).
    host: str = ""


#: util-linux script(1) inside the sandbox (lent from this machine's /usr/bin).
SCRIPT = "/usr/bin/script"

#: PATH of a confined command: the simulated tools first, then FreeBSD's
#: default login class path (login.conf ``default:path``).
JAIL_PATH = (f"{confine.SIM_MOUNT}/host/jailbin:/sbin:/bin:/usr/sbin:/usr/bin:"
             "/usr/local/sbin:/usr/local/bin")


def resolve(ctx: Ctx, args: list[str]) -> tuple[Target, list[str]] | int:
    """Parse jexec's arguments as jexec.c does; on error write the message, return 1."""
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
    user: passwd.User | None = None
    if host_user or (login and not jail_user):
        # jexec.c: get_user_info() from the HOST's passwd, before jail_attach.
        # Without a name it is the caller: root on the simulated host.
        host_users = passwd.load(ctx.paths.real("/etc/passwd"))
        if uname is not None:
            user = passwd.by_name(host_users, uname)
            if user is None:
                ctx.warn(f"{uname}: no such user")
                return 1
        else:
            user = next((u for u in host_users if u.uid == 0), passwd.BASE_USERS[0])
    key = rest[0]
    with Store(ctx.simdir).read() as st:
        host = st.hostname
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
    if jail_user and uname is not None:
        # After jail_attach: the jail's own passwd.
        user = passwd.by_name(passwd.load(os.path.join(root, "etc/passwd")), uname)
        if user is None:
            ctx.warn(f"{uname}: no such user")
            return 1
    cwd = "/"
    if login:
        assert user is not None
        if not os.path.isdir(os.path.join(root, user.home.lstrip("/"))):
            ctx.warn(f"chdir: {user.home}: No such file or directory")
            return 1
        cwd = user.home
    if user is None:
        # Neither -u/-U nor -l: the caller's credentials, unchanged (root).
        user = passwd.User("root", 0, 0, "", "/root", ctx.env.get("SHELL", "/bin/sh"))
        env = _inherited(ctx.env)
    elif login:
        env = {k: ctx.env[k] for k in ("TERM",) if k in ctx.env}
        _set_user(env, user)
    else:
        env = _inherited(ctx.env)
        _set_user(env, user)
    env["PATH"] = JAIL_PATH
    env[ENV_JAIL] = j.name
    short = (j.hostname or j.name).split(".", 1)[0]
    env.setdefault("PS1", f"{user.name}@{short}:{cwd} {'#' if user.uid == 0 else '$'} ")
    return Target(j, user, root, login, cwd, env, host), rest[1:]


def hook_target(jail: SimJail, root: str, clean: bool, base: Mapping[str, str]) -> Target:
    """Who and where jail(8)'s in-jail commands (exec.start ...) run: the jail's
    root user at "/", environment cleaned with exec.clean (jail(8))."""
    user = passwd.by_name(passwd.load(os.path.join(root, "etc/passwd")), "root") \
        or passwd.BASE_USERS[0]
    if clean:
        env = {k: base[k] for k in ("TERM",) if k in base}
        _set_user(env, user)
    else:
        env = _inherited(base)
    env["PATH"] = JAIL_PATH
    env[ENV_JAIL] = jail.name
    return Target(jail, user, root, clean, "/", env)


def confined_command(simdir: Path, t: Target, argv: list[str], base: Mapping[str, str], *,
                     outlive: bool = False) -> list[str] | None:
    """``argv`` wrapped to run confined in ``t``'s jail; None where that is impossible."""
    conf = confine.probe()
    if not conf.available or conf.tool is None:
        return None
    from jailtui.sim.builder import ensure_jail_shims
    ensure_jail_shims(simdir.resolve())
    return confine.sandbox_argv(simdir=simdir.resolve(), root=t.root, argv=argv,
                                uid=t.user.uid, gid=t.user.gid,
                                hostname=t.jail.hostname or t.jail.name, cwd=t.cwd,
                                env={**t.env, **_sim_keys(base)}, interactive=False,
                                tool=conf.tool, overlays=_tool_overlays(simdir, t),
                                outlive=outlive)


def _inherited(base: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in base.items() if not k.startswith("JAILTUI_SIM_") and k != "PS1"}


def _set_user(env: dict[str, str], user: passwd.User) -> None:
    env["USER"] = user.name
    env["HOME"] = user.home
    env["SHELL"] = user.shell or "/bin/sh"  # _PATH_BSHELL for an empty shell field


def banner(t: Target) -> str:
    """First line of every interactive session: SIMULATED, which jail, confined or not."""
    return (f"*** SIMULATED FreeBSD jail {t.jail.name} (jid {t.jail.jid}) on "
            f"{t.host or 'the simulated host'}, as {t.user.name}: {confine.probe().describe()} ***")


def _sandbox(ctx_simdir: Path, t: Target, argv: list[str], interactive: bool,
             base: Mapping[str, str]) -> list[str]:
    conf = confine.probe()
    assert conf.tool is not None
    return confine.sandbox_argv(simdir=ctx_simdir.resolve(), root=t.root, argv=argv,
                                uid=t.user.uid, gid=t.user.gid,
                                hostname=t.jail.hostname or t.jail.name, cwd=t.cwd,
                                env={**t.env, **_sim_keys(base)}, interactive=interactive,
                                tool=conf.tool, overlays=_tool_overlays(ctx_simdir, t))


def _tool_overlays(simdir: Path, t: Target) -> dict[str, str]:
    """FreeBSD's paths of the simulated tools (``/usr/sbin/service`` ...) inside the
    sandbox: the shims, where this machine has a file there to cover."""
    out: dict[str, str] = {}
    for path in sorted(_FREEBSD_PATHS):
        shim = simdir / "jailbin" / os.path.basename(path)
        inside = os.path.join(t.root, path.lstrip("/"))
        if shim.exists() and os.path.isfile(path) and not os.path.lexists(inside):
            out[path] = str(shim)
    return out


def has_pkg(t: Target) -> bool:
    """Is pkg(8) installed in the jail (its root's /usr/local/sbin/pkg)? The
    simulator answers the jail's own pkg in-process (sim/pkg.py)."""
    return os.path.isfile(os.path.join(t.root, PKG_BINARY.lstrip("/")))


def _command(t: Target, cmd: list[str]) -> list[str]:
    """jexec.c: the command, or ``$SHELL -i`` (``/bin/sh`` without SHELL)."""
    return cmd if cmd else [t.env.get("SHELL") or "/bin/sh", "-i"]


def _tool_env(t: Target) -> dict[str, str]:
    """Environment for a simulated tool run in-process (it reads JAILTUI_SIM_*)."""
    return {**t.env, ENV_JAIL: t.jail.name}


def run(ctx: Ctx, args: list[str]) -> int:
    """Non-interactive jexec: run the command captured (dispatch / SimRunner)."""
    got = resolve(ctx, args)
    if isinstance(got, int):
        return got
    t, cmd = got
    argv = _command(t, cmd)
    if argv[0] in ("pkg", PKG_BINARY):
        # The jail's own pkg(8), where its root has one (docs/freebsd.md 13.4).
        if not has_pkg(t):
            ctx.err += f"jexec: execvp: {argv[0]}: No such file or directory\n".encode()
            return 1
        rc, out, err = ctx.run_tool(["pkg", *argv[1:]], stdin=ctx.stdin,
                                    env={**_tool_env(t), **_sim_keys(ctx.env)})
        ctx.out += out
        ctx.err += err
        return rc
    if sim_tool(argv[0]) is not None:
        rc, out, err = ctx.run_tool(argv, stdin=ctx.stdin,
                                    env={**_tool_env(t), **_sim_keys(ctx.env)})
        ctx.out += out
        ctx.err += err
        return rc
    conf = confine.probe()
    if conf.available:
        from jailtui.sim.builder import ensure_jail_shims
        ensure_jail_shims(ctx.simdir.resolve())
    if not conf.available:
        got_b = restricted.builtin(argv, user=t.user.name, uid=t.user.uid, gid=t.user.gid,
                                   cwd=t.cwd, env=t.env)
        if got_b is None:
            ctx.err += (restricted.not_confined_message(argv[0], conf.reason) + "\n").encode()
            return 127
        ctx.write(got_b[1])
        return got_b[0]
    try:
        # Killed with its process group when the caller times out (sim/cancel.py).
        proc = cancel.run_captured(_sandbox(ctx.simdir, t, argv, False, ctx.env), cwd=None,
                                   env=os.environ, input=ctx.stdin or b"",
                                   timeout=CAPTURE_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        # subprocess.run killed bwrap; --die-with-parent and the pid
        # namespace take every process of the command with it.
        ctx.out += e.stdout or b""
        ctx.err += e.stderr or b""
        ctx.warn(f"{argv[0]}: timed out after {CAPTURE_TIMEOUT:g} s (killed)")
        return 1
    ctx.out += proc.stdout
    ctx.err += _execvp_error(proc.stderr, argv[0])
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode


def _sim_keys(env: Mapping[str, str]) -> dict[str, str]:
    """The simulator's own settings (clock, jls version) pass into its tools."""
    return {k: v for k, v in env.items() if k.startswith("JAILTUI_SIM_") and k != ENV_JAIL}


def _execvp_error(stderr: bytes, argv0: str) -> bytes:
    """bwrap's ``bwrap: execvp X: No such file or directory`` in jexec's words."""
    prefix = f"bwrap: execvp {argv0}: ".encode()
    if stderr.startswith(prefix):
        return b"jexec: execvp: " + argv0.encode() + b": " + stderr[len(prefix):]
    return stderr


def exec_interactive(simdir: str, argv: list[str], env: dict[str, str],
                     dispatch: Dispatch) -> int:
    """Interactive jexec: replace this process with the confined shell (or command).

    Returns only on an error before the exec, or after a restricted
    session (no confinement).
    """
    ctx = Ctx(Path(simdir), env, prog="jexec")
    got = resolve(ctx, argv[1:])
    if isinstance(got, int):
        os.write(2, bytes(ctx.err))
        return got
    t, cmd = got
    command = _command(t, cmd)
    interactive = not cmd
    if interactive:
        restricted.write(2, banner(t) + "\n")
    tool = sim_tool(command[0])
    if command[0] in ("pkg", PKG_BINARY):
        if not has_pkg(t):
            os.write(2, f"jexec: execvp: {command[0]}: No such file or directory\n".encode())
            return 1
        tool = "pkg"
    conf = confine.probe()
    if tool is not None:
        # A simulated tool answers from the simulated state, in-process:
        # nothing of this machine runs, confined or not.
        from jailtui.sim.main import exec_main
        os.environ.clear()
        os.environ.update({**_tool_env(t), **_sim_keys(env)})
        return exec_main(simdir, [tool, *command[1:]])
    if not conf.available:
        if interactive:
            return restricted.repl(lambda a: _restricted_one(dispatch, simdir, t, a, env),
                                   t.env.get("PS1", "# "), "restricted: type help")
        return _restricted_one(dispatch, simdir, t, command, env)
    from jailtui.sim.builder import ensure_jail_shims
    ensure_jail_shims(Path(simdir).resolve())
    shell = command[0]
    if interactive and shell.startswith("/") and not confine.exists_inside(t.root, shell):
        # jexec.c: execlp(shell, ...) fails inside the jail.
        os.write(2, f"jexec: execlp: {shell}: No such file or directory\n".encode())
        return 1
    if interactive and confine.exists_inside(t.root, SCRIPT):
        # The shell gets a pty of its own inside the sandbox (util-linux
        # script(1) runs $SHELL -i): across the pid namespace the outer
        # terminal's process group is invisible, and sh fails restoring it
        # at exit ("Cannot set tty process group", exit 2; credentials(7)).
        t.env["SHELL"] = shell
        command = [SCRIPT, "-qfe", "/dev/null"]
    box = _sandbox(Path(simdir), t, command, interactive, env)
    if not interactive:
        return _relay(box, command[0])
    try:
        os.execv(box[0], box)
    except OSError as e:
        os.write(2, f"jexec: execvp: {box[0]}: {e.strerror}\n".encode())
    return 1


def _relay(box: list[str], argv0: str) -> int:
    """Run a confined command with our stdin and stdout, its stderr relayed as it
    comes (streams stay apart), bwrap's exec failure in jexec's words; its status."""
    proc = subprocess.Popen(box, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    # bwrap writes its message in pieces (unbuffered stderr): hold back only
    # the first line, to recognise it whole.
    head: bytes | None = b""
    try:
        while chunk := os.read(proc.stderr.fileno(), 65536):
            if head is not None:
                head += chunk
                if b"\n" not in head:
                    continue
                chunk, head = _execvp_error(head, argv0), None
            restricted.write(2, chunk.decode("utf-8", "surrogateescape"))
        if head:
            restricted.write(2, _execvp_error(head, argv0).decode("utf-8", "surrogateescape"))
        rc = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        rc = proc.wait()
    finally:
        proc.stderr.close()
    return rc if rc >= 0 else 128 - rc


def _restricted_one(dispatch: Dispatch, simdir: str, t: Target, argv: list[str],
                    env: Mapping[str, str]) -> int:
    """One command of a restricted session: a simulated tool through ``dispatch``
    (handed down by sim/main.py: tools never import the dispatcher), else a built-in."""
    if sim_tool(argv[0]) is not None:
        rc, out, err = dispatch(simdir, [sim_tool(argv[0]) or argv[0], *argv[1:]],
                                env={**_tool_env(t), **_sim_keys(env)})
        sys.stdout.flush()
        restricted.write(1, out.decode("utf-8", "surrogateescape"))
        restricted.write(2, err.decode("utf-8", "surrogateescape"))
        return rc
    got = restricted.builtin(argv, user=t.user.name, uid=t.user.uid, gid=t.user.gid,
                             cwd=t.cwd, env=t.env)
    if got is None:
        restricted.write(2, restricted.not_confined_message(argv[0], confine.probe().reason)
                         + "\n")
        return 127
    restricted.write(1, got[1])
    return got[0]
