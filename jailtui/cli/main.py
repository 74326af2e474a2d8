"""Command line: ``jailtui [global options] [subcommand ...]``.

Global options go before the subcommand. Without a subcommand the console
opens. On FreeBSD the target is the local host; anywhere else it is the
simulated FreeBSD host (a directory under the user's cache dir, built on
first use), and every output says so.

Exit status: 0 on success; 1 with a one-line message on stderr on error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from jailtui import __version__
from jailtui.cli import completion, config_cmd, storage_parsers
from jailtui.cli.output import visible_output
from jailtui.cli.session import (
    Session,
    Target,
    default_sim_dir,
    host_specs,
    make_fleet_session,
    make_session,
    make_target,
    open_fleet,
)
from jailtui.core.config.settings import SettingsError
from jailtui.core.errors import CommandTimeout, JailtuiError, PolicyDenied, describe
from jailtui.core.events import Kind
from jailtui.core.freebsd.jailconf import JailConfError
from jailtui.core.freebsd.jailname import check_jail_name
from jailtui.core.text import visible

if TYPE_CHECKING:
    from jailtui.cli.views import Targets

# cli/views.py (and the fleet, SSH) are imported by the subcommands that print
# them: the console's first frame needs neither (issue 18: start).

#: ``exec`` killed at its --timeout exits as timeout(1) does.
EXIT_TIMED_OUT = 124

SUBCOMMANDS = ("list", "ps", "conf", "sim", "start", "stop", "restart", "shell", "exec",
               "kill", "service", "check", "doctor", "config", "completion", "snapshot",
               "restore", "diff", "posture",
               "flags")


def _split_sim_arg(argv: list[str]) -> list[str]:
    """Make ``--sim`` take an optional DIR without swallowing a subcommand.

    ``jailtui --sim list`` means "simulated host, default dir, list";
    ``jailtui --sim /tmp/h list`` names the dir.
    """
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--sim":
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            if nxt is None or nxt in SUBCOMMANDS or nxt.startswith("-"):
                out.append("--sim=")
                i += 1
                continue
        out.append(arg)
        i += 1
    return out


def _kill_signal_arg(argv: list[str]) -> list[str]:
    """``kill -9 PID`` and ``kill -KILL PID`` as kill(1) takes them: ``kill -s 9 PID``.

    argparse would take ``-9`` for an unknown option (or a stray number).
    """
    if "kill" not in argv:
        return argv
    i = argv.index("kill")
    nxt = argv[i + 1] if i + 1 < len(argv) else ""
    if len(nxt) > 1 and nxt.startswith("-") and nxt not in ("-s", "-h", "--help", "--") \
            and nxt[1:].isalnum():
        return [*argv[:i + 1], "-s", nxt[1:], *argv[i + 2:]]
    return argv


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jailtui",
        description="A live console for FreeBSD jails. Without a subcommand, opens the console.")
    p.add_argument("--version", action="version", version=f"jailtui {__version__}")
    p.add_argument("--sim", metavar="DIR", nargs="?", const="", default=None,
                   help="use the simulated FreeBSD host in DIR (default: the user's cache dir)")
    p.add_argument("--host", metavar="HOST", action="append", default=None,
                   help="repeatable: 'local' (the FreeBSD commands found on PATH, on any OS), "
                        "an ssh destination ([user@]host, NAME=[user@]host), a [hosts.NAME] "
                        "of the config file, or 'all' of them; list, ps, check and posture take "
                        "several")
    p.add_argument("--root", metavar="DIR", default=None,
                   help="with --host local: the host's files (jail.conf, rc.conf, jail roots) "
                        "are under DIR (for fakes standing in for FreeBSD)")
    p.add_argument("--interval", type=float, default=None, metavar="SECONDS",
                   help="poll interval of the console (default 2)")
    p.add_argument("--readonly", action="store_true", help="hide and refuse every action")
    p.add_argument("--no-state", action="store_true",
                   help="console: do not restore the last view, nor save it on quit "
                        "(notes and column choices are still kept)")
    p.add_argument("--config", metavar="FILE", default=None,
                   help="config file (default ~/.config/jailtui/config.toml)")
    p.add_argument("--delegate", metavar="JAIL", default=None,
                   help="delegated session for JAIL (pinned in the sudoers/doas rule)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sp = sub.add_parser("list", help="the jails: running, dying and configured-but-stopped",
                        description="The jails of the host: running, dying and configured but "
                                    "stopped. Columns are cut to the terminal's width like "
                                    "jls(8); --wide shows them whole, --json everything.")
    sp.add_argument("--json", action="store_true", help="one JSON object per jail")
    sp.add_argument("--wide", action="store_true", help="do not cut columns to the terminal")
    sp = sub.add_parser("ps", help="processes of the host or of one jail",
                        description="Processes of the host (every jail's included) or of one "
                                    "jail, like ps -ax -J. COMMAND is cut to the terminal's "
                                    "width like ps(1); --wide shows it whole.")
    sp.add_argument("--jail", metavar="NAME", help="only the processes of jail NAME")
    sp.add_argument("--json", action="store_true", help="one JSON object per process")
    sp.add_argument("--wide", action="store_true", help="do not cut columns to the terminal")

    sp = sub.add_parser("conf", help="jail.conf: show the effective parameters, check syntax")
    csub = sp.add_subparsers(dest="conf_command", metavar="show|check", required=True)
    cs = csub.add_parser("show", help="effective parameters per jail, as jail(8) uses them")
    cs.add_argument("-f", dest="file", metavar="FILE")
    cs.add_argument("names", nargs="*", metavar="NAME")
    cs.add_argument("--json", action="store_true")
    cc = csub.add_parser("check", help="exit 0 if the file parses, else 1 with jail(8)'s message")
    cc.add_argument("-f", dest="file", metavar="FILE")
    for conf_parser in (cs, cc):
        # jail(8) of 13.x and of 14.0+ read jail.conf differently
        # (core/freebsd/jailconf/dialect.py).
        conf_parser.add_argument("--freebsd", type=int, metavar="MAJOR", default=None,
                                 help="read as the jail(8) of this FreeBSD release "
                                      "(13, 14, 15; default: the newest)")

    sp = sub.add_parser(
        "sim", help="the simulated FreeBSD host: init, shims, reset, exec",
        description="The simulated FreeBSD host (for the demo and the tests, on any OS): "
                    "'sim init DIR [--force]' builds one, '--sim DIR sim shims BINDIR' writes "
                    "jls/ps/jail/... executables for it, '--sim DIR sim reset' rebuilds it, "
                    "'--sim DIR sim exec -- CMD' runs one of its commands. "
                    "'jailtui sim init --help' and the others tell more.")
    sp.add_argument("sim_args", nargs=argparse.REMAINDER, metavar="init|shims|reset|exec ...")

    verbs = {"start": "Start jail NAME as its configuration says (service jail start, or "
                      "jail -c with the file that defines it).",
             "stop": "Stop jail NAME (its exec.stop, then jail -r).",
             "restart": "Stop and start jail NAME."}
    for verb, text in verbs.items():
        sp = sub.add_parser(verb, help=f"{verb} a jail", description=(
            f"{text} A jail a manager owns (Bastille, iocage, AppJail, pot, ezjail) is "
            f"driven by the manager's own command ({verb_example(verb)})."))
        sp.add_argument("name", metavar="NAME")
        sp.add_argument("--jail8", action="store_true",
                        help="a jail no manager owns and no jail.conf names: use jail(8) "
                             "anyway (the console asks first; no manager's hooks run)")
    storage_parsers.add_all(sub)
    from jailtui.cli import rctl_cmd

    rctl_cmd.add_parser(sub)
    sp = sub.add_parser("shell", help="open a shell in a jail (jexec -l -U USER)",
                        description="Open a login shell in jail NAME on this terminal "
                                    "(jexec -l -U USER NAME: the jail's passwd gives the "
                                    "shell and home; USER is root unless -U says otherwise).")
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("-U", dest="user", metavar="USER", help="user from the jail's passwd")
    sp = sub.add_parser(
        "exec", help="run a command in a jail: exec NAME -- CMD...",
        description="Run CMD in jail NAME (jexec -l -U USER NAME CMD, as root of the jail "
                    "unless the config says otherwise). Put -- before CMD so that its "
                    "options are not taken as jailtui's: jailtui exec web -- ls -l /. "
                    "Output streams as it comes, stdout and stderr stay apart, and the exit "
                    "status is the command's.")
    sp.add_argument("--timeout", type=float, default=3600.0, metavar="SECONDS",
                    help="kill the command after SECONDS (default 3600; 0: no limit)")
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD")
    sp = sub.add_parser("kill", help="send a signal to a process (re-checked just before)",
                        description="Send a signal to process PID, after checking that it is "
                                    "still the same process (pids are reused). SIG as kill(1) "
                                    "takes it: -s NAME, -s NUMBER, -NAME or -NUMBER "
                                    "(FreeBSD's numbers).")
    sp.add_argument("-s", dest="signal", default="TERM", metavar="SIG",
                    help="signal name or FreeBSD number (default TERM)")
    sp.add_argument("pid", type=int, metavar="PID")
    sp = sub.add_parser("service", help="start/stop/restart/status of an rc.d service in a jail",
                        description="Run service -j NAME SERVICE VERB: an rc.d service of "
                                    "jail NAME (status is reading: every role may).")
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("service", metavar="SERVICE")
    sp.add_argument("verb", metavar="start|stop|restart|status")
    from jailtui.cli import netproc_cmd

    netproc_cmd.add_parsers(sub)
    sub.add_parser("doctor", help="check this host's delegation setup",
                   description="Check this host's setup for delegated sessions (sudo/doas "
                               "rules, the policy file, owners and modes) and say what to fix.")
    sp = sub.add_parser("check", help="health check for monitoring (exit 0/1/2/3, Nagios style)",
                        description="Health of the jails for monitoring: one summary line with "
                                    "perfdata, then one line per finding; exit 0 OK, 1 WARNING, "
                                    "2 CRITICAL, 3 UNKNOWN (Nagios plugin convention).")
    sp.add_argument("--json", action="store_true", help="the report as JSON")
    sp.add_argument("--disk-warn", type=float, metavar="PCT",
                    help="WARNING when a jail's file system is this full (df's %%; default 80)")
    sp.add_argument("--disk-crit", type=float, metavar="PCT",
                    help="CRITICAL at this fullness (default 90)")
    sp.add_argument("--rctl-warn", type=float, metavar="PCT",
                    help="WARNING when a resource is at this %% of its rctl limit (default 80)")
    sp.add_argument("--rctl-crit", type=float, metavar="PCT",
                    help="CRITICAL at this %% of the limit (default 95)")
    sp.add_argument("--min-securelevel", type=int, metavar="N",
                    help="WARNING for a running jail below securelevel N (-1 to 3)")
    sp.add_argument("--flag", action="append", metavar="PARAM",
                    help="flag running jails with this parameter enabled (repeatable)")
    sp.add_argument("--no-daemons", action="store_true",
                    help="do not check that rc.conf-enabled daemons run")
    sp.add_argument("--posture", action="store_true",
                    help="also measure running jails against the [posture] baseline")
    sp = sub.add_parser("posture", help="security posture of the jails against the baseline",
                        description="Security posture of every jail of every host: securelevel, "
                                    "loosened restrictions, file flags, userland version, "
                                    "vulnerable base system and packages, database age, each "
                                    "against the [posture] baseline of the config file. With "
                                    "NAME: that jail's items, each with what it means.")
    sp.add_argument("name", nargs="?", metavar="NAME", help="one jail: its items in full")
    sp.add_argument("--json", action="store_true", help="one JSON object per jail")
    sp.add_argument("--wide", action="store_true", help="do not cut columns to the terminal")
    sp = sub.add_parser("events", help="what happens to the jails and hosts, for scripts",
                        description="The event timeline the console's E shows: at the first "
                                    "poll the jails running (seen), then jails created, "
                                    "removed, restarted (a new jid) and dying, hosts "
                                    "unreachable and back, config files changed on disk, "
                                    "derived from one poll after another; with --follow, "
                                    "rc.conf daemons down and up and rctl limits near "
                                    "(90%) from the health check every [console] "
                                    "health_interval. Without --follow: one poll, what it "
                                    "saw.")
    sp.add_argument("--follow", action="store_true",
                    help="keep polling (every --interval seconds) and print each event as it "
                         "happens, until interrupted")
    sp.add_argument("--json", action="store_true", help="one JSON object per line per event")
    sp.add_argument("--jail", metavar="NAME", help="only the events of jail NAME")
    sp.add_argument("--kind", action="append", metavar="KIND", choices=EVENT_KINDS,
                    help=f"only events of this kind (repeatable): {', '.join(EVENT_KINDS)}")
    sp.add_argument("--polls", type=int, metavar="N", default=None,
                    help="with --follow: stop after N polls (default: until interrupted)")
    sp = sub.add_parser("flags", help="the file flags the baseline wants on a jail root",
                        description="Which files of jail NAME's root lack the flags of the "
                                    "[posture] baseline (schg on the base system, sappnd on "
                                    "the logs); with --apply, set them from the host "
                                    "(chflags), after confirmation, audited. Host admin "
                                    "only; refused with the reason when the host's "
                                    "securelevel forbids the change.")
    sp.add_argument("name", metavar="NAME", help="the jail")
    sp.add_argument("--apply", action="store_true", help="set the flags (asks first)")
    sp.add_argument("--yes", action="store_true", help="with --apply: do not ask")
    config_cmd.add_parser(sub)
    completion.add_parser(sub)
    return p


def open_targets(args: argparse.Namespace) -> tuple[Targets, frozenset[str] | None]:
    """The hosts of ``list``/``ps``/``check``: several ``--host``, or the one
    host of this session (a delegate's scoped to their jail), as a fleet of
    one; and the jails a delegate may see (None: all)."""
    from jailtui.cli.views import Targets
    from jailtui.core.hosts.fleet import Fleet

    specs = host_specs(args)
    if specs is not None and len(specs) > 1:
        return Targets(open_fleet(specs)), None
    session = make_session(args)
    return Targets(Fleet([session.host])), session.policy.scope


def cmd_conf(target: Target | None, args: argparse.Namespace) -> int:
    """``conf show`` / ``conf check``.

    With ``-f FILE``: that file (and its includes) as ``jail -f FILE`` reads
    it.  Otherwise what the console reads (core/hosts/confsource.py): the
    ``jail_conf`` of rc.conf, ``/etc/jail.conf.d/*.conf`` and
    ``/etc/jail.NAME.conf`` as rc.d/jail looks them up (docs/freebsd.md 8.2),
    each jail with the parameters of the file rc.d/jail would pass to jail(8).
    """
    from jailtui.core.freebsd import jailconf

    errors: list[str] = []      # jail(8)'s words, without "jail: "
    rc_errors: list[str] = []   # rc.conf files that could not be read
    hints: list[str] = []
    if args.file:
        config = jailconf.load(args.file, freebsd=args.freebsd)   # JailConfError: see main()
        jails = {n: config.effective(n) for n in config.jail_names()}
        where = args.file
    else:
        if target is None:
            raise JailtuiError("no host")
        conf = target.host.configured(freebsd=args.freebsd)
        jails = {n: cj.params for n, cj in conf.jails.items()}
        rc_errors = list(conf.rc_errors)
        errors = [e for e in conf.errors if e not in rc_errors]
        hints = list(conf.hints)
        where = ", ".join(conf.files) or target.host.conf.jail_conf
    for e in errors:
        print(visible(f"jail: {e}"), file=sys.stderr)
    for e in rc_errors:
        print(visible(f"jailtui: {e}"), file=sys.stderr)
    for h in hints:
        print(visible(f"jailtui: hint: {h}"), file=sys.stderr)
    if args.conf_command == "check":
        if errors or rc_errors:
            return 1
        print(f"{visible(where)}: OK, {len(jails)} jail(s)")
        return 0
    names = list(args.names) or list(jails)
    unknown = [n for n in names if n not in jails]
    if unknown:
        raise JailtuiError(f'"{unknown[0]}" not found')
    if args.json:
        json.dump({"jails": {n: jailconf.effective_json(jails[n]) for n in names}},
                  sys.stdout, indent=2)
        print()
        return 0
    for name in names:
        # Written back in jail.conf syntax (quoted where needed), so the
        # effective view can be pasted into a config file.
        print(f"{visible(jailconf.quote_value(name))} {{")
        for key, value in jails[name].items():
            print(f"    {visible(jailconf.render_statement(key, value))}")
        print("}")
    return 0


def verb_example(verb: str) -> str:
    """``bastille stop NAME``: the manager's argv in the help, from its driver."""
    from jailtui.core.owners import DRIVERS, Owner

    return " ".join(DRIVERS[Owner.BASTILLE].argvs(verb, "NAME")[-1]) + ", ..."


def cmd_action(session: Session, args: argparse.Namespace) -> int:
    from jailtui.core.actions.policy import Action

    controller = session.controller
    host = session.host
    cmd = args.command
    if cmd != "kill":
        check_jail_name(args.name)
    lifecycle = {"start": controller.start, "stop": controller.stop,
                 "restart": controller.restart}
    if cmd in lifecycle:
        result = asyncio.run(lifecycle[cmd](args.name, unknown_ok=args.jail8))
    elif cmd == "exec":
        argv = list(args.cmd)
        if argv and argv[0] == "--":
            argv = argv[1:]
        if not argv:
            return _fail(f"jailtui: exec: no command given (jailtui exec {args.name} -- CMD ...)")
        # jexec by a manager's name for the jail (iocage's `backup`) finds nothing: say
        # which jail it is (docs/managers.md 1.9) before running it.
        asyncio.run(controller.refuse_manager_name(Action.EXEC, args.name))
        if session.target.sim_dir is not None:
            # Every output of the simulated host says so (stderr: stdout is
            # the command's own).
            from jailtui.sim.confine import probe

            print(f"jailtui: SIMULATED FreeBSD host: jail {visible(args.name)}, "
                  f"{probe().describe()}", file=sys.stderr)
        sys.stdout.flush()
        try:
            return int(controller.run_exec_streamed(args.name, argv,
                                                    timeout=args.timeout or None))
        except CommandTimeout as exc:
            _fail(str(exc))
            return EXIT_TIMED_OUT
    elif cmd == "service":
        result = asyncio.run(controller.service(args.name, args.service, args.verb))
    elif cmd == "kill":
        snap = asyncio.run(host.poll())
        proc = snap.process(args.pid)
        if proc is None:
            return _fail(f"kill: {args.pid}: No such process")
        result = asyncio.run(controller.signal(args.pid, args.signal, proc))
    elif cmd == "shell":
        if args.user:
            controller.shell_user = args.user
        snap = asyncio.run(host.poll())
        jail = snap.jail(args.name)
        if jail is None:
            asyncio.run(controller.refuse_manager_name(Action.SHELL, args.name))
            return _fail(f'jexec: jail "{args.name}" not found')
        if not sys.stdin.isatty():
            return _fail("jailtui: shell: needs a terminal (ssh -t)")
        shell = asyncio.run(controller.prepare_shell(args.name, jail))
        return int(controller.run_shell(shell))
    else:  # pragma: no cover - argparse restricts the choices
        raise JailtuiError(f"unknown command {cmd}")
    output = result.output.strip()
    if output:
        sys.stdout.write(visible_output(result.output))
    if not result.ok:
        return _fail(result.message)
    if not output.endswith(result.message.strip()):
        print(visible(result.message))
    return 0


def cmd_flags(session: Session, args: argparse.Namespace) -> int:
    """``jailtui flags NAME [--apply [--yes]]``: the baseline's flags on a jail root
    (core/posture/apply.py), through the one gate (Controller.apply_flags)."""
    import asyncio

    from jailtui.core.actions.policy import Action
    from jailtui.core.config.settings import load_settings
    from jailtui.core.posture import apply as flagsmod
    from jailtui.core.posture.collect import collect

    check_jail_name(args.name)
    ctl = session.controller
    if ctl.refusal(Action.FLAGS) is not None:
        # Through the gate, so the refusal is audited and worded once.
        asyncio.run(ctl.apply_flags(args.name, ()))
    snap = asyncio.run(session.host.poll())
    jail = snap.jail(args.name)
    if jail is None:
        raise JailtuiError(f'jail "{args.name}" not found')
    got = asyncio.run(collect(session.host, [jail], load_settings(args.config).posture,
                              now=snap.taken_at))
    if not got:
        raise JailtuiError(f"{args.name}: a dying jail has no flags to set")
    posture = got[0]
    unknown = [i for i in posture.unknowns() if i.group == "flags"]
    for item in unknown:
        print(f"jailtui: {visible(item.title)}: unknown: {visible(item.reason)}",
              file=sys.stderr)
    changes = posture.flag_changes
    if not changes:
        print(f"{visible(args.name)}: the flags meet the baseline")
        return 1 if unknown else 0
    for line in flagsmod.describe(changes):
        print(visible(line))
    n = len(changes)
    if not args.apply:
        print(f"{n} file{'s' if n != 1 else ''} would change; --apply sets the flags")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            return _fail("jailtui: flags: not applied — confirm with --yes (stdin is not a "
                         "terminal)")
        answer = input(f"Set these flags on {n} file{'s' if n != 1 else ''} of "
                       f"{visible(args.name)}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not applied")
            return 1
    result = asyncio.run(ctl.apply_flags(args.name, changes, jail))
    print(visible(result.message), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def _fail(message: str) -> int:
    print(visible(message.strip().splitlines()[0] if message.strip() else "failed"),
          file=sys.stderr)
    return 1


def cmd_check(args: argparse.Namespace) -> int:
    """``jailtui check``: plugin output; any error is UNKNOWN (exit 3), never 1."""
    from dataclasses import replace as dc_replace

    from jailtui.cli import views
    from jailtui.core.checks import health

    th = health.Thresholds()
    try:
        from jailtui.core.config.settings import load_settings

        th = load_settings(args.config).thresholds(th)
    except (ImportError, AttributeError):
        pass
    except JailtuiError as exc:
        return views.unknown(f"config: {describe(exc)}", as_json=args.json)
    overrides = {k: v for k, v in {
        "disk_warn": args.disk_warn, "disk_crit": args.disk_crit,
        "rctl_warn": args.rctl_warn, "rctl_crit": args.rctl_crit,
        "min_securelevel": args.min_securelevel}.items() if v is not None}
    if args.flag:
        overrides["flag_params"] = tuple(args.flag)
    if args.no_daemons:
        overrides["check_daemons"] = False
    if args.posture and th.posture is None:
        from jailtui.core.config.settings import load_settings as _load

        overrides["posture"] = _load(args.config).posture
    for kind in ("disk", "rctl"):
        # One side given: the other (default or config) follows it rather than
        # contradict it (--rctl-crit 50 with the default warn 80). A value out
        # of range is not followed: the error names the option the user typed.
        warn, crit = f"{kind}_warn", f"{kind}_crit"
        if crit in overrides and warn not in overrides and 0 <= overrides[crit] <= 100:
            overrides[warn] = min(getattr(th, warn), overrides[crit])
        elif warn in overrides and crit not in overrides and 0 <= overrides[warn] <= 100:
            overrides[crit] = max(getattr(th, crit), overrides[warn])
    th = dc_replace(th, **overrides)
    problems = health.threshold_problems(th)
    if problems:
        # A check that cannot judge is UNKNOWN (3), with every reason.
        return views.unknown(f"bad thresholds: {'; '.join(problems)}", as_json=args.json)
    try:
        targets, scope = open_targets(args)
    except JailtuiError as exc:
        return views.unknown(describe(exc), as_json=args.json)
    return views.check(targets, th, as_json=args.json, scope=scope)


def run_fleet_console(specs: Sequence[Any], args: argparse.Namespace) -> int:
    """One console for several hosts (``--host A --host B``, ``--host all``)."""
    from jailtui import terminal

    refused = terminal.refusal(os.environ, sys.stdin, sys.stdout)
    if refused is not None:
        return _fail(refused)
    from jailtui.console import collector

    collector.hold()  # until the first data is on screen (console/collector.py)
    terminal.prepare(os.environ, sys.stdout.encoding)
    from dataclasses import replace as dc_replace

    from jailtui.app import JailtuiApp
    from jailtui.console.fleet import FleetConsole
    from jailtui.core.config.settings import load_settings
    from jailtui.core.hosts.fleet import load_hosts_config

    session = make_fleet_session(args, specs)
    settings = load_settings(args.config)
    # Unknown keys of [hosts.*] are fleet.py's to report: shown like the others.
    hosts_warnings = load_hosts_config(args.config).warnings
    if hosts_warnings:
        settings = dc_replace(settings, warnings=(*settings.warnings, *hosts_warnings))
    interval = args.interval if args.interval is not None else settings.interval
    console = FleetConsole({n: session.fleet.host(n) for n in session.fleet.names()},
                           session.controllers,
                           intervals={s.name: s.interval for s in session.specs})
    app = JailtuiApp(interval=interval, settings=settings, fleet=console,
                     **_state_options(args))
    return _after_console(app, terminal.run_console(app))


def run_console(session: Session, args: argparse.Namespace) -> int:
    from jailtui import terminal

    # stdin and stdout a terminal, TERM able to draw (jailtui/terminal.py).
    refused = terminal.refusal(os.environ, sys.stdin, sys.stdout)
    if refused is not None:
        return _fail(refused)
    from jailtui.console import collector

    collector.hold()  # until the first data is on screen (console/collector.py)
    terminal.prepare(os.environ, sys.stdout.encoding)
    from jailtui.app import JailtuiApp
    from jailtui.core.config.settings import load_settings

    settings = load_settings(args.config)
    interval = args.interval if args.interval is not None else settings.interval
    app = JailtuiApp(session.host, session.controller, interval=interval, settings=settings,
                     state_host=_state_host(args),
                     **_state_options(args, delegated=session.delegated))
    return _after_console(app, terminal.run_console(app))


def _state_options(args: argparse.Namespace, *, delegated: bool = False) -> dict[str, Any]:
    """The console's state file (core/userstate.py) and --no-state.

    A delegated session runs as root for a user: it keeps no state file (the
    user's file must not steer a root process, nor root write into the user's
    home; docs/security.md 2.9): its notes and choices last the session."""
    from jailtui.core.userstate import StateStore, state_path

    options: dict[str, Any] = {"state": StateStore(None if delegated else state_path())}
    if args.no_state:
        options["remember_view"] = False
    return options


def _state_host(args: argparse.Namespace) -> str:
    """The name a console of one host keeps its notes under: the simulated
    host's directory, the ssh destination or ``local`` (two hosts, two notes)."""
    if args.sim is not None:
        from pathlib import Path

        return f"sim:{Path(args.sim).resolve() if args.sim else default_sim_dir()}"
    if args.host:
        return str(args.host[0])
    return "local"


def _after_console(app: Any, status: int) -> int:
    """What the state file could not take on quit, said once the terminal is back."""
    for warning in app.state.take_warnings():
        print(f"jailtui: {visible(warning, 400)}", file=sys.stderr)
    return status


def _harden_if_delegated(raw: list[str]) -> bool:
    """Before anything else: a sudo/doas session runs isolated and allowlisted.

    Re-exec with ``python -I`` (no PYTHON* variables, no user site, no cwd on
    sys.path; docs/security.md 2.2), then replace the environment, umask
    and cwd before Textual or Rich can read any of it.
    """
    from jailtui.core.actions import harden

    if not harden.privileged_delegation(os.environ, os.geteuid()):
        return False
    if not sys.flags.isolated:
        os.execv(sys.executable, [sys.executable, "-I", "-m", "jailtui", *raw])
    harden.apply()
    return True


#: Global options a delegate may not use: each would widen the scope or
#: point a root process at a file of the caller's choosing.
DELEGATE_FORBIDDEN = ("config", "host", "root")


def _refuse_widening(args: argparse.Namespace) -> str | None:
    for name in DELEGATE_FORBIDDEN:
        if getattr(args, name) is not None:
            return f"--{name} is not available to delegated users"
    if args.command in ("conf", "sim", "doctor") or (
            args.command == "config" and args.init is not None):
        what = "config --init" if args.command == "config" else args.command
        return f"{what}: not available to delegated users"
    if args.sim:
        from jailtui.core.actions.delegation import PolicyError, check_root_owned

        try:
            check_root_owned(args.sim, "simulated host")
        except PolicyError as exc:
            return str(exc)
    if getattr(args, "jail", None) and args.delegate and args.jail != args.delegate:
        return "that jail is not yours"
    return None


#: ``events --kind``: every kind but ``action`` (the console's own actions).
EVENT_KINDS = [k.value for k in Kind if k is not Kind.ACTION]


def main(argv: Sequence[str] | None = None) -> int:
    """The ``jailtui`` command; its exit status.

    A reader that goes away (``jailtui ps | head``) is not an error: what
    is still buffered is dropped instead of failing in the interpreter's
    final flush ("Exception ignored ... BrokenPipeError"), the recipe of
    the Python documentation's "Note on SIGPIPE" (library/signal.html).
    """
    try:
        code = _main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


def _main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    delegated = _harden_if_delegated(raw)
    parser = build_parser()
    args = parser.parse_args(_kill_signal_arg(_split_sim_arg(raw)))
    if delegated:
        refusal = _refuse_widening(args)
        if refusal is not None:
            return _fail(f"jailtui: {refusal}")
    from jailtui.core.config.settings import INTERVAL_RANGE_MESSAGE, MAX_INTERVAL, MIN_INTERVAL

    if args.interval is not None and not MIN_INTERVAL <= args.interval <= MAX_INTERVAL:
        return _fail(f"jailtui: {INTERVAL_RANGE_MESSAGE}")
    try:
        for given in (getattr(args, "jail", None), args.delegate):
            if given is not None:
                check_jail_name(given)
        if args.command == "sim":
            from jailtui.sim.cli import main as sim_main

            sim_dir = args.sim if args.sim else None
            if sim_dir is None and args.sim is not None:
                sim_dir = str(default_sim_dir())
            rest = list(args.sim_args)
            return sim_main(sim_dir if sim_dir is not None else str(default_sim_dir()), rest)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "completion":
            # Before the config rule: a shell's startup must not fail on a
            # config typo; --names reads only the cache.
            return completion.run(args, parser)
        if args.command == "config":
            # Reads the files itself, with the same errors (file and line).
            return config_cmd.run(args)
        # One rule for the config file, for every command (issue 13 item 15):
        # a named file that is missing, or any that is malformed, is an error
        # with the file (and line), before anything else is done.
        from jailtui.core.config.settings import load_settings

        # [keys] too: an unknown id, a key no terminal sends or a key taken
        # twice is an error here, not a key that silently does nothing
        # (issue 13 item 16; console/keys.py, Textual-free). checked_keymap
        # checks the entries and their remaps only: with none there is
        # nothing to refuse, and the key table is not loaded (issue 18).
        settings = load_settings(args.config)
        if settings.keys:
            from jailtui.console.keys import checked_keymap

            checked_keymap(settings)
        if args.command == "doctor":
            from jailtui.core.checks.doctor import run_doctor

            return run_doctor(make_target(args).host)
        if args.command == "conf" and args.file:
            return cmd_conf(None, args)
        if args.command in ("list", "ps", "posture", "events"):
            from jailtui.cli import views
            if args.command == "list":
                return views.list_jails(open_targets(args)[0], as_json=args.json, wide=args.wide)
            if args.command == "ps":
                return views.list_processes(open_targets(args)[0], jail=args.jail,
                                            as_json=args.json, wide=args.wide)
            if args.command == "posture":
                if args.name is not None:
                    check_jail_name(args.name)
                targets, scope = open_targets(args)
                return views.posture(targets, load_settings(args.config).posture, name=args.name,
                                     as_json=args.json, wide=args.wide, scope=scope)
            if args.command == "events":
                from jailtui.core.checks.health import Thresholds

                if args.polls is not None and args.polls < 1:
                    return _fail("jailtui: events: --polls must be 1 or more")
                targets, scope = open_targets(args)
                return views.events(targets, scope=scope, follow=args.follow, as_json=args.json,
                                    jail=args.jail, kinds=args.kind,
                                    interval=args.interval or settings.interval, polls=args.polls,
                                    health_interval=settings.health_interval,
                                    thresholds=settings.thresholds(Thresholds()))
        if args.command is None and args.host and len(specs := host_specs(args) or []) > 1:
            return run_fleet_console(specs, args)
        session = make_session(args)
        if args.command is None:
            return run_console(session, args)
        if args.command == "conf":
            if session.delegated:
                return _fail("jailtui: conf: not available to delegated users")
            return cmd_conf(session.target, args)
        if args.command in ("start", "stop", "restart", "shell", "exec", "kill", "service"):
            return cmd_action(session, args)
        if args.command == "snapshot":
            from jailtui.cli import snapshot_cmd

            return snapshot_cmd.run(session, args)
        if args.command == "restore":
            from jailtui.cli import restore_cmd

            return restore_cmd.run(session, args)
        if args.command == "diff":
            from jailtui.cli import diff_cmd

            return diff_cmd.run(session, args)
        if args.command == "backup":
            from jailtui.cli import backup_cmd

            return backup_cmd.run(session, args)
        if args.command == "quarantine":
            from jailtui.cli import quarantine_cmd

            return quarantine_cmd.run(session, args)
        if args.command == "flags":
            return cmd_flags(session, args)
        if args.command in ("net", "proc"):
            from jailtui.cli import netproc_cmd as np

            return np.run_net(session, args) if args.command == "net" else \
                np.run_proc(session, args)
        if args.command == "rctl":
            from jailtui.cli import rctl_cmd as rctl_run

            return rctl_run.run(session, args)
        return _fail(f"jailtui: {args.command}: not available yet")
    except PolicyDenied as exc:
        return _fail(f"jailtui: {exc}")
    except SettingsError as exc:
        return _fail(f"jailtui: config: {exc}")
    except JailConfError as exc:
        # Worded as jail(8) words it, prefix included (docs/freebsd.md 3.4);
        # our hint, if any, on a line of its own.
        # One line: jail(8)'s text may hold a CR (a 13.x CRLF file), which
        # visible() escapes; splitting it into lines would cut it.
        print(visible(f"jail: {exc}"), file=sys.stderr)
        if exc.hint:
            print(visible(f"jailtui: hint: {exc.hint}"), file=sys.stderr)
        return 1
    except JailtuiError as exc:
        from jailtui.cli.views import error_line

        return _fail(error_line(describe(exc)))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the last boundary: worded, not a traceback
        # What failed and what to do, never a bare type name (issue 13 item 37;
        # core/errors.py describe(): a bug says so and asks to be reported).
        return _fail(f"jailtui: {describe(exc)}")
