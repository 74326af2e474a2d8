"""The effective parameters of each jail: ``config.c`` ``load_config``.

Globals, matching wildcard blocks and the jail's own block merged in order
(``add_param``), then variables expanded for each jail; plus the outputs
built on it (``jail -e``, ``conf show --json``).  docs/freebsd.md 3.4, 3.6.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from jailtui.core.freebsd.jailconf.errors import JailConfError
from jailtui.core.freebsd.jailconf.names import (
    equal_names,
    equalopts,
    is_jid_name,
    wild_jail_match,
    wild_jail_name,
)
from jailtui.core.freebsd.jailconf.quote import quoted_print
from jailtui.core.freebsd.jailconf.syntax import Block, ConfFile, ConfString, Param
from jailtui.core.model import ParamValue

__all__ = ["LIST_PARAMS", "CJail", "Config", "JsonValue", "effective_json", "format_jail_e",
           "to_effective_json"]

JsonValue = str | bool | list[str]

#: Parameters that hold a list whatever the number of values written: the
#: kernel's address arrays and jail(8)'s command, dependency, mount and
#: interface lists (jail(8) "ip4.addr: A list of IPv4 addresses",
#: "exec.prestart: Command(s) to run", "depend: Specify a jail (or jails)",
#: ``mount``, ``vnet.interface``, ``zfs.dataset``; docs/freebsd.md 4.3).
LIST_PARAMS = frozenset({
    "ip4.addr", "ip6.addr", "vnet.interface", "depend", "mount", "zfs.dataset", "command",
    "exec.prepare", "exec.prestart", "exec.created", "exec.start", "exec.poststart",
    "exec.prestop", "exec.stop", "exec.poststop", "exec.release",
})

# --------------------------------------------------------------------------
# The whole configuration (load_config)

#: config.c ``intparams`` names (those without PF_CONV): a variable may not
#: share a name with one of them.
_INTPARAM_NAMES = (
    "allow.dying", "command", "depend", "exec.clean", "exec.consolelog", "exec.fib",
    "exec.jail_user", "exec.poststart", "exec.poststop", "exec.prepare",
    "exec.prestart", "exec.prestop", "exec.release", "exec.created", "exec.start",
    "exec.stop", "exec.system_jail_user", "exec.system_user", "exec.timeout",
    "interface", "ip_hostname", "mount", "mount.devfs", "mount.fdescfs",
    "mount.procfs", "mount.fstab", "stop.timeout", "vnet.interface", "zfs.dataset",
    "allow.chflags", "allow.mount", "allow.raw_sockets", "allow.set_hostname",
    "allow.socket_af", "allow.sysvipc", "devfs_ruleset", "host.hostname",
    "ip4.addr", "ip6.addr", "jid", "name", "path", "persist", "securelevel", "vnet",
)
_IMMUTABLE = ("jid", "name")
#: Every name equalopts matches with one of _INTPARAM_NAMES -> the first such
#: (equalopts is symmetric: names.equal_names).
_INTPARAM_OF: dict[str, str] = {}
for _ip in _INTPARAM_NAMES:
    for _v in equal_names(_ip):
        _INTPARAM_OF.setdefault(_v, _ip)
del _ip, _v


@dataclass(slots=True)
class CJail:
    """config.c ``struct cfjail`` as the parser builds it."""

    name: str
    seq: int
    block: Block | None
    file: str
    is_global: bool = False
    params: list[Param] = field(default_factory=list)


# _S and _MP compare by identity (eq=False), as config.c's TAILQ entries are
# pointers: _expand's params.index(p) / params.remove(vp) mean that very
# entry, found with one pointer test each instead of a field-by-field
# __eq__ (36,000 of them for 1,000 jails; issue 18).
@dataclass(slots=True, eq=False)
class _S:
    """A value string during expansion: literal text + pending variables."""

    s: str
    vars: list[tuple[str, int]]


@dataclass(slots=True, eq=False)
class _MP:
    """A merged parameter (config.c ``struct cfparam`` after add_param)."""

    name: str
    values: list[_S]
    is_var: bool = False
    immutable: bool = False
    listy: bool = False
    gen: int = 0
    bad: bool = False


def _to_s(cs: ConfString) -> _S:
    text: list[str] = []
    pos = 0
    vars_: list[tuple[str, int]] = []
    for p in cs.pieces:
        if p.is_var:
            vars_.append((p.text, pos))
        else:
            text.append(p.text)
            pos += len(p.text)
    return _S("".join(text), vars_)


@lru_cache(maxsize=4096)
def _bool_key(name: str) -> tuple[str, bool]:
    """A value-less parameter: its name without ``no`` and its truth."""
    head, dot, last = name.rpartition(".")
    if last.startswith("no") and len(last) > 2:
        return f"{head}{dot}{last[2:]}", False
    return name, True


def _copy(m: _MP) -> _MP:
    """A fresh copy of a merged parameter not yet expanded. A value without
    variables is shared: nothing changes it (``_expand`` rewrites only the
    values that hold variables, and ``_add`` replaces or extends the list,
    which is the copy's own)."""
    return _MP(m.name, [v if not v.vars else _S(v.s, list(v.vars)) for v in m.values],
               m.is_var, m.immutable, m.listy)


class _Probe:
    """A failer that only notes that the merge reported an error."""

    failed = False

    def __call__(self, message: str) -> None:
        self.failed = True


_UNSEEN: list[_MP] = []


def _add(merged: list[_MP], p: Param, fail: Callable[[str], None]) -> None:
    """config.c ``add_param``: ``p`` merged into the parameters so far."""
    same = equal_names(p.name)  # equalopts(mp.name, p.name), as a set
    dp: _MP | None = None
    for mp in merged:
        if mp.name in same:
            dp = mp
            break
    vals = [_to_s(v) for v in p.values]
    if dp is not None:
        if dp.is_var != p.is_var:
            fail(f'variable "${p.name}" cannot have the same name as a parameter.')
            return
        if dp.immutable:
            fail(f'cannot redefine parameter "{dp.name}".')
            return
        dp.name = p.name
        if p.op != "+=" or not vals:
            dp.values = []
            dp.listy = False
        dp.values.extend(vals)
        dp.listy = dp.listy or p.op == "+="
        return
    immutable = False
    ip = _INTPARAM_OF.get(p.name)  # the first of _INTPARAM_NAMES equalopts matches
    if ip is not None:
        if p.is_var:
            fail(f'variable "${p.name}" cannot have the same name as a parameter.')
            return
        immutable = ip in _IMMUTABLE
    merged.append(_MP(p.name, vals, p.is_var, immutable, p.op == "+="))


class Config:
    """Every jail jail(8) would see from one config file and its includes.

    A snapshot: edit a :class:`ConfFile`, save it, and load again.
    """

    def __init__(self, path: str, files: list[ConfFile], jails: list[CJail]) -> None:
        self.path = path
        #: Files in the order jail(8) reads them (each once).
        self.files = files
        self._jails = jails
        self._wild = [j for j in jails if wild_jail_name(j.name)]
        self._real: dict[str, CJail] = {}
        #: The merge of the sources before a jail's own block, by (implied
        #: parameter, those sources): None when it reported an error.
        self._prefix: dict[tuple[object, ...], list[_MP] | None] = {}
        for j in jails:
            if not wild_jail_name(j.name):
                self._real.setdefault(j.name, j)

    def jail_names(self) -> list[str]:
        """Non-wildcard jails (block names), in file order, each once."""
        return list(self._real)

    def wildcard_names(self) -> list[str]:
        """Wildcard blocks (``*``, ``foo.*``), globals excluded."""
        return [j.name for j in self._wild if not j.is_global]

    def block_of(self, name: str) -> Block | None:
        """The block that defines jail ``name`` (first, if defined twice)."""
        j = self._real.get(name)
        return j.block if j is not None else None

    def file_of(self, name: str) -> str | None:
        j = self._real.get(name)
        return j.file if j is not None else None

    def file(self, path: str) -> ConfFile | None:
        for f in self.files:
            if f.filename == path:
                return f
        return None

    def _merged(self, j: CJail, errors: list[str] | None) -> list[_MP]:
        fail = _Failer(j, errors)
        # The block name implies "jid" (all digits) or "name".
        implied = "jid" if is_jid_name(j.name) else "name"
        # Own block, globals and matching wildcards, in file (seq) order.
        sources = sorted([j] + [w for w in self._wild if wild_jail_match(j.name, w.name)],
                         key=lambda x: x.seq)
        at = next(i for i, src in enumerate(sources) if src is j)  # this very entry
        # What the sources before the jail's own block merge into is the same
        # for every jail they apply to (the implied parameter's value aside):
        # merged once and copied (issue 18: 1,000 jails re-merged the same
        # seven globals 7,000 times). A prefix whose merge reports an error
        # is merged per jail, so the error names each jail as jail(8) does.
        key = (implied, *(id(src) for src in sources[:at]))
        template = self._prefix.get(key, _UNSEEN)
        if template is _UNSEEN:
            probe = _Probe()
            built: list[_MP] = [_MP(implied, [_S("", [])], immutable=True)]
            for src in sources[:at]:
                for p in src.params:
                    _add(built, p, probe)
            template = None if probe.failed else built
            self._prefix[key] = template
        if template is None:
            merged = [_MP(implied, [_S(j.name, [])], immutable=True)]
            rest = sources
        else:
            merged = [_MP(implied, [_S(j.name, [])], immutable=True)]
            merged += [_copy(m) for m in template[1:]]
            rest = sources[at:]
        for src in rest:
            for p in src.params:
                _add(merged, p, fail)
        # "We only backfill if it's the name that wasn't set" (config.c).
        if not any(not m.is_var and equalopts(m.name, "name") for m in merged):
            merged.append(_MP("name", [_S(j.name, [])], immutable=True))
        _expand(merged, fail)
        return [m for m in merged if not m.is_var]

    def _cjail(self, name: str) -> CJail:
        j = self._real.get(name)
        if j is None:
            raise KeyError(name)
        return j

    def effective(self, name: str, *, errors: list[str] | None = None) -> dict[str, ParamValue]:
        """The parameters jail(8) would use for jail ``name`` (block name).

        Globals, matching wildcard blocks and the jail's own block merged in
        file order, variables expanded for this jail.  Values: a bare
        boolean is True; the ``no`` form is False under the plain name
        (``"allow.mount": False``); one value is a str; several values, or
        any ``+=``, a tuple.  ``name`` is always present (``jid`` too for a
        numeric block).  Per-jail errors (undefined variable, loop...)
        raise :class:`JailConfError`, unless ``errors`` is given: then they
        are appended to it (jail(8)'s wording) and the bad variable is left
        out, as jail(8) does.
        """
        out: dict[str, ParamValue] = {}
        for mp in self._merged(self._cjail(name), errors):
            if not mp.values:
                key, truth = _bool_key(mp.name)
                out[key] = truth
            elif len(mp.values) == 1 and not mp.listy:
                out[mp.name] = mp.values[0].s
            else:
                out[mp.name] = tuple(v.s for v in mp.values)
        return out

    def effective_all(self, *, errors: list[str] | None = None) -> dict[str, dict[str, ParamValue]]:
        return {n: self.effective(n, errors=errors) for n in self._real}

    def jail_e_lines(self, sep: str, *, errors: list[str] | None = None) -> list[str]:
        """``jail -e SEP`` output lines (see :func:`format_jail_e`)."""
        lines: list[str] = []
        for j in self._jails:
            if wild_jail_name(j.name):
                continue
            parts: list[str] = []
            for mp in self._merged(j, errors):
                if mp.name == "jid":
                    continue
                if not mp.values:
                    parts.append(mp.name)
                else:
                    parts.append(mp.name + "=" + ",".join(quoted_print(v.s) for v in mp.values))
            lines.append(sep.join(parts))
        return lines


class _Failer:
    """Report a per-jail error: raise, or collect like jail_warnx + go on."""

    def __init__(self, j: CJail, errors: list[str] | None) -> None:
        self.j = j
        self.errors = errors

    def __call__(self, message: str) -> None:
        err = JailConfError(self.j.file, None, message, jail=self.j.name)
        if self.errors is None:
            raise err
        self.errors.append(str(err))


def _expand(params: list[_MP], fail: _Failer) -> None:
    """config.c ``load_config`` variable resolution, step for step.

    A parameter whose value uses a variable that itself still holds
    variables is moved in front and expanded first (same generation); a
    reference back to the current generation is a loop.
    """
    # The first parameter of each name: what config.c's search for a
    # variable's parameter (a walk from the head of the list) finds. Names
    # can repeat (add_param renames: ``noa.b``, ``a.nob``, ``a.b``,
    # ``a.nob`` leaves two ``a.nob``), but expansion renames nothing and the
    # first of a name stays first: the parameters before ``p`` have no
    # variables left, and the one moved (``vp``, itself the first of its
    # name) moves from after ``p`` to just before it, never past another of
    # its name. So this dict, made once, finds what the walk would.
    first_of: dict[str, _MP] = {}
    for q in params:
        first_of.setdefault(q.name, q)
    pgen = 0
    i = 0
    while i < len(params):
        p = params[i]
        pgen += 1
        p.gen = pgen
        for s in p.values:
            if s.vars:
                break
        else:
            i += 1  # nothing to expand, and nothing moved
            continue
        restart = True
        while restart:
            restart = False
            k = 0
            while k < len(p.values):
                s = p.values[k]
                while s.vars:
                    vname, vpos = s.vars[0]
                    vp = first_of.get(vname)
                    bad = False
                    if vp is None or not vp.values:
                        fail(f'{p.name}: variable "{vname}" not found')
                        bad = True
                    elif vp.bad:
                        bad = True
                    elif vp.gen == pgen:
                        fail(f"{vname}: variable loop")
                        bad = True
                    if bad:
                        for q in params:
                            if q.gen == pgen:
                                q.bad = True
                        s.vars.pop(0)
                        continue
                    assert vp is not None
                    if any(vs.vars for vs in vp.values):
                        vp.gen = pgen
                        params.remove(vp)
                        params.insert(params.index(p), vp)
                        p = vp
                        restart = True
                        break
                    first = vp.values[0]
                    if len(vp.values) > 1 and (s.s != "" or len(s.vars) > 1):
                        fail(f"{p.name}: array cannot be substituted inline")
                        for q in params:
                            if q.gen == pgen:
                                q.bad = True
                        s.vars.pop(0)
                        continue
                    s.s = s.s[:vpos] + first.s + s.s[vpos:]
                    grow = len(first.s)
                    s.vars = [(n, pos + grow) for n, pos in s.vars[1:]]
                    extra = [_S(vs.s, []) for vs in vp.values[1:]]
                    p.values[k + 1:k + 1] = extra
                if restart:
                    break
                k += 1
        i = params.index(p) + 1


# --------------------------------------------------------------------------
# Output helpers


def effective_json(params: Mapping[str, ParamValue]) -> dict[str, JsonValue]:
    """One jail's effective parameters as JSON values (``conf show --json``).

    Lists become JSON arrays, and a list parameter (:data:`LIST_PARAMS`)
    is an array even with one value, so a consumer never has to guess from
    one jail to the next; booleans stay booleans, everything else is a
    string.
    """
    row: dict[str, JsonValue] = {}
    for k, v in params.items():
        if isinstance(v, tuple):
            row[k] = list(v)
        elif isinstance(v, bool):
            row[k] = v
        elif k in LIST_PARAMS:
            row[k] = [str(v)]
        else:
            row[k] = str(v)
    return row


def to_effective_json(config: Config, names: Sequence[str] | None = None
                      ) -> dict[str, dict[str, dict[str, JsonValue]]]:
    """``{"jails": {NAME: {PARAM: value}}}`` (values: :func:`effective_json`).

    Wildcard and global pseudo-jails are not jails and are left out.  An
    unknown name raises KeyError.
    """
    wanted = list(names) if names is not None else config.jail_names()
    return {"jails": {n: effective_json(config.effective(n)) for n in wanted}}


def format_jail_e(config: Config, sep: str, *, errors: list[str] | None = None) -> str:
    """What ``jail -e SEP`` prints on stdout (docs/freebsd.md 3.6, jail.c
    ``print_jail``/``quoted_print``): one line per configured non-wildcard
    jail, parameters in merge order without ``jid``, ``name=value`` or a
    bare ``name``, lists joined with commas.  Per-jail errors raise unless
    ``errors`` collects them (then the line is still printed, as jail(8)
    does)."""
    return "".join(line + "\n" for line in config.jail_e_lines(sep, errors=errors))
