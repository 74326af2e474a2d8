"""service(8), rc.subr's run_rc_command and rc.d/jail of the simulated host (docs/freebsd.md 8).

- ``service -e`` / ``-l`` / ``-r``: the enabled / installed scripts, in rcorder;
- ``service -j NAME ...``: the same inside a jail (jexec -l, as service.sh does);
- ``service SCRIPT start|stop|restart|status|enabled|rcvar|enable|disable|delete``
  with the ``one``/``force``/``fast``/``quiet`` prefixes and rc.subr's exact
  messages (``Starting nginx.``, ``Waiting for PIDS: 1234.``, ``nginx is not
  running.``, ``Cannot 'start' nginx. Set nginx_enable to YES ...``);
- ``service jail start|stop|restart|status|config|console [NAME...]`` on the
  host, with rc.d/jail's config lookup (jail.NAME.conf, jail.conf.d/NAME.conf,
  jail.conf) and console lines (``Starting jails: web db.``), driving the
  simulated jail(8) in-process.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from jailtui.core.freebsd import rcconf
from jailtui.sim import catalog, jexec, lifecycle, rc
from jailtui.sim.catalog import Service
from jailtui.sim.context import ENV_JAIL, Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Store

LOCAL_STARTUP = "/usr/local/etc/rc.d"


def _usage(ctx: Ctx) -> None:
    me = "service"
    ctx.write("\n".join([
        "", "Usage:", f"{me} [-j <jail name or id>] -e", f"{me} [-j <jail name or id>] -R",
        f"{me} [-j <jail name or id>] [-v] -l | -r",
        f"{me} [-j <jail name or id>] [-v] <rc.d script> start|stop|etc.", f"{me} -h", "",
        "-j\tPerform actions within the named jail", "-e\tShow services that are enabled",
        f"-R\tStop and start enabled {LOCAL_STARTUP} services",
        f"-l\tList all scripts in /etc/rc.d and {LOCAL_STARTUP}",
        "-r\tShow the results of boot time rcorder", "-v\tVerbose", "", ""]))


def run(ctx: Ctx, args: list[str]) -> int:
    try:
        opts, rest = getopt(args, "j:ehlrRv")
    except GetoptError as e:
        ctx.warn(str(e))
        _usage(ctx)
        return 1
    flags = {ch for ch, _ in opts}
    jail = next((a for ch, a in opts if ch == "j"), None)
    if "h" in flags:
        _usage(ctx)
        return 0
    if jail is not None:
        # service.sh: /usr/sbin/jexec -l "${JAIL}" /usr/sbin/service $args "$@"
        jctx = ctx.child(prog="jexec")
        got = jexec.resolve(jctx, ["-l", jail])
        if isinstance(got, int):
            ctx.err += jctx.err
            return got
        target, _ = got
        inner = dict(ctx.env)
        inner[ENV_JAIL] = target.jail.name
        sub = ctx.child(prog="service", env=inner)
        rebuilt = [f"-{c}" for c in "elrRv" if c in flags] + rest
        code = run(sub, rebuilt)
        ctx.out += sub.out
        ctx.err += sub.err
        return code

    with Store(ctx.simdir).read() as st:
        me = st.jail_by_name(ctx.jail) if ctx.jail is not None else None
        if ctx.jail is not None and me is None:
            ctx.warn(f"jail {ctx.jail} is gone")
            return 1
        root = me.path if me is not None else "/"
    jailed = me is not None
    paths = ctx.paths
    verbose = "v" in flags
    if "R" in flags:
        return _restart_local(ctx, root, jailed)
    if "e" in flags:
        for enabled in rc.enabled_services(paths, root, jailed=jailed):
            ctx.write(enabled.script + "\n")
        return 0
    if "l" in flags:
        for d in ("/etc/rc.d", LOCAL_STARTUP):
            if verbose:
                ctx.write(f"From {d}:\n")
            names = sorted(s.name for s in catalog.SERVICES
                           if s.script.startswith(d + "/") and rc.installed(paths, root, s))
            ctx.write("".join(n + "\n" for n in names))
        return 0
    if "r" in flags:
        for known in rc.services(paths, root, jailed=jailed):
            ctx.write(known.script + "\n")
        return 0
    if len(rest) < 2:
        _usage(ctx)
        return 1
    script, action, extra = rest[0], rest[1], rest[2:]
    svc = catalog.service_for_script(script)
    if svc is None or not rc.installed(paths, root, svc):
        ctx.write(f"{script} does not exist in /etc/rc.d or the local startup\n"
                  f"directories ({LOCAL_STARTUP}), or is not executable\n")
        return 1
    if verbose:
        ctx.write(f"{script} is located in {os.path.dirname(svc.script)}\n")
    if svc.name == "jail" and not jailed:
        return JailRc(ctx).run(action, extra)
    return RcCommand(ctx, svc, root, me.jid if me is not None else 0).run(action)


def _restart_local(ctx: Ctx, root: str, jailed: bool) -> int:
    """service -R: stop, then start, every enabled service from the local startup dir."""
    local = [s for s in rc.enabled_services(ctx.paths, root, jailed=jailed) if s.port]
    with Store(ctx.simdir).read() as st:
        j = st.jail_by_name(ctx.jail) if ctx.jail else None
    jid = j.jid if j is not None else 0
    for svc in reversed(local):
        RcCommand(ctx, svc, root, jid).run("stop")
    for svc in local:
        RcCommand(ctx, svc, root, jid).run("start")
    return 0


class RcCommand:
    """rc.subr run_rc_command for one script on one system (host or jail)."""

    def __init__(self, ctx: Ctx, svc: Service, root: str, jid: int) -> None:
        self.ctx = ctx
        self.svc = svc
        self.root = root
        self.jid = jid

    @property
    def rcconf_path(self) -> str:
        return (self.root.rstrip("/") + "/etc/rc.conf") if self.root != "/" else "/etc/rc.conf"

    def keywords(self) -> list[str]:
        kw = ["start", "stop", "restart", "rcvar", "enable", "disable", "delete", "enabled",
              "describe", "extracommands"]
        if self.svc.procs:
            kw += ["status", "poll"]
        return kw

    def pid(self) -> int | None:
        with Store(self.ctx.simdir).read() as st:
            p = rc.main_proc(st, self.jid, self.svc.name)
            return p.pid if p is not None else None

    def enabled(self) -> bool:
        return rc.enabled(self.svc, rc.rc_vars(self.ctx.paths, self.root))

    def run(self, arg: str) -> int:
        prefix = ""
        for p in ("fast", "force", "one", "quiet"):
            if arg.startswith(p) and arg[len(p):] in self.keywords():
                prefix, arg = p, arg[len(p):]
                break
        if arg not in self.keywords():
            self.ctx.write_err(f"{self.svc.script}: unknown directive '{prefix}{arg}'.\n")
            self.ctx.write_err(f"Usage: {self.svc.script} [fast|force|one|quiet]("
                               + "|".join(self.keywords()) + ")\n")
            return 1
        name = self.svc.name
        if arg == "enabled":
            return 0 if self.enabled() or prefix == "one" else 1
        rc_pid = self.pid()
        checked = arg not in ("rcvar", "stop", "delete", "enable", "describe", "status") \
            or (arg == "stop" and rc_pid is None)
        if checked and prefix != "one" and not self.enabled():
            if prefix != "quiet":
                self.ctx.write(f"Cannot '{arg}' {name}. Set {self.svc.rcvar} to YES in "
                               f"/etc/rc.conf or use 'one{arg}' instead of '{arg}'.\n")
            return 0
        if arg == "start":
            return self.start(rc_pid, fast=prefix == "fast", quiet=prefix == "quiet")
        if arg == "stop":
            return self.stop(rc_pid, fast=prefix == "fast")
        if arg == "restart":
            self.stop(rc_pid, fast=False)
            return self.start(None, fast=False, quiet=False)
        if arg == "status":
            if rc_pid is not None:
                self.ctx.write(f"{name} is running as pid {rc_pid}.\n")
                return 0
            self.ctx.write(f"{name} is not running.\n")
            return 1
        if arg == "rcvar":
            val = rc.rc_vars(self.ctx.paths, self.root).get(self.svc.rcvar, "")
            self.ctx.write(f"# {name}\n#\n{self.svc.rcvar}=\"{val}\"\n#   (default: \"\")\n\n")
            return 0
        if arg in ("enable", "disable"):
            self._set_rcvar("YES" if arg == "enable" else "NO")
            self.ctx.write(f"{name} {arg}d in /etc/rc.conf\n")
            return 0
        if arg == "delete":
            if self._delete_rcvar():
                self.ctx.write(f"{self.svc.rcvar} deleted in /etc/rc.conf\n")
                return 0
            self.ctx.write_err(f"sysrc: {self.svc.rcvar}: not found\n")
            return 1
        if arg == "extracommands":
            self.ctx.write("\n")
        return 0

    def start(self, rc_pid: int | None, *, fast: bool, quiet: bool) -> int:
        if rc_pid is not None and not fast:
            if not quiet:
                # echo 1>&2 "${name} already running? " "(pid=$rc_pid)."
                self.ctx.write_err(f"{self.svc.name} already running?  (pid={rc_pid}).\n")
            return 1
        self.ctx.write(f"Starting {self.svc.name}.\n")
        with Store(self.ctx.simdir).write() as st:
            if self.jid and st.jail_by_jid(self.jid) is None:
                return 1
            if self.svc.procs and rc.main_proc(st, self.jid, self.svc.name) is None:
                rc.start_service(st, self.jid, self.ctx.paths, self.root, self.svc,
                                 self.ctx.now)
        return 0

    def stop(self, rc_pid: int | None, *, fast: bool) -> int:
        if rc_pid is None:
            if fast:
                return 0
            pidmsg = f" (check {self.svc.pidfile})." if self.svc.pidfile else ""
            self.ctx.write_err(f"{self.svc.name} not running?{pidmsg}\n")
            return 1
        self.ctx.write(f"Stopping {self.svc.name}.\n")
        with Store(self.ctx.simdir).write() as st:
            rc.stop_service(st, self.jid, self.svc.name)
            if self.jid:
                lifecycle.reap_if_empty(st, self.jid, self.ctx.now)
        self.ctx.write(f"Waiting for PIDS: {rc_pid}.\n")
        return 0

    def _set_rcvar(self, value: str) -> None:
        path = self.ctx.paths.real(self.rcconf_path)
        text = Path(path).read_text(encoding="utf-8") if os.path.exists(path) else ""
        Path(path).write_text(rcconf.set_var(text, self.svc.rcvar, value), encoding="utf-8")

    def _delete_rcvar(self) -> bool:
        path = self.ctx.paths.real(self.rcconf_path)
        if not os.path.exists(path):
            return False
        text = Path(path).read_text(encoding="utf-8")
        hits = [a for a in rcconf.parse_assignments(text) if a.name == self.svc.rcvar]
        if not hits:
            return False
        for a in reversed(hits):
            start = text.rfind("\n", 0, a.start) + 1
            end = text.find("\n", a.end)
            end = len(text) if end < 0 else end + 1
            text = text[:start] + text[end:]
        Path(path).write_text(text, encoding="utf-8")
        return True


class JailRc:
    """rc.d/jail on the host (docs/freebsd.md 8.2, 8.3)."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        # rc.d/jail's ``load_rc_config jail``: rc.conf.d/jail too (rc.subr).
        self.rcv = rc.rc_vars(ctx.paths, "/", service="jail")
        self.jail_conf = self.rcv.get("jail_conf", "/etc/jail.conf")

    def run(self, arg: str, names: list[str]) -> int:
        one = arg.startswith("one")
        base = arg[3:] if one else arg
        for p in ("fast", "force", "quiet"):
            if base.startswith(p):
                base = base[len(p):]
        keywords = ("start", "stop", "restart", "rcvar", "enable", "disable", "delete",
                    "enabled", "describe", "extracommands", "config", "console", "status")
        if base not in keywords:
            self.ctx.write_err(f"/etc/rc.d/jail: unknown directive '{arg}'.\n")
            self.ctx.write_err("Usage: /etc/rc.d/jail [fast|force|one|quiet]("
                               + "|".join(keywords) + ")\n")
            return 1
        if base in ("rcvar", "enable", "disable", "delete", "enabled", "describe",
                    "extracommands"):
            svc = catalog.BY_NAME["jail"]
            return RcCommand(self.ctx, svc, "/", 0).run(arg)
        needs_enable = base in ("start", "restart", "stop", "config", "console")
        if needs_enable and not one and not rcconf.checkyesno(self.rcv.get("jail_enable")):
            self.ctx.write(f"Cannot '{base}' jail. Set jail_enable to YES in /etc/rc.conf or "
                           f"use 'one{base}' instead of '{base}'.\n")
            return 0
        if base == "status":
            return self._jail(["jls", "-N"], capture=False)[0]
        if base == "config":
            for n in names:
                conf = self._conf_for(n)
                if conf is not None:
                    self.ctx.write(f"{n}: parameters are in {conf}.\n")
            return 0
        if base == "console":
            if not names:
                # jail_console: err 3 "Specify a jail name." (rc.subr err()).
                self.ctx.write_err("/etc/rc.d/jail: ERROR: Specify a jail name.\n")
                return 3
            return jexec.run(self.ctx, [names[0], "/usr/bin/login", "-f", "root"])
        explicit = bool(names)
        if not names:
            names = self.rcv.get("jail_list", "").split()
        if base in ("stop", "restart"):
            stop_names = list(names)
            if not explicit and rcconf.checkyesno(self.rcv.get("jail_reverse_stop")):
                stop_names.reverse()
            self._stop(stop_names)
        if base in ("start", "restart"):
            self._start(names)
        return 0

    def _warn(self, text: str) -> None:
        """rc.subr warn(): ``$0: WARNING: ...`` on stderr, $0 being the script."""
        self.ctx.write_err(f"/etc/rc.d/jail: WARNING: {text}\n")

    def _sanitize(self, name: str) -> tuple[str, str]:
        """(``_j``, ``_jv``): ``tr /. _`` for the jail, non-alphanumerics for variables."""
        j = name.replace("/", "_").replace(".", "_")
        return j, re.sub(r"[^A-Za-z0-9]", "_", j)

    def _readable(self, host_path: str) -> bool:
        return os.access(self.ctx.paths.real(host_path), os.R_OK)

    def _conf_for(self, name: str) -> str | None:
        """parse_options(): jail_<jv>_conf / jail.NAME.conf, jail.conf.d/NAME.conf, jail.conf."""
        j, jv = self._sanitize(name)
        conf = self.rcv.get(f"jail_{jv}_conf", f"/etc/jail.{j}.conf")
        if self._readable(conf):
            return conf
        dconf = f"/etc/jail.conf.d/{j}.conf"
        if self._readable(dconf) and not self._includes_conf_d():
            return dconf
        if self._readable(self.jail_conf):
            return self.jail_conf
        self._warn(f"Invalid configuration for {j} (no jail.conf, no hostname, or no "
                   f"path).  Jail {j} was ignored.")
        return None

    def _includes_conf_d(self) -> bool:
        try:
            text = Path(self.ctx.paths.real(self.jail_conf)).read_text(encoding="utf-8")
        except OSError:
            return False
        return re.search(r"^\s*\.include\s*[\"']?/etc/jail.conf.d/", text, re.M) is not None

    def _jail(self, argv: list[str], *, capture: bool) -> tuple[int, bytes]:
        rcode, out, err = self.ctx.run_tool(argv)
        if not capture:
            self.ctx.out += out
            self.ctx.err += err
        return rcode, out + err

    def _running(self, name: str) -> bool:
        with Store(self.ctx.simdir).read() as st:
            return st.jail_by_name(name) is not None

    def _idfile(self, j: str) -> str:
        return self.ctx.paths.real(f"/var/run/jail_{j}.id")

    def _start(self, names: list[str]) -> None:
        if not names:
            # _ALL: one jail(8) run for the whole file.
            argv = ["jail", "-f", self.jail_conf, "-c"]
            if not rcconf.checkyesno(self.rcv.get("jail_parallel_start")):
                argv.insert(1, "-p1")
            code, out = self._jail(argv, capture=True)
            self.ctx.write("Starting jails:")
            if code == 0:
                with Store(self.ctx.simdir).read() as st:
                    self.ctx.write("".join(f" {j.name}" for j in st.jails if not j.dying))
            else:
                self.ctx.out += out
            self.ctx.write(".\n")
            return
        self.ctx.write("Starting jails:")
        for name in names:
            j, jv = self._sanitize(name)
            conf = self._conf_for(name)
            if conf is None:
                continue
            shown = self.rcv.get(f"jail_{jv}_hostname") or j
            code, out = self._jail(["jail", "-i", "-f", conf, "-c", j], capture=True)
            if code == 0:
                self.ctx.write(f" {shown}")
                first = out.split(b"\n", 1)[0].decode(errors="replace").strip()
                try:
                    Path(self._idfile(j)).write_text(first + "\n", encoding="utf-8")
                except OSError:
                    pass
            else:
                # echo " cannot start jail " "\"${_hostname:-${_j}}\": "
                self.ctx.write(f' cannot start jail  "{shown}": \n')
                self.ctx.out += out
        self.ctx.write(".\n")

    def _stop(self, names: list[str]) -> None:
        self.ctx.write("Stopping jails:")
        if not names:
            with Store(self.ctx.simdir).read() as st:
                running = [j.name for j in st.jails if not j.dying]
            if rcconf.checkyesno(self.rcv.get("jail_reverse_stop")):
                running.reverse()
            for name in running:
                self.ctx.write(f" {name}")
                self._jail(["jail", "-f", self.jail_conf, "-r", name], capture=True)
            self.ctx.write(".\n")
            return
        for name in names:
            j, jv = self._sanitize(name)
            conf = self._conf_for(name)
            if conf is None or not self._running(j):
                continue
            shown = self.rcv.get(f"jail_{jv}_hostname") or j
            _, out = self._jail(["jail", "-q", "-f", conf, "-r", j], capture=True)
            if self._running(j):
                lines = out.decode(errors="replace").splitlines()
                self.ctx.write((lines[-1] if lines else "") + "\n")
            else:
                self.ctx.write(f" {shown}")
                try:
                    os.unlink(self._idfile(j))
                except OSError:
                    pass
        self.ctx.write(".\n")
