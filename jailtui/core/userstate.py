"""What the console remembers between runs: the last view, the columns, the notes.

One JSON file, ``$XDG_STATE_HOME/jailtui/console.json`` (core/userfiles.py
``state_home``; the XDG Base Directory Specification puts "state data that
should persist between (application) restarts" such as "view, layout" there):

- ``view``: the last view (the focused pane, each pane's sort column,
  direction and filter, the host shown, the tree, host-wide and kernel-thread
  modes, the theme), saved on quit and restored on start unless
  ``--no-state`` or ``[console] remember_view = false``;
- ``columns``: the column picker's choice per pane (core/columns.py), saved
  when it is made (config.toml's ``[columns]`` pins a pane instead);
- ``notes``: a short free-text note per jail per host, saved when written.
  Keyed by the host's name in the console (``local``, ``sim:DIR``, a
  ``[hosts.NAME]``), so the same jail name on two hosts keeps two notes.

The file is a convenience, never a reason to fail: a missing file is an
empty state, and a file that cannot be read, is not JSON, is too large or
holds values of the wrong type gives a warning (the console puts it in its
log) and never an exception. Nothing is lost on the way: a file with any
problem is renamed aside (``console.json.bad-UTCTIME``, named in the
warning) before anything is written over it, and a file of a newer format
is left alone (read what we understand, write nothing). Every change is a
read-modify-write of the file under an flock(2) lock beside it, written
whole with a temporary file and rename(2) in the same directory
(userfiles.write_atomic), so two consoles that write notes at the same time
keep both, and a crash leaves the old file or the new one, never half.
A file that cannot be written is a warning; the change stays in memory for
the session.

Textual-free (tests/test_import_hygiene.py): the console (app.py,
screens/main.py) hands values in and out.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jailtui.core.columns import PANES, choice_problem
from jailtui.core.errors import JailtuiError
from jailtui.core.userfiles import NotYourDirectory, state_home, write_atomic

__all__ = ["FORMAT", "MAX_BYTES", "NOTE_MAX", "PaneView", "StateStore", "UserState", "View",
           "state_path"]

#: The format written; a file of a higher one is read but never written.
FORMAT = 1
#: A larger file is not read (it is not ours, or something went wrong).
MAX_BYTES = 1024 * 1024
#: Longest note, in characters (the note dialog's limit too).
NOTE_MAX = 200
#: Longest remembered filter, in characters.
FILTER_MAX = 200
#: Seconds to wait for the lock another console holds.
LOCK_WAIT = 2.0

#: The panes a view names.
FOCUS = ("jails", "processes")


def state_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/jailtui/console.json``."""
    return state_home(env) / "jailtui" / "console.json"


@dataclass(frozen=True, slots=True)
class PaneView:
    """One pane's sort and filter (sort None: the pane's default)."""

    sort: str | None = None
    reverse: bool = False
    filter: str = ""


@dataclass(frozen=True, slots=True)
class View:
    """The last view of the console."""

    focus: str = "jails"
    jails: PaneView = field(default_factory=PaneView)
    processes: PaneView = field(default_factory=PaneView)
    #: The host shown on a console of several hosts ("all": all hosts); None: the default.
    host: str | None = None
    tree: bool = False
    host_wide: bool = False
    hide_kernel: bool = False
    theme: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"focus": self.focus, "host": self.host, "tree": self.tree,
                "host_wide": self.host_wide, "hide_kernel": self.hide_kernel,
                "theme": self.theme,
                "jails": _pane_json(self.jails), "processes": _pane_json(self.processes)}


def _pane_json(p: PaneView) -> dict[str, Any]:
    return {"sort": p.sort, "reverse": p.reverse, "filter": p.filter}


@dataclass(frozen=True, slots=True)
class UserState:
    """Everything the file holds (immutable: a change makes a new one)."""

    view: View | None = None
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: host -> jail -> note.
    notes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT,
                "view": self.view.to_json() if self.view is not None else None,
                "columns": {k: list(v) for k, v in self.columns.items()},
                "notes": {h: dict(n) for h, n in self.notes.items() if n}}


class StateError(JailtuiError):
    """The state file cannot be used (the message says why); never raised out
    of :class:`StateStore`, which turns it into a warning."""


class TooLarge(StateError):
    """Larger than MAX_BYTES: not ours to parse, set aside whole."""


# -- reading ---------------------------------------------------------------------------


def parse(data: bytes) -> tuple[UserState, list[str], bool]:
    """The state in ``data``, what was wrong with it, and whether it may be
    written over (False for a newer format). Raises StateError when nothing
    of it is usable."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise StateError(f"not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise StateError("not a JSON object")
    problems: list[str] = []
    fmt = doc.get("format", FORMAT)
    writable = True
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        raise StateError(f"format {fmt!r} is not a number")
    if fmt > FORMAT:
        writable = False
        problems.append(f"written by a newer jailtui (format {fmt}); read, never changed")
    view = _view(doc.get("view"), problems)
    columns: dict[str, tuple[str, ...]] = {}
    raw_columns = doc.get("columns", {})
    if not isinstance(raw_columns, dict):
        problems.append("columns: not an object; ignored")
        raw_columns = {}
    for pane, names in raw_columns.items():
        if pane not in PANES:
            problems.append(f"columns: no pane {pane!r}; ignored")
            continue
        if not isinstance(names, list):
            problems.append(f"columns.{pane}: not a list; ignored")
            continue
        problem = choice_problem(pane, names)
        if problem is not None:
            problems.append(f"columns.{pane}: {problem}; ignored")
            continue
        columns[pane] = tuple(names)
    notes: dict[str, dict[str, str]] = {}
    raw_notes = doc.get("notes", {})
    if not isinstance(raw_notes, dict):
        problems.append("notes: not an object; ignored")
        raw_notes = {}
    for host, jails in raw_notes.items():
        if not isinstance(jails, dict):
            problems.append(f"notes of host {host!r}: not an object; ignored")
            continue
        kept: dict[str, str] = {}
        for jail, text in jails.items():
            if not isinstance(text, str):
                problems.append(f"note of {jail!r} on {host!r}: not a string; ignored")
                continue
            if len(text) > NOTE_MAX:
                problems.append(f"note of {jail!r} on {host!r}: longer than {NOTE_MAX} "
                                "characters; cut")
                text = text[:NOTE_MAX]
            if text:
                kept[jail] = text
        if kept:
            notes[host] = kept
    return UserState(view, columns, notes), problems, writable


def _view(raw: object, problems: list[str]) -> View | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append("view: not an object; ignored")
        return None
    view = View()
    changes: dict[str, Any] = {}
    focus = raw.get("focus", view.focus)
    if focus in FOCUS:
        changes["focus"] = focus
    else:
        problems.append(f"view.focus: {focus!r} is not one of {', '.join(FOCUS)}; ignored")
    for key in ("tree", "host_wide", "hide_kernel"):
        value = raw.get(key, False)
        if isinstance(value, bool):
            changes[key] = value
        else:
            problems.append(f"view.{key}: not true or false; ignored")
    for key in ("host", "theme"):
        value = raw.get(key)
        if value is None or (isinstance(value, str) and value and len(value) <= 256):
            changes[key] = value
        else:
            problems.append(f"view.{key}: not a name; ignored")
    for pane in FOCUS:
        changes[pane] = _pane(pane, raw.get(pane), problems)
    return replace(view, **changes)


def _pane(pane: str, raw: object, problems: list[str]) -> PaneView:
    if raw is None:
        return PaneView()
    if not isinstance(raw, dict):
        problems.append(f"view.{pane}: not an object; ignored")
        return PaneView()
    sort, reverse, text = raw.get("sort"), raw.get("reverse", False), raw.get("filter", "")
    if sort is not None and (not isinstance(sort, str) or len(sort) > 64):
        problems.append(f"view.{pane}.sort: not a column name; ignored")
        sort = None
    if not isinstance(reverse, bool):
        problems.append(f"view.{pane}.reverse: not true or false; ignored")
        reverse = False
    if not isinstance(text, str) or len(text) > FILTER_MAX:
        problems.append(f"view.{pane}.filter: not a short text; ignored")
        text = ""
    return PaneView(sort, reverse, text)


# -- the store ----------------------------------------------------------------------------


class StateStore:
    """The state file of this user, read once and changed piece by piece.

    ``path`` None: kept in memory only (a console built without the file,
    such as the tests' fakes). ``warnings`` collects what went wrong, for the
    console's log; :meth:`take_warnings` hands them over once.
    """

    def __init__(self, path: Path | None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._warnings: list[str] = []
        #: False after reading a newer format: nothing is written.
        self._writable = True
        self.state = UserState()
        if path is not None:
            self.state = self._read(moving_aside=True)

    # -- what the console asks ------------------------------------------------------------

    def take_warnings(self) -> list[str]:
        out, self._warnings = self._warnings, []
        return out

    def note(self, host: str, jail: str) -> str:
        return self.state.notes.get(host, {}).get(jail, "")

    def notes_of(self, host: str) -> Mapping[str, str]:
        return self.state.notes.get(host, {})

    def set_note(self, host: str, jail: str, text: str) -> bool:
        """Write (``text`` empty: remove) the note of ``jail`` on ``host``;
        False when the file could not be written (a warning says why; the
        note stays for the session)."""
        text = text.strip()[:NOTE_MAX]

        def change(state: UserState) -> UserState:
            notes = {h: dict(n) for h, n in state.notes.items()}
            mine = notes.setdefault(host, {})
            if text:
                mine[jail] = text
            else:
                mine.pop(jail, None)
            return replace(state, notes={h: n for h, n in notes.items() if n})

        return self._update(change)

    def columns(self, pane: str) -> tuple[str, ...] | None:
        return self.state.columns.get(pane)

    def set_columns(self, pane: str, names: tuple[str, ...] | None) -> bool:
        """Remember the picker's choice (None: the defaults again)."""
        def change(state: UserState) -> UserState:
            columns = dict(state.columns)
            if names is None:
                columns.pop(pane, None)
            else:
                columns[pane] = tuple(names)
            return replace(state, columns=columns)

        return self._update(change)

    @property
    def view(self) -> View | None:
        return self.state.view

    def save_view(self, view: View) -> bool:
        return self._update(lambda state: replace(state, view=view))

    # -- the file ---------------------------------------------------------------------------

    def _warn(self, message: str) -> None:
        self._warnings.append(f"state: {self.path}: {message}")

    def _read(self, *, moving_aside: bool) -> UserState:
        """The file's state now; a file with problems is renamed aside first
        (``moving_aside``), so nothing of it is written over."""
        assert self.path is not None
        try:
            data = _read_capped(self.path)
        except (FileNotFoundError, NotADirectoryError):
            return UserState()  # nothing there yet (writing says what is in the way)
        except TooLarge as exc:
            self._set_aside(f"unusable: {exc.message}")
            return UserState()
        except (OSError, StateError) as exc:
            detail = exc.message if isinstance(exc, StateError) else \
                (exc.strerror or str(exc))
            self._warn(f"cannot be read ({detail}); nothing remembered is used, "
                       "and nothing is written over it")
            self._writable = False
            return UserState()
        try:
            state, problems, writable = parse(data)
        except StateError as exc:
            self._set_aside(f"unusable: {exc.message}")
            return UserState()
        if not writable:
            self._writable = False
        for problem in problems:
            self._warn(problem)
        if problems and writable and moving_aside:
            self._set_aside("the rest is used")
        return state

    def _set_aside(self, why: str) -> None:
        assert self.path is not None
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self._clock()))
        aside = self.path.with_name(f"{self.path.name}.bad-{stamp}")
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            self._writable = False
            self._warn(f"{why}; could not be set aside ({exc.strerror or exc}): "
                       "nothing is written over it")
            return
        self._warn(f"{why}; the file was kept as {aside}")

    def _update(self, change: Callable[[UserState], UserState]) -> bool:
        """Apply ``change`` in memory and to the file (re-read under the lock:
        another console's notes written since are kept)."""
        self.state = change(self.state)
        if self.path is None:
            return True
        if not self._writable:
            self._warn("not written (see the warning above); the change lasts this session")
            return False
        try:
            _own_ancestor(self.path.parent)
            with _locked(self.path.with_name(f".{self.path.name}.lock")):
                current = self._read(moving_aside=True)
                if not self._writable:
                    return False
                new = change(current)
                data = json.dumps(new.to_json(), indent=1, sort_keys=True,
                                  ensure_ascii=False).encode("utf-8") + b"\n"
                write_atomic(self.path, data, own_dir=True)
        except (OSError, JailtuiError) as exc:
            detail = exc.message if isinstance(exc, JailtuiError) else (exc.strerror or str(exc))
            self._warn(f"not written ({detail}); the change lasts this session")
            return False
        # What the file holds now: ours and what other consoles wrote.
        self.state = new
        return True


def _read_capped(path: Path) -> bytes:
    """The file, regular and at most MAX_BYTES (a FIFO or a huge file is refused)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())

        if not stat.S_ISREG(st.st_mode):
            raise StateError("not a regular file")
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TooLarge(f"larger than {MAX_BYTES // 1024} KiB")
    return data


def _own_ancestor(directory: Path) -> None:
    """The nearest existing directory on the way to ``directory`` is ours: a
    root process whose HOME names a user's (``su`` without ``-``) must not make
    root-owned directories there (docs/security.md 2.9; userfiles.write_atomic
    checks the last one)."""
    for place in (directory, *directory.parents):
        try:
            st = os.stat(place)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if st.st_uid != os.geteuid():
            raise NotYourDirectory(f"{place}: belongs to uid {st.st_uid}, not to this user "
                                   f"(uid {os.geteuid()})")
        return


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """flock(2) on ``lock_path`` (made 0600 in a 0700 directory), waiting at
    most LOCK_WAIT seconds for another console's write."""
    lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN) \
                        or time.monotonic() > deadline:
                    raise StateError("another jailtui holds the state file's lock") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
