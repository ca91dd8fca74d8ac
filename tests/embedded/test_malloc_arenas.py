"""The embedded server bounds glibc's malloc arenas (see adapters/malloc.py for why)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# Threads that allocate (bytes objects of 64 kB go to malloc), then glibc's own
# report of its arenas on stderr ("Arena 0:", "Arena 1:", …).
PROGRAM = """
import ctypes, sys, threading
from optimus.adapters.malloc import limit_arenas
if sys.argv[1] == "limit":
    assert limit_arenas(1)
def allocate():
    blocks = [bytes(65536) for _ in range(50)]
    del blocks
threads = [threading.Thread(target=allocate) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()
"""


def arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc arenas are glibc's")
def test_threads_share_one_arena_once_limited() -> None:
    assert arenas("default") > 1  # the control: glibc gives threads arenas of their own
    assert arenas("limit") == 1
