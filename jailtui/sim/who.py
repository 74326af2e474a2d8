"""who(1) of the simulated host (docs/freebsd.md 9.2).

The logged-in users of a jail come from the state (the simulated utmpx).
``who`` inside a jail (``JAILTUI_SIM_JAIL``) lists that jail's users;
``who <jail path>/var/run/utx.active`` on the host lists them from outside;
plain ``who`` on the host lists the host's. Columns follow usr.bin/who:
``%-16s %-12s %-12s`` then ``(host)``; time as ``%b %e %R``.
"""

from __future__ import annotations

import os
import time

from jailtui.sim.context import Ctx
from jailtui.sim.getopt import GetoptError, getopt
from jailtui.sim.state import Login, SimJail, Store

USAGE = "usage: who [-abHmqsTu] [am I] [file]\n"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _when(t: float) -> str:
    tm = time.localtime(t)
    return f"{_MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} {tm.tm_hour:02d}:{tm.tm_min:02d}"


def run(ctx: Ctx, args: list[str]) -> int:
    try:
        opts, rest = getopt(args, "HTabmqsu")
    except GetoptError as e:
        ctx.warn(str(e))
        ctx.write_err(USAGE)
        return 1
    flags = {ch for ch, _ in opts}
    if "a" in flags:
        flags |= {"b", "T", "u"}
    if len(rest) >= 2 and rest[0] == "am" and rest[1] in ("i", "I"):
        flags.add("m")
        rest = rest[2:]
    if len(rest) > 1:
        ctx.write_err(USAGE)
        return 1
    if "s" in flags:
        flags -= {"T", "u"}
    store = Store(ctx.simdir)
    with store.read() as st:
        key: str | None = "" if ctx.jail is None else ctx.jail
        boot = st.boot
        if ctx.jail is not None:
            j = st.jail_by_name(ctx.jail)
            boot = j.created if j is not None else boot
        if rest:
            path = rest[0]
            base = "/"
            if ctx.jail is not None:
                j = st.jail_by_name(ctx.jail)
                base = j.path if j is not None else "/"
            host_path = path if path.startswith("/") else "/" + path
            full = (base.rstrip("/") + host_path) if base != "/" else host_path
            if not os.path.exists(ctx.paths.real(full)):
                ctx.warn(f"{path}: No such file or directory")
                return 1
            key = _owner(st.jails, full)
        logins: list[Login] = list(st.logins.get(key, [])) if key is not None else []
    if "q" in flags:
        # quick(): names in columns of 17 across the terminal width.
        cols_env = ctx.env.get("COLUMNS", "")
        ncols = int(cols_env) if cols_env.isdigit() and int(cols_env) > 0 else 80
        col = 0
        for u in logins:
            ctx.write(f"{u.user:<16}")
            col += 1
            if col < ncols // 17:
                ctx.write(" ")
            else:
                col = 0
                ctx.write("\n")
        if col:
            ctx.write("\n")
        ctx.write(f"# users = {len(logins)}\n")
        return 0
    if "H" in flags:
        ctx.write(f"{'NAME':<16} " + ("S " if "T" in flags else "")
                  + f"{'LINE':<12} {'TIME':<12} " + ("IDLE  " if "u" in flags else "")
                  + f"{'FROM':<16}\n")
    if "m" in flags:
        ctx.write(_row("root", "tty??", ctx.now, "", flags))
        return 0
    if "b" in flags:
        ctx.write(_row("", "system boot", boot, "", flags))
    if "b" not in flags or "a" in flags:
        for u in logins:
            ctx.write(_row(u.user, u.line, u.time, u.host, flags))
    return 0


def _owner(jails: list[SimJail], full: str) -> str | None:
    """Which utmpx database a host path is: "" the host's, a jail's name, or None."""
    norm = os.path.normpath(full)
    if norm == "/var/run/utx.active":
        return ""
    for j in jails:
        if norm == os.path.normpath(j.path.rstrip("/") + "/var/run/utx.active"):
            return j.name
    return None


def _row(user: str, line: str, t: float, host: str, flags: set[str]) -> str:
    out = f"{user:<16} " + ("+ " if "T" in flags else "") + f"{line:<12} {_when(t):<12} "
    if "u" in flags:
        out += "  .   "
    if host:
        out += f"({host})"
    return out + "\n"
