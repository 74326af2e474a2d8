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

from collections.abc import Callable
from typing import Any

from textual.app import App, SuspendNotSupported

from jailtui.core.text import visible

NO_TERMINAL = "This terminal cannot be suspended (no real tty): {what} is not available here."
IN_BROWSER = "{what} needs a terminal; not available in the browser."


def lend_terminal(app: App[Any], run: Callable[[], int], *, what: str,
                  program: str) -> int | None:
    """``run()`` on the real terminal, the console suspended meanwhile.

    Returns its exit status, or None when it could not run; the reason is
    shown as a notification (``program`` names it: ``vi: No such file or
    directory``). ``what`` says what was asked for ("a shell").
    """
    if app.is_web:
        app.notify(IN_BROWSER.format(what=what.capitalize()), severity="warning", markup=False)
        return None
    failure: Exception | None = None
    code: int | None = None
    try:
        with app.suspend():
            try:
                code = run()
            except Exception as exc:  # any error: the console must come back first
                failure = exc
    except SuspendNotSupported:
        app.notify(NO_TERMINAL.format(what=what), severity="warning", markup=False)
        return None
    if failure is not None:
        reason = failure.strerror if isinstance(failure, OSError) and failure.strerror \
            else (str(failure) or type(failure).__name__)
        app.notify(f"{visible(program, 200)}: {visible(reason, 300)}", severity="error",
                   markup=False, timeout=10)
        return None
    return code


__all__ = ["lend_terminal", "NO_TERMINAL", "IN_BROWSER"]
