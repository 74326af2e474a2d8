"""jls(8) of the simulated host (reference section 1).

Modes: default (``JID IP Address Hostname Path``), ``-N``, ``-v``, parameter
mode (``jls [-h|-n|-q|-s] param ...`` and ``all``), ``-c`` existence checks
(newest tree), and ``--libxo json`` for each, with ``__version`` "2"
(14.x) or "3" (``JAILTUI_SIM_JLS_VERSION=3``: ``ipv4-addrs`` keys).

Inside a jail (``JAILTUI_SIM_JAIL``) only its child jails are visible, with
names relative to it, as the kernel shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from jailtui.sim import kernel, xo
from jailtui.sim.context import ENV_JLS_VERSION, Ctx
from jailtui.sim.getopt import GetoptError, getopt, libxo_style
from jailtui.sim.state import SimJail, State, Store

PRINT_DEFAULT = 0x01
PRINT_HEADER = 0x02
PRINT_NAMEVAL = 0x04
PRINT_QUOTED = 0x08
PRINT_SKIP = 0x10
PRINT_VERBOSE = 0x20
PRINT_JAIL_NAME = 0x40

_USAGE_14 = "usage: jls [-dhNnqv] [-j jail] [param ...]"
_USAGE_NEW = ("usage: jls [-dhNnqv] [-j jail] [param ...]\n"
              "            jls -c [-d] -j jail")


def _version(ctx: Ctx) -> str:
    return "3" if ctx.env.get(ENV_JLS_VERSION, "2").strip() == "3" else "2"


def _usage(ctx: Ctx) -> int:
    # 14.x: xo_errx(1, "usage: ..."), so the text carries the "jls: " prefix.
    ctx.warn(_USAGE_NEW if _version(ctx) == "3" else _USAGE_14)
    return 1


@dataclass
class _View:
    """A jail as seen from where jls runs (renamed relative to a parent jail)."""

    j: SimJail
    name: str


def _visible(st: State, ctx: Ctx, dying: bool) -> list[_View] | None:
    """Jails in jid order (``lastjid`` iteration); None if our own jail vanished."""
    inside = ctx.jail
    if inside is None:
        return [_View(j, j.name) for j in st.jails if dying or not j.dying]
    me = st.jail_by_name(inside)
    if me is None:
        return None
    prefix = me.name + "."
    return [_View(j, j.name[len(prefix):]) for j in st.jails
            if j.name.startswith(prefix) and (dying or not j.dying)]


def _matching(views: list[_View], jid: int, jname: str | None) -> list[_View]:
    """The jail ``-j`` names; by name the live one first (kern_jail.c
    prison_find_name returns a dying prison only when no live one has the name)."""
    match = [v for v in views if (v.j.jid == jid if jid else v.name == jname)]
    return sorted(match, key=lambda v: v.j.dying)


def run(ctx: Ctx, args: list[str]) -> int:
    style, args = libxo_style(args)
    json_out = style == "json"
    try:
        opts, params = getopt(args, "acdj:hNnqsv")
    except GetoptError as e:
        ctx.warn(str(e))
        return _usage(ctx)
    dying = check = False
    jname: str | None = None
    jid = 0
    pflags = 0
    for ch, arg in opts:
        if ch in "ad":
            dying = True
        elif ch == "c":
            check = True
        elif ch == "j":
            # "If the argument is all digits and non-zero, it is a jid" (1.1).
            if arg.isdigit() and int(arg) != 0:
                jid, jname = int(arg), None
            else:
                jid, jname = 0, arg
        elif ch == "h":
            pflags = (pflags & ~(PRINT_SKIP | PRINT_VERBOSE)) | PRINT_HEADER
        elif ch == "N":
            pflags |= PRINT_JAIL_NAME
        elif ch == "n":
            pflags = (pflags & ~PRINT_VERBOSE) | PRINT_NAMEVAL
        elif ch == "q":
            pflags |= PRINT_QUOTED
        elif ch == "s":
            pflags = ((pflags & ~(PRINT_HEADER | PRINT_VERBOSE))
                      | PRINT_NAMEVAL | PRINT_QUOTED | PRINT_SKIP)
        elif ch == "v":
            pflags = ((pflags & ~(PRINT_HEADER | PRINT_NAMEVAL | PRINT_SKIP))
                      | PRINT_VERBOSE)
    if check:
        return _check(ctx, pflags, params, jid, jname, dying)

    if not params:
        if pflags & (PRINT_HEADER | PRINT_NAMEVAL):
            names = list(kernel.ALL)
        elif pflags & PRINT_VERBOSE:
            names = []
        else:
            pflags |= PRINT_DEFAULT
            names = []
    else:
        pflags &= ~PRINT_VERBOSE
        names = []
        for p in params:
            if p == "all":
                names += [n for n in kernel.ALL if n not in names]
            elif p not in kernel.PARAMS:
                # add_param -> xo_errx before any output (docs/freebsd.md 1.6).
                ctx.warn(f"unknown parameter: {p}")
                return 1
            elif p not in names:
                names.append(p)

    out: list[str] = []
    if not json_out:
        out.append(_header(pflags, names))
    store = Store(ctx.simdir)
    with store.read() as st:
        views = _visible(st, ctx, dying) or []
        if jid or jname is not None:
            match = _matching(views, jid, jname)
            if not match:
                ctx.write("".join(out))
                # kern_jail_get without JAIL_DYING: a jail that exists only
                # dying is "is dying", not "not found" (docs/freebsd.md 1.6).
                dead = not dying and _matching(_visible(st, ctx, True) or [], jid, jname)
                what = f"jail {jid}" if jid else f'jail "{jname}"'
                ctx.warn(f"{what} is dying" if dead else f"{what} not found")
                return 1
            views = match[:1]
        version = _version(ctx)
        if json_out:
            insts = [_json_instance(st, v, pflags, names, version) for v in views]
            ctx.write(xo.document("jail-information", "jail", insts, version))
            return 0
        for v in views:
            out.append(_text_row(st, v, pflags, names))
    ctx.write("".join(out))
    return 0


def _check(ctx: Ctx, pflags: int, params: list[str], jid: int, jname: str | None,
           dying: bool) -> int:
    """``jls -c -j jail`` (newest tree): silent existence test."""
    if pflags:
        ctx.warn("-c is incompatible with other print options")
        return _usage(ctx)
    if params:
        ctx.warn("-c does not accept non-option arguments")
        return _usage(ctx)
    if not jid and jname is None:
        ctx.warn("-j jail to check must be provided for -c")
        return _usage(ctx)
    with Store(ctx.simdir).read() as st:
        views = _visible(st, ctx, dying) or []
        found = bool(_matching(views, jid, jname))
    return 0 if found else 1


def _header(pflags: int, names: list[str]) -> str:
    if pflags & PRINT_VERBOSE:
        return ("   JID  Hostname" + " " * 22 + "Path\n"
                + " " * 8 + "Name" + " " * 26 + "State\n"
                + " " * 8 + "CPUSetID\n"
                + " " * 8 + "IP Address(es)\n")
    if pflags & PRINT_DEFAULT:
        if pflags & PRINT_JAIL_NAME:
            return f" {'JID':<15} {'IP Address':<15} {'Hostname':<29} Path\n"
        return f"{'JID':>6}  IP Address{'':6}Hostname{'':22}Path\n"
    if pflags & PRINT_HEADER:
        return " ".join(names) + "\n"
    return ""


def _text_row(st: State, v: _View, pflags: int, names: list[str]) -> str:
    j = v.j
    if pflags & PRINT_VERBOSE:
        lines = [f"{j.jid:6d}  {j.hostname[:29]:<29} {j.path[:74]}",
                 f"        {v.name[:29]:<29} {'DYING' if j.dying else 'ACTIVE'}",
                 f"        {j.cpusetid}"]
        lines += [f"        {a}" for a in (*j.ip4, *j.ip6)]
        return "\n".join(lines) + "\n"
    if pflags & PRINT_DEFAULT:
        ip = j.ip4[0] if j.ip4 else ""
        first = f" {v.name:<15} " if pflags & PRINT_JAIL_NAME else f"{j.jid:6d}  "
        return f"{first}{ip[:15]:<15} {j.hostname[:29]:<29} {j.path[:74]}\n"
    fields: list[str] = []
    for name in names:
        d = kernel.PARAMS[name]
        val = _value(st, v, name)
        if pflags & PRINT_SKIP and (d.access == "RO" or _skipped_child(st, v, name)):
            continue
        if pflags & PRINT_NAMEVAL and d.kind == "bool":
            # "name" when true, "noname" when false; "no" after the last dot.
            fields.append(name if val else _noname(name))
            continue
        prefix = f"{name}=" if pflags & PRINT_NAMEVAL else ""
        if isinstance(val, list) and not val:
            # special_print: an empty binary value (docs/freebsd.md 1.4).
            if pflags & PRINT_QUOTED:
                fields.append(prefix + '""')
            elif not pflags & PRINT_NAMEVAL:
                fields.append("-")
            else:
                fields.append(prefix)
            continue
        fields.append(prefix + _quoted(pflags, kernel.export(name, val)))
    return " ".join(fields) + "\n"


def _value(st: State, v: _View, name: str) -> kernel.Value:
    if name == "name":
        return v.name
    return kernel.value(st, v.j, name)


def _skipped_child(st: State, v: _View, name: str) -> bool:
    """``-s`` skips children of a jailsys parent whose value is not "new" (1.1)."""
    parent = name.split(".", 1)[0] if "." in name else ""
    if parent in kernel.JAILSYS_CHILDREN and parent in kernel.PARAMS:
        return _value(st, v, parent) != "new"
    return False


def _noname(name: str) -> str:
    head, dot, last = name.rpartition(".")
    return f"{head}{dot}no{last}"


def _quoted(pflags: int, text: str) -> str:
    """jls's own quoted_print: no backslash escaping (unlike jail -e, 1.4)."""
    if not text:
        return '""'
    qc = ('"' if "'" in text else "'" if '"' in text
          else '"' if (" " in text or "\t" in text) else "")
    if qc and pflags & PRINT_QUOTED:
        return f"{qc}{text}{qc}"
    return text


def _json_instance(st: State, v: _View, pflags: int, names: list[str],
                   version: str) -> xo.Instance:
    j = v.j
    inst = xo.Instance()
    if pflags & PRINT_VERBOSE:
        inst.number("jid", j.jid)
        inst.text("hostname", j.hostname)
        inst.text("path", j.path)
        inst.text("name", v.name)
        inst.text("state", "DYING" if j.dying else "ACTIVE")
        inst.number("cpusetid", j.cpusetid)
        v4, v6 = ("ipv4-addrs", "ipv6-addrs") if version == "3" else ("ipv4_addrs", "ipv6_addrs")
        inst.leaf_list(v4, j.ip4)
        inst.leaf_list(v6, j.ip6)
        return inst
    if pflags & PRINT_DEFAULT:
        if pflags & PRINT_JAIL_NAME:
            inst.text("name", v.name)
        else:
            inst.number("jid", j.jid)
        inst.text("ipv4", j.ip4[0] if j.ip4 else "")
        inst.text("hostname", j.hostname)
        inst.text("path", j.path)
        return inst
    for name in names:
        d = kernel.PARAMS[name]
        if pflags & PRINT_SKIP and (d.access == "RO" or _skipped_child(st, v, name)):
            continue
        val = _value(st, v, name)
        if isinstance(val, list):
            inst.leaf_list(name, val)
        elif pflags & PRINT_NAMEVAL and d.kind == "bool":
            inst.boolean(name, bool(val))
        else:
            inst.text(name, kernel.export(name, val))
    return inst
