"""Output of the command line: JSON rows and human tables.

Every string from a host goes through visible() and, on a terminal, into a
rich Text, never markup; JSON rows name their host and backend.
"""

from __future__ import annotations

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


def print_table(title: str, headers: Sequence[str], rows: list[list[str]],
                right: Sequence[int] = ()) -> None:
    """A rich table on a terminal, plain aligned columns otherwise.

    Every cell is already sanitised with visible(); rich gets Text, never markup.
    """
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(title), title_justify="left", header_style="bold")
        for i, h in enumerate(headers):
            table.add_column(h, justify="right" if i in right else "left", overflow="fold")
        for r in rows:
            table.add_row(*(Text(c) for c in r))
        Console().print(table)
        return
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def fmt(cells: Sequence[str]) -> str:
        parts = [c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                 for i, c in enumerate(cells)]
        return "  ".join(parts).rstrip()

    print(f"# {title}")
    print(fmt(headers))
    for r in rows:
        print(fmt(r))


def _title(snap: HostSnapshot, what: str) -> str:
    label = "SIMULATED FreeBSD host" if snap.info.backend == "SIMULATED" else snap.info.backend
    return f"{what} on {visible(snap.info.hostname)} ({label})"


def visible_output(text: str) -> str:
    from jailtui.core.text import visible_lines

    lines = visible_lines(text)
    return "".join(f"{ln}\n" for ln in lines)

