"""The status line of a console of many hosts.

On a host's view the line is the single-host one (status_bar.status_content)
with the compact summary of every host after the host's name ("3 hosts:
2 ok, 1 down") and, when the host is unreachable, the SSH link's own
account on the second line. On the all-hosts view it is the summary, the
jails and processes of every host, and a second line naming each host that
is down and why (``beta: unreachable since 12:03:04, retrying in 8 s``).

Everything from a host or ssh is plain text through ``visible()``/
``one_line()`` inside ``Content.assemble``, never markup.
"""

from __future__ import annotations

from textual.content import Content

from jailtui.core.model import jails_up
from jailtui.core.text import one_line, visible
from jailtui.widgets.fleet_state import DOWN, OK, WAITING, FleetState, HostView

Part = str | tuple[str, str]

SEP: Part = ("  ", "")


def summary_parts(fleet: FleetState) -> list[Part]:
    """``3 hosts: 2 ok, 1 down`` with the counts in their colours."""
    c = fleet.counts()
    parts: list[Part] = [f"{len(fleet.hosts)} hosts: ", (f"{c[OK]} ok", "$success")]
    if c[DOWN]:
        parts += [", ", (f"{c[DOWN]} down", "bold $error")]
    if c[WAITING]:
        parts += [", ", (f"{c[WAITING]} connecting", "$warning")]
    return parts


def link_detail(view: HostView, now: float) -> str | None:
    """The second line of an unreachable host: since when, next retry, ssh's reason."""
    link = view.link
    if link is None or link.status != "unreachable":
        return None
    text = link.describe(now)
    if view.state.error:
        text += f" — {view.state.error}"
    return text


def fleet_status_content(fleet: FleetState, now: float, identity: str) -> Content:
    """The all-hosts status line (two lines when a host is down)."""
    parts: list[Part] = [(" ALL HOSTS ", "reverse bold $accent"), " ", *summary_parts(fleet),
                         SEP, (identity, "$text-accent")]
    if any(h.state.paused for h in fleet.hosts):
        parts += [SEP, (" PAUSED ", "reverse bold $warning")]
    snaps = [h.state.snapshot for h in fleet.hosts if h.state.snapshot is not None]
    if not snaps:
        parts += [SEP, ("waiting for the first poll…", "$foreground-muted")]
    else:
        running, total = jails_up(j for s in snaps for j in s.jails)
        procs = sum(len(s.processes) for s in snaps)
        parts += [SEP, f"{running}/{total}", (" jails up", "$foreground-muted"),
                  SEP, str(procs), (" procs", "$foreground-muted")]
        warnings = sum(len(s.warnings) for s in snaps)
        if warnings:
            parts += [SEP, (f"⚠ {warnings} warning(s), L shows them", "$warning")]
    down = [h for h in fleet.hosts if h.health == DOWN]
    if down:
        parts += ["\n", ("⚠ ", "$error")]
        for i, h in enumerate(down):
            if i:
                parts.append(("  ·  ", "$foreground-muted"))
            parts += [(visible(h.name, 32), "bold $error"), ": ",
                      (one_line(h.describe(now), 200), "$error")]
        parts.append(("   (c reconnects the selected host, h lists them)", "$foreground-muted"))
    return Content.assemble(*parts)


__all__ = ["fleet_status_content", "link_detail", "summary_parts"]
