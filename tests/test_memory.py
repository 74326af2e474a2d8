"""core/memory.py: the heap's free pages handed back after a big parse (issue 18)."""

from __future__ import annotations

import platform

from jailtui.core.memory import release_free_memory


def test_release_free_memory_where_glibc_has_it() -> None:
    # glibc (this project's Linux CI) has malloc_trim; elsewhere nothing is done.
    assert release_free_memory() is (platform.libc_ver()[0] == "glibc")
    assert release_free_memory() is release_free_memory()   # looked up once, still answers
