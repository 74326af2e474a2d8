"""File flag names (st_flags) as libc spells them: strtofflags(3), fflagstostr(3).

Pure facts, no I/O (docs/freebsd.md 13.2): the table order of
lib/libc/gen/strtofflags.c decides how ``ls -lo`` and ``stat -f %Sf`` print
a set of flags; ``no`` before a name clears it (``dump`` clears ``nodump``).
"""

from __future__ import annotations

from collections.abc import Iterable

#: (canonical name, aliases, system flag?) in strtofflags.c's table order.
FLAGS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("sappnd", ("sappend",), True),
    ("arch", ("archived",), True),
    ("schg", ("schange", "simmutable"), True),
    ("sunlnk", ("sunlink",), True),
    ("snapshot", (), True),
    ("uappnd", ("uappend",), False),
    ("uarch", ("uarchive",), False),
    ("hidden", ("uhidden",), False),
    ("uchg", ("uchange", "uimmutable"), False),
    ("nodump", (), False),
    ("uunlnk", ("uunlink",), False),
    ("offline", ("uoffline",), False),
    ("opaque", (), False),
    ("rdonly", ("urdonly", "readonly", "ureadonly"), False),
    ("reparse", ("ureparse",), False),
    ("sparse", ("usparse",), False),
    ("system", ("usystem",), False),
)
ORDER = {name: i for i, (name, _, _) in enumerate(FLAGS)}
SYSTEM = frozenset(name for name, _, sysflag in FLAGS if sysflag)
#: Flags that freeze a file's flags once the securelevel is above 0.
LOCKING = frozenset({"schg", "sappnd", "sunlnk"})
_ALIASES = {alias: name for name, aliases, _ in FLAGS for alias in (name, *aliases)}
#: st_flags bits (sys/stat.h), for a numeric (octal) chflags argument.
BITS = {"nodump": 0o1, "uchg": 0o2, "uappnd": 0o4, "opaque": 0o10, "uunlnk": 0o20,
        "system": 0o200, "sparse": 0o400, "offline": 0o1000, "reparse": 0o2000,
        "uarch": 0o4000, "rdonly": 0o10000, "hidden": 0o100000, "arch": 0o200000,
        "schg": 0o400000, "sappnd": 0o1000000, "sunlnk": 0o4000000,
        "snapshot": 0o20000000}

def to_string(names: Iterable[str]) -> str:
    """fflagstostr(3): canonical names in table order, comma-joined ("" for none)."""
    return ",".join(sorted(set(names), key=lambda n: ORDER.get(n, len(ORDER))))


def shown(names: Iterable[str]) -> str:
    """What ls -lo and stat -f %Sf print: the names, or ``-`` for none."""
    return to_string(names) or "-"


def parse(text: str) -> tuple[set[str], set[str]] | None:
    """strtofflags(3): (flags to set, flags to clear), or None for a bad keyword."""
    setf: set[str] = set()
    clear: set[str] = set()
    for word in text.split(","):
        word = word.strip()
        if word == "dump":  # nodump's inverse
            clear.add("nodump")
            continue
        if word in _ALIASES:
            setf.add(_ALIASES[word])
            continue
        if word.startswith("no") and word[2:] in _ALIASES and word != "nodump":
            clear.add(_ALIASES[word[2:]])
            continue
        return None
    return setf, clear


def from_octal(value: int) -> set[str]:
    return {name for name, bit in BITS.items() if value & bit}
