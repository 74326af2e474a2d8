"""Writing values back: jail.conf quoting and jail.c's ``quoted_print``."""

from __future__ import annotations

import re

from jailtui.core.model import ParamValue

__all__ = ["quote_value", "quoted_print", "render_statement"]

_BARE_RE = re.compile(r"[A-Za-z0-9_!%&()\-.:<>?@\[\]^`|~/]+")
_DQ_ESC = {"\\": "\\\\", '"': '\\"', "$": "\\$", "\a": "\\a", "\b": "\\b", "\f": "\\f",
           "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def quote_value(s: str) -> str:
    """Write ``s`` as one jail.conf string token that reads back as ``s``.

    Bare when it is made of word characters (and ``/`` not forming a
    comment opener); otherwise double-quoted with ``\\``, ``"`` and ``$``
    escaped (``$`` would start a variable) and control characters as C
    escapes, so the value is literal: no variable is expanded.
    """
    if "\0" in s:
        raise ValueError("jail.conf values cannot hold a NUL character")
    if s and _BARE_RE.fullmatch(s) and "//" not in s and "/*" not in s:
        return s
    out = ['"']
    for ch in s:
        if ch in _DQ_ESC:
            out.append(_DQ_ESC[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _no_name(name: str) -> str:
    """The ``no`` form of a boolean: ``persist`` -> ``nopersist``,
    ``allow.mount`` -> ``allow.nomount`` (jail.conf(5): the prefix goes on
    the last component)."""
    head, dot, last = name.rpartition(".")
    return f"{head}{dot}no{last}"


def render_statement(name: str, value: ParamValue) -> str:
    """The text of one statement setting ``name`` to ``value``."""
    n = quote_value(name)
    if value is True:
        return f"{n};"
    if value is False:
        return f"{quote_value(_no_name(name))};"
    if isinstance(value, int):
        return f"{n} = {value};"
    if isinstance(value, str):
        return f"{n} = {quote_value(value)};"
    if not value:
        raise ValueError(f"{name}: an empty list cannot be written (use None to delete)")
    return f"{n} = {', '.join(quote_value(v) for v in value)};"


def quoted_print(s: str) -> str:
    """jail.c ``quoted_print``: how ``jail -e`` and ``-v`` print a value."""
    qc = ('"' if not s else '"' if "'" in s else "'" if '"' in s
          else '"' if (" " in s or "\t" in s) else "")
    out = [qc]
    for c in s:
        if c == "\\" or (qc and c == qc):
            out.append("\\")
        out.append(c)
    out.append(qc)
    return "".join(out)
