"""The running state of the simulated host: ``SIMDIR/state.json`` under ``SIMDIR/state.lock``.

What the kernel would know lives here (jails with their parameters,
processes, racct rules, logged-in users, counters); what is on disk on a
real host (jail.conf, rc.conf, jail roots, passwd) lives under
``SIMDIR/root`` as real files.

Concurrency: shims, the console and tests share one SIMDIR, so every access
takes ``fcntl.flock`` on ``state.lock`` -- shared for readers, exclusive for
writers -- and writers replace ``state.json`` atomically (temp file +
``os.replace``), so a reader never sees half a file. Readers never write:
CPU and memory movement is computed at output time (:mod:`jailtui.sim.dynamics`).

Processes are stored as JSON arrays rather than objects: a 50,000-process
host loads in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jailtui.core.errors import JailtuiError
from jailtui.sim import cancel

FORMAT = 1
#: The file that makes a directory one of ours: ``sim init`` refuses any
#: other non-empty directory, and replaces ours only with ``--force``. It
#: holds the build parameters too, so ``sim reset`` works on a corrupt state.
MARKER = ".jailtui-sim"
#: What ``sim init --force`` may delete: only the parts a host is made of.
OWNED_ENTRIES = ("root", "jailbin", "state.json", "state.lock", "audit.log", "zfs", "zfs.json",
                 "zfs.lock", MARKER)
#: FreeBSD's default kern.pid_max; pids wrap around below it.
PID_MAX = 99_999
#: First pid reused after a wrap-around (FreeBSD skips low pids of daemons).
PID_WRAP_TO = 100

JailParam = str | int | bool


@dataclass(slots=True)
class Proc:
    """One process as the kernel knows it (``kinfo_proc``, simplified)."""

    pid: int
    ppid: int
    jid: int
    uid: int
    #: ps STAT letters without the trailing ``J`` (added for jid != 0).
    stat: str
    vsz: int
    rss: int
    start: float
    #: Controlling terminal ("pts/0", "ttyv0") or "" for none.
    tty: str
    comm: str
    args: str
    #: rc.d service that started it ("" for none): ``service X stop`` ends these.
    svc: str = ""
    #: Typical %CPU; the shown value moves around it.
    load: float = 0.0

    def row(self) -> list[Any]:
        return [self.pid, self.ppid, self.jid, self.uid, self.stat, self.vsz, self.rss,
                self.start, self.tty, self.comm, self.args, self.svc, self.load]

    @classmethod
    def from_row(cls, r: list[Any]) -> Proc:
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                   r[12])


@dataclass(slots=True)
class SimJail:
    """One running (or dying) jail: what ``jail_get(2)`` would return."""

    jid: int
    name: str
    path: str
    hostname: str = ""
    ip4: list[str] = field(default_factory=list)
    ip6: list[str] = field(default_factory=list)
    #: Kernel parameters set at creation or by ``jail -m`` (``vnet``: "new",
    #: ``persist``: True, ``allow.raw_sockets``: True, ``securelevel``: 3 ...).
    #: Everything else has the kernel default (:mod:`jailtui.sim.kernel`).
    params: dict[str, JailParam] = field(default_factory=dict)
    cpusetid: int = 0
    dying: bool = False
    created: float = 0.0
    parent: int = 0
    #: When jail_remove(2) left it dying; it is gone ``State.dying_seconds``
    #: later (the kernel frees a prison when its last reference goes:
    #: sockets in TIME_WAIT, open files; kern_jail.c prison_deref).
    dying_since: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"jid": self.jid, "name": self.name, "path": self.path,
                "hostname": self.hostname, "ip4": self.ip4, "ip6": self.ip6,
                "params": self.params, "cpusetid": self.cpusetid, "dying": self.dying,
                "created": self.created, "parent": self.parent,
                "dying_since": self.dying_since}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SimJail:
        return cls(d["jid"], d["name"], d["path"], d.get("hostname", ""),
                   list(d.get("ip4", [])), list(d.get("ip6", [])), dict(d.get("params", {})),
                   d.get("cpusetid", 0), bool(d.get("dying", False)),
                   float(d.get("created", 0.0)), int(d.get("parent", 0)),
                   float(d.get("dying_since", 0.0)))


@dataclass(slots=True)
class Login:
    """One utmpx USER_PROCESS record (who(1))."""

    user: str
    line: str
    host: str
    time: float

    def to_json(self) -> dict[str, Any]:
        return {"user": self.user, "line": self.line, "host": self.host, "time": self.time}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Login:
        return cls(d["user"], d["line"], d.get("host", ""), float(d["time"]))


@dataclass(slots=True)
class State:
    """Everything in state.json."""

    #: Parameters init_host() was called with, so reset() can rebuild.
    build: dict[str, Any] = field(default_factory=dict)
    hostname: str = "jailhost.example.org"
    osrelease: str = "14.3-RELEASE"
    osreldate: int = 1403000
    boot: float = 0.0
    ncpu: int = 8
    physmem_kib: int = 33_554_432
    next_pid: int = 100
    next_jid: int = 1
    next_cpuset: int = 3
    #: kern.racct.enable (a loader tunable on FreeBSD).
    racct: bool = True
    #: rctl rules as the kernel prints them (``jail:db:memoryuse:deny=2147483648``).
    rules: list[str] = field(default_factory=list)
    jails: list[SimJail] = field(default_factory=list)
    procs: list[Proc] = field(default_factory=list)
    #: Logged-in users per jail name; the host's under "".
    logins: dict[str, list[Login]] = field(default_factory=dict)
    #: Short-lived (cron) pids killed before their time: pid -> end of life.
    reaped: dict[int, float] = field(default_factory=dict)
    #: The FreeBSD generation simulated: 14 or 15 (``sim init --freebsd``).
    #: 14: a jail created with a dying jail's name gets a new jid beside it;
    #: 15: the new jail replaces the dying one, ``allow.dying``/``-d`` are
    #: deprecated and ``jail -C`` exists (docs/freebsd.md 3.2, 5.4).
    freebsd: int = 15
    #: How long a removed jail stays dying, in seconds (0: gone at once).
    dying_seconds: float = 30.0
    #: False: ps(1) has no ``jail`` keyword (``ps: jail: keyword not found``,
    #: keyword.c findvar; docs/freebsd.md 2.1).
    ps_jail_keyword: bool = True
    #: The host's kern.securelevel (init(8), security(7)): -1 unless raised.
    #: A jail's effective level is never below it (kernel.value).
    securelevel: int = -1
    #: File flags (chflags(2) st_flags) of simulated files by host path, as
    #: fflagstostr(3) names ("schg", "sappnd"); a file not listed has none.
    #: Linux has no st_flags, so the simulator records them here (sim/fflags.py).
    flags: dict[str, list[str]] = field(default_factory=dict)
    #: Interfaces moved into a VNET jail (``ifconfig IF vnet JID``, jail(8)'s
    #: ``vnet.interface``): name -> jid. The kernel gives an interface back to the
    #: host when that jail's vnet goes away, so a move to a jid no longer alive
    #: counts as "on the host" (sim/netstate.py).
    vnet_moved: dict[str, int] = field(default_factory=dict)
    #: pf anchors and their translation rules as pfctl -sn prints them
    #: (``rdr/web`` -> [``rdr pass on em0 inet proto tcp ...``]); sim/pfctl.py.
    pf_anchors: dict[str, list[str]] = field(default_factory=dict)
    #: pf is loaded and enabled (/dev/pf exists): ``sim fault nopf`` clears it.
    pf: bool = True

    # -- lookups -------------------------------------------------------------

    def jail_by_name(self, name: str, *, dying: bool = False) -> SimJail | None:
        """The jail called ``name``; with ``dying``, a dying one when no live one
        has the name (kern_jail.c prison_find_name prefers the live prison)."""
        dead: SimJail | None = None
        for j in self.jails:
            if j.name == name:
                if not j.dying:
                    return j
                if dying and dead is None:
                    dead = j
        return dead

    def jail_by_jid(self, jid: int, *, dying: bool = False) -> SimJail | None:
        for j in self.jails:
            if j.jid == jid and (dying or not j.dying):
                return j
        return None

    def lookup(self, key: str, *, dying: bool = False) -> SimJail | None:
        """libjail's ``jail_getid``: all digits (non-zero) is a jid, else a name."""
        if key.isdigit() and int(key) != 0:
            return self.jail_by_jid(int(key), dying=dying)
        return self.jail_by_name(key, dying=dying)

    def getid_error(self, key: str) -> str | None:
        """libjail ``jail_getid(key)`` without JAIL_DYING: None, or the kernel's message.

        ``jail "web" not found`` / ``jail 5 not found``, and for a jail that
        exists only dying ``jail "web" is dying`` / ``jail 5 is dying``
        (kern_jail.c kern_jail_get; docs/freebsd.md 1.6, 6).
        """
        if self.lookup(key) is not None:
            return None
        shown = key if key.isdigit() and int(key) != 0 else f'"{key}"'
        if self.lookup(key, dying=True) is not None:
            return f"jail {shown} is dying"
        return f"jail {shown} not found"

    def procs_of(self, jid: int) -> list[Proc]:
        return [p for p in self.procs if p.jid == jid]

    # -- allocation ------------------------------------------------------------

    def alloc_pid(self, used: set[int] | None = None) -> int:
        """Next free pid, sequential and wrapping at kern.pid_max like FreeBSD."""
        taken = used if used is not None else {p.pid for p in self.procs}
        pid = self.next_pid
        for _ in range(PID_MAX + 1):
            if pid > PID_MAX:
                pid = PID_WRAP_TO
            if pid not in taken:
                self.next_pid = pid + 1
                taken.add(pid)
                return pid
            pid += 1
        raise RuntimeError("simulated process table is full")

    def alloc_jid(self) -> int:
        """Next jid: the next free id after the last one assigned (docs/freebsd.md 5.1)."""
        taken = {j.jid for j in self.jails}
        jid = self.next_jid
        while jid in taken:
            jid += 1
        self.next_jid = jid + 1
        return jid

    def alloc_cpuset(self) -> int:
        cs = self.next_cpuset
        self.next_cpuset += 1
        return cs

    # -- (de)serialisation -------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "build": self.build, "hostname": self.hostname,
            "osrelease": self.osrelease, "osreldate": self.osreldate, "boot": self.boot,
            "ncpu": self.ncpu, "physmem_kib": self.physmem_kib, "next_pid": self.next_pid,
            "next_jid": self.next_jid, "next_cpuset": self.next_cpuset, "racct": self.racct,
            "rules": self.rules, "jails": [j.to_json() for j in self.jails],
            "logins": {k: [x.to_json() for x in v] for k, v in self.logins.items()},
            "reaped": {str(k): v for k, v in self.reaped.items()},
            "procs": [p.row() for p in self.procs],
            "freebsd": self.freebsd, "dying_seconds": self.dying_seconds,
            "ps_jail_keyword": self.ps_jail_keyword,
            "securelevel": self.securelevel, "flags": self.flags,
            "vnet_moved": self.vnet_moved, "pf_anchors": self.pf_anchors, "pf": self.pf,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> State:
        if d.get("format") != FORMAT:
            raise ValueError(f"unsupported state format {d.get('format')!r}")
        return cls(
            build=dict(d.get("build", {})), hostname=d.get("hostname", "jailhost"),
            osrelease=d.get("osrelease", "14.3-RELEASE"),
            osreldate=int(d.get("osreldate", 1403000)), boot=float(d.get("boot", 0.0)),
            ncpu=int(d.get("ncpu", 8)), physmem_kib=int(d.get("physmem_kib", 33_554_432)),
            next_pid=int(d["next_pid"]), next_jid=int(d["next_jid"]),
            next_cpuset=int(d.get("next_cpuset", 3)), racct=bool(d.get("racct", True)),
            rules=list(d.get("rules", [])),
            jails=[SimJail.from_json(j) for j in d.get("jails", [])],
            procs=[Proc.from_row(r) for r in d.get("procs", [])],
            logins={k: [Login.from_json(x) for x in v] for k, v in d.get("logins", {}).items()},
            reaped={int(k): float(v) for k, v in d.get("reaped", {}).items()},
            freebsd=int(d.get("freebsd", 15)), dying_seconds=float(d.get("dying_seconds", 30.0)),
            ps_jail_keyword=bool(d.get("ps_jail_keyword", True)),
            securelevel=int(d.get("securelevel", -1)),
            flags={str(k): [str(x) for x in v] for k, v in d.get("flags", {}).items()},
            vnet_moved={str(k): int(v) for k, v in d.get("vnet_moved", {}).items()},
            pf_anchors={str(k): [str(x) for x in v]
                        for k, v in d.get("pf_anchors", {}).items()},
            pf=bool(d.get("pf", True)),
        )


#: Parsed states by path, valid while the file's (inode, mtime, size) holds:
#: a console polling the simulator in-process does not re-parse an unchanged
#: 50,000-process state every tick. Readers never modify what they get.
_CACHE: dict[str, tuple[tuple[int, int, int], State]] = {}


def _read(path: Path) -> State:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise SimStateError(f"{path}: cannot read the simulated host's state "
                            f"({exc.strerror or exc})") from None
    # The cyclic GC would scan the 100,000 fresh containers several times
    # while they are built; none of them can form a cycle.
    was = gc.isenabled()
    gc.disable()
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict):
            raise ValueError(f"a JSON {type(doc).__name__}, not an object")
        return State.from_json(doc)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # json.JSONDecodeError is a ValueError; a wrong shape surfaces as
        # any of the others. One message, with the way out.
        raise CorruptState(path, _describe(exc)) from None
    finally:
        if was:
            gc.enable()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


class NotASimDir(JailtuiError):
    """SIMDIR is not a simulated host: ``jailtui sim init DIR`` was not run
    (no state.json, not a directory, or does not exist)."""


class CorruptState(NotASimDir):
    """state.json exists but cannot be read as a state (truncated, empty, wrong shape)."""

    def __init__(self, path: Path, detail: str) -> None:
        simdir = path.parent
        super().__init__(f"{path}: corrupt simulated host state ({detail}); "
                         f"rebuild it with: jailtui --sim {simdir} sim reset")


def check_simdir(simdir: str | os.PathLike[str]) -> Path:
    """``simdir`` resolved, if it holds a simulated host; else NotASimDir saying why."""
    base = Path(simdir)
    if not base.exists():
        raise NotASimDir(f"{base}: no simulated host here (create one with: "
                         f"jailtui sim init {base})")
    if not base.is_dir():
        raise NotASimDir(f"{base}: not a directory, so not a simulated host")
    if not (base / "state.json").is_file():
        raise NotASimDir(f"{base}: not a simulated host (no state.json)")
    return base.resolve()


def is_ours(simdir: str | os.PathLike[str]) -> bool:
    """Was ``simdir`` made by ``sim init`` (it has the marker file)?"""
    return (Path(simdir) / MARKER).is_file()


def read_marker(simdir: str | os.PathLike[str]) -> dict[str, Any]:
    """The build parameters recorded in the marker ({} if unreadable)."""
    try:
        doc = json.loads((Path(simdir) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    build = doc.get("build") if isinstance(doc, dict) else None
    return dict(build) if isinstance(build, dict) else {}


def write_marker(simdir: Path, build: dict[str, Any]) -> None:
    text = json.dumps({"what": "a simulated FreeBSD host made by jailtui sim init",
                       "build": build}, indent=1) + "\n"
    (simdir / MARKER).write_text(text, encoding="utf-8")


class SimStateError(JailtuiError):
    """state.json exists but cannot be read."""


class SimReadOnly(JailtuiError):
    """The simulated host's directory cannot be written by this user (a
    change was asked for: start, stop, a process that forks ...)."""

    def __init__(self, simdir: Path, exc: OSError) -> None:
        why = exc.strerror or str(exc)
        super().__init__(f"{simdir}: the simulated host cannot be changed by this user "
                         f"({why})")


class Store:
    """Locked access to one SIMDIR's state.

    ``with store.read() as st`` gives a state that must not be modified;
    ``with store.write() as st`` gives one whose changes are saved when the
    block exits without an exception.
    """

    def __init__(self, simdir: str | os.PathLike[str]) -> None:
        self.simdir = Path(simdir).resolve()
        self.path = self.simdir / "state.json"
        self.lock_path = self.simdir / "state.lock"

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        """Hold ``state.lock`` (flock(2)) in ``mode``.

        Reading needs no write access (issue 14 item 9): the lock file is
        opened read-only (flock(2) takes a shared lock on any descriptor),
        and where it cannot even be created (a read-only or foreign SIMDIR)
        the state is read unlocked, which is safe because it is only ever
        replaced whole by rename(2) (:func:`save`). Writing needs the lock.
        """
        if not self.path.is_file():
            check_simdir(self.simdir)  # raises, saying why
        shared = mode == fcntl.LOCK_SH
        fd: int | None
        try:
            fd = os.open(self.lock_path, (os.O_RDONLY if shared else os.O_RDWR) | os.O_CLOEXEC)
        except FileNotFoundError:
            fd = self._create_lock(shared)
        except OSError as exc:
            if not shared:
                raise SimReadOnly(self.simdir, exc) from None
            fd = None
        if fd is None:
            yield
            return
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def _create_lock(self, shared: bool) -> int | None:
        try:
            return os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            if shared:
                return None
            raise SimReadOnly(self.simdir, exc) from None

    def _load(self) -> State:
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise SimStateError(f"{self.path}: {exc.strerror or exc}") from None
        sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        key = str(self.path)
        hit = _CACHE.get(key)
        if hit is not None and hit[0] == sig:
            return hit[1]
        state = _read(self.path)
        _CACHE[key] = (sig, state)
        return state

    @contextlib.contextmanager
    def read(self) -> Iterator[State]:
        """Shared lock; the state is cached by file signature, so do not modify it."""
        with self._locked(fcntl.LOCK_SH):
            yield self._load()

    @contextlib.contextmanager
    def write(self) -> Iterator[State]:
        """Exclusive lock; a fresh copy of the state, saved on a clean exit."""
        with self._locked(fcntl.LOCK_EX):
            _CACHE.pop(str(self.path), None)
            state = _read(self.path)
            yield state
            # A command whose caller timed out saves nothing (sim/cancel.py).
            cancel.checkpoint()
            save(self.simdir, state)

    def initialise(self, state: State) -> None:
        """Write a first state (``sim init`` / ``sim reset``) under the lock."""
        self.simdir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            save(self.simdir, state)
            _CACHE.pop(str(self.path), None)
        finally:
            os.close(fd)


def save(simdir: Path, state: State) -> None:
    """Write state.json atomically (temp file in the same directory + rename)."""
    data = json.dumps(state.to_json(), separators=(",", ":")).encode()
    fd, tmp = tempfile.mkstemp(prefix=".state.", suffix=".json", dir=simdir)
    try:
        # Readable by other users (a read-only console), like /var/run files.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, simdir / "state.json")
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
