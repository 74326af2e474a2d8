"""The terminal the console runs on: can it, how (colours, glyphs), and its exit status.

Decided once, before the App is built, because Textual reads the
environment in ``App.__init__`` (``NO_COLOR``; docs/textual.md 2.14):

* stdin and stdout must be a terminal; stderr need not be (``jailtui
  2>log``). Textual draws on stderr (docs/textual.md 2.4), so while the
  console runs, fd 2 is pointed at the terminal on stdout and given back
  afterwards; what the console has to say at the end goes to the real stderr.
* ``TERM=dumb`` (or ``unknown``) cannot address the cursor: refused with a
  pointer to the line-oriented commands.
* A terminal without colours (terminfo ``colors`` below 8, e.g. ``vt100``)
  gets the monochrome console Textual gives to ``NO_COLOR``; one without
  Unicode (``vt52``/``vt1xx``/``vt2xx``, or a non-UTF-8 locale) gets the ASCII
  glyphs (widgets/glyphs.py).
* A crash of the console exits non-zero with a line saying so (Textual
  keeps the code in ``App.return_code``, 1 after an unhandled error).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TextIO

from jailtui.widgets.glyphs import use_ascii

#: Terminal types that cannot run a full-screen program (ncurses' own
#: "dumb" entry has no cursor addressing; terminfo(5) ``cup``).
NO_CURSOR_TERMS = frozenset({"dumb", "unknown", ""})

#: DEC terminals before Unicode: ASCII (and DEC line drawing) only.
_ASCII_TERMS = re.compile(r"^vt(52|1\d\d|2\d\d)(-|$)")

NOT_A_TERMINAL = "jailtui: the console needs a terminal (try 'jailtui list', or ssh -t)"
DUMB_TERMINAL = ("jailtui: TERM={term} cannot show the console (no cursor movement); "
                 "set TERM to your terminal's type (e.g. xterm), or use 'jailtui list'")
CRASHED = "jailtui: the console stopped on an unexpected error (exit status {code})"


@dataclass(frozen=True)
class TerminalProfile:
    """What the terminal can show."""

    term: str
    #: terminfo's ``colors``; None when terminfo does not know the type.
    colors: int | None
    monochrome: bool
    ascii: bool


def _terminfo_colors(term: str) -> int | None:
    """terminfo(5) ``colors`` of ``term`` (-1: none), None if unknown here."""
    try:
        import curses

        curses.setupterm(term, sys.__stdout__.fileno() if sys.__stdout__ else 1)
        return int(curses.tigetnum("colors"))
    except Exception:  # no curses, no terminfo entry, not a tty: unknown
        return None


def profile(environ: Mapping[str, str], encoding: str | None) -> TerminalProfile:
    """The profile for ``TERM`` in ``environ`` and the locale's ``encoding``."""
    term = environ.get("TERM", "").strip().lower()
    colors = _terminfo_colors(term) if term not in NO_CURSOR_TERMS else None
    ascii_term = bool(_ASCII_TERMS.match(term))
    monochrome = "NO_COLOR" in environ or (colors is not None and colors < 8) \
        or (colors is None and ascii_term)
    utf8 = (encoding or "").lower().replace("-", "") in ("utf8", "utf8mb4")
    return TerminalProfile(term=term, colors=colors, monochrome=monochrome,
                           ascii=ascii_term or not utf8)


class _Tty(Protocol):
    def isatty(self) -> bool: ...


def refusal(environ: Mapping[str, str], stdin: _Tty | None, stdout: _Tty | None) -> str | None:
    """Why the console cannot run here; None if it can."""
    if stdin is None or stdout is None or not (stdin.isatty() and stdout.isatty()):
        # Without a tty Textual writes escape codes and sits there
        # (docs/textual.md 2.12).
        return NOT_A_TERMINAL
    term = environ.get("TERM", "").strip()
    if term.lower() in NO_CURSOR_TERMS:
        return DUMB_TERMINAL.format(term=term or "(unset)")
    return None


def prepare(environ: MutableMapping[str, str], encoding: str | None) -> TerminalProfile:
    """Adapt the console to the terminal: call before the App is built."""
    found = profile(environ, encoding)
    if found.monochrome:
        # Textual's own monochrome mode (App.__init__ reads NO_COLOR).
        environ["NO_COLOR"] = environ.get("NO_COLOR", "") or "1"
    use_ascii(found.ascii)
    return found


@contextmanager
def ui_on_terminal() -> Iterator[None]:
    """While the console runs, fd 2 is the terminal of fd 1 if it was not one.

    Textual's LinuxDriver writes to ``sys.__stderr__`` (docs/textual.md 2.4):
    with ``2>log`` the whole UI would go into the log.
    """
    if os.isatty(2) or not os.isatty(1):
        yield
        return
    saved = os.dup(2)
    try:
        os.dup2(1, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _RunnableApp(Protocol):
    @property
    def return_code(self) -> int | None: ...

    def run(self) -> object: ...


def run_console(app: _RunnableApp, stderr: TextIO | None = None) -> int:
    """Run ``app`` on the terminal; its exit status (non-zero after a crash)."""
    from jailtui.console import collector
    from jailtui.console.hangup import HANGUP_STATUS, run_until_hangup
    from jailtui.core.memory import map_big_blocks

    # Before the first poll: its big buffers each their own mapping, given
    # back when freed (core/memory.py; issue 18, the console's peak RSS).
    map_big_blocks()
    try:
        with ui_on_terminal():
            # Ends within about a second when the terminal goes away (EOF/EIO,
            # SIGHUP): a root console must not poll on forever (console/hangup.py).
            run_until_hangup(app)
    finally:
        # A console that ended before its first data (a crash, q at once):
        # the collector held off for its start runs again (console/collector.py).
        collector.release()
    code = app.return_code or 0
    if code and code != HANGUP_STATUS:  # nobody is left to read it after a hangup
        print(CRASHED.format(code=code), file=stderr or sys.stderr)
    return code


__all__ = ["TerminalProfile", "prepare", "profile", "refusal", "run_console",
           "ui_on_terminal", "NOT_A_TERMINAL", "DUMB_TERMINAL", "CRASHED"]
