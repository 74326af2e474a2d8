"""core/memory.py: the heap's free pages handed back after a big parse (issue 18)."""

from __future__ import annotations

import ctypes
import platform

from jailtui.core.memory import map_big_blocks, release_free_memory


def test_release_free_memory_where_glibc_has_it() -> None:
    # glibc (this project's Linux CI) has malloc_trim; elsewhere nothing is done.
    assert release_free_memory() is (platform.libc_ver()[0] == "glibc")
    assert release_free_memory() is release_free_memory()   # looked up once, still answers


def _mapped_on_its_own(size: int) -> bool:
    """Does glibc's ``malloc(size)`` give a chunk mmap'd on its own? The chunk's
    size word, just before the pointer, has IS_MMAPPED (0x2) set then
    (glibc malloc/malloc.c, "Chunk representations"). Freed at once."""
    libc = ctypes.CDLL(None)
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    ptr = libc.malloc(size)
    assert ptr
    try:
        return bool(ctypes.c_size_t.from_address(ptr - ctypes.sizeof(ctypes.c_size_t)).value
                    & 0x2)
    finally:
        libc.free(ptr)


def test_map_big_blocks_keeps_every_big_block_its_own_mapping() -> None:
    if platform.libc_ver()[0] != "glibc":
        assert map_big_blocks() is False
        return
    assert map_big_blocks() is True
    # glibc's sliding threshold would serve the second and later blocks of
    # this size from the heap once the first mapped one is freed (mallopt(3));
    # fixed, each is a mapping of its own, and so given back when freed.
    assert all(_mapped_on_its_own(3 << 20) for _ in range(4))
    assert not _mapped_on_its_own(4096)  # small blocks still come from the heap
