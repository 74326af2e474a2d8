"""Workers started from a coroutine *function*, typed so mypy accepts it.

Why a function and not ``coro()``: a worker cancelled before it starts
(``exclusive=True`` on reload, or app exit) never awaits a coroutine object
it was given, and Python warns "coroutine ... was never awaited"; given the
function, Textual calls it only when the worker runs
(``textual/worker.py``, ``Worker._run_async``).

Why the cast: ``DOMNode.run_worker`` is typed with ``WorkType[ResultType]``,
a union in which mypy infers ``Never`` for an ``async def f() -> None``
passed uncalled ("incompatible type Callable[[], Coroutine[Any, Any,
None]]").
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, cast

from textual.worker import WorkType


def job(func: Callable[[], Coroutine[Any, Any, None]]) -> WorkType[None]:
    """``func`` unchanged, typed as Textual's work type."""
    return cast("WorkType[None]", func)
