"""The read cache of the Dapr host, in front of a real entry store."""

from __future__ import annotations

from pathlib import Path

from optimus.hosts.dapr.entry_cache import CachingEntryStore
from optimus.hosts.embedded.rocksdb import RocksEntryStore, open_database
from optimus.service_layer.ports import Batch


async def test_committed_entries_and_misses_are_served_from_memory(tmp_path: Path) -> None:
    db = open_database(tmp_path / "db")
    inner = RocksEntryStore(db)
    await inner.write(Batch("ds", "v1", [("t", "a", b'"A"'), ("t", "b", b'"B"')]))
    cache = CachingEntryStore(inner, max_bytes=1 << 20)
    assert await cache.read("v1", "t", "a") == b'"A"'
    assert await cache.read_many("v1", "t", ["b", "missing", "a"]) == [b'"B"', None, b'"A"']
    await inner.delete("ds", "v1", ["t"])  # the store forgets; the cache holds what was read
    assert await cache.read("v1", "t", "a") == b'"A"'
    assert await cache.read_many("v1", "t", ["missing", "b"]) == [None, b'"B"']
    db.close()


async def test_memory_stays_within_its_bound(tmp_path: Path) -> None:
    db = open_database(tmp_path / "db")
    inner = RocksEntryStore(db)
    entries = [("t", f"k{n:04d}", b"x" * 100) for n in range(1000)]
    await inner.write(Batch("ds", "v1", entries))
    cache = CachingEntryStore(inner, max_bytes=20_000)  # room for about 95 entries
    for _, key, _ in entries:
        await cache.read("v1", "t", key)
    await inner.delete("ds", "v1", ["t"])
    kept = 0  # newest first: cached ones answer until the first key the cache let go
    for _, key, _ in reversed(entries):
        if await cache.read("v1", "t", key) is None:
            break
        kept += 1
    assert 50 < kept < 100
    db.close()
