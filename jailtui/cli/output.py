"""Output of the command line: JSON rows and human tables.

Every string from a host goes through visible(); tables are plain text
(never markup); JSON rows name their host and backend.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from jailtui.core.model import HostSnapshot, Jail, Process
from jailtui.core.text import visible


def jail_json(j: Jail, snap: HostSnapshot) -> dict[str, Any]:
    return {
        "name": j.name, "jid": j.jid, "state": j.state.value, "hostname": j.hostname,
        "path": j.path, "ip4": list(j.ip4), "ip6": list(j.ip6), "processes": j.processes,
        "cpu_percent": j.cpu_percent, "mem_percent": j.mem_percent, "rss_kib": j.rss_kib,
        "configured": j.configured, "enabled": j.enabled, "conf_file": j.conf_file,
        "owner": j.owner or None, "owner_name": j.owner_name or None,
        "owner_reason": j.owner_reason or None,
        "host": snap.info.hostname, "backend": snap.info.backend.lower(),
    }


def process_json(p: Process, snap: HostSnapshot) -> dict[str, Any]:
    return {
        "pid": p.pid, "ppid": p.ppid, "jid": p.jid, "jail": p.jail, "user": p.user,
        "state": p.state, "cpu_percent": p.cpu_percent, "mem_percent": p.mem_percent,
        "vsz_kib": p.vsz_kib, "rss_kib": p.rss_kib, "etime": p.etime,
        "elapsed_seconds": p.elapsed_seconds, "started": p.started, "command": p.command,
        "host": snap.info.hostname, "backend": snap.info.backend.lower(),
    }


def output_width(wide: bool) -> int | None:
    """How wide a table may be: None for no limit.

    Like ps(1) and jls(8): a terminal's width (``COLUMNS`` overrides it,
    docs/freebsd.md 2.1); not a terminal and no ``COLUMNS``: no limit, so a
    pipe gets whole rows. ``--wide``: never cut.
    """
    if wide:
        return None
    cols = os.environ.get("COLUMNS", "")
    if cols.isdigit() and int(cols) > 0:
        return int(cols)
    if sys.stdout.isatty():
        try:
            return os.get_terminal_size(sys.stdout.fileno()).columns
        except OSError:
            return None
    return None


#: A column is never cut below this many characters (nor below its header).
MIN_CUT_WIDTH = 6


def cut_mark(encoding: str | None = None) -> str:
    """What ends a cut cell: ``…``, or ``~`` where the output cannot encode it.

    ps(1) cuts COMMAND silently, but a cut jail name (``ioc-backu``) looks
    like a real one and gets typed back (``start ioc-backu``); the mark says
    the cell goes on (``--wide`` shows it whole).
    """
    enc = encoding if encoding is not None else (getattr(sys.stdout, "encoding", None) or "ascii")
    try:
        "…".encode(enc)
    except (UnicodeEncodeError, LookupError):
        return "~"
    return "…"


def format_table(headers: Sequence[str], rows: list[list[str]], right: Sequence[int] = (),
                 *, width: int | None = None, shrink: Sequence[int] = (),
                 mark: str = "…") -> list[str]:
    """Plain aligned columns, two spaces apart, cut to ``width`` if given.

    The columns in ``shrink`` (default: all) give up characters until the
    line fits, the widest first (so they end up even), none below its
    header or MIN_CUT_WIDTH; a cut cell ends with ``mark`` (cut_mark), and
    a line still too long is finally cut at ``width``, marked the same way.
    """
    n = len(headers)
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    if width is not None:
        floors = {i: max(MIN_CUT_WIDTH, len(headers[i])) for i in (shrink or range(n))}
        over = sum(widths) + 2 * (n - 1) - width
        while over > 0:
            can = [i for i in floors if widths[i] > floors[i]]
            if not can:
                break
            widest = max(can, key=lambda i: widths[i])
            widths[widest] -= 1
            over -= 1

    def fmt(cells: Sequence[str]) -> str:
        parts = []
        for i, c in enumerate(cells):
            if len(c) > widths[i]:
                c = c[:widths[i] - len(mark)] + mark
            parts.append(c.rjust(widths[i]) if i in right else c.ljust(widths[i]))
        line = "  ".join(parts).rstrip()
        if width is not None and len(line) > width:
            line = line[:width - len(mark)] + mark
        return line

    return [fmt(headers), *(fmt(r) for r in rows)]


def print_table(title: str, headers: Sequence[str], rows: list[list[str]],
                right: Sequence[int] = (), *, wide: bool = False,
                shrink: Sequence[int] = ()) -> None:
    """``# title``, then plain columns like jls/ps, cut to the terminal (output_width).

    Every cell is already sanitised with visible(). No boxes: at 80 columns
    a boxed table wrapped nine jails onto 37 lines (issue 13 item 33).
    """
    width = output_width(wide)
    print(f"# {title}"[:width] if width else f"# {title}")
    for line in format_table(headers, rows, right, width=width, shrink=shrink, mark=cut_mark()):
        print(line)


def snapshot_title(snap: HostSnapshot, what: str) -> str:
    label = "SIMULATED FreeBSD host" if snap.info.backend == "SIMULATED" else snap.info.backend
    return f"{what} on {visible(snap.info.hostname)} ({label})"


def visible_output(text: str) -> str:
    from jailtui.core.text import visible_lines

    lines = visible_lines(text)
    return "".join(f"{ln}\n" for ln in lines)

