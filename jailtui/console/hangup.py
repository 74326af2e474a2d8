"""The console ends when its terminal does (issue 14 item 4).

A console started under ``su`` whose terminal is then closed gets no SIGHUP
(su is the session leader and keeps it), and Textual's input thread reads
EOF from the dead tty in a loop: 70-85 % CPU, polling as root, forever.
:func:`run_until_hangup` runs the app with two guards:

- SIGHUP asks the app to exit;
- a watchdog thread polls the terminal's descriptor for POLLHUP/POLLERR/
  POLLNVAL (poll(2) reports a hung-up tty without reading from it, so
  Textual's own reader is not disturbed) every :data:`CHECK_EVERY` seconds.

Either way the app is asked to exit, and if it has not within
:data:`GRACE` seconds (its shutdown writes to a terminal that is gone and
may block) the process leaves with ``os._exit`` and status 129 (128 +
SIGHUP, as a shell reports a hung-up job). Nothing is lost by that: the
console keeps no unsaved state outside an editor, which refuses to close
with changes (and whose terminal is gone as well).
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

#: Seconds between two looks at the terminal.
CHECK_EVERY = 0.2
#: Seconds the app gets to exit by itself once the terminal is gone.
GRACE = 0.6
#: Exit status after a hang-up (128 + SIGHUP).
HANGUP_STATUS = 128 + signal.SIGHUP


def terminal_gone(fd: int) -> bool:
    """True when ``fd`` (the console's tty) has hung up or is no longer valid."""
    p = select.poll()
    p.register(fd, select.POLLIN | select.POLLPRI)
    try:
        events = p.poll(0)
    except OSError:
        return True
    return any(ev & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, ev in events)


def run_until_hangup(app: Any, *, fd: int | None = None,
                     gone: Callable[[int], bool] = terminal_gone) -> Any:
    """``app.run()``, ended within about a second when the terminal goes away."""
    tty = sys.stdin.fileno() if fd is None else fd
    stop = threading.Event()

    def leave() -> None:
        if stop.is_set():
            return
        stop.set()
        try:
            app.call_from_thread(app.exit, None, HANGUP_STATUS)
        except Exception:  # noqa: BLE001 - the app's loop may be gone already
            pass
        timer = threading.Timer(GRACE, os._exit, (HANGUP_STATUS,))
        timer.daemon = True
        timer.start()

    def watch() -> None:
        while not stop.wait(CHECK_EVERY):
            if gone(tty):
                threading.Thread(target=leave, daemon=True).start()
                return

    def on_hup(signum: int, frame: object) -> None:
        threading.Thread(target=leave, daemon=True).start()

    old = signal.signal(signal.SIGHUP, on_hup)
    watcher = threading.Thread(target=watch, name="jailtui-hangup", daemon=True)
    watcher.start()
    try:
        return app.run()
    finally:
        stop.set()
        signal.signal(signal.SIGHUP, old)
