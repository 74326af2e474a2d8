"""core/memory.py: the heap's free pages handed back after a big parse (issue 18)."""

from __future__ import annotations

import platform

from jailtui.core.memory import release_free_memory


def test_release_free_memory_where_glibc_has_it() -> None:
    # glibc (this project's Linux CI) has malloc_trim; elsewhere nothing is done.
    assert release_free_memory() is (platform.libc_ver()[0] == "glibc")
    assert release_free_memory() is release_free_memory()   # looked up once, still answers


def test_settle_collector_freezes_and_slows_the_collector() -> None:
    """What exists when the console starts is frozen out of the cyclic collector
    (still freed by reference count), which then runs less often; restored
    after, for the other tests of this process."""
    import gc

    from jailtui.core.memory import COLLECTOR_THRESHOLDS, settle_collector

    before = gc.get_threshold()
    try:
        gc.unfreeze()
        settle_collector()
        assert gc.get_freeze_count() > 1000
        assert gc.get_threshold() == COLLECTOR_THRESHOLDS != before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
