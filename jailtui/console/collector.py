"""The cyclic garbage collector held off from the console's launch to its first data.

The console's start (issue 18: launch to the first frame that shows data)
allocates some 400,000 objects that all stay alive: the modules, classes
and functions of jailtui, Textual and Rich, then the DOM, the CSS and the
first snapshot. Each allocation counts towards the collector's thresholds
(``gc.get_threshold()``, 700 by default), so the start runs some 140
collections, often a full one among them, traversing objects none of
which is garbage: 33 to 43 ms of CPU to the first data at 200 processes,
7 ms of it while cli/main.py itself is imported, before :func:`hold` can
run (benchmarks/README.md "Round 8 (start8)"). The collector is told to wait
(``gc.disable()``) until the first poll has been shown, then runs as before
(``gc.enable()``): the pattern the gc module's documentation gives for a
start whose objects all live on (https://docs.python.org/3/library/gc.html#gc.freeze:
"gc.disable() early in the parent process").

Reference counting is not affected: what the start frees it frees at once;
only cycles wait, and the start makes few. :func:`hold` is for the
console's launch only (cli/main.py, before the App's imports); nothing is
held unless it was called, so the tests, which build the App themselves,
run with the collector as it is.
"""

from __future__ import annotations

import gc

#: True between :func:`hold` and :func:`release`.
_held = False


def hold() -> None:
    """Hold the collector off for the start (the collector as it was if it is off already)."""
    global _held
    if _held or not gc.isenabled():
        return
    gc.disable()
    _held = True


def release() -> None:
    """The collector back as it was before :func:`hold` (nothing if it was not held)."""
    global _held
    if not _held:
        return
    _held = False
    gc.enable()


def held() -> bool:
    """The collector is held off by :func:`hold`."""
    return _held


__all__ = ["hold", "held", "release"]
