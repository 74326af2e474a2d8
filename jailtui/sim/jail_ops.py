"""The start and stop sequences of the simulated jail(8) (usr.sbin/jail/jail.c, command.c).

What a run does once :mod:`jailtui.sim.jail` has read its arguments and
:mod:`jailtui.sim.jail_order` has ordered its jails (docs/freebsd.md 3.3-3.7):

- host-side hooks (exec.prepare, exec.prestart, exec.created,
  exec.poststart, exec.prestop, exec.poststop, exec.release) run for real
  on this machine (:mod:`jailtui.sim.hooks`) with ``JID``, ``JNAME`` and
  ``JPATH`` in their environment;
- in-jail commands (exec.start, command, exec.stop): ``/bin/sh /etc/rc``
  starts the jail's rc.conf services as processes, ``/bin/sh
  /etc/rc.shutdown`` stops them, anything else runs for real "inside" the
  jail like jexec does;
- ifconfig aliases, mounts and vnet.interface are not performed (there is
  nothing to configure); ``-v`` still shows the commands jail(8) would run.

The state lock is taken per step, never while a hook runs, so hooks may
call other simulated tools.
"""

from __future__ import annotations

import os

from jailtui.core.freebsd import jailconf
from jailtui.core.model import ParamValue
from jailtui.sim import confine, hooks, jexec, kernel, lifecycle, passwd, rc
from jailtui.sim.context import Ctx
from jailtui.sim.jail_job import CLEAN, SET, START, STOP, Job, noname, string, strings, truth
from jailtui.sim.jail_order import closure, dependency_failed
from jailtui.sim.lifecycle import CreateSpec, KernelError
from jailtui.sim.state import SimJail, State, Store

#: Host-side hooks; everything else in startcommands/stopcommands is either
#: in-jail or a mount/ifconfig step.
_IN_JAIL = ("exec.start", "command", "exec.stop")


class JailOps:
    """One jail(8) run's state and its operations on the simulated kernel."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.store = Store(ctx.simdir)
        self.verbose = 0
        self.iflag = False
        self.note_remove = False
        self.docf = True
        self.rflag = False
        self.jid_lines: list[str] = []
        self.want_jid_file = False
        self.jobs: list[Job] = []
        self.error = False
        self.cmdline: dict[str, ParamValue] = {}
        #: -d on the 14 generation: -r and -m may name a dying jail.
        self.allow_dying = False
        with self.store.read() as st:
            #: The simulated FreeBSD generation (State.freebsd): 14 or 15.
            self.freebsd = st.freebsd

    # -- output helpers (jail.c jail_note / jail_warnx / jail_quoted_warnx) ---

    def note(self, j: Job, text: str) -> None:
        self.ctx.write(f"{j.name}: {text}\n" if j.name else f"{text}\n")

    def warnx(self, j: Job | None, text: str) -> None:
        self.ctx.warn(f"{j.name}: {text}" if j is not None and j.name else text)

    def quoted_warnx(self, j: Job, msg: str, noname: str | None) -> None:
        pval = j.name or string(j.params.get("jid")) or string(j.params.get("name"))
        if pval:
            self.ctx.warn(f'"{pval}" {msg}')
        elif noname:
            self.ctx.warn(noname)

    def failed(self, j: Job) -> None:
        j.failed = True
        self.error = True

    # -- paths ---------------------------------------------------------------

    def host_root(self, st: State | None = None) -> str:
        """"/" on the host; inside a jail, the jail's root (a host path)."""
        if self.ctx.jail is None:
            return "/"
        if st is None:
            with self.store.read() as s:
                j = s.jail_by_name(self.ctx.jail)
        else:
            j = st.jail_by_name(self.ctx.jail)
        return j.path if j is not None else "/"

    def real(self, host_path: str) -> str:
        """This machine's path of a host path; relative paths use the host cwd."""
        root = self.host_root()
        if not host_path.startswith("/"):
            host_path = os.path.join(self.host_cwd(), host_path)
        if root != "/":
            host_path = root.rstrip("/") + host_path
        return self.ctx.paths.real(host_path)

    def host_cwd(self) -> str:
        try:
            return self.ctx.paths.host(os.getcwd())
        except ValueError:
            return "/"

    def _run_jobs(self) -> None:
        for j in self.jobs:
            if j.op & CLEAN:
                self._cleanup(j)
        stops, starts = closure(self.jobs)
        for j in stops:
            if j.failed and not j.conf_error:
                self.error = True
                continue
            self._check_dep_failed(j, stopping=True)
            if j.failed:
                self.error = True
                continue
            self._stop(j)
            if j.failed:
                self.error = True
        for j in starts:
            if j.op & STOP and j.failed:
                continue  # a failed removal is not followed by a create
            self._check_dep_failed(j, stopping=False)
            if j.failed:
                self.error = True
                continue
            self._start_or_set(j)
            if j.failed:
                self.error = True

    def _check_dep_failed(self, j: Job, *, stopping: bool) -> None:
        if j.conf_error and not j.failed:
            self.ctx.warn(j.conf_error)
            self.failed(j)
            return
        if j.failed:
            return
        if dependency_failed(j, self.jobs, stopping=stopping):
            if not j.depend and self.verbose >= 0:
                self.warnx(j, "skipped")
            self.failed(j)

    # -- parameters --------------------------------------------------------------------

    def _import(self, j: Job) -> bool:
        """check_intparams + import_params: validate and split the parameters."""
        if j.imported:
            return not j.failed
        j.imported = True
        spec = CreateSpec(name=None, path="")
        for name, value in j.params.items():
            if name in kernel.INTERNAL:
                continue
            if not kernel.is_known(name):
                self.warnx(j, f"unknown parameter: {name}")
                self.failed(j)
                return False
            try:
                canon, v = kernel.import_value(name, value)
            except kernel.ParamError as e:
                self.warnx(j, str(e))
                self.failed(j)
                return False
            if canon == "name":
                spec.name = str(v)
            elif canon == "jid":
                spec.jid = int(v) if not isinstance(v, list) else None
            elif canon == "path":
                spec.path = str(v)
            elif canon == "host.hostname":
                spec.hostname = str(v)
            elif canon == "ip4.addr" and isinstance(v, list):
                spec.ip4 = v
            elif canon == "ip6.addr" and isinstance(v, list):
                spec.ip6 = v
            elif not isinstance(v, list):
                spec.params[canon] = v
        j.spec = spec
        return True

    def _running_jid(self, st: State, j: Job) -> SimJail | None:
        """running_jid(): by the jid parameter, else by name."""
        jid = string(j.params.get("jid"))
        if jid is not None:
            return st.jail_by_jid(int(jid)) if jid.isdigit() and int(jid) else None
        name = string(j.params.get("name")) or (j.name if j.jid else None)
        if name is None:
            return st.jail_by_jid(j.jid) if j.jid > 0 else None
        if self.ctx.jail is not None:
            name = f"{self.ctx.jail}.{name}"
        return st.jail_by_name(name)

    # -- create / modify -------------------------------------------------------------------

    def _start_or_set(self, j: Job) -> None:
        """Resolve -cm / -mr / -cmr against the jail's current state, then act."""
        if not self._import(j):
            return
        with self.store.read() as st:
            running = self._running_jid(st, j)
            rdtun_changed = running is not None and self._rdtun_changed(st, running, j)
        if j.op & SET:
            if running is None:
                if j.op & START:
                    self._create(j, None)
                elif not j.depend:
                    self.quoted_warnx(j, "not found", "no jail specified")
                    self.failed(j)
                return
            if j.op & STOP and rdtun_changed:
                # A create-only parameter changed: restart instead of modify.
                self._stop(j)
                if not j.failed:
                    self._create(j, None)
                return
            self._set(j, running)
            return
        # START, or the create half of a restart whose removal already ran.
        self._create(j, running)

    def _rdtun_changed(self, st: State, running: SimJail, j: Job) -> bool:
        return self._rdtun_param(st, running, j) is not None

    def _rdtun_param(self, st: State, running: SimJail, j: Job) -> str | None:
        assert j.spec is not None
        given: dict[str, object] = dict(j.spec.params)
        if j.spec.path:
            given["path"] = j.spec.path
        for name, v in given.items():
            d = kernel.PARAMS.get(name)
            if d is None or d.access != "RDTUN" or name == "jid":
                continue
            if kernel.value(st, running, name) != v:
                return name
        return None

    def _set(self, j: Job, running: SimJail | None) -> None:
        if running is None:
            if not j.depend:
                self.quoted_warnx(j, "not found", "no jail specified")
                self.failed(j)
            return
        if j.depend:
            return
        assert j.spec is not None
        with self.store.write() as st:
            cur = st.jail_by_jid(running.jid)
            if cur is None:
                self.quoted_warnx(j, "not found", "no jail specified")
                self.failed(j)
                return
            bad = self._rdtun_param(st, cur, j)
            if bad is not None:
                self.warnx(j, f"{bad} cannot be changed after creation")
                self.failed(j)
                return
            spec = j.spec
            if spec.hostname:
                cur.hostname = spec.hostname
            if "ip4.addr" in j.params:
                cur.ip4 = list(spec.ip4)
            if "ip6.addr" in j.params:
                cur.ip6 = list(spec.ip6)
            if spec.name and self.ctx.jail is None:
                cur.name = spec.name
            for k, v in spec.params.items():
                if kernel.PARAMS[k].access == "RW":
                    cur.params[k] = v
            if self.verbose > 0:
                self.note(j, f"jail_set(JAIL_UPDATE) jid={cur.jid}" + self._set_args(j, False))
        if self.verbose >= 0 and (j.name or self.verbose > 0):
            self.note(j, "updated")

    def _set_args(self, j: Job, create: bool) -> str:
        """The ``name=value`` list of a jail_set note (quoted like jail.c quoted_print)."""
        assert j.spec is not None
        parts: list[str] = [" persist"] if j.temp_persist else []
        for name, value in j.params.items():
            if name in kernel.INTERNAL or name == "jid" and not create:
                continue
            try:
                canon, v = kernel.import_value(name, value)
            except kernel.ParamError:
                continue
            if not create and kernel.PARAMS[canon].access != "RW":
                continue
            parts.append(f" {canon}={jailconf.quoted_print(kernel.export(canon, v))}")
        return "".join(parts)

    def _create(self, j: Job, running: SimJail | None) -> None:
        if running is not None:
            if not (j.depend or j.wild):
                self.quoted_warnx(j, "already exists", None)
                self.failed(j)
            return
        assert j.spec is not None
        j.temp_persist = not truth(j.params.get("persist")) and any(
            k in j.params for k in ("exec.start", "command", "exec.poststart"))
        steps = ["exec.prepare", "ip4", "ip6", "mount", "mount.fstab", "mount.devfs",
                 "mount.fdescfs", "mount.procfs", "exec.prestart", "OP", "exec.created",
                 "zfs.dataset", "vnet.interface", "exec.start", "command", "exec.poststart"]
        done: list[str] = []
        for step in steps:
            ok = self._start_step(j, step)
            if not ok:
                self.failed(j)
                # create_failed: walk back; only undo what was done (no exec.*).
                if "OP" in done:
                    self._remove_kernel(j, failed_create=True)
                return
            done.append(step)
        # clear_persist(): drop the temporary persist; an empty jail goes away.
        if j.temp_persist:
            with self.store.write() as st:
                cur = st.jail_by_jid(j.jid)
                if cur is not None:
                    cur.params["persist"] = False
                    lifecycle.reap_if_empty(st, cur.jid, self.ctx.now)
            if self.verbose > 0:
                self.note(j, f"jail_set(JAIL_UPDATE) jid={j.jid} nopersist")
        if self.want_jid_file and j.jid > 0:
            self.jid_lines.append(self._jid_line(j))

    def _jid_line(self, j: Job) -> str:
        parts = [f"jid={j.jid}"]
        for name, value in j.params.items():
            if name == "jid":
                continue
            if value is True:
                parts.append(name)
            elif value is False:
                parts.append(noname(name))
            else:
                parts.append(name + "=" + ",".join(jailconf.quoted_print(s)
                                                   for s in strings(value)))
        return "\t".join(parts) + "\n"

    def _start_step(self, j: Job, step: str) -> bool:
        if step == "OP":
            return self._create_kernel(j)
        if step in ("ip4", "ip6"):
            self._ifaddr_notes(j, step, down=False)
            return True
        if step.startswith("mount"):
            self._mount_notes(j, step, down=False)
            return True
        if step == "vnet.interface":
            for iface in strings(j.params.get(step)):
                target = string(j.params.get("jid")) or string(j.params.get("name")) or ""
                self._vnote(j, f"/sbin/ifconfig {iface} vnet {target}")
                # The kernel's side of that ifconfig: the interface is in the
                # jail's stack now (sim/netstate.py).
                if j.jid > 0:
                    with self.store.write() as st:
                        st.vnet_moved[iface] = j.jid
            return True
        if step == "zfs.dataset":
            return True
        if step in _IN_JAIL:
            return self._in_jail(j, step)
        return self._host(j, step)

    def _create_kernel(self, j: Job) -> bool:
        spec = j.spec
        assert spec is not None
        root = self.host_root()
        path = spec.path
        if path:
            if j.name is not None and not path.startswith("/"):
                self.warnx(j, f"path {path}: not an absolute pathname")
                return False
            real = self.real(path)
            if not os.path.exists(real):
                self.warnx(j, f"path {path}: No such file or directory")
                return False
            if not os.path.isdir(real):
                self.warnx(j, f"path {path}: Not a directory")
                return False
        host_path = path if root == "/" else root.rstrip("/") + (path if path != "/" else "")
        params = dict(spec.params)
        if j.temp_persist:
            params["persist"] = True
        with self.store.write() as st:
            parent = st.jail_by_name(self.ctx.jail) if self.ctx.jail is not None else None
            create = CreateSpec(spec.name, host_path or root, spec.hostname, spec.ip4, spec.ip6,
                                spec.jid, params)
            try:
                new = lifecycle.create(st, create, self.ctx.now, parent=parent)
            except KernelError as e:
                if self.verbose > 0:
                    self.note(j, "jail_set(JAIL_CREATE)" + self._set_args(j, True)
                              + f": {e}")
                self.warnx(j, str(e))
                return False
            j.jid = new.jid
        if self.verbose > 0:
            self.note(j, "jail_set(JAIL_CREATE)" + self._set_args(j, True))
        if self.iflag:
            self.ctx.write(f"{j.jid}\n")
        if self.verbose >= 0 and (j.name or self.verbose > 0):
            self.note(j, "created")
        return True

    # -- stop ------------------------------------------------------------------------------

    def _stop(self, j: Job) -> None:
        if not self._import_for_stop(j):
            return
        with self.store.read() as st:
            running = self._running_jid(st, j) if j.jid <= 0 \
                else st.jail_by_jid(j.jid, dying=self.allow_dying)
        if running is None:
            j.jid = -1
            if not (j.depend or j.wild):
                if self.verbose >= 0:
                    self.quoted_warnx(j, "not found", None)
                self.failed(j)
            return
        j.jid = running.jid
        jpath = running.path
        for step in ("exec.prestop", "exec.stop", "stop.timeout", "OP", "exec.poststop",
                     "mount.procfs", "mount.fdescfs", "mount.devfs", "mount.fstab", "mount",
                     "ip6", "ip4", "exec.release"):
            if step == "OP":
                self._remove_kernel(j, failed_create=False)
            elif step == "stop.timeout":
                self._term_procs(j)
            elif step.startswith("mount"):
                self._mount_notes(j, step, down=True)
            elif step in ("ip4", "ip6"):
                self._ifaddr_notes(j, step, down=True)
            elif step in _IN_JAIL:
                if not self._in_jail(j, step):
                    self.failed(j)
                    return
            elif not self._host(j, step, jpath=jpath):
                self.failed(j)
                if step in ("exec.prestop",):
                    return

    def _cleanup(self, j: Job) -> None:
        """``jail -C NAME`` (newest tree): what follows a removal, for a jail
        already removed: exec.poststop, unmounts, IP aliases, exec.release
        (docs/freebsd.md 3.2). Nothing is asked of the kernel."""
        if not self._import_for_stop(j):
            return
        jpath = string(j.params.get("path"))
        for step in ("exec.poststop", "mount.procfs", "mount.fdescfs", "mount.devfs",
                     "mount.fstab", "mount", "ip6", "ip4", "exec.release"):
            if step.startswith("mount"):
                self._mount_notes(j, step, down=True)
            elif step in ("ip4", "ip6"):
                self._ifaddr_notes(j, step, down=True)
            elif not self._host(j, step, jpath=jpath):
                self.failed(j)
                return

    def _import_for_stop(self, j: Job) -> bool:
        if j.conf_error:
            self.ctx.warn(j.conf_error)
            self.failed(j)
            return False
        return True

    def _term_procs(self, j: Job) -> None:
        """stop.timeout: SIGTERM to whatever is left; they exit at once here."""
        timeout = string(j.params.get("stop.timeout"))
        if timeout is not None and timeout.isdigit() and int(timeout) == 0:
            return
        if self._stuck(j):
            return
        with self.store.write() as st:
            victims = [p.pid for p in st.procs if p.jid == j.jid]
            if victims:
                drop = set(victims)
                st.procs = [p for p in st.procs if p.pid not in drop]
        if victims and self.verbose > 0:
            self.note(j, "sent SIGTERM to: " + " ".join(str(p) for p in victims))

    def _stuck(self, j: Job) -> bool:
        """A ``nostop`` fault on this jail (sim/faults.py): its processes do not exit."""
        from jailtui.sim import faults

        return j.name is not None and faults.active(self.ctx.simdir, "nostop", j.name)

    def _remove_kernel(self, j: Job, *, failed_create: bool) -> None:
        with self.store.write() as st:
            cur = st.jail_by_jid(j.jid, dying=True)
            if cur is not None:
                lifecycle.remove(st, cur, self.ctx.now,
                                 stuck=not failed_create and self._stuck(j))
        # command.c IP__OP (down): "removed" for -v, or by default when the
        # removal was asked for with a config file / several names (note_remove),
        # or for a failed create of a named jail.
        wanted = self.note_remove if not failed_create else j.name is not None
        if self.verbose > 0 or (self.verbose == 0 and wanted):
            self.note(j, "removed")

    # -- commands -------------------------------------------------------------------------------

    def _vnote(self, j: Job, comline: str, *, in_jail: bool = False, user: str | None = None
               ) -> None:
        if self.verbose > 0:
            where = " in jail" if in_jail else ""
            who = f" as {user}" if user else ""
            self.note(j, f"run command{where}{who}: {comline}")

    def _ifaddr_notes(self, j: Job, step: str, *, down: bool) -> None:
        key = "ip4.addr" if step == "ip4" else "ip6.addr"
        default_if = string(j.params.get("interface"))
        for spec in strings(j.params.get(key)):
            val = spec.split(" ", 1)[0]
            extra = spec.split(" ", 1)[1] if " " in spec else ""
            if "|" in val:
                iface, addr = val.split("|", 1)
            elif default_if:
                iface, addr = default_if, val
            else:
                continue
            if step == "ip4":
                if "/" not in addr:
                    argv = [iface, "inet", addr, "netmask", "255.255.255.255"]
                elif "." in addr.split("/", 1)[1]:
                    a, mask = addr.split("/", 1)
                    argv = [iface, "inet", a, "netmask", mask]
                else:
                    argv = [iface, "inet", addr]
            else:
                argv = [iface, "inet6", addr] + ([] if "/" in addr else ["prefixlen", "128"])
            if extra and not down:
                argv += extra.split()
            argv.append("-alias" if down else "alias")
            self._vnote(j, "/sbin/ifconfig " + " ".join(argv))

    def _mount_notes(self, j: Job, step: str, *, down: bool) -> None:
        path = string(j.params.get("path")) or ""
        if step == "mount.devfs" and truth(j.params.get(step)):
            dev = f"{path}/dev"
            ruleset = string(j.params.get("devfs_ruleset")) or "4"
            self._vnote(j, f"/sbin/umount {dev}" if down
                        else f"/sbin/mount -t devfs -oruleset={ruleset} . {dev}")
        elif step in ("mount.fdescfs", "mount.procfs") and truth(j.params.get(step)):
            fs, sub = ("fdescfs", "dev/fd") if step == "mount.fdescfs" else ("procfs", "proc")
            self._vnote(j, f"/sbin/umount {path}/{sub}" if down
                        else f"/sbin/mount -t {fs} . {path}/{sub}")
        elif step == "mount":
            for line in strings(j.params.get("mount")):
                f = line.split()
                if len(f) >= 3:
                    self._vnote(j, f"/sbin/umount -t {f[2]} {f[1]}" if down
                                else f"/sbin/mount -t {f[2]} {f[0]} {f[1]}")

    def _hook_env(self, j: Job, clean: bool, jpath: str | None = None) -> dict[str, str]:
        base = self.ctx.env
        if clean:
            env = {"PATH": "/bin:/usr/bin"}
            if "TERM" in base:
                env["TERM"] = base["TERM"]
            for k in ("USER", "HOME", "SHELL"):
                if k in base:
                    env[k] = base[k]
        else:
            env = dict(base)
        # Newest tree: exec.* commands get JID, JNAME and JPATH (docs/freebsd.md 3.7).
        if j.jid > 0:
            env["JID"] = str(j.jid)
        name = string(j.params.get("name")) or j.name
        if name:
            env["JNAME"] = name
        path = string(j.params.get("path")) or jpath
        if path:
            env["JPATH"] = path
        return env

    def _timeout(self, j: Job) -> float | None:
        t = string(j.params.get("exec.timeout"))
        return float(t) if t is not None and t.isdigit() and int(t) > 0 else None

    def _host(self, j: Job, step: str, *, jpath: str | None = None) -> bool:
        """A host-side exec.* hook: run it for real, as this user."""
        commands = strings(j.params.get(step))
        if not commands:
            return True
        system_user = string(j.params.get("exec.system_user"))
        if system_user is not None and passwd.by_name(
                passwd.load(self.ctx.paths.real("/etc/passwd")), system_user) is None:
            self.warnx(j, f"{system_user}: no such user")
            return False
        env = self._hook_env(j, truth(j.params.get("exec.clean")), jpath)
        for command in commands:
            if not command:
                continue
            argv, bg = hooks.command_argv(command)
            if not argv:
                continue
            comline = " ".join(argv)
            self._vnote(j, comline, user=system_user)
            res = hooks.run(argv, env=env, cwd=None, timeout=self._timeout(j), background=bg)
            if not self._finish(j, comline, argv, res, console=None):
                return False
        return True

    def _finish(self, j: Job, comline: str, argv: list[str], res: hooks.Outcome,
                console: str | None) -> bool:
        """finish_command(): copy the output, then judge the exit status."""
        if console is not None:
            try:
                with open(console, "ab") as f:
                    f.write(res.out + res.err)
            except OSError:
                pass
        else:
            self.ctx.out += res.out
            self.ctx.err += res.err
        if res.not_found:
            self.warnx(j, f"exec {argv[0]}: {res.not_found}")
            self.warnx(j, f"{comline}: failed")
            return False
        if res.timed_out:
            self.warnx(j, f"{comline}: timed out")
            return False
        if res.signal:
            self.warnx(j, f"{comline}: exited on signal {res.signal}")
            return False
        if res.returncode != 0:
            self.warnx(j, f"{comline}: failed")
            return False
        return True

    def _consolelog(self, j: Job) -> tuple[bool, str | None]:
        log = string(j.params.get("exec.consolelog"))
        if log is None:
            return True, None
        if not log.startswith("/"):
            self.warnx(j, f"exec.consolelog: {log}: not an absolute pathname")
            return False, None
        real = self.real(log)
        try:
            with open(real, "ab"):
                pass
        except OSError as e:
            self.warnx(j, f"open {log}: {e.strerror}")
            return False, None
        return True, real

    def _in_jail(self, j: Job, step: str) -> bool:
        """exec.start / command / exec.stop: inside the jail."""
        commands = strings(j.params.get(step))
        if step == "command" and j.name is None and commands:
            # Command-line "command=": the words are the argv (command.c).
            commands = [" ".join(commands)]
        if not commands:
            return True
        ok, console = self._consolelog(j)
        if not ok:
            return False
        user = string(j.params.get("exec.jail_user"))
        for command in commands:
            if not command:
                continue
            argv, bg = hooks.command_argv(command)
            if not argv:
                continue
            comline = " ".join(argv)
            self._vnote(j, comline, in_jail=True, user=user)
            words = command.split()
            if words[:2] == ["/bin/sh", "/etc/rc"] and len(words) == 2:
                from jailtui.sim import faults

                if j.name is not None and faults.active(self.ctx.simdir, "nostart", j.name):
                    # A broken root (sim/faults.py): sh cannot run its /etc/rc.
                    broken = hooks.Outcome(2, err=b"/bin/sh: cannot open /etc/rc: "
                                                  b"No such file or directory\n")
                    return self._finish(j, comline, argv, broken, console)
                with self.store.write() as st:
                    cur = st.jail_by_jid(j.jid)
                    text = rc.rc_start(st, cur, self.ctx.paths, self.ctx.now) if cur else ""
                self._emit(text.encode(), console)
                continue
            if words[:2] == ["/bin/sh", "/etc/rc.shutdown"]:
                with self.store.write() as st:
                    cur = st.jail_by_jid(j.jid)
                    text = rc.rc_shutdown(st, cur, self.ctx.paths) if cur else ""
                self._emit(text.encode(), console)
                continue
            res = self._run_in_jail(j, argv, bg)
            if not self._finish(j, comline, argv, res, console):
                return False
        return True

    def _emit(self, data: bytes, console: str | None) -> None:
        if console is None:
            self.ctx.out += data
            return
        try:
            with open(console, "ab") as f:
                f.write(data)
        except OSError:
            pass

    def _run_in_jail(self, j: Job, argv: list[str], bg: bool) -> hooks.Outcome:
        with self.store.read() as st:
            cur = st.jail_by_jid(j.jid)
        if cur is None:
            return hooks.Outcome(1, not_found="No such process")
        root = self.ctx.paths.real(cur.path)
        t = jexec.hook_target(cur, root, truth(j.params.get("exec.clean")), self.ctx.env)
        # Confined like jexec (sim/confine.py): an exec.start runs in the
        # jail's root, never on this machine's "/".
        box = jexec.confined_command(self.ctx.simdir, t, argv, self.ctx.env, outlive=bg)
        if box is None:
            return hooks.Outcome(1, not_found="not run: this SIMULATED jail is not confined "
                                 f"({confine.probe().reason})")
        return hooks.run(box, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, cwd=None,
                         timeout=self._timeout(j), background=bg)
