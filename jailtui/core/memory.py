"""Giving freed heap memory back to the system after a big parse (issue 18: RSS).

A poll of 50,000 processes decodes about 15 MB of JSON into some 650,000
short-lived strings and dicts in the parse thread. glibc's malloc keeps what
they freed inside its heaps (the parse thread's arena among them) and reuses
it only for later allocations of that arena, so the console's resident size
stays well above what it holds. ``malloc_trim(0)`` (glibc 2.8 and later, every
arena: malloc/malloc.c ``__malloc_trim``, ``mtrim``) returns the free pages of
each heap with ``madvise(MADV_DONTNEED)``. Elsewhere (FreeBSD's jemalloc, musl)
there is no such call and nothing is done: jemalloc purges on its own.
"""

from __future__ import annotations

import ctypes
import platform
from collections.abc import Callable

__all__ = ["release_free_memory"]

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
