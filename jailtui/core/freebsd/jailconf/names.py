"""Parameter and jail name rules of ``usr.sbin/jail/config.c``: ``equalopts``,
wildcard blocks, numeric block names."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["equal_names", "equalopts", "is_jid_name", "wild_jail_match", "wild_jail_name"]


def equalopts(opt1: str, opt2: str) -> bool:
    """config.c ``equalopts``: same option, with or without the ``no``
    prefix on the last component (``persist``/``nopersist``,
    ``allow.mount``/``allow.nomount``)."""
    if opt1 == opt2:
        return True
    if opt1.startswith("no") and opt1[2:] == opt2:
        return True
    if opt2.startswith("no") and opt1 == opt2[2:]:
        return True
    while True:
        dot = opt1.find(".")
        if dot < 0:
            return False
        prefix = opt1[:dot + 1]
        if not opt2.startswith(prefix):
            return False
        opt1 = opt1[dot + 1:]
        opt2 = opt2[dot + 1:]
        if opt1.startswith("no") and opt1[2:] == opt2:
            return True
        if opt2.startswith("no") and opt1 == opt2[2:]:
            return True


@lru_cache(maxsize=4096)
def equal_names(name: str) -> frozenset[str]:
    """Every option :func:`equalopts` calls the same as ``name``, ``name`` included.

    equalopts(a, b) holds exactly when a == b, or one is the other with
    ``no`` put in front of one of its components after a prefix they share
    (``allow.mount``/``allow.nomount``, ``persist``/``nopersist``; the loop
    above walks those prefixes). So the set is ``name``, ``name`` with a
    ``no`` inserted at each component start, and with one such ``no``
    removed: a set lookup instead of an equalopts call per parameter already
    merged (a jail.conf of 1,000 jails made 217,000 calls; issue 18).
    tests/test_jailconf_names.py checks it against equalopts.
    """
    out = {name}
    starts = [0] + [i + 1 for i, ch in enumerate(name) if ch == "."]
    for b in starts:
        out.add(f"{name[:b]}no{name[b:]}")
        if name.startswith("no", b):
            out.add(name[:b] + name[b + 2:])
    return frozenset(out)


def wild_jail_name(name: str) -> bool:
    """config.c ``wild_jail_name``: a ``*`` that is a whole name component."""
    comps = name.split(".")
    return any(c == "*" for c in comps)


def wild_jail_match(jname: str, wname: str) -> bool:
    """config.c ``wild_jail_match``: a non-final ``*`` matches one
    component, a final ``*`` matches one or more."""
    jc, wc = jname, wname
    while True:
        jd = jc.find(".")
        if jd < 0:
            break
        wd = wc.find(".")
        if wd < 0:
            break
        if jc[:jd + 1] != wc[:jd + 1] and not wc.startswith("*."):
            return False
        jc = jc[jd + 1:]
        wc = wc[wd + 1:]
    return jc == wc or wc == "*"


_JID_NAME = re.compile(r"[ \t\n\v\f\r]*[+-]?([0-9]+)")


def is_jid_name(name: str) -> bool:
    """config.c: ``strtol(j->name, &ep, 10) && !*ep`` -- the block name is a
    jid (non-zero, whole string; strtol's leading blanks and sign)."""
    m = _JID_NAME.fullmatch(name)
    return m is not None and int(m.group(1)) != 0
