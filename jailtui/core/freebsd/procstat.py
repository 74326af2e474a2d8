"""Parsers of procstat(1): open files (-f), memory map (-v), environment (-e).

Formats from usr.bin/procstat/procstat_files.c, procstat_vm.c and
procstat_args.c (docs/freebsd.md 15.4). The tables are read as text (their
columns are fixed and the last one, a path, runs to the end of the line); the
environment is read from ``--libxo json``, where every string stays whole (the
text form joins them with spaces, so a value holding a space could not be told
from the next variable). Paths and values come from the process, hence possibly
from a jail: kept as they are, shown through core/text.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from jailtui.core.errors import ParseError
from jailtui.core.freebsd.errors import decode, load_json

__all__ = ["MapEntry", "OpenFile", "parse_env_json", "parse_files", "parse_vm", "vanished",
           "vm_summary"]


@dataclass(frozen=True, slots=True)
class OpenFile:
    """One row of ``procstat -f``."""

    fd: str
    type: str
    vtype: str
    flags: str
    proto: str
    name: str


@dataclass(frozen=True, slots=True)
class MapEntry:
    """One row of ``procstat -v``: a mapping and its resident pages."""

    start: int
    end: int
    prot: str
    resident: int
    type: str
    path: str

    @property
    def size(self) -> int:
        return self.end - self.start


def vanished(stderr: bytes) -> bool:
    """Is the process gone? procstat prints nothing for a pid that does not exist
    and exits 0 (procstat.c: kinfo_getproc fails, ``procstat: kinfo_getproc(N)``
    style warnings only with -v), so the caller decides from an empty table."""
    return b"No such process" in stderr


def _rows(data: bytes, header: str) -> list[str]:
    lines = decode(data).splitlines()
    if not lines:
        return []
    if not lines[0].lstrip().startswith("PID"):
        raise ParseError(f"procstat ({header})", f"unexpected first line {lines[0][:60]!r}")
    return [ln for ln in lines[1:] if ln.strip()]


def parse_files(data: bytes) -> list[OpenFile]:
    """``  PID COMM  FD T V FLAGS    REF  OFFSET PRO NAME``: COMM is 16 wide and may
    hold spaces, so the row is cut at the fixed columns FreeBSD prints
    (``%5d %-16s %5s %1s %1s %-8s %3s %7s %-3s %s``)."""
    out: list[OpenFile] = []
    for line in _rows(data, "-f"):
        rest = line[23:] if len(line) > 23 else ""
        words = rest.split(None, 7)
        if len(words) < 7:
            continue
        fd, ftype, vtype, flags = words[0], words[1], words[2], words[3]
        # words[4] REF, words[5] OFFSET, then PRO and NAME
        tail = words[6] if len(words) == 7 else words[6] + " " + words[7]
        proto, _, name = tail.partition(" ")
        out.append(OpenFile(fd, ftype, vtype, flags, proto, name.strip()))
    return out


def parse_vm(data: bytes) -> list[MapEntry]:
    """``PID START END PRT RES PRES REF SHD FLAG TP PATH`` (procstat_vm.c)."""
    out: list[MapEntry] = []
    for line in _rows(data, "-v"):
        words = line.split(None, 10)
        if len(words) < 10:
            continue
        try:
            start, end = int(words[1], 16), int(words[2], 16)
            resident = int(words[4])
        except ValueError:
            continue
        path = words[10] if len(words) > 10 else ""
        out.append(MapEntry(start, end, words[3], resident, words[9], path))
    return out


def vm_summary(entries: list[MapEntry], page_kib: int = 4) -> list[tuple[str, int, int, int]]:
    """The map summarised by what backs it: (what, mappings, KiB mapped, KiB resident),
    most resident first. A file-backed mapping counts under its path; anonymous memory
    (``df``/``sw``) under "anonymous", the rest under its type."""
    groups: dict[str, list[int]] = {}
    for e in entries:
        key = e.path if e.type == "vn" and e.path else \
            "anonymous" if e.type in ("df", "sw") else _TYPES.get(e.type, e.type)
        g = groups.setdefault(key, [0, 0, 0])
        g[0] += 1
        g[1] += e.size // 1024
        g[2] += e.resident * page_kib
    return sorted(((k, v[0], v[1], v[2]) for k, v in groups.items()),
                  key=lambda t: (-t[3], -t[2]))


#: procstat -v's TP column (procstat_vm.c) for mappings without a file.
_TYPES = {"gd": "guard pages", "dv": "device", "ph": "physical", "sg": "scatter/gather",
          "md": "managed device", "dd": "dead", "--": "none", "??": "unknown"}


def parse_env_json(data: bytes, pid: int) -> list[str] | None:
    """``procstat --libxo json -e PID``: ``{"procstat": {"environment": {"PID":
    {"process_id", "command", "environment": [...]}}}}``; None when the pid is
    not in it (the process is gone)."""
    doc = load_json(data, "procstat --libxo json -e")
    body = doc.get("procstat", {})
    env = body.get("environment", {}) if isinstance(body, dict) else {}
    entry = env.get(str(pid)) if isinstance(env, dict) else None
    if not isinstance(entry, dict):
        return None
    values = entry.get("environment", [])
    return [str(v) for v in values] if isinstance(values, list) else []
