"""Output of the command line: JSON rows and human tables.

Every string from a host goes through visible(); tables are plain text
(never markup); JSON rows name their host and backend.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter
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


#: The item separator given to json's C encoder: a raw control character,
#: which no encoded key or leaf holds (ensure_ascii writes every control
#: character of a string as an escape, ``\u0000``; numbers, true, false and
#: null have none), so each one found in its text is a separator.
_SEP = "\x00"
#: Between two lists of a column, and for an empty one, while the text is cut
#: (raw control characters too: never in the encoder's text).
_NEXT = "\x02"
_EMPTY = "\x01"
_LEAF_TYPES = frozenset({str, int, float, bool, type(None)})


def _uniform(rows: Sequence[Any]) -> tuple[list[str], list[int]] | None:
    """The keys of ``rows`` and the positions of their lists, when
    :func:`indented_json` can lay them out as columns.

    That is: a non-empty list of dicts with the same str keys in the same
    order, each value a leaf (str, int, float, bool or None, exactly: a
    subclass goes to json.dumps) where the first row has one, else a list or
    tuple of leaves (``ip4``/``ip6`` of ``list``). None otherwise. All in C:
    a map and a set per check, no Python step per value.
    """
    if type(rows) not in (list, tuple) or not rows or set(map(type, rows)) != {dict}:
        return None
    keys = list(rows[0])
    if not keys or set(map(type, keys)) != {str}:
        return None
    first = tuple(keys)
    if not all(map(first.__eq__, map(tuple, rows))):
        return None
    at = [i for i, v in enumerate(rows[0].values()) if type(v) in (list, tuple)]
    leaf_keys = [k for i, k in enumerate(keys) if i not in at]
    # itemgetter of two keys or more gives a tuple: the first one again.
    if leaf_keys and not set(map(type, chain.from_iterable(
            map(itemgetter(*leaf_keys, leaf_keys[0]), rows)))) <= _LEAF_TYPES:
        return None
    if at:
        lists = list(chain.from_iterable(map(itemgetter(*(keys[i] for i in at), keys[at[0]]),
                                             rows)))
        if (not set(map(type, lists)) <= {list, tuple}
                or not set(map(type, chain.from_iterable(lists))) <= _LEAF_TYPES):
            return None
    return keys, at


def _list_column(values: list[Any]) -> list[str]:
    """Each of ``values`` (lists of leaves) as indent=2 writes it at a row's level.

    One C encoding of all of them: ``]`` SEP ``[`` is where one list ends and
    the next begins (no leaf ends with ``]`` or starts with ``[``: a string
    starts and ends with its quote), any other SEP is between two items.
    """
    text = json.dumps(values, separators=(_SEP, ":"))
    text = _NEXT + text[1:-1].replace("]" + _SEP + "[", "]" + _NEXT + "[") + _NEXT
    text = (text.replace(_NEXT + "[]", _NEXT + _EMPTY)
            .replace(_NEXT + "[", _NEXT + "[\n      ").replace("]" + _NEXT, "\n    ]" + _NEXT)
            .replace(_SEP, ",\n      ").replace(_EMPTY, "[]"))
    return text[1:-1].split(_NEXT)


def indented_json(rows: Sequence[Any]) -> str:
    """``json.dumps(rows, indent=2)``, byte for byte, at a fraction of its cost.

    With ``indent`` json runs its pure-Python encoder, a generator step per
    token (82,000 for ``list`` of 1,000 jails; Lib/json/encoder.py
    ``JSONEncoder.iterencode`` uses ``c_make_encoder`` only without indent).
    For the rows of ``list`` and ``ps`` (:func:`_uniform`) the C encoder
    writes every leaf in one call, cut apart at ``_SEP``, and each column of
    lists in one more (:func:`_list_column`); the rows are then a template
    of the keys and the indentation of ``_make_iterencode`` (``{``/``[``,
    newline and two more spaces a level, ``,`` between items, ``": "`` after
    a key, ``[]`` when empty) filled by ``%`` in C. The C and Python encoders
    write keys and leaves alike (``encode_basestring_ascii``,
    ``int.__repr__``, ``float.__repr__``, NaN and the infinities by name:
    Modules/_json.c ``encoder_listencode_obj``, encoder.py ``floatstr``).
    Anything else is json.dumps's own (tests/test_cli_json_output.py).
    """
    shape = _uniform(rows)
    if shape is None:
        return json.dumps(rows, indent=2)
    keys, at = shape
    leaf_keys = [k for i, k in enumerate(keys) if i not in at]
    cols: list[Sequence[str]] = []
    if leaf_keys:
        getter = itemgetter(*leaf_keys, leaf_keys[0])
        step = len(leaf_keys) + 1
        cells = json.dumps(list(chain.from_iterable(map(getter, rows))),
                           separators=(_SEP, ":"))[1:-1].split(_SEP)
        if len(cells) != step * len(rows):
            return json.dumps(rows, indent=2)   # cannot be: every leaf is one cell
        by_key = {k: cells[j::step] for j, k in enumerate(leaf_keys)}
    for i, k in enumerate(keys):
        cols.append(_list_column(list(map(itemgetter(k), rows))) if i in at else by_key[k])
    template = "  {\n    " + ",\n    ".join(
        json.dumps(k).replace("%", "%%") + ": %s" for k in keys) + "\n  }"
    return "[\n" + ",\n".join(map(template.__mod__, zip(*cols, strict=True))) + "\n]"


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

