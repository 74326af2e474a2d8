"""ps(1): the argv of the one process poll, its libxo JSON parser, STAT letters.

One ``ps -ax`` per tick covers the host and every jail (``jid`` and ``jail``
columns), instead of one ``ps -J`` per jail.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from jailtui.core.errors import ParseError
from jailtui.core.freebsd.errors import libxo_rows, load_json, tool_error, type_name
from jailtui.core.model import Process
from jailtui.core.transport.runner import CommandResult

#: ps -o keywords of the poll; their libxo keys are in docs/freebsd.md 2.1.
PS_KEYWORDS = "pid,ppid,jid,jail,user,state,%cpu,%mem,vsz,rss,etime,lstart,command"
#: The same without ``jail``, for a ps that lacks the keyword: names then
#: come from jls by jid (hosts.host.name_processes).
PS_KEYWORDS_NO_JAIL = PS_KEYWORDS.replace(",jail,", ",")

#: keyword.c findvar: ``warnx("%s: keyword not found", p); eval = 1;`` and
#: the other columns are printed (docs/freebsd.md 2.1).
_NO_JAIL_KEYWORD = "ps: jail: keyword not found"

_CMD = "ps --libxo json"

# Bounded so int() never meets a 5000-digit string (it raises ValueError).
_DIGITS = re.compile(r"[0-9]{1,19}")
# ps prints %cpu/%mem with "%.1f" (docs/freebsd.md 2.1); a non-C LC_NUMERIC would
# give a decimal comma, accepted too.
_DECIMAL = re.compile(r"[0-9]{1,9}(?:[.,][0-9]{0,9})?")
# docs/freebsd.md 2.1, etime: "mm:ss", "hh:mm:ss", "%3d-hh:mm:ss" (days padded).
_ETIME = re.compile(r"(?:(?P<d>[0-9]{1,9})-)?(?:(?P<h>[0-9]{1,9}):)?(?P<m>[0-9]{1,9}):(?P<s>[0-9]{1,9})")

# docs/freebsd.md 2.3: the first STAT character is the run state...
_RUN_STATE = {
    "D": "disk wait",
    "I": "idle",
    "L": "waiting for a lock",
    "R": "runnable",
    "S": "sleeping",
    "T": "stopped",
    "W": "idle interrupt thread",
    "Z": "zombie",
    "?": "unknown state",
}
# ...then flags. W, L mean something else here than as the first letter.
# W (swapped out) is 14.x only; C (capability mode) newer trees only.
_FLAGS = {
    "W": "swapped out",
    "<": "raised priority",
    "N": "lowered priority",
    "X": "traced or debugged",
    "E": "exiting",
    "V": "suspended in vfork",
    "L": "system process or locked pages",
    "C": "capability mode",
    "s": "session leader",
    "+": "foreground process group",
    "J": "in a jail",
}


def ps_argv(jail: str | None = None, *, jail_keyword: bool = True) -> list[str]:
    """argv of the process poll; ``jail`` (a name or jid) narrows it with ``-J``.

    ``-ww`` makes the width unlimited so commands are not cut (reference
    2.1; libxo JSON is unlimited anyway, -ww costs nothing).
    ``jail_keyword=False`` leaves out the ``jail`` column for a ps without it.
    """
    argv = ["ps", "--libxo", "json", "-ax", "-ww", "-o",
            PS_KEYWORDS if jail_keyword else PS_KEYWORDS_NO_JAIL]
    if jail is not None:
        argv += ["-J", jail]
    return argv


def parse_ps(data: bytes) -> tuple[Process, ...]:
    """Parse ``ps --libxo json -o PS_KEYWORDS`` output.

    Every value is a JSON string (docs/freebsd.md 2.4); numbers are stripped before
    conversion because values keep their own spaces (``"  2-03:04:05"``),
    and ``-`` means missing. Names and commands are kept raw. Unknown keys
    are ignored and optional ones may be absent (an older ps without the
    ``jail`` keyword gives ``jail=None``).
    """
    return _parse(data, nothing_ok=False)


def parse_ps_result(result: CommandResult) -> tuple[Process, ...]:
    """Processes of a finished ps run, reading "nothing matched" as none.

    When no process matches (``ps -J web`` of a jail without processes) ps
    exits 1 with nothing on stderr and prints a near-empty document such as
    ``{ }`` (docs/freebsd.md 2.2, [derived]); that is an empty tuple here. Any
    other failure (``ps: Invalid jail id: web``) raises the tool's error.
    """
    if result.returncode == 0:
        return parse_ps(result.stdout)
    if result.returncode == 1 and not result.stderr.strip():
        if not result.stdout.strip():
            return ()
        return _parse(result.stdout, nothing_ok=True)
    raise tool_error(result)


def lacks_jail_keyword(result: CommandResult) -> bool:
    """Did this ps fail only because it has no ``jail`` keyword?

    Exit 1 with ``ps: jail: keyword not found`` as the only stderr line:
    everything else was printed (keyword.c findvar), so the output is good.
    """
    lines = [ln for ln in result.stderr_text().splitlines() if ln.strip()]
    return result.returncode == 1 and lines == [_NO_JAIL_KEYWORD]


def parse_etime(text: str) -> int | None:
    """Seconds of a ps ``etime`` value (``05:06``, ``01:02:03``, ``  2-03:04:05``).

    None when the value is missing (``-``) or not in ps's format.
    """
    m = _ETIME.fullmatch(text.strip())
    if m is None:
        return None
    days, hours = int(m["d"] or 0), int(m["h"] or 0)
    return ((days * 24 + hours) * 60 + int(m["m"])) * 60 + int(m["s"])


def describe_stat(stat: str) -> list[str]:
    """Human meanings of STAT letters: ``"SsJ"`` -> sleeping, session leader, in a jail.

    The first letter is the run state, the rest are flags (docs/freebsd.md 2.3).
    """
    stat = stat.strip()
    if not stat:
        return []
    out = [_RUN_STATE.get(stat[0], f"unknown state {stat[0]}")]
    out += [_FLAGS.get(ch, f"unknown flag {ch}") for ch in stat[1:]]
    return out


# --- document ----------------------------------------------------------------------


def _parse(data: bytes, *, nothing_ok: bool) -> tuple[Process, ...]:
    doc = load_json(data, _CMD)
    rows = _process_rows(doc, nothing_ok=nothing_ok)
    del doc
    # Each row's dict is dropped as soon as its Process exists (popped from
    # the end of the reversed list, so the rows keep their order and index):
    # the decoded document and all the Processes are never alive together
    # at 50,000 processes (issue 18: peak RSS).
    rows.reverse()
    memo = _Memo()
    out: list[Process] = []
    i = 0
    while rows:
        out.append(_process(rows.pop(), i, memo))
        i += 1
    return tuple(out)


def _process_rows(doc: Mapping[str, object], *, nothing_ok: bool) -> list[dict[str, object]]:
    """The ``process-information`` -> ``process`` list (docs/freebsd.md 2.4)."""
    return libxo_rows(doc, "process-information", "process", _CMD, nothing_ok=nothing_ok)


class _Memo:
    """What one parse has seen, so each repeated value is decoded and stored once.

    Users, STAT letters, jail names, start times and many commands repeat
    across thousands of rows (every worker of a pool): one ``str`` object
    each (``strings``), one float per distinct %CPU/%MEM text, one int per
    distinct jid/ppid text, one parse per distinct etime. Every cached
    function is pure in its input, so the result is the same as without.
    """

    __slots__ = ("strings", "floats", "ints", "etimes")

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        self.floats: dict[str, float] = {}
        self.ints: dict[str, int | None] = {}
        self.etimes: dict[str, int | None] = {}


def _process(row: Mapping[str, object], i: int, memo: _Memo) -> Process:
    """One row. The common case (every value a plain string as ps prints it)
    is decoded inline; anything else goes through the checked helpers below,
    which also word the errors."""
    get = row.get
    strings = memo.strings
    v = get("pid")
    pid = int(v) if type(v) is str and len(v) <= 18 and v.isascii() and v.isdigit() \
        else _int(row, "pid", i)
    if pid is None:
        raise ParseError(_CMD, f"process #{i}: no \"pid\"")
    # The fields in the order the checks always ran (the first bad one is named).
    v = get("elapsed-time", "")
    etime = (v if type(v) is str else _text(row, "elapsed-time", i)).strip()
    etime = strings.setdefault(etime, etime)
    ppid = _cached_int(row, "ppid", i, memo) or 0
    jid = _cached_int(row, "jail-id", i, memo) or 0  # 0 = host (docs/freebsd.md 2.1)
    jail = _jail_name(row, i)
    if jail is not None:
        jail = strings.setdefault(jail, jail)
    user = _stripped(row, "user", i, strings)
    state = _stripped(row, "state", i, strings)
    cpu = _cached_float(row, "percent-cpu", i, memo)
    mem = _cached_float(row, "percent-memory", i, memo)
    v = get("virtual-size")
    vsz = int(v) if type(v) is str and len(v) <= 18 and v.isascii() and v.isdigit() \
        else _int(row, "virtual-size", i) or 0
    v = get("rss")
    rss = int(v) if type(v) is str and len(v) <= 18 and v.isascii() and v.isdigit() \
        else _int(row, "rss", i) or 0
    if etime in memo.etimes:
        elapsed = memo.etimes[etime]
    else:
        elapsed = memo.etimes[etime] = parse_etime(etime)
    started = _stripped(row, "start-time", i, strings)
    # `command`, or `arguments` for the `args` keyword (docs/freebsd.md 2.1); kept raw:
    # "[kworker/0:1]" style names and markup-like text are the display's problem.
    command = _text(row, "command", i) if "command" in row else _text(row, "arguments", i)
    command = strings.setdefault(command, command)
    return Process(pid, ppid, jid, jail, user, state, cpu, mem, vsz, rss, etime, elapsed,
                   started, command)


def _stripped(row: Mapping[str, object], key: str, i: int, strings: dict[str, str]) -> str:
    v = row.get(key, "")
    text = (v if type(v) is str else _text(row, key, i)).strip()
    return strings.setdefault(text, text)


def _cached_int(row: Mapping[str, object], key: str, i: int, memo: _Memo) -> int | None:
    """:func:`_int` of a value that repeats (jid, ppid), decoded once per text."""
    v = row.get(key)
    if type(v) is not str:
        return _int(row, key, i)
    ints = memo.ints
    if v in ints:
        return ints[v]
    n = ints[v] = _int(row, key, i)
    return n


def _cached_float(row: Mapping[str, object], key: str, i: int, memo: _Memo) -> float:
    """:func:`_float` decoded once per distinct text (``0.0`` is most rows)."""
    v = row.get(key)
    if type(v) is not str:
        return _float(row, key, i)
    floats = memo.floats
    f = floats.get(v)
    if f is None:
        f = floats[v] = _float(row, key, i)
    return f


def _jail_name(row: Mapping[str, object], i: int) -> str | None:
    """``jail-name`` raw, or None for a host process or a ps without the keyword.

    docs/freebsd.md 2.1: ps prints ``-`` for jid 0 or a failed lookup. Not
    stripped: JSON has no column padding (docs/freebsd.md 2.4), so spaces would be
    part of the name.
    """
    name = _text(row, "jail-name", i)
    return None if name.strip() in ("", "-") else name


# --- values ------------------------------------------------------------------------


def _text(row: Mapping[str, object], key: str, i: int) -> str:
    """A value as ps printed it; "" when absent. Numbers are tolerated."""
    value = row.get(key, "")
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ParseError(_CMD, f"process #{i}: \"{key}\" is {type_name(value)}, not a string")


def _int(row: Mapping[str, object], key: str, i: int) -> int | None:
    """A non-negative integer field; None when absent or ``-``."""
    value = row.get(key)
    # Fast path for what ps prints (ASCII digits, no padding): 50,000
    # processes a tick make this the hot spot (benchmarks/tick.py).
    if type(value) is str and len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    text = _text(row, key, i).strip()
    if text in ("", "-"):
        return None
    if not _DIGITS.fullmatch(text):  # ASCII only: int() would take "٣" or "1_0"
        raise ParseError(_CMD, f"process #{i}: \"{key}\" is not a number: {text!r:.60}")
    return int(text)


def _float(row: Mapping[str, object], key: str, i: int) -> float:
    """A ``%.1f`` percentage; 0.0 when absent or ``-``."""
    value = row.get(key)
    if type(value) is str and len(value) <= 18 and value.isascii():
        whole, dot, frac = value.partition(".")
        if whole.isdigit() and (not dot or frac.isdigit()):
            return float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else 0.0
    text = _text(row, key, i).strip()
    if text in ("", "-"):
        return 0.0
    if text.lower() in ("nan", "-nan", "inf", "-inf", "+inf", "+nan"):
        # One process's odd value (a kernel estimate gone wrong, or a liar
        # in a jail) must not fail the whole poll (issue 14 item 10).
        return 0.0
    if not _DECIMAL.fullmatch(text):
        raise ParseError(_CMD, f"process #{i}: \"{key}\" is not a number: {text!r:.60}")
    return float(text.replace(",", "."))
