"""``list``, ``ps``, ``check`` and ``events`` for one host or several: one code path.

One host is a fleet of one (issue 12): the hosts are polled by
``core.hosts.fleet.Fleet`` whether there is one or ten, every failure is
one line worded by :func:`host_line`, and the only difference several
hosts make is what the output shows: a HOST column, host names in the
title and in every message, and ``check``'s combined summary.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jailtui.cli.output import (
    indented_json,
    jail_json,
    print_table,
    process_json,
    snapshot_title,
)
from jailtui.core.errors import JailtuiError, describe
from jailtui.core.events import Event, Kind, Timeline
from jailtui.core.hosts.fleet import Fleet
from jailtui.core.model import HostSnapshot, Process
from jailtui.core.owners import column_letter
from jailtui.core.text import human_kib, visible


@dataclass(frozen=True, slots=True)
class Targets:
    """The hosts one command works on, as the user may see them."""

    fleet: Fleet

    @property
    def several(self) -> bool:
        """More than one host: a HOST column, host names in every line."""
        return len(self.fleet.names()) > 1


def error_line(message: str) -> str:
    """A message as the command line prints it: ``jailtui: ...`` unless it
    names its own source already (``jls: not found``, ``web1: ...``)."""
    return message if ":" in message.split(" ", 1)[0] else f"jailtui: {message}"


def host_line(name: str, message: str, several: bool) -> str:
    """``web1: <message>`` among several hosts (once: SSH errors already
    start with the host's name); the bare message for one host."""
    if not several or message.startswith(f"{name}: "):
        return message
    return f"{name}: {message}"


def poll(targets: Targets, *, processes: bool = True
         ) -> tuple[list[tuple[str, HostSnapshot]], int]:
    """Poll every host at once; a host that fails is one line on stderr, the
    others still print. (name, snapshot) of the good ones, and the exit
    status: 1 if any host failed. ``processes=False``: no process rows,
    only the jails' aggregates (Host.poll)."""
    statuses = asyncio.run(targets.fleet.poll_all(processes=processes))
    good: list[tuple[str, HostSnapshot]] = []
    status = 0
    for st in statuses:
        if st.error is not None or st.snapshot is None:
            status = 1
            reason = describe(st.error) if st.error is not None else "no answer"
            line = (f"jailtui: {host_line(st.name, reason, several=True)}" if targets.several
                    else error_line(reason))
            print(visible(line), file=sys.stderr)
            continue
        for w in st.snapshot.warnings:
            print(f"jailtui: warning: {visible(host_line(st.name, w, targets.several))}",
                  file=sys.stderr)
        good.append((st.name, st.snapshot))
    return good, status


def _title(targets: Targets, snaps: Sequence[tuple[str, HostSnapshot]], what: str) -> str:
    if not targets.several:
        return snapshot_title(snaps[0][1], what)
    n = len(targets.fleet.names())
    names = ", ".join(visible(name) for name, _ in snaps) or "none reachable"
    return f"{what} on {n} hosts: {names}"


def _table(targets: Targets, title: str, headers: list[str], rows: list[list[str]],
           hosts: list[str], *, right: Sequence[int], shrink: Sequence[int],
           wide: bool) -> None:
    """Print ``rows``, with a HOST column first when there are several hosts."""
    if targets.several:
        headers = ["HOST", *headers]
        rows = [[visible(h), *r] for h, r in zip(hosts, rows, strict=True)]
        right = [i + 1 for i in right]
        shrink = [*(i + 1 for i in shrink), 0]
    print_table(title, headers, rows, right=right, wide=wide, shrink=shrink)


def _json_rows(targets: Targets, rows: list[dict[str, Any]], hosts: list[str]) -> None:
    """JSON rows; among several hosts ``host`` is the host's name in the fleet."""
    if targets.several:
        rows = [{**r, "host": h} for h, r in zip(hosts, rows, strict=True)]
    # One write, not json.dump's one per token (82,000 at 1,000 jails);
    # json.dumps(rows, indent=2)'s text, its leaves by the C encoder.
    sys.stdout.write(indented_json(rows) + "\n")


def _nothing(targets: Targets) -> int:
    """No host answered: the per-host lines said why; no table without rows
    of any host (issue 13 item 47)."""
    if targets.several:
        n = len(targets.fleet.names())
        print(f"jailtui: none of the {n} hosts could be reached", file=sys.stderr)
    return 1


def list_jails(targets: Targets, *, as_json: bool, wide: bool) -> int:
    """``jailtui list``: every jail of every host, like jls(8) with the poll's facts."""
    snaps, status = poll(targets, processes=False)
    if not snaps:
        return _nothing(targets)
    hosts = [name for name, snap in snaps for _ in snap.jails]
    if as_json:
        _json_rows(targets, [jail_json(j, snap) for _, snap in snaps for j in snap.jails], hosts)
        return status
    rows = []
    for _, snap in snaps:
        for j in snap.jails:
            addrs = ", ".join((*j.ip4, *j.ip6))
            # OWN: who manages it, one letter (core/owners; the legend is in the help).
            rows.append([j.state.value, "-" if j.jid is None else str(j.jid), visible(j.name),
                         column_letter(j.owner), visible(j.hostname), visible(addrs),
                         str(j.processes), f"{j.cpu_percent:.1f}", human_kib(j.rss_kib),
                         visible(j.path)])
    _table(targets, _title(targets, snaps, "jails"),
           ["STATE", "JID", "NAME", "OWN", "HOSTNAME", "ADDRESSES", "PROCS", "%CPU", "RSS",
            "PATH"],
           rows, hosts, right=(1, 6, 7, 8), shrink=(9, 5, 4, 2), wide=wide)
    return status


def _missing_jail(targets: Targets, snaps: Sequence[tuple[str, HostSnapshot]],
                  jail: str) -> str:
    """Why ``ps --jail NAME`` has no rows: not found, or not running."""
    if targets.several:
        return f'jail "{jail}" is not running on any host'
    found = snaps[0][1].jail(jail)
    return f'jail "{jail}" {"not found" if found is None else "is not running"}'


def list_processes(targets: Targets, *, jail: str | None, as_json: bool, wide: bool) -> int:
    """``jailtui ps [--jail NAME]``: the processes of every host (or of one jail)."""
    snaps, status = poll(targets)
    if not snaps:
        return _nothing(targets)
    picked: list[tuple[str, HostSnapshot, Process]] = []
    found = False
    for name, snap in snaps:
        procs = snap.processes
        if jail is not None:  # '' is an invalid name, never "every process"
            j = snap.jail(jail)
            if j is None or j.jid is None:
                continue
            found = True
            procs = snap.processes_of(j.jid)
        picked += [(name, snap, p) for p in procs]
    if jail is not None and not found:
        message = _missing_jail(targets, snaps, jail)
        if not targets.several:
            raise JailtuiError(message)
        print(f"jailtui: {visible(message)}", file=sys.stderr)
        status = 1
    hosts = [name for name, _, _ in picked]
    if as_json:
        _json_rows(targets, [process_json(p, snap) for _, snap, p in picked], hosts)
        return status
    rows = [[str(p.pid), str(p.jid), visible(p.jail or "-"), visible(p.user), visible(p.state),
             f"{p.cpu_percent:.1f}", f"{p.mem_percent:.1f}", human_kib(p.rss_kib),
             visible(p.etime), visible(p.command)] for _, _, p in picked]
    what = f"processes of jail {visible(jail)}" if jail else "processes"
    _table(targets, _title(targets, snaps, what),
           ["PID", "JID", "JAIL", "USER", "STAT", "%CPU", "%MEM", "RSS", "ELAPSED", "COMMAND"],
           rows, hosts, right=(0, 1, 5, 6, 7, 8), shrink=(9, 2, 3), wide=wide)
    return status


def check(targets: Targets, th: Any, *, as_json: bool, scope: frozenset[str] | None) -> int:
    """``jailtui check``: plugin output; the worst state of every host wins.

    A host that cannot be evaluated is UNKNOWN with the reason (exit 3),
    never 1; among several hosts it is a finding of its own and the others
    are still checked, and every finding names its host.
    """
    from jailtui.core.checks import health
    from jailtui.core.checks.dying import DyingClock, default_path

    fleet = targets.fleet
    # One clock for every host (entries are keyed by host): loaded and saved
    # on the event loop's one thread.
    dying = DyingClock(default_path())

    async def one(name: str) -> health.Report:
        # Jails' own files are read by health through core/transport/jailfs.py.
        return await health.evaluate(fleet.host(name), th, scope, dying=dying)

    async def every() -> list[health.Report | BaseException]:
        return list(await asyncio.gather(*(one(n) for n in fleet.names()),
                                         return_exceptions=True))

    outcomes = asyncio.run(every())
    for out in outcomes:
        if isinstance(out, BaseException) and not isinstance(out, Exception):
            raise out
    if not targets.several:
        return _check_one(outcomes[0], as_json)
    return _check_several(fleet.names(), outcomes, as_json)


def unknown(reason: str, *, as_json: bool) -> int:
    """``check`` could not judge: UNKNOWN (exit 3) with the reason, never 1
    (the Nagios plugin convention); in JSON too."""
    if as_json:
        json.dump({"status": "UNKNOWN", "exit_code": 3, "error": reason, "findings": []},
                  sys.stdout, indent=2)
        print()
    else:
        print(f"JAILS UNKNOWN - {visible(reason)}")
    return 3


def event_line(e: Event, several: bool) -> str:
    """One event for people: date and time, (host,) jail, kind, what; visible."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.at))
    parts = [stamp, *([visible(e.host, 32)] if several else []),
             f"{visible(e.jail, 64) if e.jail else '-':<16}", f"{e.kind:<14}",
             visible(e.text, 600)]
    return "  ".join(parts)


def events(targets: Targets, *, scope: frozenset[str] | None, follow: bool, as_json: bool,
           jail: str | None, kinds: Sequence[str] | None, interval: float,
           polls: int | None, health_interval: float = 0.0, thresholds: Any = None) -> int:
    """``jailtui events``: the timeline of core/events.py, fed by poll after poll
    of every host (a failed host is an ``unreachable`` event, not a stderr line:
    a script reads one stream). Without ``follow``: one poll; 1 if a host failed.

    With ``follow`` and a ``health_interval`` (``[console] health_interval``,
    as the console): the health check too, on that slower cadence over the
    poll's snapshot, for ``daemon_*`` and ``limit_near`` (its commands are
    the console's, never one per poll).
    """
    from jailtui.core.checks import health
    from jailtui.core.checks.dying import DyingClock

    timeline = Timeline(scope=scope)
    dying = DyingClock()
    checked_at: dict[str, float] = {}

    async def check(name: str, snap: HostSnapshot) -> None:
        now = time.monotonic()
        if not follow or health_interval <= 0 or \
                now - checked_at.get(name, -health_interval) < health_interval:
            return
        checked_at[name] = now
        try:
            report = await health.evaluate(targets.fleet.host(name), thresholds, scope,
                                           snapshot=snap, dying=dying)
        except (JailtuiError, OSError):
            return  # an evaluation that fails says nothing about daemons or limits
        timeline.checked(name, report)
    wanted = frozenset(Kind(k) for k in kinds) if kinds else None
    several = targets.several

    def show(e: Event) -> None:
        if (jail is not None and e.jail != jail) or (wanted is not None and e.kind not in wanted):
            return
        if as_json:
            print(json.dumps(e.as_json()), flush=True)
        else:
            print(event_line(e, several), flush=True)

    timeline.listeners.append(show)

    async def run() -> int:
        done = 0
        while True:
            failed = 0
            for st in await targets.fleet.poll_all():
                if st.error is not None or st.snapshot is None:
                    failed += 1
                    timeline.failed(st.name, describe(st.error) if st.error is not None
                                    else "no answer")
                else:
                    timeline.observe(st.name, st.snapshot)
                    await check(st.name, st.snapshot)
            done += 1
            if not follow:
                return 1 if failed else 0
            if polls is not None and done >= polls:
                return 0
            await asyncio.sleep(interval)

    return asyncio.run(run())


def _check_one(out: Any, as_json: bool) -> int:
    from jailtui.core.checks import health

    if isinstance(out, BaseException):
        return unknown(describe(out), as_json=as_json)
    report: health.Report = out
    if as_json:
        json.dump({"status": report.severity.name, "exit_code": report.exit_code,
                   "host": report.host, "backend": report.backend.lower(),
                   "summary": health.summary_line(report),
                   "jails": {j.name: j.state.value for j in report.jails},
                   "findings": [f.to_json() for f in report.findings]}, sys.stdout, indent=2)
        print()
    else:
        print(visible(health.summary_line(report)))
        for f in sorted(report.findings, key=lambda f: -f.severity):
            print(f"{f.label}: {visible(f.message)}")
    return report.exit_code


def _check_several(names: Sequence[str], outcomes: Sequence[Any], as_json: bool) -> int:
    from jailtui.core.checks import health

    worst = health.Severity.OK
    hosts: dict[str, dict[str, Any]] = {}
    findings: list[tuple[str, health.Finding]] = []
    parts: list[str] = []
    perf: list[str] = []
    for name, out in zip(names, outcomes, strict=True):
        if isinstance(out, BaseException):
            reason = host_line(name, describe(out), several=True)
            f = health.Finding(health.Severity.UNKNOWN, "unknown", None, reason)
            findings.append((name, f))
            worst = max(worst, f.severity)
            hosts[name] = {"status": "UNKNOWN", "exit_code": 3, "error": describe(out),
                           "jails": {}}
            parts.append(f"{name} UNKNOWN")
            continue
        worst = max(worst, out.severity)
        line = health.summary_line(out)
        head, _, data = line.partition(" | ")
        summary = head.split(" - ", 1)[-1]
        hosts[name] = {"status": out.severity.name, "exit_code": out.exit_code,
                       "summary": summary, "jails": {j.name: j.state.value for j in out.jails}}
        findings += [(name, f) for f in out.findings]
        parts.append(f"{name} {out.severity.name} ({summary})")
        perf += [f"{name}_{item}" for item in data.split()]
    summary_line = f"JAILS {worst.name} - {len(names)} hosts: {'; '.join(parts)}"
    if perf:
        summary_line += " | " + " ".join(perf)
    if as_json:
        json.dump({"status": worst.name, "exit_code": worst.exit_code, "summary": summary_line,
                   "hosts": hosts,
                   "findings": [{**f.to_json(), "host": name} for name, f in findings]},
                  sys.stdout, indent=2)
        print()
    else:
        print(visible(summary_line))
        for name, f in sorted(findings, key=lambda nf: -nf[1].severity):
            print(f"{f.label}: {visible(host_line(name, f.message, several=True))}")
    return worst.exit_code


#: How a posture mark is printed (the console uses the same words).
MARKS = {"ok": "OK", "deviates": "DEVIATES", "unknown": "UNKNOWN"}


def posture_row(jp: Any) -> list[str]:
    """One jail of the fleet table: the columns ``jailtui posture`` and ``F`` share."""
    def count(n: int | None) -> str:
        return "?" if n is None else str(n)

    return [visible(jp.name), column_letter(jp.owner), visible(jp.userland or "?"),
            jp.versus_kernel or "?", count(jp.base_vulnerable), count(jp.package_vulnerable),
            "?" if jp.securelevel is None else str(jp.securelevel),
            visible(", ".join(jp.loosened) or "-"), count(jp.missing_flags),
            MARKS[str(jp.mark)]]


POSTURE_HEADERS = ["NAME", "OWN", "USERLAND", "KERNEL", "BASE", "PKGS", "SECLVL", "LOOSENED",
                   "NOFLAGS", "MARK"]


def posture(targets: Targets, baseline: Any, *, name: str | None, as_json: bool,
            wide: bool, scope: frozenset[str] | None) -> int:
    """``jailtui posture [NAME]``: every jail of every host against the baseline
    (core/posture); with NAME, that jail's items. Exit 0, or 1 if a host failed
    or NAME is nowhere; the posture itself is ``check --posture``'s to judge."""
    from jailtui.core.posture.collect import collect

    snaps, status = poll(targets)
    if not snaps:
        return _nothing(targets)

    async def every() -> list[list[Any] | BaseException]:
        async def one(host_name: str, snap: HostSnapshot) -> list[Any]:
            jails = [j for j in snap.jails if (scope is None or j.name in scope)
                     and (name is None or j.name == name)]
            return await collect(targets.fleet.host(host_name), jails, baseline,
                                 host_name=host_name if targets.several else None,
                                 now=snap.taken_at)
        return list(await asyncio.gather(*(one(n, s) for n, s in snaps),
                                         return_exceptions=True))

    results = asyncio.run(every())
    rows: list[Any] = []
    for (host_name, _), got in zip(snaps, results, strict=True):
        if isinstance(got, BaseException):
            if not isinstance(got, Exception):
                raise got
            status = 1
            print(f"jailtui: {visible(host_line(host_name, describe(got), targets.several))}",
                  file=sys.stderr)
            continue
        rows += [(host_name, jp) for jp in got]
    if name is not None and not rows:
        message = (f'jail "{name}" not found' if not targets.several
                   else f'jail "{name}" is on no host')
        raise JailtuiError(message)
    hosts = [h for h, _ in rows]
    if as_json:
        _json_rows(targets, [jp.to_json() for _, jp in rows], hosts)
        return status
    if name is not None:
        for host_name, jp in rows:
            _posture_items(targets, host_name, jp)
        return status
    _table(targets, _title(targets, snaps, "security posture"), POSTURE_HEADERS,
           [posture_row(jp) for _, jp in rows], hosts, right=(4, 5, 6, 8), shrink=(7, 2),
           wide=wide)
    return status


def _posture_items(targets: Targets, host_name: str, jp: Any) -> None:
    where = f" on {visible(host_name)}" if targets.several else ""
    print(f"posture of jail {visible(jp.name)}{where}: {MARKS[str(jp.mark)]}")
    for item in jp.items:
        verdict = {"ok": "ok", "deviates": "DEVIATES", "unknown": "UNKNOWN",
                   "info": "-"}[str(item.verdict)]
        print(f"  {verdict:<8} {visible(item.title)}: {visible(item.value)}")
        if item.reason:
            print(f"           {visible(item.reason)}")
        if item.meaning:
            print(f"           ({visible(item.meaning)})")
