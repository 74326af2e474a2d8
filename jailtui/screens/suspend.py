"""Lend the real terminal to another program (shell, editor), and always take it back.

``App.suspend()`` resumes application mode only when its ``with`` block
ends normally: an exception inside it (``EDITOR=nonexistent-editor`` raises
FileNotFoundError from ``subprocess.call``) skipped the resume and left the
terminal suspended, the screen blank and ctrl+q dead (issue 13 item 4;
textual/app.py ``App.suspend``, docs/textual.md 2.4). Here the program runs
inside the block and its error is caught there, so the block always ends
normally and the console comes back; the error is shown afterwards.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from typing import Any

from textual.app import App, SuspendNotSupported

from jailtui.core.text import visible

NOT_FOUND = "{program}: not found on PATH: could not open {what}."
NO_TERMINAL = "This terminal cannot be suspended (no real tty): {what} is not available here."
IN_BROWSER = "{what} needs a terminal; not available in the browser."


def lend_terminal(app: App[Any], run: Callable[[], int], *, what: str,
                  program: str, path: str | None = None,
                  banner: str | None = None) -> int | None:
    """``run()`` on the real terminal, the console suspended meanwhile.

    Returns its exit status, or None when it could not run; the reason is
    shown as a notification (``program`` names it: ``vi: No such file or
    directory``). ``what`` says what was asked for ("a shell").

    A shell started on a pty fails in the child, where the console would
    only see "exit status 1": a failed ``program`` that is not on PATH is
    said so (issue 13 item 38). ``banner``: the screen is cleared (the
    previous program's last lines must not look like this one's) and the
    banner printed before ``run()``.
    """
    if app.is_web:
        app.notify(IN_BROWSER.format(what=what.capitalize()), severity="warning", markup=False)
        return None
    failure: Exception | None = None
    code: int | None = None
    try:
        with app.suspend():
            try:
                if banner is not None:
                    show_banner(banner)
                code = run()
            except Exception as exc:  # any error: the console must come back first
                failure = exc
    except SuspendNotSupported:
        app.notify(NO_TERMINAL.format(what=what), severity="warning", markup=False)
        return None
    if code and "/" not in program and shutil.which(program, path=path) is None:
        app.notify(NOT_FOUND.format(program=visible(program, 200), what=what),
                   severity="error", markup=False, timeout=10)
        return None
    if failure is not None:
        reason = failure.strerror if isinstance(failure, OSError) and failure.strerror \
            else (str(failure) or type(failure).__name__)
        app.notify(f"{visible(program, 200)}: {visible(reason, 300)}", severity="error",
                   markup=False, timeout=10)
        return None
    return code


def show_banner(text: str) -> None:
    """Clear the real terminal and say what runs in it now (ECMA-48 ED 2 + CUP).

    ``text`` is sanitised here: it names jails and hosts.
    """
    out = sys.__stdout__
    if out is None:
        return
    out.write("\x1b[H\x1b[2J" + "\n".join(visible(line, 300) for line in text.splitlines())
              + "\n")
    out.flush()


__all__ = ["lend_terminal", "show_banner", "IN_BROWSER", "NOT_FOUND", "NO_TERMINAL"]
