"""The console's memory: freed heap given back after a big parse, and the cyclic
collector told what is permanent (issue 18: RSS and CPU).

A poll of 50,000 processes decodes about 15 MB of JSON into some 650,000
short-lived strings and dicts in the parse thread. glibc's malloc keeps what
they freed inside its heaps (the parse thread's arena among them) and reuses
it only for later allocations of that arena, so the console's resident size
stays well above what it holds. ``malloc_trim(0)`` (glibc 2.8 and later, every
arena: malloc/malloc.c ``__malloc_trim``, ``mtrim``) returns the free pages of
each heap with ``madvise(MADV_DONTNEED)``. Elsewhere (FreeBSD's jemalloc, musl)
there is no such call and nothing is done: jemalloc purges on its own.

:func:`settle_collector`: every poll makes thousands of objects the cyclic
collector tracks (a Process per row, the rows, the tables' lines), and each
collection of the older generations walked everything alive, the modules,
classes and functions of Textual and jailtui among them. Measured on a
console of 5,000 processes over 40 s (gc.callbacks): about 0.65 s of 4.7 s
CPU in the collector, 0.3 s of it in six full collections. Once the console
has imported what it runs, those objects are moved out of the collector's
view (``gc.freeze``: they are still freed by their reference counts, never
walked again): about 0.4 s in the collector. The thresholds stay CPython's:
a first generation of 50,000 cut the collector's time to 0.08 s but left
the console of 50,000 processes at a VmHWM of 176 MiB against 151
(benchmarks/README.md, round 4).
"""

from __future__ import annotations

import ctypes
import gc
import platform
from collections.abc import Callable

__all__ = ["release_free_memory", "settle_collector"]


def settle_collector() -> None:
    """For the console's process, once its modules are imported: what exists now
    is frozen out of the cyclic collector (never walked by it again)."""
    gc.freeze()

_trim: Callable[[int], int] | None = None
_looked = False


def release_free_memory() -> bool:
    """Hand the heap's free pages back to the system; False where it cannot be done."""
    global _trim, _looked
    if not _looked:
        _looked = True
        if platform.libc_ver()[0] == "glibc":
            try:
                fn = ctypes.CDLL(None).malloc_trim
            except (OSError, AttributeError):
                fn = None
            if fn is not None:
                fn.argtypes = [ctypes.c_size_t]
                fn.restype = ctypes.c_int
                _trim = fn
    if _trim is None:
        return False
    _trim(0)
    return True
