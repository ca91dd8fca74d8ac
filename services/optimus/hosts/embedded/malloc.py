"""glibc malloc settings that make RSS follow the block cache, not threads or history.

Arenas: glibc gives every thread that allocates its own arena (up to 8 per
core), and blocks read into RocksDB's cache by one thread and evicted by another
fragment them all. Measured serving a 5M-key dataset with reads in two threads:
one arena 137 MiB, two 168 MiB, glibc's default 219 MiB (bench/bench_memory.py).

Mapping threshold: glibc serves large allocations from mappings of their own,
returned to the system when freed, but raises that threshold (up to 32 MB) each
time such a mapping is freed. From then on memtable blocks, compaction buffers
and request bodies come from the heap, among cache blocks that keep it from
shrinking. Measured over four rounds of loading 1M keys into a serving server and
reading them: 135-173 MiB after each load with glibc's default, 135-139 fixed.
"""

from __future__ import annotations

import ctypes

# From glibc's malloc.h.
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def _mallopt(parameter: int, value: int) -> bool:
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False  # not glibc
    return bool(mallopt(parameter, value))


def limit_arenas(count: int) -> bool:
    """Allow at most `count` arenas; False where the C library is not glibc.

    Call it before threads start: a thread keeps the arena it first allocated in.
    """
    return _mallopt(_M_ARENA_MAX, count)


def fix_mmap_threshold(size: int) -> bool:
    """Serve every allocation of `size` bytes or more from a mapping of its own."""
    return _mallopt(_M_MMAP_THRESHOLD, size)
