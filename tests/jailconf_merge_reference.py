"""The jail.conf merge as it was before issue 18's round 6 (config.c
``load_config``, docs/freebsd.md 3.4 and 4): every jail's globals, matching
wildcard blocks and own block merged parameter by parameter, then the
variables expanded with a linear search per reference. Kept as the reference
the faster merge of core/freebsd/jailconf/effective.py is compared with
(tests/test_jailconf_merge_fast.py); its own copies of the merge's records, so
a change there cannot change this."""

from __future__ import annotations

from dataclasses import dataclass

from jailtui.core.freebsd.jailconf.effective import _IMMUTABLE, _INTPARAM_OF, CJail, Config
from jailtui.core.freebsd.jailconf.errors import JailConfError
from jailtui.core.freebsd.jailconf.names import (
    equal_names,
    equalopts,
    is_jid_name,
    wild_jail_match,
    wild_jail_name,
)
from jailtui.core.freebsd.jailconf.quote import quoted_print
from jailtui.core.freebsd.jailconf.syntax import ConfString, Param
from jailtui.core.model import ParamValue


@dataclass(slots=True, eq=False)
class _S:
    s: str
    vars: list[tuple[str, int]]


@dataclass(slots=True, eq=False)
class _MP:
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


def _bool_key(name: str) -> tuple[str, bool]:
    head, dot, last = name.rpartition(".")
    if last.startswith("no") and len(last) > 2:
        return f"{head}{dot}{last[2:]}", False
    return name, True


class _Failer:
    def __init__(self, j: CJail, errors: list[str] | None) -> None:
        self.j = j
        self.errors = errors

    def __call__(self, message: str) -> None:
        err = JailConfError(self.j.file, None, message, jail=self.j.name)
        if self.errors is None:
            raise err
        self.errors.append(str(err))


def merged(config: Config, j: CJail, errors: list[str] | None) -> list[_MP]:
    fail = _Failer(j, errors)
    out: list[_MP] = []

    def find(name: str) -> _MP | None:
        same = equal_names(name)
        for mp in out:
            if mp.name in same:
                return mp
        return None

    def add(p: Param) -> None:
        dp = find(p.name)
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
        ip = _INTPARAM_OF.get(p.name)
        if ip is not None:
            if p.is_var:
                fail(f'variable "${p.name}" cannot have the same name as a parameter.')
                return
            immutable = ip in _IMMUTABLE
        out.append(_MP(p.name, vals, p.is_var, immutable, p.op == "+="))

    implied = "jid" if is_jid_name(j.name) else "name"
    out.append(_MP(implied, [_S(j.name, [])], immutable=True))
    sources = sorted([j] + [w for w in config._wild if wild_jail_match(j.name, w.name)],
                     key=lambda x: x.seq)
    for src in sources:
        for p in src.params:
            add(p)
    if not any(not m.is_var and equalopts(m.name, "name") for m in out):
        out.append(_MP("name", [_S(j.name, [])], immutable=True))
    _expand(out, fail)
    return [m for m in out if not m.is_var]


def _expand(params: list[_MP], fail: _Failer) -> None:
    pgen = 0
    i = 0
    while i < len(params):
        p = params[i]
        pgen += 1
        p.gen = pgen
        restart = True
        while restart:
            restart = False
            k = 0
            while k < len(p.values):
                s = p.values[k]
                while s.vars:
                    vname, vpos = s.vars[0]
                    vp = next((q for q in params if q.name == vname), None)
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
                    s.vars = [(n, pos + len(first.s)) for n, pos in s.vars]
                    s.vars.pop(0)
                    extra = [_S(vs.s, []) for vs in vp.values[1:]]
                    p.values[k + 1:k + 1] = extra
                if restart:
                    break
                k += 1
        i = params.index(p) + 1


def effective(config: Config, name: str, *,
              errors: list[str] | None = None) -> dict[str, ParamValue]:
    out: dict[str, ParamValue] = {}
    for mp in merged(config, config._real[name], errors):
        if not mp.values:
            key, truth = _bool_key(mp.name)
            out[key] = truth
        elif len(mp.values) == 1 and not mp.listy:
            out[mp.name] = mp.values[0].s
        else:
            out[mp.name] = tuple(v.s for v in mp.values)
    return out


def jail_e_lines(config: Config, sep: str, *, errors: list[str] | None = None) -> list[str]:
    lines: list[str] = []
    for j in config._jails:
        if wild_jail_name(j.name):
            continue
        parts: list[str] = []
        for mp in merged(config, j, errors):
            if mp.name == "jid":
                continue
            if not mp.values:
                parts.append(mp.name)
            else:
                parts.append(mp.name + "=" + ",".join(quoted_print(v.s) for v in mp.values))
        lines.append(sep.join(parts))
    return lines
