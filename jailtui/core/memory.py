"""Giving freed heap memory back to the system after a big parse (issue 18: RSS).

A poll of 50,000 processes decodes about 15 MB of JSON into some 650,000
short-lived strings and dicts in the parse thread. glibc's malloc keeps what
they freed inside its heaps (the parse thread's arena among them) and reuses
it only for later allocations of that arena, so the console's resident size
stays well above what it holds. ``malloc_trim(0)`` (glibc 2.8 and later, every
arena: malloc/malloc.c ``__malloc_trim``, ``mtrim``) returns the free pages of
each heap with ``madvise(MADV_DONTNEED)``. Elsewhere (FreeBSD's jemalloc, musl)
there is no such call and nothing is done: jemalloc purges on its own.

The console also fixes glibc's mmap threshold (:func:`map_big_blocks`): the
poll's few big buffers (ps's bytes, their copy, the decoded text: 15 MB each
at 50,000 processes) are then always their own mappings, given back by
``free``, instead of landing in the heaps once glibc's sliding threshold has
risen past them (round 7 of benchmarks/README.md).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from typing import Any

__all__ = ["map_big_blocks", "release_free_memory"]

_trim: Callable[[int], int] | None = None
_looked = False

#: mallopt(3) parameter number of M_MMAP_THRESHOLD (glibc malloc/malloc.h).
_M_MMAP_THRESHOLD = -3
#: The console's threshold: a block of 1 MiB or more is mapped on its own.
#: Python's small objects never reach it (pymalloc's 1 MiB arenas are mmapped
#: already: CPython Objects/obmalloc.c); a 5,000-process poll's buffers do.
BIG_BLOCK = 1 << 20


def map_big_blocks(threshold: int = BIG_BLOCK) -> bool:
    """Make glibc serve every ``malloc`` of ``threshold`` bytes or more with its
    own ``mmap`` (returned to the system by ``free``); False where it cannot.

    glibc's default threshold slides: each time a mapped block is freed the
    threshold rises to that block's size (up to 32 MiB on 64-bit), so after the
    first 15 MB poll the next polls' 15 MB buffers come from the heaps, and
    what they free there stays resident until a trim (``malloc_trim`` runs
    only after the parse) and counts in the peak beside the next buffer.
    Setting M_MMAP_THRESHOLD by ``mallopt`` turns the sliding off for good
    (mallopt(3); malloc/malloc.c ``do_set_mmap_threshold`` and
    ``no_dyn_threshold``). The cost is a fresh mapping per big buffer (page
    faults over a few MB per poll, small beside the parse). Nothing is done
    on other libcs (jemalloc maps large blocks on its own).
    """
    fn = _glibc_function("mallopt", [ctypes.c_int, ctypes.c_int])
    if fn is None:
        return False
    return bool(fn(_M_MMAP_THRESHOLD, threshold))


def release_free_memory() -> bool:
    """Hand the heap's free pages back to the system; False where it cannot be done."""
    global _trim, _looked
    if not _looked:
        _looked = True
        _trim = _glibc_function("malloc_trim", [ctypes.c_size_t])
    if _trim is None:
        return False
    _trim(0)
    return True


def _glibc_function(name: str, argtypes: list[Any]) -> Callable[..., int] | None:
    """glibc's function ``name`` (returning an int), through ctypes; None on another
    libc or where the process's symbols do not have it."""
    if not _is_glibc():
        return None
    try:
        fn = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    fn.argtypes = argtypes
    fn.restype = ctypes.c_int
    return fn  # type: ignore[no-any-return]


def _is_glibc() -> bool:
    """``platform.libc_ver()[0] == "glibc"``: its first step, ``os.confstr``
    (CPython Lib/platform.py libc_ver), without importing platform, which
    answers only where confstr does not (issue 18: list's imports)."""
    try:
        parts = (os.confstr("CS_GNU_LIBC_VERSION") or "").split(maxsplit=1)
    except (ValueError, OSError):
        parts = []
    if len(parts) == 2:
        return parts[0] == "glibc"
    import platform

    return platform.libc_ver()[0] == "glibc"
