"""How values look in the console: sizes, addresses, states, ages.

Pure functions over raw model values. Every string that comes from the host
goes through :func:`jailtui.core.text.visible` here or at the call site, and
the results are only ever put into ``rich.text.Text`` / ``Content`` objects,
never parsed as markup (docs/security.md section 4).
"""

from __future__ import annotations

from jailtui.core.model import Jail, JailState
from jailtui.core.text import visible

#: Style roles a cell can ask for; app.tcss gives each a theme colour
#: (component classes ``keyed-table--<role>``), so no colour is hard-coded.
ROLES = ("good", "warn", "bad", "dim", "accent", "sorted")


def addresses(jail: Jail) -> tuple[str, ...]:
    """All IPv4 then IPv6 addresses of a jail, raw."""
    return (*jail.ip4, *jail.ip6)


def compact_addresses(jail: Jail) -> str:
    """The first address and ``+N`` for the others (the full list is in the detail)."""
    addrs = addresses(jail)
    if not addrs:
        return "-"
    first = visible(addrs[0], 64)
    return first if len(addrs) == 1 else f"{first} +{len(addrs) - 1}"


def state_label(state: JailState) -> tuple[str, str]:
    """Text and style role of a jail state (words, not only colour)."""
    if state is JailState.RUNNING:
        return ("running", "good")
    if state is JailState.DYING:
        return ("dying", "warn")
    return ("stopped", "dim")


def jid_text(jid: int | None) -> str:
    return "-" if jid is None else str(jid)


def percent(value: float) -> str:
    """``0.7``, ``99.5``; whole numbers from 1000 up, so a 5-wide column holds
    ps's per-CPU sums (the idle threads show 1186.2 on a 12-CPU host)."""
    return f"{value:.1f}" if value < 999.95 else f"{value:.0f}"


def age_text(seconds: float) -> str:
    """``3s``, ``4m05s``, ``2h10m``, ``12d04h``: a duration in the two units
    that matter (how old the data is, how long a process or jail has run)."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def interval_text(seconds: float) -> str:
    return f"{seconds:g}s"


def cpu_role(value: float) -> str | None:
    """Warm colours for busy processes, as htop does."""
    if value >= 50:
        return "bad"
    if value >= 10:
        return "warn"
    return None
