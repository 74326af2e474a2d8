"""jail(8) of the simulated host: its command line (docs/freebsd.md 3, 4.3, 10.1).

The four command-line styles, ``-c -m -r -R`` and their combinations
(``-rc`` restart, ``-cm`` create-or-modify ...), ``-e SEP``, ``-f FILE``,
``-q -v -i -J``, and which jails the arguments name (usr.sbin/jail/jail.c
main, state.c start_state). Dependency ordering is
:mod:`jailtui.sim.jail_order`; what each jail's start or stop does is
:mod:`jailtui.sim.jail_ops`. jail.conf is parsed by
:mod:`jailtui.core.freebsd.jailconf`; every path in argv and in the
configuration is a host path under ``SIMDIR/root``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from jailtui.core.freebsd import jailconf
from jailtui.core.freebsd.jailconf import JailConfError, wild_jail_match, wild_jail_name
from jailtui.core.freebsd.jailconf.dialect import release_major
from jailtui.core.model import ParamValue
from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.jail_job import CLEAN, SET, START, STOP, Job, strings
from jailtui.sim.jail_ops import JailOps
from jailtui.sim.jail_order import deps, find, graph_errors

CONF_FILE = "/etc/jail.conf"

# 14.x usage text (docs/freebsd.md 3.1: "The 13.x/14.x text differs slightly").
USAGE_14 = ("usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n"
            "            -[cmr] param=value ... [command=command ...]\n"
            "       jail [-dqv] [-f file] [-e separator] -[cmr] [jail]\n"
            "       jail [-qv] [-f file] -[rR] ['*' | jail ...]\n"
            "       jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n"
            "            [-n jailname] [-s securelevel]\n"
            "            path hostname [ip[,...]] command ...\n")
#: The newest usage text (docs/freebsd.md 3.1), printed by the 15 generation.
USAGE_15 = ("usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n"
            "            -[cmr] param=value ... [command=command ...]\n"
            "       jail [-dqv] [-f file] -[cmr] [jail]\n"
            "       jail [-qv] [-f file] -[rR] ['*' | jail ...]\n"
            "       jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n"
            "            [-n jailname] [-s securelevel]\n"
            "            path hostname ip[,...] command ...\n"
            "       jail [-f file] -e separator\n")
#: The -d warning: 14.x misses a space, the newest tree has it (docs/freebsd.md 3.2).
DYING_WARNING_14 = "the 'allow.dying' parameter and '-d' flagare deprecated and have no effect."
DYING_WARNING_15 = "the 'allow.dying' parameter and '-d' flag are deprecated and have no effect."


class _Usage(Exception):
    pass


class JailCmd(JailOps):
    """One jail(8) invocation: options and names in, jobs for :class:`JailOps` out."""

    # -- configuration ---------------------------------------------------------

    def load_config(self, cfname: str) -> jailconf.Config:
        def read(p: str) -> str:
            if p == "-" and cfname == "-":
                return (self.ctx.stdin or b"").decode("utf-8", "surrogateescape")
            with open(self.real(p), encoding="utf-8", errors="surrogateescape",
                      newline="") as f:
                return f.read()

        def glob(pattern: str) -> list[str]:
            import glob as globmod
            real = self.real(pattern)
            prefix = self.real("/")
            out: list[str] = []
            for m in sorted(globmod.glob(real)):
                rel = os.path.relpath(m, prefix)
                out.append("/" + rel if pattern.startswith("/") else rel)
            return out
        # jail(8) of the host's release reads the file: 13.x and 14.0+
        # differ in scanner and grammar (core/freebsd/jailconf/dialect.py).
        with self.store.read() as st:
            freebsd = release_major(st.osrelease)
        return jailconf.load(cfname, read=read, glob=glob, freebsd=freebsd)


    # -- main ----------------------------------------------------------------------

    def main(self, args: list[str]) -> int:
        try:
            return self._main(args)
        except _Usage:
            self.ctx.write_err(USAGE_15 if self.freebsd >= 15 else USAGE_14)
            return 1

    def _main(self, args: list[str]) -> int:
        try:
            # -C (clean up after a removed jail) is newest only (docs/freebsd.md 3.1).
            optstring = "cCde:f:hiJ:lmn:p:qrRs:u:U:v" if self.freebsd >= 15 \
                else "cde:f:hiJ:lmn:p:qrRs:u:U:v"
            opts, argv = getopt(args, optstring)
        except GetoptError as e:
            self.ctx.warn(str(e))
            raise _Usage() from None
        op = 0
        dflag = eflag = False
        sep = "\t"
        cfname = CONF_FILE
        jid_file: str | None = None
        for ch, arg in opts:
            if ch == "c":
                op |= START
            elif ch == "C":
                op |= CLEAN
            elif ch == "d":
                dflag = True
            elif ch == "e":
                eflag, sep = True, arg
            elif ch == "f":
                cfname = arg
            elif ch == "h":
                self.cmdline["ip_hostname"] = True
                self.docf = False
            elif ch == "i":
                self.iflag, self.verbose = True, -1
            elif ch == "J":
                jid_file = arg
                self.want_jid_file = True
            elif ch == "l":
                self.cmdline["exec.clean"] = True
                self.docf = False
            elif ch == "m":
                op |= SET
            elif ch == "n":
                self.cmdline["name"] = arg
                self.docf = False
            elif ch == "q":
                self.verbose = -1
            elif ch == "r":
                op |= STOP
            elif ch == "R":
                op |= STOP
                self.rflag = True
            elif ch == "s":
                self.cmdline["securelevel"] = arg
                self.docf = False
            elif ch in "uU":
                self.cmdline["exec.jail_user"] = arg
                self.cmdline["exec.system_jail_user"] = ch == "u"
                self.docf = False
            elif ch == "v":
                self.verbose = 1

        if eflag:
            # "Just print list of all configured non-wildcard jails".
            if op or argv:
                raise _Usage()
            try:
                ecfg = self.load_config(cfname)
                errors: list[str] = []
                text = jailconf.format_jail_e(ecfg, sep, errors=errors)
            except JailConfError as e:
                self.ctx.warn(str(e))
                return 1
            for msg in errors:
                self.ctx.warn(msg)
            self.ctx.write(text)
            return 0

        cfg: jailconf.Config | None = None
        if not op:
            # Old-style command line: path hostname ip command ...
            if len(argv) < 4 or not argv[0].startswith("/"):
                raise _Usage()
            op = START
            self.docf = False
            params: dict[str, ParamValue] = dict(self.cmdline)
            params["path"] = argv[0]
            params["host.hostname"] = argv[1]
            ip4 = [a for a in argv[2].split(",") if a and ":" not in a]
            ip6 = [a for a in argv[2].split(",") if a and ":" in a]
            if ip4:
                params["ip4.addr"] = tuple(ip4)
            if ip6:
                params["ip6.addr"] = tuple(ip6)
            params["command"] = tuple(argv[3:])
            self.jobs = [Job(None, params)]
        elif op in (STOP, CLEAN):
            if op == CLEAN and (self.rflag or not argv):
                raise _Usage()
            if not self.docf or not argv:
                raise _Usage()
            if not self.rflag and any("=" in a for a in argv):
                raise _Usage()
            self.docf = not self.rflag and (cfname == "-" or os.path.exists(self.real(cfname)))
            if self.docf:
                cfg = self._load_or_fail(cfname)
                if cfg is None:
                    return 1
            self.note_remove = self.docf or len(argv) > 1 or wild_jail_name(argv[0])
        elif len(argv) > 1 or (len(argv) == 1 and "=" in argv[0]):
            if self.rflag:
                raise _Usage()
            self.docf = False
            self.jobs = [Job(None, self._cmdline_params(argv))]
        else:
            if self.rflag or not self.docf:
                raise _Usage()
            cfg = self._load_or_fail(cfname)
            if cfg is None:
                return 1

        if cfg is not None:
            for name in cfg.jail_names():
                job = Job(name)
                try:
                    job.params = cfg.effective(name)
                except JailConfError as e:
                    job.conf_error = str(e)
                self.jobs.append(job)
        if dflag:
            # Both generations warn (docs/freebsd.md 3.2); only 14 still lets -r
            # and -m see a dying jail with it (jail.c running_jid, JAIL_DYING).
            self.ctx.warn(DYING_WARNING_15 if self.freebsd >= 15 else DYING_WARNING_14)
            self.allow_dying = self.freebsd < 15

        self._dep_setup()
        if op in (STOP, CLEAN):
            for target in argv:
                if not self._start_state(target, op):
                    self.error = True
        else:
            if not self._start_state(argv[0] if argv and self.docf else None, op):
                return 1
        self._run_jobs()
        if jid_file is not None and self.jid_lines:
            try:
                with open(self.real(jid_file), "w", encoding="utf-8") as f:
                    f.write("".join(self.jid_lines))
            except OSError as e:
                self.ctx.warn(f"open {jid_file}: {e.strerror}")
                return 1
        return 1 if self.error else 0

    def _load_or_fail(self, cfname: str) -> jailconf.Config | None:
        try:
            return self.load_config(cfname)
        except JailConfError as e:
            self.ctx.warn(str(e))
            return None

    def _cmdline_params(self, argv: Sequence[str]) -> dict[str, ParamValue]:
        """Style 1: ``param=value ... [command=cmd args...]`` (jail.c main)."""
        params: dict[str, ParamValue] = dict(self.cmdline)
        i = 0
        while i < len(argv):
            a = argv[i]
            if a.startswith("command") and a[7:8] in ("", "="):
                cmd = ([a[8:]] if a[7:8] == "=" else []) + list(argv[i + 1:])
                params["command"] = tuple(cmd)
                break
            name, eq, value = a.partition("=")
            if name in ("ip4.addr", "ip6.addr", "vnet.interface", "zfs.dataset") and eq:
                prev = strings(params.get(name))
                params[name] = tuple(prev + value.split(","))
            elif eq:
                params[name] = value
            else:
                params[name] = True
            i += 1
        return params

    # -- which jails (state.c) --------------------------------------------------------

    def _start_state(self, target: str | None, op: int) -> bool:
        if target is None or (not self.docf and op != STOP) or (not self.rflag and target == "*"):
            for j in self.jobs:
                j.op = op
                j.wild = self.docf
            return True
        if wild_jail_name(target):
            if self.rflag:
                with self.store.read() as st:
                    running = [(x.name, x.jid) for x in st.jails if not x.dying]
                for name, jid in running:
                    if wild_jail_match(name, target):
                        self.jobs.append(Job(name, op=op, wild=True, jid=jid))
            else:
                for j in self.jobs:
                    if j.name is not None and wild_jail_match(j.name, target):
                        j.op, j.wild = op, True
            return True
        job: Job | None = find(self.jobs, target) if self.docf else None
        if job is None and op == STOP:
            # "Allow -[rR] to specify a currently running jail." A dying one
            # only with -d on 14 (jail_getid without JAIL_DYING does not see it).
            with self.store.read() as st:
                key = target if self.ctx.jail is None or (target.isdigit() and int(target)) \
                    else f"{self.ctx.jail}.{target}"
                found = st.lookup(key, dying=self.allow_dying)
                rname = found.name if found is not None else None
                rjid = found.jid if found is not None else 0
            if rname is not None:
                job = find(self.jobs, rname) if self.docf else None
                if job is None:
                    job = Job(rname, jid=rjid)
                    self.jobs.append(job)
        if job is None:
            self.ctx.warn(f'"{target}" not found')
            return False
        job.op = op
        return True


    def _dep_setup(self) -> None:
        """state.c dep_setup: undefined dependencies and loops fail their jail."""
        if not self.docf:
            # "let depend for a single jail look at currently running jails"
            if self.jobs and deps(self.jobs[0]):
                with self.store.read() as st:
                    for d in deps(self.jobs[0]):
                        if st.lookup(d) is None:
                            self.ctx.warn(f'depends on nonexistent jail "{d}"')
                            self.jobs[0].failed = True
            return
        for j, msg in graph_errors(self.jobs):
            self.warnx(j, msg)


def run(ctx: Ctx, args: list[str]) -> int:
    return JailCmd(ctx).main(args)
