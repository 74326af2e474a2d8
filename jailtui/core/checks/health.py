"""Health findings for monitoring (``jailtui check``) and the console's health view.

The output follows the monitoring-plugin conventions that Nagios, Icinga,
Zabbix and Sensu understand (Monitoring Plugins Development Guidelines):
exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; the first line is
``JAILS <STATE> - <summary> | <perfdata>``, then one line per finding.

A check costs a fixed number of commands, whatever the number of jails: one
poll (jls + ps), one ``jls -n all`` for every running jail's parameters, and,
only where rctl rules exist, one ``rctl -l`` plus one ``rctl -u`` per limited
jail. Enabled daemons come from each jail's own rc.conf, read as a file.
"""

from __future__ import annotations

import contextlib
import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from jailtui.core import drift
from jailtui.core.checks.daemons import NOT_DAEMONS, daemon_programs, missing_daemons
from jailtui.core.checks.dying import DYING_AFTER, DyingClock
from jailtui.core.errors import CommandError, JailtuiError, RacctUnavailable
from jailtui.core.freebsd import jls as jlsmod
from jailtui.core.freebsd import rcconf, rctl
from jailtui.core.freebsd.errors import check as check_result
from jailtui.core.hosts.confsource import ConfiguredJails
from jailtui.core.hosts.protocol import JailHost
from jailtui.core.model import (
    HostSnapshot,
    Jail,
    JailState,
    ParamValue,
    disk_used_percent,
)
from jailtui.core.owners import messages as owner_messages
from jailtui.core.posture.baseline import Baseline


class Severity(enum.IntEnum):
    """Ordered like the plugin exit codes, except UNKNOWN which ranks below CRITICAL."""

    OK = 0
    WARNING = 1
    UNKNOWN = 2
    CRITICAL = 3

    @property
    def exit_code(self) -> int:
        return {Severity.OK: 0, Severity.WARNING: 1, Severity.CRITICAL: 2,
                Severity.UNKNOWN: 3}[self]


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    #: Short machine name: down, dying, daemon-missing, no-processes, rctl,
    #: disk, securelevel, restriction, snapshot-age, config, drift (INFO), unknown.
    kind: str
    jail: str | None
    message: str

    @property
    def label(self) -> str:
        """How the finding is printed: its severity, or INFO for one that changes
        nothing in the exit code (drift: Severity.OK)."""
        return "INFO" if self.severity is Severity.OK else self.severity.name

    def to_json(self) -> dict[str, object]:
        return {"severity": self.label, "kind": self.kind, "jail": self.jail,
                "message": self.message}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Limits a finding is raised at; from flags and the config file's [check]."""

    disk_warn: float = 80.0
    disk_crit: float = 90.0
    rctl_warn: float = 80.0
    rctl_crit: float = 95.0
    #: Lowest securelevel accepted for a running jail; None: not checked.
    min_securelevel: int | None = None
    #: Loosened restrictions to flag (WARNING) when a running jail has them;
    #: none unless the configuration says so (a vpn jail may need raw sockets).
    flag_params: tuple[str, ...] = ()
    #: Check that every daemon a jail's rc.conf enables is running.
    check_daemons: bool = True
    #: Seconds a jail may be dying before it is "stuck dying" (core/checks/dying.py).
    dying_after: float = DYING_AFTER
    #: The security baseline running jails are measured against (``[posture]
    #: in_check`` or ``check --posture``); None: the posture is not evaluated.
    posture: Baseline | None = None
    #: Seconds the newest snapshot of a jail's dataset may be old; 0: not checked.
    snapshot_max_age: float = 0.0


#: Parameters ``--flag`` / ``[check] flag_params`` may name: the allow.* flags
#: (docs/freebsd.md 5.2; allow.mount.<fs> are registered by each file system
#: module, so any of those) and the namespace switches (5.1).
FLAGGABLE_ALLOW = ("adjtime", "chflags", "extattr", "mlock", "mount", "nfsd", "quotas",
                   "raw_sockets", "read_msgbuf", "reserved_ports", "routing", "set_hostname",
                   "setaudit", "settime", "socket_af", "suser", "sysvipc",
                   "unprivileged_parent_tampering", "unprivileged_proc_debug", "vmm")
FLAGGABLE_OTHER = ("vnet", "sysvmsg", "sysvsem", "sysvshm", "persist")
#: FreeBSD's securelevel range (security(7)): -1 (permanently insecure) to 3.
SECURELEVELS = range(-1, 4)


def flaggable(param: str) -> bool:
    """Can ``param`` be flagged (a known boolean-like jail parameter)?"""
    if param in FLAGGABLE_OTHER:
        return True
    rest = param.removeprefix("allow.")
    if rest == param:
        return False
    return rest in FLAGGABLE_ALLOW or (rest.startswith("mount.") and rest[6:].isidentifier())


def threshold_problems(th: Thresholds) -> list[str]:
    """What is wrong with ``th`` (empty: usable). Each names the option (the
    ``--flag`` spelling; the config's [check] keys are the same with ``_``)."""
    out: list[str] = []
    for kind in ("disk", "rctl"):
        warn, crit = getattr(th, f"{kind}_warn"), getattr(th, f"{kind}_crit")
        bad = [(which, value) for which, value in (("warn", warn), ("crit", crit))
               if not (math.isfinite(value) and 0 <= value <= 100)]
        out += [f"--{kind}-{which} {value:g}: a percentage from 0 to 100" for which, value in bad]
        if not bad and warn > crit:
            out.append(f"--{kind}-warn {warn:g} is above --{kind}-crit {crit:g}")
    if th.min_securelevel is not None and th.min_securelevel not in SECURELEVELS:
        out.append(f"--min-securelevel {th.min_securelevel}: securelevels are -1 to 3")
    for param in th.flag_params:
        if not flaggable(param):
            out.append(f"--flag {param}: not a jail parameter that can be flagged "
                       "(allow.* flags, vnet, sysvmsg, sysvsem, sysvshm, persist)")
    return out


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    jails: tuple[Jail, ...] = ()
    host: str = ""
    backend: str = ""
    #: ``rctl -u`` of the jails that have rules, as read for the rctl findings
    #: (the console keeps them in its history, core/history.py observe_rctl).
    rctl_usage: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Those jails' rules as (resource, action, amount), for ``limit_near``
    #: (core/events.py Timeline.checked).
    rctl_rules: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    #: Per running jail whose rc.conf was read: each enabled daemon, running
    #: or not (``daemon_up`` / ``daemon_down`` events).
    daemons: dict[str, dict[str, bool]] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        return max((f.severity for f in self.findings), default=Severity.OK)

    @property
    def exit_code(self) -> int:
        return self.severity.exit_code

    def worst_by_jail(self) -> dict[str, Severity]:
        out: dict[str, Severity] = {}
        for f in self.findings:
            if f.jail is not None:
                out[f.jail] = max(out.get(f.jail, Severity.OK), f.severity)
        return out


def _int(value: ParamValue | None) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value) if not isinstance(value, tuple) else None
    except ValueError:
        return None


def boot_source(j: Jail) -> str:
    """Where "starts at boot" comes from: rc.conf for plain jails, else the owner's own
    flag (Bastille/iocage ``boot``, pot ``start-at-boot`` ...; docs/managers.md 1.0)."""
    if j.owner and j.owner not in ("jail.conf", "unknown"):
        return owner_messages.boot_source(j.owner, j.enabled)
    return "enabled in rc.conf jail_list"


def _enabled(value: ParamValue | None) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes") if value is not None else False


async def evaluate(host: JailHost, thresholds: Thresholds | None = None,
                   scope: frozenset[str] | None = None,
                   snapshot: HostSnapshot | None = None,
                   dying: DyingClock | None = None) -> Report:
    """Every finding on ``host`` (limited to ``scope`` jails for a delegate).

    ``dying`` remembers since when each dying jail is dying (the console's
    for its lifetime, ``check``'s in a file); without one every dying jail
    is new, so none is stuck yet.
    """
    th = thresholds or Thresholds()
    snap = snapshot or await host.poll()
    where = f"{host.label}|{host.name or snap.info.hostname}|{host.paths.root}"
    since = (dying or DyingClock()).observe(where, snap.jails, snap.taken_at)
    jails = tuple(j for j in snap.jails if scope is None or j.name in scope)
    report = Report(jails=jails, host=snap.info.hostname, backend=snap.info.backend)
    add = report.findings.append
    for w in snap.warnings:
        if scope is None:
            add(Finding(Severity.CRITICAL if "jail.conf" in w or "syntax" in w or "line" in w
                        else Severity.WARNING, "config", None, w))
    running = [j for j in jails if j.state is JailState.RUNNING]

    for j in jails:
        if j.state is JailState.STOPPED and j.enabled:
            add(Finding(Severity.CRITICAL, "down", j.name,
                        f"{j.name}: not running ({boot_source(j)})"))
        elif j.state is JailState.DYING and j.jid is not None:
            # Dying for a while after every stop is normal (docs/freebsd.md 5.4).
            age = snap.taken_at - since.get(j.jid, snap.taken_at)
            if age >= th.dying_after:
                add(Finding(Severity.WARNING, "dying", j.name,
                            f"{j.name}: stuck dying for {age / 60:.0f} min (jid {j.jid}, "
                            "kernel resources still held)"))
        elif j.state is JailState.RUNNING and j.processes == 0:
            add(Finding(Severity.WARNING, "no-processes", j.name,
                        f"{j.name}: running with no process"))

    if th.check_daemons:
        for j in running:
            services = await _jail_services(host, j, report)
            if services is None or j.jid is None:
                continue
            scripts = await _rc_scripts(host, j, services)
            missing = missing_daemons(services, snap.processes_of(j.jid), scripts)
            # Only what is looked for in ps (NOT_DAEMONS and knobs without a
            # program are no daemon to see come and go).
            report.daemons[j.name] = {
                svc: svc not in missing for svc in services
                if svc not in NOT_DAEMONS and daemon_programs(svc, scripts.get(svc))}
            for svc in missing:
                add(Finding(Severity.CRITICAL, "daemon-missing", j.name,
                            f"{j.name}: {svc} is enabled in rc.conf but not running"))

    params = await _all_params(host, report)

    # One reading of the configuration for every jail (a cached load still
    # stats every file: 200 running jails made it 200 loads a check).
    conf: list[ConfiguredJails] = []

    def add_drift(name: str, p: Mapping[str, ParamValue]) -> None:
        # Information, not a problem: the exit code stays what the rest says
        # (core/drift.py; docs/freebsd.md 4.4 for what is not a drift).
        with contextlib.suppress(JailtuiError, OSError):
            if not conf:
                conf.append(host.configured())
            for d in drift.compare_configured(host, name, p, configured=conf[0]):
                add(Finding(Severity.OK, "drift", name, f"{name}: drift: {d.text()}"))

    for j in running:
        p = params.get(j.name)
        if p is None:
            continue
        level = _int(p.get("securelevel"))
        if th.min_securelevel is not None and level is not None and level < th.min_securelevel:
            add(Finding(Severity.WARNING, "securelevel", j.name,
                        f"{j.name}: securelevel {level} below the minimum {th.min_securelevel}"))
        for name in th.flag_params:
            if _enabled(p.get(name)):
                add(Finding(Severity.WARNING, "restriction", j.name,
                            f"{j.name}: {name} is enabled"))
        add_drift(j.name, p)

    await _rctl_findings(host, running, th, report)
    if th.snapshot_max_age > 0:
        await _snapshot_findings(host, [j for j in jails if j.state is not JailState.DYING],
                                 th, report, snap.taken_at)

    for j in running:
        du = await host.disk_usage(j.path) if j.path else None
        if du is None or du[1] + du[2] <= 0:
            continue
        pct = disk_used_percent(du[1], du[2])
        if pct >= th.disk_crit:
            add(Finding(Severity.CRITICAL, "disk", j.name,
                        f"{j.name}: file system of {j.path} {pct:.0f}% full"))
        elif pct >= th.disk_warn:
            add(Finding(Severity.WARNING, "disk", j.name,
                        f"{j.name}: file system of {j.path} {pct:.0f}% full"))
    if th.posture is not None and running:
        report.findings += await posture_findings(host, running, th.posture, snap.taken_at)
    return report


async def posture_findings(host: JailHost, running: Sequence[Jail], baseline: Baseline,
                           now: float) -> list[Finding]:
    """Deviations from the security baseline (core/posture): WARNING, or CRITICAL
    for the item groups ``[posture] critical`` names; an item that cannot be
    established is UNKNOWN with its reason."""
    from jailtui.core.posture.collect import baseline_for, collect

    baseline = baseline_for(host, baseline)  # the host's own [posture.hosts.NAME]
    out: list[Finding] = []
    for jp in await collect(host, running, baseline, now=now):
        for item in jp.deviations():
            sev = Severity.CRITICAL if item.group in baseline.critical else Severity.WARNING
            out.append(Finding(sev, "posture", jp.name,
                               f"{jp.name}: {item.title} {item.value}: {item.reason}"))
        for item in jp.unknowns():
            out.append(Finding(Severity.UNKNOWN, "posture", jp.name,
                               f"{jp.name}: {item.title} unknown: {item.reason}"))
    return out


async def _jail_services(host: JailHost, jail: Jail, report: Report) -> list[str] | None:
    """Daemons the jail's own rc.conf enables (its file, read on the host).

    Read through the jail-root reader (core/transport/jailfs.py): what the
    jail's root planted there (a FIFO, a link to /dev/zero or to another
    jail's rc.conf) is an UNKNOWN finding, never a hang or a leak.
    """
    if not jail.path:
        return None
    (got,) = await host.read_jail_files(jail.path, ["etc/rc.conf"])
    if got.missing:
        return None
    text = got.text()
    if text is None:
        report.findings.append(Finding(Severity.UNKNOWN, "unknown", jail.name,
                                       f"{jail.name}: daemons not checked: {got.why()}"))
        return None
    return rcconf.enabled_services(rcconf.parse(text))


#: Where rc(8) finds a service's script: the base system, then ports
#: (rc.conf(5) local_startup).
RC_DIRS = ("etc/rc.d/", "usr/local/etc/rc.d/")


async def _rc_scripts(host: JailHost, jail: Jail, services: Sequence[str]) -> dict[str, str]:
    """The jail's rc.d script of each service that has one (base system first).

    A script that cannot be read safely is left out: the table or the
    service's name decides what to look for instead.
    """
    rels = [d + svc for svc in services for d in RC_DIRS]
    got = await host.read_jail_files(jail.path, rels)
    out: dict[str, str] = {}
    for rel, fr in zip(rels, got, strict=True):
        svc = rel.rsplit("/", 1)[-1]
        text = fr.text()
        if svc not in out and text is not None:
            out[svc] = text
    return out


async def _all_params(host: JailHost, report: Report) -> dict[str, dict[str, ParamValue]]:
    """Parameters of every running jail in one ``jls -n all`` (no per-jail fork)."""
    try:
        res = check_result(await host.runner.run(jlsmod.jls_params_argv(["all"]), timeout=15))
        rows = jlsmod.parse_jls_params(res.stdout)
    except (CommandError, JailtuiError) as exc:
        report.findings.append(Finding(Severity.UNKNOWN, "unknown", None,
                                       f"jail parameters unavailable: {exc}"))
        return {}
    return {str(r.get("name")): r for r in rows if "name" in r}


async def _snapshot_findings(host: JailHost, jails: Sequence[Jail], th: Thresholds,
                             report: Report, now: float) -> None:
    """A jail on a dataset of its own whose newest snapshot is older than
    ``snapshot_max_age`` (or that has none): two commands for every jail
    (``mount -p``, ``zfs list``) and one for all snapshots (docs/freebsd.md 12.2)."""
    from jailtui.core.freebsd.argv import zfs_all_snapshots_argv
    from jailtui.core.storage.locate import locate
    from jailtui.core.storage.snapshots import age_text, read_tables
    from jailtui.core.storage.zfs import parse_snapshots

    try:
        datasets, mounts = await read_tables(host.runner)
        if not datasets:
            return
        res = check_result(await host.runner.run(zfs_all_snapshots_argv(), timeout=60))
        newest: dict[str, tuple[int, str]] = {}
        for s in parse_snapshots(res.stdout):
            if s.creation >= newest.get(s.dataset, (-1, ""))[0]:
                newest[s.dataset] = (s.creation, s.name)
    except (CommandError, JailtuiError) as exc:
        report.findings.append(Finding(Severity.UNKNOWN, "unknown", None,
                                       f"snapshots unavailable: {exc}"))
        return
    limit = age_text(th.snapshot_max_age)
    for j in jails:
        where = locate(j.path, datasets, mounts) if j.path else None
        if where is None or where.dataset is None:
            continue
        last = newest.get(where.dataset.name)
        if last is None:
            report.findings.append(Finding(
                Severity.WARNING, "snapshot-age", j.name,
                f"{j.name}: no snapshot of {where.dataset.name} (snapshot_max_age {limit})"))
        elif now - last[0] > th.snapshot_max_age:
            report.findings.append(Finding(
                Severity.WARNING, "snapshot-age", j.name,
                f"{j.name}: newest snapshot {last[1]} is {age_text(now - last[0])} old "
                f"(snapshot_max_age {limit})"))


_RULE_RESOURCE = re.compile(r"^[a-z]+$")


async def _rctl_findings(host: JailHost, running: Sequence[Jail], th: Thresholds,
                         report: Report) -> None:
    """rctl usage near a limit: ``rctl -l`` rules against ``rctl -u`` usage."""
    try:
        res = await host.runner.run(rctl.rctl_rules_argv(), timeout=10)
    except CommandError:
        return  # no rctl(8) on this host: nothing to compare
    if res.returncode != 0:
        try:
            check_result(res)
        except RacctUnavailable:
            return  # racct disabled: limits cannot be checked (the detail view says so)
        except JailtuiError as exc:
            report.findings.append(Finding(Severity.UNKNOWN, "unknown", None, f"rctl: {exc}"))
        return
    rules = [r for r in rctl.parse_rctl_rules(res.stdout) if r.subject == "jail"]
    names = {j.name for j in running}
    for name in sorted({r.subject_id for r in rules} & names):
        try:
            usage = await host.rctl_usage(name)
        except JailtuiError:
            continue
        report.rctl_usage[name] = usage
        report.rctl_rules[name] = [(r.resource, r.action, r.amount)
                                   for r in rules if r.subject_id == name]
        for rule in (r for r in rules if r.subject_id == name):
            if rule.action not in ("deny",) and not rule.action.startswith("sig"):
                continue
            used = usage.get(rule.resource)
            if used is None or rule.amount <= 0:
                continue
            pct = 100.0 * used / rule.amount
            sev = (Severity.CRITICAL if pct >= th.rctl_crit else
                   Severity.WARNING if pct >= th.rctl_warn else None)
            if sev is not None:
                add_msg = (f"{name}: {rule.resource} at {pct:.0f}% of its limit "
                           f"({used} of {rule.amount})")
                report.findings.append(Finding(sev, "rctl", name, add_msg))


def summary_line(report: Report) -> str:
    """``JAILS CRITICAL - 6 running, 1 down: web | running=6;;; stopped=2;;; ...``"""
    counts = {s: 0 for s in JailState}
    for j in report.jails:
        counts[j.state] += 1
    down = sorted({f.jail for f in report.findings if f.kind == "down" and f.jail})
    parts = [f"{counts[JailState.RUNNING]} running"]
    if down:
        parts.append(f"{len(down)} down: {', '.join(down)}")
    if counts[JailState.DYING]:
        parts.append(f"{counts[JailState.DYING]} dying")
    others = [f for f in report.findings if f.kind != "down" and f.severity is not Severity.OK]
    if others:
        parts.append(f"{len(others)} other finding{'s' if len(others) != 1 else ''}")
    infos = [f for f in report.findings if f.severity is Severity.OK]
    if infos:
        parts.append(f"{len(infos)} info")
    crit = sum(1 for f in report.findings if f.severity is Severity.CRITICAL)
    warn = sum(1 for f in report.findings if f.severity is Severity.WARNING)
    perf = (f"running={counts[JailState.RUNNING]};;; stopped={counts[JailState.STOPPED]};;; "
            f"dying={counts[JailState.DYING]};;; critical={crit};;; warning={warn};;;")
    return f"JAILS {report.severity.name} - {', '.join(parts)} | {perf}"
