"""Bounding glibc's malloc arenas, so that RSS follows the block cache, not the threads.

glibc gives every thread that allocates its own arena (up to 8 per core), and
blocks read into RocksDB's cache by one thread and evicted by another fragment
them all. Measured serving a 5M-key dataset with reads in two threads: one arena
137 MiB, two 168 MiB, glibc's default 219 MiB (bench/bench_memory.py).
"""

from __future__ import annotations

import ctypes

_M_ARENA_MAX = -8  # from glibc's malloc.h


def limit_arenas(count: int) -> bool:
    """Allow at most `count` arenas; False where the C library is not glibc.

    Call it before threads start: a thread keeps the arena it first allocated in.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, count))
