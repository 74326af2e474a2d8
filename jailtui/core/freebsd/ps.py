"""ps(1): the argv of the one process poll, its libxo JSON parser, STAT letters.

One ``ps -ax`` per tick covers the host and every jail (``jid`` and ``jail``
columns), instead of one ``ps -J`` per jail.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from jailtui.core.errors import ParseError
from jailtui.core.freebsd.errors import (
    libxo_rows,
    load_json,
    load_json_value,
    tool_error,
    type_name,
)
from jailtui.core.model import Process, ProcessFields, ProcessTotals, make_process, totals_of
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

#: "00".."99" -> its value: parse_etime's two-digit fields.
_TWO_DIGITS = {f"{i:02d}": i for i in range(100)}

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


#: ps -o keywords of a pid-only read: which processes a jail still has, and no more
#: (a restore's "verify stopped": docs/freebsd.md 2.1 for the keys, 2.2 for -J).
PIDS_KEYWORDS = "pid,jid"


def pids_argv(jid: int | None = None) -> list[str]:
    """argv of the pids of one live jail (``-J JID``), or, ``jid`` None, of every
    process with its jid (a dying jail's jid is no ``-J`` argument: libjail's
    jail_getid looks up live jails only). No command column, so no ``-ww``."""
    argv = ["ps", "--libxo", "json", "-ax", "-o", PIDS_KEYWORDS]
    if jid is not None:
        argv += ["-J", str(jid)]
    return argv


def parse_jail_pids(result: CommandResult, jid: int) -> tuple[int, ...]:
    """The pids of jail ``jid`` in a finished :func:`pids_argv` run, in ps's order.

    Thirteen columns of every process decoded into Processes to read two (the
    host-wide ps of a dying jail: every process of the host) was most of that
    step's own time (benchmarks/README.md "restore", round 6); here each row is two
    strings. "Nothing matched" (exit 1, no stderr: docs/freebsd.md 2.2) is none;
    any other failure raises the tool's error (``Invalid jail id``: JailNotFound),
    and a row without a pid, or a value that is no number, a ParseError naming it.
    """
    if result.returncode == 1 and not result.stderr.strip():
        if not result.stdout.strip():
            return ()
        rows = _process_rows(load_json(result.stdout, _CMD), nothing_ok=True)
    elif result.returncode != 0:
        raise tool_error(result)
    else:
        rows = _process_rows(load_json(result.stdout, _CMD), nothing_ok=False)
    out = []
    for i, row in enumerate(rows):
        pid = _int(row, "pid", i)
        if pid is None:
            raise ParseError(_CMD, f"process #{i}: no \"pid\"")
        if _int(row, "jail-id", i) == jid:
            out.append(pid)
    return tuple(out)


class RowNamer(Protocol):
    """Makes the Process of a jailed row whose user is a number (ps printed the
    uid: the host's passwd does not know it), naming the user as it is made
    (core/hosts/jailusers.py Naming: a jail's own passwd)."""

    def make(self, values: ProcessFields) -> Process: ...


def parse_ps(data: bytes | str, namer: RowNamer | None = None) -> tuple[Process, ...]:
    """Parse ``ps --libxo json -o PS_KEYWORDS`` output.

    Every value is a JSON string (docs/freebsd.md 2.4); numbers are stripped before
    conversion because values keep their own spaces (``"  2-03:04:05"``),
    and ``-`` means missing. Names and commands are kept raw. Unknown keys
    are ignored and optional ones may be absent (an older ps without the
    ``jail`` keyword gives ``jail=None``).

    With ``namer``, every row of a jail (jid not 0) whose user is all digits
    is made by ``namer.make`` (the rest as without): the jail's user names
    given in this pass, not by a second Process per row afterwards (issue 18).
    """
    return _parse(data, nothing_ok=False, namer=namer)


def parse_ps_totals(data: bytes | str) -> ProcessTotals:
    """The per-jail sums of ``ps --libxo json -o PS_KEYWORDS`` output, no Process made.

    For ``list`` (issue 18): each row is summed into its jail while the JSON
    is decoded (_plain_totals' object hook), and its dict freed at once; what
    is left to check afterwards is done in C, one regular expression over all
    the rows. The result is ``totals_of(parse_ps(data))`` exactly, errors
    included: the document is summed here only when its shape is libxo's and
    every row is the plain strings ps prints (digits, a ``%.1f``, ``-``), so
    certain to decode alike; any other document (a value of another type, a
    field missing, an odd number, malformed or truncated JSON) goes through
    :func:`parse_ps`, which decides (and words any error) as it always did.
    tests/test_ps_totals.py runs both on the same samples, and checks this
    path is the one taken.
    """
    try:
        totals = _plain_totals(data)
    except (_Odd, ParseError):  # ParseError: load_json_value's, or a value the hook met
        return totals_of(parse_ps(data))
    return totals


class _Odd(Exception):
    """A document parse_ps_totals leaves to parse_ps (not the plain strings ps prints)."""


#: The fields of a row that parse_ps_totals checks and sums, in this order...
_TOTALS_ROW = operator.itemgetter("pid", "rss", "ppid", "virtual-size", "jail-id",
                                  "percent-cpu", "percent-memory")
#: ...and the others parse_ps reads, which it only strips or keeps: any
#: string decodes (parse_etime gives None for one it cannot read).
_OTHER_FIELDS = operator.itemgetter("elapsed-time", "jail-name", "user", "state", "start-time",
                                    "command")
#: The same for a ps without the ``jail`` keyword (PS_KEYWORDS_NO_JAIL): no
#: ``jail-name``, which parse_ps then reads as None.
_OTHER_FIELDS_NO_JAIL = operator.itemgetter("elapsed-time", "user", "state", "start-time",
                                            "command")
#: Between the four fields of a row's line (the ASCII unit separator; a value
#: holding it gives more than 4 a row, and the document is parse_ps's).
_SEP = "\x1f"
_join = "".join
#: Every row's line, each ended by a newline, as parse_ps reads them without a
#: complaint: pid and rss 1 to 18 ASCII digits (_int's fast path), ppid and vsz
#: the same or ps's "-" (none: 0). One fullmatch over the lines joined checks
#: the whole document in C (issue 18: a split into 200,000 cells and a check a
#: column took 15 to 20 ms at 50,000 processes, this 3 to 4 ms). A value holding
#: the separator or a newline cannot match. The repetition is possessive
#: (``*+``, Python 3.11: Lib/re/_parser.py): a plain ``*`` keeps a backtracking
#: point a line in sre's stack (Modules/_sre/sre_lib.h, MAX_UNTIL), 50,000 of
#: them, which cost 17 ms the first time; a line ends at its newline, so there
#: is nothing to give back anyway.
_ROW_LINES = re.compile(
    r"(?:[0-9]{1,18}\x1f[0-9]{1,18}\x1f(?:[0-9]{1,18}|-)\x1f(?:[0-9]{1,18}|-)\n)*+")


class _RowMark:
    """What the object hook leaves in the document for a row it took: one object
    (no allocation a row), told apart from anything JSON decodes by identity."""

    __slots__ = ()


_ROW = _RowMark()


def _plain_totals(data: bytes | str) -> ProcessTotals:
    """parse_ps_totals' own path; raises _Odd (or json's error) for any document
    it does not take."""
    lines: list[str] = []
    keep = lines.append
    # jid's raw string -> [count, %cpu, %mem, rss], summed in document order as
    # totals_of does; %cpu and %mem's raw strings -> their floats.
    acc: dict[str, list[Any]] = {}
    jail_sums = acc.get
    floats: dict[str, float] = {}
    as_float = floats.get
    # Over the rows with %MEM > 0 and RSS > 0 (the host's too), from 0.0.
    with_mem = [0.0, 0.0]

    def row_hook(obj: dict[str, object]) -> object:
        # json's object_hook, called for every object as soon as it is decoded:
        # a row is summed into its jail's line of ``acc`` here and its dict freed
        # at once, while its memory is still in the cache (issue 18: this decode
        # is no slower than a plain json.loads). Only when the six fields
        # parse_ps also reads are there and strings: "".join raises TypeError,
        # in C, on anything else; parse_ps keeps or strips those, and it never
        # reads other keys. pid, rss, ppid and vsz are kept as one line of
        # _SEP-joined strings (the join raises the same for one not a string),
        # checked afterwards all at once (_ROW_LINES); a jid or percentage is
        # checked the first time it is seen (_new_jid, _new_float: _Odd, which
        # ends the decode). No tuple a row: 50,000 of them kept would be the
        # cyclic GC's to scan, a few times over.
        try:
            try:
                _join(_OTHER_FIELDS(obj))
            except KeyError:
                if "jail-name" in obj:
                    raise
                _join(_OTHER_FIELDS_NO_JAIL(obj))
            pid, rss, ppid, vsz, jid, cpu, mem = _TOTALS_ROW(obj)
            keep(_SEP.join((pid, rss, ppid, vsz)))
            c = as_float(cpu)  # TypeError if unhashable
            m = as_float(mem)
            sums = jail_sums(jid)
        except (KeyError, TypeError):
            return obj  # the containers, and any row parse_ps must decide
        if c is None:
            c = floats[cpu] = _new_float(cpu)
        if m is None:
            m = floats[mem] = _new_float(mem)
        # int() takes " 12" or "1_0" too: the column check below refuses them
        # (a ValueError here, as json's, is parse_ps's document too).
        kib = int(rss)
        if m > 0 and kib > 0:
            with_mem[0] += kib
            with_mem[1] += m
        if sums is None:
            _new_jid(jid)
            acc[jid] = [1, 0.0 + c, 0.0 + m, kib]
        else:
            sums[0] += 1
            sums[1] += c
            sums[2] += m
            sums[3] += kib
        return _ROW

    # The decode every ps parse makes (load_json_value: strict=False, the empty
    # output's check); its errors, and a ValueError in the hook (int(rss)), come
    # out as ParseError, which parse_ps_totals hands to parse_ps to word.
    doc = load_json_value(data, _CMD, object_hook=row_hook)
    # load_json's and libxo_rows' checks (docs/freebsd.md 2.4), the other way
    # round: anything but plainly that shape (a missing or odd container, a row
    # left a dict, anything else in the list) is parse_ps's to word. Every line
    # kept must be one of the list's marks: a row-like object anywhere else
    # (nested in a row, a container; summed too) makes one line more than marks.
    info = doc.get("process-information") if type(doc) is dict else None
    rows = info.get("process") if type(info) is dict else None
    if type(rows) is not list or not rows or not len(rows) == len(lines) == rows.count(_ROW):
        raise _Odd
    del rows, info, doc
    # pid, rss, ppid and vsz of every row, in C: the lines joined, one match.
    lines.append("")
    if _ROW_LINES.fullmatch("\n".join(lines)) is None:
        raise _Odd
    del lines
    # By the jid's number: "7" and "07" summed apart here would be one jail,
    # its rows' floats interleaved, in totals_of: parse_ps's then.
    jid_of = {j: 0 if j == "-" else int(j) for j in acc}
    jailed = [(jid_of[j], v) for j, v in acc.items() if jid_of[j]]
    if len({j for j, _ in jailed}) != len(jailed):
        raise _Odd
    return ProcessTotals({j: v[0] for j, v in jailed}, {j: v[1] for j, v in jailed},
                         {j: v[2] for j, v in jailed}, {j: v[3] for j, v in jailed},
                         with_mem[0], with_mem[1])


def _new_jid(v: object) -> None:
    """A jid seen for the first time: 1 to 18 ASCII digits or ps's ``-``; else _Odd."""
    if not (type(v) is str and (v == "-" or _plain_ints((v,)))):
        raise _Odd


def _plain_ints(values: Collection[str]) -> bool:
    """Is every one of ``values`` 1 to 18 ASCII digits (_int's fast path)?

    In C: the set of their lengths, then one ``isdigit`` over them all
    joined. ``isascii`` too, as ``isdigit`` takes other scripts' digits
    ("\\u0663", which int() would read).
    """
    if not values:
        return True
    lengths = set(map(len, values))
    joined = _join(values)
    return min(lengths) >= 1 and max(lengths) <= 18 and joined.isascii() and joined.isdigit()


def _new_float(v: object) -> float:
    """A percentage seen for the first time, as _float reads it when it is
    ``12.3`` or ``-`` (0.0); else _Odd."""
    if type(v) is not str:
        raise _Odd
    if v == "-":
        return 0.0
    if len(v) <= 18 and v.isascii():
        whole, dot, frac = v.partition(".")
        if whole.isdigit() and (not dot or frac.isdigit()):
            return float(v)
    raise _Odd


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
    text = text.strip()
    # ps prints the minutes and seconds (and hours) as two digits each
    # (print.c elapsed: "%02d:%02d"): read by table, the commonest shapes
    # first ("mm:ss", "hh:mm:ss", "d-hh:mm:ss"), one call per process a tick.
    n = len(text)
    two = _TWO_DIGITS
    if n >= 5 and text[-3] == ":":
        s2 = two.get(text[-2:])
        m2 = two.get(text[-5:-3])
        if s2 is not None and m2 is not None:
            if n == 5:
                return m2 * 60 + s2
            if n >= 8 and text[-6] == ":":
                h2 = two.get(text[-8:-6])
                if h2 is not None:
                    if n == 8:
                        return (h2 * 60 + m2) * 60 + s2
                    if text[-9] == "-" and 10 <= n <= 18 and text[:-9].isdigit() \
                            and text[:-9].isascii():
                        return ((int(text[:-9]) * 24 + h2) * 60 + m2) * 60 + s2
    # Any other width is the general path's, then the regex's, to decide.
    day_text, dash, hms = text.rpartition("-")
    parts = hms.split(":")
    n = len(parts)
    if text.isascii() and (n == 2 or n == 3) and (
            not dash or (0 < len(day_text) <= 9 and day_text.isdigit())):
        mm, ss = parts[-2], parts[-1]
        hh = parts[0] if n == 3 else "0"
        if 0 < len(mm) <= 9 and mm.isdigit() and 0 < len(ss) <= 9 and ss.isdigit() \
                and 0 < len(hh) <= 9 and hh.isdigit():
            d = int(day_text) if dash else 0
            return ((d * 24 + int(hh)) * 60 + int(mm)) * 60 + int(ss)
    m = _ETIME.fullmatch(text)
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


def _parse(data: bytes | str, *, nothing_ok: bool,
           namer: RowNamer | None = None) -> tuple[Process, ...]:
    memo = _Memo()
    memo.namer = namer

    def row_hook(obj: dict[str, object]) -> object:
        # Called by the JSON decoder for every object as soon as it is read:
        # a row becomes its Process here and its dict is dropped, so the 50,000
        # row dicts of a big host never live together (issue 18: peak RSS).
        # The Process itself takes the row's place in the document (round 7:
        # a wrapper object per row was 4 MB of the poll's peak at 50,000).
        # The two containers stay dicts; an object that does not decode as a
        # row stays a dict (the plain decode below then words its error).
        if "process" in obj or "process-information" in obj:
            return obj
        try:
            return _process_seen(obj, memo)
        except Exception:  # noqa: BLE001 - raised again, worded, by the plain decode
            return obj

    rows = _decoded_rows(load_json_value(data, _CMD, object_hook=row_hook))
    if rows is not None:
        return tuple(rows)
    # Not the usual document: a row that did not decode (it raises below), the
    # containers missing or not objects, or an object made a Process where no
    # row belongs (inside a row, or in a container's place). Decoded again as
    # plain JSON, so libxo_rows and the row checks decide and word it exactly
    # as they would any document, never meeting a Process. Only output that
    # fails, or has no rows at all, pays this second decode.
    plain = _process_rows(load_json(data, _CMD), nothing_ok=nothing_ok)
    return tuple(_process(row, i, memo) for i, row in enumerate(plain))


def _decoded_rows(doc: object) -> list[Process] | None:
    """The rows of a document of the usual shape whose rows the hook all made
    Processes: an object at the top holding a ``process-information`` object
    holding a ``process`` array (docs/freebsd.md 2.4) of Processes only;
    None for anything else."""
    if type(doc) is not dict:
        return None
    info = doc.get("process-information")
    if type(info) is not dict:
        return None
    rows = info.get("process")
    if type(rows) is not list or not rows or not all(type(row) is Process for row in rows):
        return None
    return rows


def _process_rows(doc: Mapping[str, object], *, nothing_ok: bool) -> list[dict[str, object]]:
    """The ``process-information`` -> ``process`` list (docs/freebsd.md 2.4)."""
    return libxo_rows(doc, "process-information", "process", _CMD, nothing_ok=nothing_ok)


class _Memo:
    """What one parse has seen, so each repeated value is decoded and stored once.

    Users, STAT letters, jail names, jids, parent pids, sizes, percentages
    and many commands repeat across thousands of rows (every worker of a
    pool): each table maps a field's raw JSON string to its final value
    (one ``str`` object each, one int, one float). Every
    decode cached here is a pure function of that string, so the result is
    the same as without; a value that does not decode is never cached (it
    raises, naming its row).
    """

    __slots__ = ("strings", "user", "numeric", "namer", "state", "jail", "jid", "ppid", "cpu",
                 "mem", "vsz")

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        self.user: dict[str, str] = {}
        #: The decoded users that are all digits (a uid ps could not name):
        #: the rows a RowNamer makes, when the parse has one.
        self.numeric: set[str] = set()
        self.namer: RowNamer | None = None
        self.state: dict[str, str] = {}
        self.jail: dict[str, str | None] = {}
        self.jid: dict[str, int] = {}
        self.ppid: dict[str, int] = {}
        self.cpu: dict[str, float] = {}
        self.mem: dict[str, float] = {}
        self.vsz: dict[str, int] = {}


_MISS = object()


#: The fields of a row, in one order, taken in one call (in C) by _process_seen.
_ROW_FIELDS = operator.itemgetter("pid", "elapsed-time", "ppid", "jail-id", "jail-name", "user",
                                  "state", "percent-cpu", "percent-memory", "virtual-size", "rss",
                                  "start-time", "command")


def _process_seen(row: Mapping[str, object], memo: _Memo) -> Process:
    """:func:`_process` of a row, shortest for the usual one (issue 18).

    The usual row has every field, its repeating ones (ppid, jid, jail,
    user, state, the percentages, vsz) already decoded earlier in this parse
    (the memo's tables hold only raw strings that decoded), and a pid, rss,
    etime, lstart and command that are plain strings: then it is one
    ``itemgetter`` call, eight table lookups and the few decodes left, the
    very values :func:`_process` gives. Any other row (a field missing, a
    value new to this parse or not a string: the lookups raise) goes to
    :func:`_process`, which decodes, remembers and words errors as ever.
    """
    try:
        (pid, etime, ppid, jid, jail, user, state, cpu, mem, vsz, rss, started,
         command) = _ROW_FIELDS(row)
        ppid = memo.ppid[ppid]
        jid = memo.jid[jid]
        jail = memo.jail[jail]
        user = memo.user[user]
        state = memo.state[state]
        cpu = memo.cpu[cpu]
        mem = memo.mem[mem]
        vsz = memo.vsz[vsz]
    except (KeyError, TypeError):  # missing, unseen, or unhashable: the general path
        return _process(row, 0, memo)
    if not (type(pid) is str and type(rss) is str and type(etime) is str
            and type(started) is str and type(command) is str
            and len(pid) <= 18 and len(rss) <= 18 and pid.isdigit() and rss.isdigit()
            and pid.isascii() and rss.isascii()):
        return _process(row, 0, memo)
    etime = etime.strip()
    values = (int(pid), ppid, jid, jail, user, state, cpu, mem, vsz, int(rss), etime,
              parse_etime(etime), started.strip(), memo.strings.setdefault(command, command),
              None)
    if jid and user in memo.numeric and memo.namer is not None:
        return memo.namer.make(values)
    return make_process(values)


def _process(row: Mapping[str, object], i: int, memo: _Memo) -> Process:
    """One row. A value seen before in this parse (the usual case) is one dict
    lookup by its raw string; anything new or odd goes through the checked
    helpers below (:func:`_decode_field`), which also word the errors, in
    the order the fields were always checked (the first bad one is named)."""
    get = row.get
    v = get("pid")
    pid = int(v) if type(v) is str and len(v) <= 18 and v.isascii() and v.isdigit() \
        else _int(row, "pid", i)
    if pid is None:
        raise ParseError(_CMD, f"process #{i}: no \"pid\"")
    # etime and lstart differ in most rows: decoded directly, not remembered.
    v = get("elapsed-time", "")
    etime = (v if type(v) is str else _text(row, "elapsed-time", i)).strip()
    v = get("ppid")
    ppid = memo.ppid.get(v) if type(v) is str else None
    if ppid is None:
        ppid = _decode_field(row, "ppid", i, memo)  # type: ignore[assignment]
    v = get("jail-id")
    jid = memo.jid.get(v) if type(v) is str else None
    if jid is None:
        jid = _decode_field(row, "jail-id", i, memo)  # type: ignore[assignment]
    v = get("jail-name")
    jail = memo.jail.get(v, _MISS) if type(v) is str else _MISS
    if jail is _MISS:
        jail = _decode_field(row, "jail-name", i, memo)
    v = get("user")
    user = memo.user.get(v) if type(v) is str else None
    if user is None:
        user = _decode_field(row, "user", i, memo)  # type: ignore[assignment]
    v = get("state")
    state = memo.state.get(v) if type(v) is str else None
    if state is None:
        state = _decode_field(row, "state", i, memo)  # type: ignore[assignment]
    v = get("percent-cpu")
    cpu = memo.cpu.get(v) if type(v) is str else None
    if cpu is None:
        cpu = _decode_field(row, "percent-cpu", i, memo)  # type: ignore[assignment]
    v = get("percent-memory")
    mem = memo.mem.get(v) if type(v) is str else None
    if mem is None:
        mem = _decode_field(row, "percent-memory", i, memo)  # type: ignore[assignment]
    v = get("virtual-size")
    vsz = memo.vsz.get(v) if type(v) is str else None
    if vsz is None:
        vsz = _decode_field(row, "virtual-size", i, memo)  # type: ignore[assignment]
    v = get("rss")
    rss = int(v) if type(v) is str and len(v) <= 18 and v.isascii() and v.isdigit() \
        else _int(row, "rss", i) or 0
    elapsed = parse_etime(etime)
    v = get("start-time", "")
    started = (v if type(v) is str else _text(row, "start-time", i)).strip()
    # `command`, or `arguments` for the `args` keyword (docs/freebsd.md 2.1); kept raw:
    # "[kworker/0:1]" style names and markup-like text are the display's problem.
    v = get("command")
    if type(v) is not str:
        v = _text(row, "command", i) if "command" in row else _text(row, "arguments", i)
    command = memo.strings.setdefault(v, v)
    values: ProcessFields = (pid, ppid, jid, jail, user, state, cpu, mem,  # type: ignore[assignment]
                             vsz, rss, etime, elapsed, started, command, None)
    if jid and user in memo.numeric and memo.namer is not None:
        return memo.namer.make(values)
    return make_process(values)


def _decode_field(row: Mapping[str, object], key: str, i: int, memo: _Memo) -> object:
    """The checked decode of one repeating field, remembered by its raw string."""
    raw = row.get(key)
    strings = memo.strings
    value: Any
    table: dict[str, Any]
    if key in ("ppid", "jail-id", "virtual-size"):
        value = _int(row, key, i) or 0
        table = memo.ppid if key == "ppid" else memo.jid if key == "jail-id" else memo.vsz
    elif key == "jail-name":
        name = _jail_name(row, i)
        value = None if name is None else strings.setdefault(name, name)
        table = memo.jail
    elif key in ("percent-cpu", "percent-memory"):
        value = _float(row, key, i)
        table = memo.cpu if key == "percent-cpu" else memo.mem
    else:  # user, state: stripped (docs/freebsd.md 2.4)
        text = _text(row, key, i).strip()
        value = strings.setdefault(text, text)
        table = memo.user if key == "user" else memo.state
        if key == "user" and text.isdigit():
            memo.numeric.add(value)
    if type(raw) is str:
        table[raw] = value
    result: object = value
    return result


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
