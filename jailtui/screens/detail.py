"""One jail in full: parameters and what they restrict, disk, config, rctl, logins, services.

The overview comes from the live snapshot (no command of its own) and
follows every poll. The slow facts each load in their own worker
(``jls -n all``, ``rctl -u``, ``jexec who``, ``service -j -e``, statvfs,
the jail.conf block) so the screen is usable at once; each section shows
"loading…", then its data or its own error. They load again when the jail
restarts (new jid) or on ``r``.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from jailtui.console.keys import bindings_for
from jailtui.core.drift import DriftReport
from jailtui.core.errors import RacctUnavailable, describe
from jailtui.core.events import KIND_WIDTH
from jailtui.core.freebsd.rctl import RctlRule, amount_text
from jailtui.core.history import (
    BUCKETS,
    METRICS,
    RCTL_METRICS,
    Trend,
    cpu_spark,
    span_text,
    spark,
)
from jailtui.core.model import HostSnapshot, Jail, JailState, ParamValue, disk_used_percent
from jailtui.core.network import NetworkInfo
from jailtui.core.owners import title
from jailtui.core.posture.model import JailPosture
from jailtui.core.storage.locate import JailStorage
from jailtui.core.text import human_bytes, human_kib, one_line, visible
from jailtui.core.userstate import NOTE_MAX
from jailtui.screens.contracts import Login
from jailtui.screens.guard import GuardedScreen
from jailtui.screens.posture import Unavailable, collect_for, summary
from jailtui.widgets.cells import addresses, age_text, jid_text, percent, state_label
from jailtui.widgets.detail_section import DetailSection
from jailtui.widgets.glyphs import glyphs
from jailtui.widgets.jobs import job
from jailtui.widgets.key_footer import KeyFooter
from jailtui.widgets.param_docs import ALLOW, DEFAULT_ON, RESTRICTIONS, as_bool, as_text, explain
from jailtui.widgets.poll_state import PollState
from jailtui.widgets.status_bar import StatusBar

Part = str | tuple[str, str]

#: rctl resources measured in bytes (rctl(8)); the others are counts,
#: seconds or (pcpu) a percentage.
_RCTL_BYTES = frozenset({"datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked",
                         "vmemoryuse", "swapuse", "msgqsize", "shmsize", "readbps", "writebps"})

#: Rows of sections, top to bottom. From 120 cells wide the sections of a
#: row sit side by side; narrower, every section takes the whole width
#: (app.tcss: ``Screen.-narrow .pair { layout: vertical }``). Rows rather
#: than a grid: a grid with ``grid-rows: auto`` and ``column-span`` left
#: large gaps under spanning cells (Textual 8.2.8, seen in tmux).
LAYOUT: tuple[tuple[tuple[str, str], ...], ...] = (
    (("overview", "Overview"), ("posture", "Posture (S: every item)")),
    (("config", "Configuration"),),
    (("network", "Network (jls, ifconfig, sockstat -l, pfctl rdr)"),),
    (("history", "History (this session: CPU, memory, processes; rctl where limited)"),),
    (("events", "Events of the jail (this session; E: every event)"),),
    (("restrictions", "Restrictions (jls -n)"),),
    (("rctl", "Resource usage (rctl -u)"), ("disk", "Disk")),
    (("limits", "rctl limits (%: add, change, remove)"),
     ("drift", "Drift (configured vs running)")),
    (("storage", "Where it lives (mount -p, zfs list)"),),
    (("who", "Logged in (who)"), ("services", "Services (service -e)")),
    (("params", "All parameters (jls -n all)"),),
)


def _rctl_value(resource: str) -> Callable[[float], str]:
    """How an rctl resource's sample reads in the History section."""
    if resource in _RCTL_BYTES:
        return lambda v: human_bytes(int(v))
    if resource == "pcpu":
        return lambda v: f"{v:.0f}%"
    return lambda v: f"{v:.0f}"


#: What a dying jail is, where users meet it (README "Dying jails" says the same).
DYING_EXPLAINED = ("The jail is dying: it was stopped and its processes are gone, but the "
                   "kernel keeps it, with its jid, until nothing refers to it any more "
                   "(connections in TIME_WAIT, open files), which can take seconds to many "
                   "minutes. It needs no action: the jail can be started again meanwhile, "
                   "and it is reported as stuck only after [check] dying_after.")


class DetailScreen(GuardedScreen):
    """The detail of one jail, by name (the jid may change while it is open)."""

    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("detail"))
    # -narrow / -wide on this screen (app.tcss: two columns of sections from
    # 120 cells). Here, not on the App: Textual gives every screen the App's
    # breakpoints (src/textual/screen.py Screen._on_resize), and the class it
    # set on the main screen's first resize restyled all its widgets before
    # the first frame, for no rule (issue 18: start). Screen declares it
    # without ClassVar, so it is overridden the same way.
    HORIZONTAL_BREAKPOINTS: list[tuple[int, str]] | None = [
        (0, "-narrow"), (120, "-wide")]

    def __init__(self, jail_name: str, *, dying_jid: int | None = None) -> None:
        super().__init__(id="detail")
        self.jail_name = jail_name
        #: The detail of a dying row: that jail, found by jid (the live or
        #: configured jail of the same name has its own row and detail).
        self.dying_jid = dying_jid
        self._jail: Jail | None = None
        #: (state, jid) the slow facts were loaded for.
        self._loaded_for: tuple[JailState, int | None] | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static("", id="detail-title", markup=False)
        with VerticalScroll(id="detail-body"):
            for row in LAYOUT:
                with Horizontal(classes="pair"):
                    for key, title in row:
                        yield DetailSection(title, id=f"sec-{key}")
        yield KeyFooter()

    def section(self, key: str) -> DetailSection:
        return self.query_one(f"#sec-{key}", DetailSection)

    def selected_jail(self) -> Jail | None:
        return self._jail

    # -- live part -------------------------------------------------------------------

    def on_mount(self) -> None:
        self.console.poll_signal.subscribe(self, self.apply, immediate=True)
        self.apply(self.console.poll_state)
        self.query_one("#detail-body").focus()

    def apply(self, state: PollState) -> None:
        snap = state.snapshot
        jail = self._find(snap)
        self._jail = jail
        self._draw_title(jail, snap)
        self._draw_overview(jail, snap)
        self._draw_history(jail)
        self._draw_events(jail)
        ident = (jail.state, jail.jid) if jail is not None else None
        if ident != self._loaded_for and snap is not None:
            self._loaded_for = ident
            self.load_slow_facts()
        self.refresh_bindings()

    def action_note(self) -> None:
        """``m``: the jail's note; the Overview shows it once written."""
        jail = self._jail
        if jail is None:
            self.app.notify("The jail is gone: no note to write.", severity="warning",
                            markup=False, timeout=4)
            return
        self.console.edit_note(jail, done=lambda: self._draw_overview(
            self._jail, self.console.poll_state.snapshot))

    def _find(self, snap: HostSnapshot | None) -> Jail | None:
        if snap is None:
            return None
        if self.dying_jid is None:
            return snap.jail(self.jail_name)
        return next((j for j in snap.dying_jails() if j.jid == self.dying_jid), None)

    def _draw_title(self, jail: Jail | None, snap: HostSnapshot | None) -> None:
        title = self.query_one("#detail-title", Static)
        name = visible(self.jail_name, 128)
        if jail is None:
            text = "waiting for data…" if snap is None else \
                "no longer exists (not running, not in jail.conf)"
            title.update(Content.assemble(("Jail ", "bold"), (name, "bold $text-accent"),
                                          "  ", (text, "$warning")))
            return
        label, _role = state_label(jail.state)
        style = {"running": "$success", "dying": "$warning"}.get(label, "$foreground-muted")
        parts: list[Part] = [("Jail ", "bold"), (name, "bold $text-accent")]
        if jail.host_name is not None:  # a console of many hosts: which one
            parts += [" on ", (visible(jail.host_name, 32), "bold")]
        parts += ["  ", (label, f"bold {style}")]
        if jail.jid is not None:
            parts.append(f"  jid {jail.jid}")
        title.update(Content.assemble(*parts))

    def _draw_overview(self, jail: Jail | None, snap: HostSnapshot | None) -> None:
        sec = self.section("overview")
        if jail is None:
            if snap is None:
                sec.show_loading()
            else:
                sec.note("The jail is gone: it is not running and not in the configuration.")
            return
        label, _ = state_label(jail.state)
        rows: list[tuple[str, list[Part]]] = [
            ("state", [label, f"  jid {jid_text(jail.jid)}",
                       ("  starts at boot" if jail.enabled else "  not started at boot",
                        "$foreground-muted")]),
            ("hostname", [visible(jail.hostname, 256) or "-"]),
            ("path", [visible(jail.path, 1024) or "-"]),
        ]
        note = self.console.state.note(self.console.note_host(jail.host_name), jail.name)
        if note:
            # The user's own words (m), literally: core/userstate.py.
            rows.insert(0, ("note", [(visible(note, NOTE_MAX), "bold $text-accent")]))
        addrs = addresses(jail)
        if addrs:
            for i, a in enumerate(addrs):
                rows.append(("addresses" if i == 0 else "", [visible(a, 64)]))
        else:
            rows.append(("addresses", [("none (inherits the host's, or VNET)", "$foreground-muted")]))
        if jail.state is not JailState.STOPPED:
            rows.append(("processes", [str(jail.processes), ("   CPU ", "$foreground-muted"),
                                       f"{percent(jail.cpu_percent)}%",
                                       ("   memory ", "$foreground-muted"),
                                       f"{human_kib(jail.rss_kib)} RSS"]))
        if jail.owner:
            owner: list[Part] = [title(jail.owner)]
            if jail.owner_name and jail.owner_name != jail.name:
                owner += [("   its name ", "$foreground-muted"), visible(jail.owner_name, 128)]
            rows.append(("owner", owner))
            if jail.owner_reason:
                rows.append(("", [(visible(jail.owner_reason, 512), "$foreground-muted")]))
        if jail.configured and jail.conf_file:
            rows.append(("config", [visible(jail.conf_file, 1024)]))
            if jail.boot_source:
                # Which rc.conf file (rc.conf, rc.conf.local, rc.conf.d/jail)
                # decided "starts at boot" (docs/freebsd.md 8.1).
                rows.append(("boot", [(visible(jail.boot_source, 1024), "$foreground-muted")]))
        else:
            rows.append(("config", [("not in jail.conf (created by hand)", "$foreground-muted")]))
        # Fitted: a long boot source or owner reason wraps under its value,
        # not to column 0 (issue 13 item 35).
        sec.show_fitted(lambda total: _rows(rows, total=total))

    def _draw_events(self, jail: Jail | None) -> None:
        """The jail's own events (core/events.py), newest first: created, restarted,
        dying, removed, and every action on it with its result."""
        fleet = self.console.fleet
        host = (jail.host_name if jail is not None else None) or fleet.names()[0]
        events = fleet.timeline.events(jail=self.jail_name, host=host)[-EVENTS_SHOWN:]
        sec = self.section("events")
        if not events:
            sec.note("Nothing yet: events appear as the console sees them.")
            return
        g = glyphs()
        rows: list[tuple[str, list[Part]]] = []
        for e in reversed(events):
            mark = "" if e.ok is None else (g.ok if e.ok else g.bad) + " "
            style = "$error" if e.ok is False else "$foreground"
            rows.append((time.strftime("%H:%M:%S", time.localtime(e.at)),
                         [(f"{e.kind:<{KIND_WIDTH}} ", "$foreground-muted"),
                          (mark + visible(e.text, 300), style)]))
        sec.show(_rows(rows, width=10))

    def _draw_history(self, jail: Jail | None) -> None:
        """Graphs of the session's samples (core/history.py), the time axis under them."""
        sec = self.section("history")
        fleet = self.console.fleet
        host = (jail.host_name if jail is not None else None) or fleet.names()[0]
        history = fleet.history
        # The section spans the screen; the label column (11), the figures after
        # the graph (28: "  now 1023.4M  peak 1023.4M") and the borders, padding
        # and scrollbar (8) take the rest.
        width = max(10, min(BUCKETS, self.app.size.width - 11 - 28 - 8))
        trends = {m: history.resampled(host, self.jail_name, m, width) for m in METRICS}
        cpu = trends["cpu"]
        if cpu is None or not cpu.known:
            sec.note("No samples yet: the console keeps this jail's CPU, memory and process "
                     "count from its polls while it runs ([console] history).")
            return
        levels = glyphs().spark

        def figures(trend: Trend, show: Callable[[float], str]) -> str:
            now, peak = trend.latest, trend.peak
            return (f"  now {show(now) if now is not None else '-'}"
                    f"  peak {show(peak) if peak is not None else '-'}")

        rows: list[tuple[str, list[Part]]] = []
        for metric, label, show in (
                ("cpu", "CPU%", lambda v: f"{v:.1f}"),
                ("mem", "memory", lambda v: human_kib(int(v))),
                ("procs", "processes", lambda v: f"{v:.0f}")):
            trend = trends[metric]
            if trend is None:
                continue
            line = cpu_spark(trend, levels) if metric == "cpu" else spark(trend.points,
                                                                          levels=levels)
            rows.append((label, [(line, "$accent"), (figures(trend, show),
                                                     "$foreground-muted")]))
        # rctl -u where racct is on and the jail has rules (the health check's
        # samples, every [console] health_interval): what ps cannot show.
        for metric in RCTL_METRICS:
            trend = history.rctl_resampled(host, self.jail_name, metric, width)
            if trend is None or not trend.known:
                continue
            show = _rctl_value(metric)
            rows.append((metric, [(spark(trend.points, levels=levels), "$accent"),
                                  (figures(trend, show), "$foreground-muted")]))
        span = span_text(history.window)
        axis = f"-{span}".ljust(width - 3) + "now"
        if width >= 24:
            half = f"-{span_text(history.window / 2)}"
            mid = width // 2 - len(half) // 2
            axis = axis[:mid] + half + axis[mid + len(half):]
        rows.append(("", [(axis, "$foreground-muted")]))
        sec.show(_rows(rows))

    # -- slow facts ------------------------------------------------------------------

    def action_reload(self) -> None:
        self.console.poll_now()
        self.load_slow_facts()

    def load_slow_facts(self) -> None:
        """Start one worker per section; each replaces its own "loading…"."""
        jail = self._jail
        name = self.jail_name
        running = jail is not None and jail.state is JailState.RUNNING
        host = self.console.host
        not_running = "The jail is not running: this is only known while it runs."
        if running:
            self._load("restrictions", lambda: host.jail_params(name), self._show_params)
            self._load("rctl", lambda: host.rctl_usage(name), self._show_rctl)
            self._load("drift", lambda: host.drift(name), self._show_drift)
            self._load("who", lambda: host.who(name), self._show_who)
            self._load("services", lambda: host.services(name), self._show_services)
            if jail is not None:
                this_jail = jail
                self._load("network", lambda: host.network(this_jail), self._show_network)
        elif jail is not None and jail.state is JailState.DYING:
            # The explanation once; the other sections only say why they are empty.
            self.section("restrictions").note(DYING_EXPLAINED)
            for key in ("params", "rctl", "who", "services", "network", "limits", "drift"):
                self.section(key).note("Not known for a dying jail.")
        else:
            for key in ("restrictions", "params", "rctl", "who", "services"):
                self.section(key).note(not_running)
            self._show_configured_addresses(jail)
            self.section("drift").note("Only a running jail can differ from its "
                                       "configuration.")
        if jail is None or jail.state is not JailState.DYING:
            # The kernel keeps a stopped jail's rules by name for its next start.
            self._load("limits", lambda: host.rctl_rules(name), self._show_limits)
        if jail is not None and jail.path and jail.state is not JailState.DYING:
            this = jail
            self._load("posture", lambda: self._posture(this), self._show_posture)
        else:
            self.section("posture").note("No posture for a jail without a root, or dying.")
        if jail is not None and jail.path:
            path = jail.path
            self._load("disk", lambda: host.disk_usage(path), self._show_disk)
        else:
            self.section("disk").note("No path known for this jail.")
        self._load("config", lambda: self._config_block(name), self._show_config)
        controller = self.console.controller_for(self.console_host_name())
        if controller is not None and jail is not None and jail.path:
            self._load("storage", lambda: controller.storage(name, jail), self._show_storage)
        else:
            self.section("storage").note("Not known in this session.")

    def console_host_name(self) -> str | None:
        return self._jail.host_name if self._jail is not None else None

    def _show_storage(self, where: JailStorage | None) -> None:
        sec = self.section("storage")
        if where is None:
            sec.note("Nothing in the mount table holds this jail's root.")
            return
        rows: list[tuple[str, Sequence[Part]]] = []
        ds = where.dataset
        if ds is not None:
            rows.append(("dataset", [(visible(ds.name, 200), "bold")]))
            rows.append(("space", [f"{human_bytes(ds.used)} used, "
                                   f"{human_bytes(ds.refer)} referenced, quota "
                                   f"{human_bytes(ds.quota) if ds.quota else 'none'}, "
                                   f"{human_bytes(ds.avail)} free"]))
            if ds.origin:
                rows.append(("clone of", [visible(ds.origin, 200)]))
            for c in where.children:
                rows.append(("child", [visible(c.name, 200), (f"  {human_bytes(c.used)} used",
                                                             "$foreground-muted")]))
            rows.append(("snapshots", [("z lists, takes and destroys them",
                                        "$foreground-muted")]))
        else:
            rows.append(("file system", [(visible(where.summary(), 300), "bold")]))
            rows.append(("snapshots", [("none: the root is not a ZFS dataset of its own",
                                        "$foreground-muted")]))
        sec.show(_rows(rows, width=12))

    async def _posture(self, jail: Jail) -> JailPosture | str:
        """The S screen's collection for this one jail (screens/posture.py collect_for)."""
        try:
            got = await collect_for(self.console, jail.host_name, [jail])
        except Unavailable as exc:
            return str(exc)
        return got[0] if got else "no posture for this jail"

    def _show_posture(self, got: JailPosture | str) -> None:
        sec = self.section("posture")
        if isinstance(got, str):
            sec.note(got)
        else:
            sec.show_fitted(lambda width: summary(got, width))

    async def _config_block(self, name: str) -> tuple[str, int, str] | None:
        # config_block() reads jail.conf through the host's stat cache; it is
        # quick, but keep it in the worker with the others.
        return self.console.host.config_block(name)

    def _load(self, key: str, fetch: Callable[[], Awaitable[Any]],
              show: Callable[[Any], None]) -> None:
        sec = self.section(key)
        sec.show_loading()
        if key == "restrictions":
            self.section("params").show_loading()

        async def run() -> None:
            try:
                value = await fetch()
            except RacctUnavailable as exc:
                what = "no limit applies" if key == "limits" else "there is no usage to show"
                sec.note(f"Resource accounting (racct) is not enabled on this host, so {what}. "
                         "Enable it with kern.racct.enable=1 in "
                         "/boot/loader.conf and reboot.  rctl said: " + one_line(exc.message))
                return
            except Exception as exc:  # every failure belongs in its section
                message = describe(exc)
                sec.fail(message)
                if key == "restrictions":
                    self.section("params").fail(message)
                return
            show(value)

        # The function, not run(): a worker cancelled before it starts (a
        # reload, exclusive=True) would leave a never-awaited coroutine.
        self.run_worker(job(run), group=f"detail-{key}", exclusive=True, exit_on_error=False,
                        description=f"load {key} of a jail")

    def _show_params(self, params: dict[str, ParamValue]) -> None:
        lines: list[tuple[str, list[Part]]] = []
        flags = sorted(k for k in params if k.startswith("allow."))
        names = [n for n in RESTRICTIONS if n in params]
        width = max((len(n) for n in (*names, *flags)), default=10) + 2
        for name in names:
            value = visible(as_text(params[name]), 64) or '""'
            lines.append((name, [(f"{value:<12}", "bold"),
                                 (explain(name, params[name]) or "", "$foreground-muted")]))
        for name in flags:
            on = as_bool(params[name])
            meaning = ALLOW.get(name, "")
            if on is None:
                mark: Part = (visible(as_text(params[name]), 32), "bold")
            elif on:
                # A permission beyond the defaults loosens the jail: warn.
                mark = (f"{glyphs().ok} permitted ", "bold $success" if name in DEFAULT_ON else "bold $warning")
            else:
                mark = (f"{glyphs().bad} denied    ", "$foreground-muted")
            lines.append((visible(name, 64), [mark, (meaning, "$foreground-muted")]))
        self.section("restrictions").show_fitted(
            lambda total: _rows(lines, width=width, total=total))
        # One paragraph like ``jls -n`` prints it; it wraps between parameters.
        everything = [Content.assemble((visible(k, 128), "$text-accent"),
                                       "=", visible(as_text(v), 512) or '""')
                      for k, v in params.items()]
        self.section("params").show(Content("  ").join(everything))

    def _show_disk(self, usage: tuple[int, int, int] | None) -> None:
        sec = self.section("disk")
        path = visible(self._jail.path if self._jail else "", 1024)
        if usage is None:
            sec.note(f"No usage for {path} (the path does not exist on the host?).")
            return
        total, used, free = usage
        pct = disk_used_percent(used, free)
        filled = round(pct / 5)
        role = "$error" if pct >= 90 else "$warning" if pct >= 80 else "$success"
        sec.show(Content.assemble(
            ("█" * filled, role), ("░" * (20 - filled), "$foreground-muted"), f" {pct:.0f}%\n",
            f"{human_bytes(used)} used of {human_bytes(total)}, {human_bytes(free)} free\n",
            (f"file system of {path} (on ZFS: the dataset's view)", "$foreground-muted")))

    def _show_config(self, block: tuple[str, int, str] | None) -> None:
        sec = self.section("config")
        if block is None:
            sec.note("Not in jail.conf or jail.conf.d: this jail was created by hand "
                     "(jail -c) or by another tool.")
            return
        file, line, text = block
        lines = [Content.assemble((f"{visible(file, 1024)} line {line}", "$foreground-muted"))]
        for i, raw in enumerate(text.expandtabs(4).splitlines()):
            lines.append(Content.assemble((f"{line + i:>5} ", "$foreground-muted"), visible(raw, 1024)))
        sec.show(Content("\n").join(lines))

    def _show_rctl(self, usage: dict[str, int]) -> None:
        if not usage:
            self.section("rctl").note("rctl reported nothing for this jail.")
            return
        rows = []
        zero = [visible(k, 32) for k, v in usage.items() if v == 0]
        for key, value in usage.items():
            if value == 0:
                continue
            if key in _RCTL_BYTES:
                shown = human_bytes(value)
            elif key == "pcpu":
                shown = f"{value}%"
            elif key in ("cputime", "wallclock"):
                # rctl(8) counts seconds: "wallclock 1052129s" said little.
                shown = age_text(value)
            else:
                shown = str(value)
            rows.append((visible(key, 32), shown))
        cells = [Content.assemble((f"{k:<16}", "$foreground-muted"), f"{v:>8}") for k, v in rows]
        # Two per line fit half of a 120-cell screen; the zeros in one line.
        lines = [Content("    ").join(cells[i:i + 2]) for i in range(0, len(cells), 2)]
        if zero:
            lines.append(Content.styled("zero: " + ", ".join(zero), "$foreground-muted"))
        self.section("rctl").show(Content("\n").join(lines))

    def _show_limits(self, rules: Sequence[RctlRule]) -> None:
        sec = self.section("limits")
        if not rules:
            sec.note("No rctl rules: nothing limits this jail beyond the host's own limits. "
                     "% adds one.")
            return
        lines = [Content.assemble((f"{visible(r.resource, 32):<16}", "$foreground-muted"),
                                  (f"{visible(r.action, 16):<9}", "bold"),
                                  f"{amount_text(r):>10}") for r in rules]
        sec.show(Content("\n").join(lines))

    def _show_drift(self, report: DriftReport) -> None:
        sec = self.section("drift")
        if not report.drifts:
            note = "None: the running parameters are what the configuration says."
            if report.notes:
                note += "  " + "; ".join(one_line(n, 200) for n in report.notes)
            # An answer, not a missing one: shown, not a note.
            sec.show(Content.styled(note, "$success" if not report.notes else ""))
            return
        lines: list[Content] = []
        for d in report.drifts:
            lines.append(Content.assemble((visible(d.param, 48), "bold $warning"), "  ",
                                          (visible(d.source, 80), "$foreground-muted")))
            lines.append(Content.assemble(("  configured ", "$foreground-muted"),
                                          visible(d.configured or "(empty)", 300)))
            lines.append(Content.assemble(("  running    ", "$foreground-muted"),
                                          visible(d.running or "(empty)", 300)))
        lines.append(Content.styled("Restart the jail to apply the configuration "
                                    "(R), or edit it back (e).", "$foreground-muted"))
        sec.show(Content("\n").join(lines))

    def _show_who(self, logins: Sequence[Login]) -> None:
        if not logins:
            self.section("who").note("Nobody is logged in.")
            return
        lines = []
        for login in logins:
            host = login.host
            lines.append(Content.assemble(
                (f"{visible(login.user, 32):<10}", "bold"), f" {visible(login.line, 32):<8}",
                f" {visible(login.time, 32)}",
                (f"  from {visible(host, 128)}" if host else "", "$foreground-muted")))
        self.section("who").show(Content("\n").join(lines))

    def _show_configured_addresses(self, jail: Jail | None) -> None:
        """A stopped jail has no sockets nor interfaces: only what its configuration
        says it will have."""
        sec = self.section("network")
        if jail is None or not (jail.ip4 or jail.ip6):
            sec.note("The jail is not running: its sockets and interfaces exist only "
                     "while it runs.")
            return
        rows: list[tuple[str, Sequence[Part]]] = [
            ("addresses", [visible(", ".join((*jail.ip4, *jail.ip6)), 512),
                           ("  (configured; not running)", "$foreground-muted")])]
        sec.show(_rows(rows, width=12))

    def _show_network(self, info: NetworkInfo) -> None:
        """Addresses, VNET interfaces, listening sockets, rdr rules (core/network.py);
        a part that could not be read says why on its own line."""
        rows: list[tuple[str, Sequence[Part]]] = []
        muted = "$foreground-muted"
        if info.vnet:
            rows.append(("stack", ["VNET: its own stack",
                                   (" (addresses are set inside the jail)", muted)]))
            ifaces = info.interfaces
            if ifaces.note and not ifaces.data:
                rows.append(("interfaces", [(visible(ifaces.note, 300), "$warning")]))
            for i, iface in enumerate(ifaces.data or []):
                parts: list[Part] = [(visible(iface.name, 32), "bold")]
                if iface.peer and iface.peer_present:
                    parts.append(f"  epair, host end {visible(iface.peer, 32)}")
                    if iface.bridge:
                        inet = ", ".join(iface.bridge_inet)
                        parts.append(f" on {visible(iface.bridge, 32)}")
                        if inet:
                            parts.append((f" ({visible(inet, 128)})", muted))
                    else:
                        parts.append(("  on no bridge", "$warning"))
                elif iface.peer:
                    parts.append((f"  its host end {visible(iface.peer, 32)} is not on the "
                                  "host", "$warning"))
                rows.append(("interfaces" if i == 0 else "", parts))
        else:
            addrs = [*info.ip4, *info.ip6]
            if addrs:
                for i, a in enumerate(addrs):
                    rows.append(("addresses" if i == 0 else "", [visible(a, 64)]))
            else:
                rows.append(("addresses", [("none: the host's stack, no address of its own",
                                            muted)]))
        socks = info.sockets
        if socks.note:
            rows.append(("listening", [(visible(socks.note, 300), "$warning")]))
        elif not socks.data:
            rows.append(("listening", [("nothing listens", muted)]))
        for i, sock in enumerate(socks.data or []):
            who = visible(sock.command, 32)
            pid = f" {sock.pid}" if sock.pid is not None else ""
            rows.append(("listening" if i == 0 else "",
                         [(f"{visible(sock.proto, 8):<6} ", muted),
                          (f"{visible(sock.local, 48):<22}", "bold"),
                          f" {who}{pid}", (f"  {visible(sock.user, 32)}", muted)]))
        if info.rdr is not None:
            if info.rdr.note:
                rows.append(("rdr (pf)", [(visible(info.rdr.note, 300), muted)]))
            elif not info.rdr.data:
                rows.append(("rdr (pf)", [("Bastille's anchor is empty", muted)]))
            for i, rule in enumerate(info.rdr.data or []):
                # A tuple: a long rule wraps under itself, not under the label.
                rows.append(("rdr (pf)" if i == 0 else "", [(visible(rule, 300), "$foreground")]))
        self.section("network").show_fitted(lambda total: _rows(rows, width=12, total=total))

    def _show_services(self, services: Sequence[str]) -> None:
        if not services:
            self.section("services").note("No rc.d service is enabled in the jail.")
            return
        self.section("services").show(
            Content("\n").join([Content(visible(s, 128)) for s in services]))

    # -- actions --------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_start(self) -> None:
        if not self.refuse_if_guarded("start"):
            self.console.jail_action("start", self._jail)

    def action_stop(self) -> None:
        if not self.refuse_if_guarded("stop"):
            self.console.jail_action("stop", self._jail)

    def action_restart(self) -> None:
        if not self.refuse_if_guarded("restart"):
            self.console.jail_action("restart", self._jail)

    def action_shell(self) -> None:
        if not self.refuse_if_guarded("shell"):
            self.console.jail_action("shell", self._jail)

    def action_edit(self) -> None:
        if not self.refuse_if_guarded("edit"):
            self.console.jail_action("edit", self._jail)

    def action_services(self) -> None:
        if not self.refuse_if_guarded("services"):
            self.console.jail_action("services", self._jail)

    def action_posture(self) -> None:
        self.console.open_posture(self._jail)

    def action_exec(self) -> None:
        if not self.refuse_if_guarded("exec"):
            self.console.jail_action("exec", self._jail)

    def action_snapshots(self) -> None:
        if not self.refuse_if_guarded("snapshots"):
            self.console.jail_action("snapshots", self._jail)

    def action_limits(self) -> None:
        if not self.refuse_if_guarded("limits"):
            self.console.jail_action("limits", self._jail)

    def action_console_log(self) -> None:
        if not self.refuse_if_guarded("console_log"):
            self.console.jail_action("console_log", self._jail)

    def action_restore(self) -> None:
        if not self.refuse_if_guarded("restore"):
            self.console.jail_action("restore", self._jail)

    def action_backup(self) -> None:
        if not self.refuse_if_guarded("backup"):
            self.console.jail_action("backup", self._jail)


#: The jail's latest events shown in its detail (E lists them all).
EVENTS_SHOWN = 8

#: Narrowest explanation column; narrower, the explanation goes under its row.
MIN_EXPLANATION = 30


def _rows(rows: Sequence[tuple[str, Sequence[Part]]], width: int = 11,
          total: int = 0) -> Content:
    """``label  value`` lines with the labels in one column.

    With the section's ``total`` width known, a long last part (an
    explanation) wraps under itself instead of under the label: Content
    wraps to column 0 and has no hanging indent.
    """
    lines = []
    for label, parts in rows:
        parts = list(parts)
        if total and parts and isinstance(parts[-1], tuple):
            text, style = parts[-1]
            lead = width + sum(len(p if isinstance(p, str) else p[0]) for p in parts[:-1])
            # Content wraps at the last column itself, and a vertical scrollbar
            # (2 cells) may appear once the section is filled.
            room = total - lead - 3
            if room < MIN_EXPLANATION and len(text) > room:
                # Too narrow for a third column (80 cells and a long allow.*
                # name left ~20: four screens of restrictions, issue 13 item
                # 35): the explanation goes under the row, indented.
                wrapped = textwrap.wrap(text, max(16, total - 7)) or [text]
                parts[-1] = ("\n" + "\n".join("    " + w for w in wrapped), style)
            elif len(text) > room:
                wrapped = textwrap.wrap(text, room) or [text]
                parts[-1] = (("\n" + " " * lead).join(wrapped), style)
        lines.append(Content.assemble((f"{label:<{width}}", "$foreground-muted"), *parts))
    return Content("\n").join(lines)
