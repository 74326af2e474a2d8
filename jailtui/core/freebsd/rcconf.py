"""rc.conf(5) variable files: read ``name="value"`` lines, edit one of them.

rc.conf is a shell fragment that rc.subr sources, but real files are
almost always plain assignments, so this is a tolerant reader, not a shell:
assignments (``name=value``, ``name="value"``, ``name='value'``, several
on a line, ``export name=...``) are understood with sh quoting and
``$name``/``${name}`` expansion of variables assigned earlier in the same
file; anything else (commands, ``if`` blocks...) is skipped up to the end
of its line.  The last assignment wins, as when sh sources the file.

Why not run sh: the console reads host files every few seconds, possibly
as an unprivileged user and for a simulated host, and must never execute
what a file says.  Reference: docs/freebsd.md section 8.1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_LOCAL_STARTUP",
    "RC_CONF_FILES",
    "Assignment",
    "RcSources",
    "checkyesno",
    "enabled_services",
    "jail_enable",
    "jail_list",
    "load_sources",
    "parse",
    "parse_assignments",
    "quote",
    "service_conf_paths",
    "set_var",
]

#: ``rc_conf_files`` of /etc/defaults/rc.conf: what rc.subr's
#: ``source_rc_confs`` reads, in this order, for every service.
RC_CONF_FILES = ("/etc/rc.conf", "/etc/rc.conf.local")
#: /etc/defaults/rc.conf ``local_startup``.
DEFAULT_LOCAL_STARTUP = "/usr/local/etc/rc.d"

_NAME_RE = re.compile(r"(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=")
_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True, slots=True)
class Assignment:
    """One ``name=value`` with the offsets of its value's source text."""

    name: str
    value: str
    line: int
    #: Offset of the name, of the value's first character, and after it.
    start: int
    value_start: int
    end: int


def _word(text: str, i: int, env: Mapping[str, str]) -> tuple[str, int]:
    """Read one sh word from ``i``: quotes, backslashes, ``$var``."""
    out: list[str] = []
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\n;&|":
            break
        if c == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            out.append(text[i + 1:j])
            i = j + 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                c = text[i]
                if c == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
                    if text[i + 1] != "\n":          # backslash-newline: joined
                        out.append(text[i + 1])
                    i += 2
                elif c == "$" and (m := _VAR_RE.match(text, i)):
                    out.append(env.get(m.group(1) or m.group(2), ""))
                    i = m.end()
                else:
                    out.append(c)
                    i += 1
            i += 1
        elif c == "\\":
            if i + 1 < n and text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
        elif c == "$" and (m := _VAR_RE.match(text, i)):
            out.append(env.get(m.group(1) or m.group(2), ""))
            i = m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out), min(i, n)


def parse_assignments(text: str, env: Mapping[str, str] | None = None) -> list[Assignment]:
    """Every assignment in file order (repeats included).

    ``env``: variables already set when the file is sourced (rc.subr sources
    rc.conf, rc.conf.local and rc.conf.d files into one shell), for ``$x``.
    """
    env = dict(env or {})
    out: list[Assignment] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\n;":
            i += 1
            continue
        if c == "#":          # only reached at the start of a word
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        m = _NAME_RE.match(text, i)
        if m is None:
            # Not an assignment: skip the rest of this line.
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        value, end = _word(text, m.end(), env)
        name = m.group(1)
        env[name] = value
        out.append(Assignment(name, value, text.count("\n", 0, i) + 1, i, m.end(), end))
        # "a=1 b=2" is two assignments; in "a=1 cmd" the command is skipped.
        i = end
    return out


def parse(text: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Variables of an rc.conf-style file; the last assignment wins.

    The dict keeps the order in which names were first assigned.
    """
    out: dict[str, str] = {}
    for a in parse_assignments(text, env):
        out[a.name] = a.value
    return out


def service_conf_paths(service: str, vars_: Mapping[str, str]) -> list[str]:
    """rc.subr ``load_rc_config NAME``: ``/etc/rc.conf.d/NAME``, then
    ``${d%/rc.d}/rc.conf.d/NAME`` for each ``d`` of ``local_startup``
    (by default ``/usr/local/etc/rc.conf.d/NAME``); each a file or a
    directory of files (libexec/rc/rc.subr, docs/freebsd.md 8.1)."""
    dirs = ["/etc", *vars_.get("local_startup", DEFAULT_LOCAL_STARTUP).split()]
    return [f"{d.removesuffix('/rc.d')}/rc.conf.d/{service}" for d in dirs]


@dataclass(frozen=True, slots=True)
class RcSources:
    """The rc.conf variables one service sees, and where each was set."""

    values: dict[str, str] = field(default_factory=dict)
    #: Variable -> the file whose assignment won (the last one sourced).
    origin: dict[str, str] = field(default_factory=dict)
    #: Files read, in the order rc.subr sources them.
    files: list[str] = field(default_factory=list)
    #: Files that exist but could not be read: ``PATH: reason``.
    errors: list[str] = field(default_factory=list)


def load_sources(service: str | None, read: Callable[[str], str | None],
                 dir_files: Callable[[str], list[str]],
                 conf_files: tuple[str, ...] = RC_CONF_FILES) -> RcSources:
    """What rc.subr's ``load_rc_config SERVICE`` sources, without a shell.

    ``read(path)`` returns the text of a regular file, None when there is
    none (missing, or not a regular file: rc.subr tests ``-f``), and raises
    OSError when it exists but cannot be read.  ``dir_files(path)`` lists
    the entries of a directory (sh's ``path/*``: sorted, no dot files),
    ``[]`` when it is not one.  Variables carry from file to file, as in
    the one shell rc.subr sources them into.
    """
    values: dict[str, str] = {}
    origin: dict[str, str] = {}
    files: list[str] = []
    errors: list[str] = []

    def source(path: str) -> bool:
        try:
            text = read(path)
        except OSError as exc:
            errors.append(f"{path}: {os.strerror(exc.errno) if exc.errno else exc}")
            return True
        if text is None:
            return False
        files.append(path)
        for name, value in parse(text, values).items():
            values[name] = value
            origin[name] = path
        return True

    for path in conf_files:
        source(path)
    if service is not None:
        for path in service_conf_paths(service, values):
            if not source(path):
                for entry in dir_files(path):
                    source(entry)
    return RcSources(values, origin, files, errors)


def checkyesno(value: str | None) -> bool:
    """rc.subr ``checkyesno``: YES, TRUE, ON or 1 in any case."""
    return value is not None and value.strip().lower() in ("yes", "true", "on", "1")


def jail_enable(vars_: Mapping[str, str]) -> bool:
    return checkyesno(vars_.get("jail_enable"))


def jail_list(vars_: Mapping[str, str]) -> list[str]:
    """``jail_list`` split on blanks; empty means "every jail" (_ALL)."""
    return vars_.get("jail_list", "").split()


def enabled_services(vars_: Mapping[str, str]) -> list[str]:
    """Every ``X_enable`` that is YES, in file order, as ``X``."""
    return [k[:-7] for k, v in vars_.items()
            if k.endswith("_enable") and len(k) > 7 and checkyesno(v)]


def quote(value: str) -> str:
    """sysrc-style ``"value"`` with sh's double-quote specials escaped."""
    return '"' + re.sub(r'([\\"$`])', r"\\\1", value) + '"'


def set_var(text: str, name: str, value: str) -> str:
    """Return ``text`` with ``name`` set to ``value``, nothing else changed.

    The assignment that wins (the last one) gets the new value in place;
    if there is none, ``name="value"`` is appended on a line of its own.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a valid rc.conf variable name: {name!r}")
    if "\0" in value:
        raise ValueError("rc.conf values cannot hold a NUL character")
    last = None
    for a in parse_assignments(text):
        if a.name == name:
            last = a
    q = quote(value)
    if last is not None:
        return text[:last.value_start] + q + text[last.end:]
    sep = "" if not text or text.endswith("\n") else "\n"
    return f"{text}{sep}{name}={q}\n"
