"""The embedded server's glibc malloc settings (see adapters/malloc.py for why).

Each check runs in a fresh interpreter, as glibc left it ("default", the control)
or after the embedded server was bootstrapped ("server").
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="these are settings of glibc's malloc"
)

SERVER = """
import sys, tempfile
from pathlib import Path
from optimus.bootstrap import EmbeddedSettings, bootstrap_embedded
if sys.argv[1] == "server":
    bootstrap_embedded(EmbeddedSettings(data_dir=Path(tempfile.mkdtemp()))).close()
"""

# Threads that allocate (bytes objects of 64 kB go to malloc), then glibc's own
# report of its arenas on stderr ("Arena 0:", "Arena 1:", …).
ARENAS = """
import ctypes, threading
def allocate():
    blocks = [bytes(65536) for _ in range(50)]
    del blocks
threads = [threading.Thread(target=allocate) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()
"""

# A 4 MB block is mapped, freed (which makes glibc raise its threshold to 4 MB),
# and asked for again: is the second one mapped too? glibc's mallinfo2 tells.
MAPPED_AGAIN = """
import ctypes
class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd",
        "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Mallinfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(4 << 20))
block = libc.malloc(4 << 20)
print(libc.mallinfo2().hblkhd >= 4 << 20)
"""


def run(program: str, mode: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-c", SERVER + program, mode], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


def test_threads_share_one_arena_once_limited() -> None:
    def arenas(mode: str) -> int:
        report = run(ARENAS, mode).stderr.splitlines()
        return sum(line.startswith("Arena ") for line in report)

    assert arenas("default") > 1  # the control: glibc gives threads arenas of their own
    assert arenas("server") == 1


def test_large_blocks_stay_mapped_once_the_threshold_is_fixed() -> None:
    def mapped_again(mode: str) -> bool:
        return run(MAPPED_AGAIN, mode).stdout.strip() == "True"

    assert not mapped_again("default")  # the control: glibc moved its threshold up
    assert mapped_again("server")
