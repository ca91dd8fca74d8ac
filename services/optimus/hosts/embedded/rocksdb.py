"""The embedded engine: one RocksDB database holding entries and dataset documents.

Why RocksDB: bulk loads arrive in random key order, which an LSM tree absorbs
at sequential-write speed (B-trees such as SQLite or LMDB slow down several
times); point reads stay in the microseconds with bloom filters; memory is
bounded by the block cache, not by the data (nothing is memory-mapped); and a
version's entries are one contiguous key range, deleted with one range
tombstone and compacted away to give the disk space back.

Key layout (names are `[A-Za-z0-9-_.]`, so NUL separators are unambiguous):
    d\\0<dataset>                        -> dataset aggregate (JSON)
    e\\0<version>\\0<table>\\0<key>       -> entry value (bytes)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import islice
from operator import itemgetter
from pathlib import Path

import orjson
from rocksdict import (
    BlockBasedIndexType,
    BlockBasedOptions,
    BottommostLevelCompaction,
    Cache,
    CompactOptions,
    DataBlockIndexType,
    Options,
    Rdict,
    ReadOptions,
    WriteBatch,
    WriteBufferManager,
    WriteOptions,
)

from optimus.adapters.codec import (
    dataset_from_dict,
    dataset_from_header,
    dataset_header_to_dict,
    version_to_dict,
)
from optimus.domain.dataset import Dataset
from optimus.domain.diff import Fingerprints
from optimus.domain.digest import EntryStats
from optimus.domain.errors import Unavailable
from optimus.service_layer.commands import Outcome
from optimus.service_layer.metering import Meter
from optimus.service_layer.ports import Batch, EntryPage, ScanPosition

_DATASET = b"d\x00"
_ENTRY = b"e\x00"
_VERSION = b"v\x00"
_SEP = b"\x00"
# Reads of at least this many keys are looked up in worker threads, in chunks of at
# most _READ_CHUNK_KEYS: a get-many of 100 keys is one task on one thread (measured at
# 32 connections: 17% more requests/s and 12% less CPU each than two chunks of 50).
_THREADED_READ_KEYS = 50
_READ_CHUNK_KEYS = 100
_READ_THREADS = 2
_SCAN_READAHEAD_BYTES = 2 << 20
_VALUE = itemgetter(1)
BLOCK_CACHE_BYTES = 64 << 20  # the default: room for the 5M-key server under 200 MB


# When a write fails for want of space, RocksDB stops writing (reads go on) and checks
# the free space again about every 5 s: once there is room, it resumes by itself.
RETRY_AFTER_FULL_DISK_S = 5


@contextmanager
def _writing() -> Iterator[None]:
    """RocksDB's refusals to write, as errors a client can act on: retry later."""
    try:
        yield
    except Exception as exc:  # rocksdict raises a bare Exception with RocksDB's message
        message = str(exc)
        if "No space left on device" in message:
            raise Unavailable(
                "the disk holding the data is full; nothing was written: retry once space "
                "is freed, the server resumes writing by itself",
                code="insufficient-storage",
                retry_after=RETRY_AFTER_FULL_DISK_S,
            ) from exc
        if message.startswith("IO error"):
            raise Unavailable(
                f"the data directory refuses writes ({message}); nothing was written",
                code="storage-error",
                retry_after=RETRY_AFTER_FULL_DISK_S,
            ) from exc
        raise


class DataDirInUse(Exception):
    """Another process has the database open (RocksDB holds a lock file in it)."""


def open_database(
    path: Path, *, block_cache_bytes: int = BLOCK_CACHE_BYTES, memtable_bytes: int = 32 << 20
) -> Rdict:
    """Open (or create) the database with our options, on every open.

    Memory stays bounded whatever the data size: memtables, index blocks and
    filters are all charged to the block cache. Index keys are delta-encoded,
    so a 64 MB table file's index is small (~120 KB with 100-byte values) and is
    cached like a data block: a point read takes one index block and one data
    block from the cache.
    """
    path.mkdir(parents=True, exist_ok=True)
    # HyperClockCache: lookups without a shard mutex or LRU-list upkeep, which a
    # point read pays twice (index block, data block). Served single-key reads of
    # 1M keys: 9% less CPU than the LRU cache (bench/RESULTS.md). Charge 0: RocksDB
    # estimates the size of entries itself.
    cache = Cache.new_hyper_clock_cache(block_cache_bytes, 0)
    table = BlockBasedOptions()
    table.set_block_cache(cache)
    table.set_bloom_filter(10, False)
    # One index block per file, its keys delta-encoded (a full key every 16): 6x
    # smaller than with a full key per entry, so it stays in the CPU caches; random
    # gets of 1M keys in-process 15% faster than through 4 KB index partitions,
    # better in 12 of 12 alternating rounds (bench/RESULTS.md).
    table.set_index_type(BlockBasedIndexType.binary_search())
    table.set_index_block_restart_interval(16)
    table.set_cache_index_and_filter_blocks(True)
    # A hash index in each data block: a point read jumps to the key's restart
    # interval instead of binary-searching the block.
    table.set_data_block_index_type(DataBlockIndexType.binary_and_hash())
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    options.set_block_based_table_factory(table)
    options.set_write_buffer_size(memtable_bytes)
    options.set_max_write_buffer_number(3)
    options.set_write_buffer_manager(
        WriteBufferManager.new_write_buffer_manager_with_cache(memtable_bytes, False, cache)
    )
    options.set_max_background_jobs(2)
    options.set_keep_log_file_num(3)
    # Reads ask for keys that exist: the bottom level (where a complete version
    # ends up, see `_scan_stats`) needs no bloom filters, which saves their
    # memory and a cache lookup per read.
    options.set_optimize_filters_for_hits(True)
    try:
        # Named explicitly: otherwise rocksdict reopens an existing database with the
        # options saved in its OPTIONS file, not these.
        return Rdict(str(path), options, column_families={"default": options})
    except Exception as exc:  # rocksdict raises a bare Exception with RocksDB's message
        if "lock file" in str(exc):
            raise DataDirInUse("another process, an optimus serve?, is using it") from exc
        raise


def _durable() -> WriteOptions:
    # fsync the write-ahead log before acknowledging: a crash, even of the
    # machine, loses nothing that was acknowledged.
    options = WriteOptions()
    options.sync = True
    return options


def _compaction() -> CompactOptions:
    # Not exclusive: automatic compactions go on meanwhile, so that loads into other
    # versions don't stall on level-0 files while a large version is compacted.
    options = CompactOptions()
    options.set_exclusive_manual_compaction(False)
    return options


def _sequential(upper_bound: bytes) -> ReadOptions:
    """Options of a scan of a whole range: read ahead, and keep the range out of the cache
    (a version read once would push out the blocks point reads need)."""
    options = ReadOptions()
    options.set_iterate_upper_bound(upper_bound)
    options.fill_cache(False)
    options.set_readahead_size(_SCAN_READAHEAD_BYTES)
    return options


def _forced_compaction() -> CompactOptions:
    # The bottom level too, so that the files holding an excised value are rewritten
    # without it even when no tombstone had to move down to reach it.
    options = _compaction()
    options.set_bottommost_level_compaction(BottommostLevelCompaction.force())
    return options


def _version_range(version_id: str) -> tuple[bytes, bytes]:
    start = _ENTRY + version_id.encode() + _SEP
    return start, start[:-1] + b"\x01"


# What an operator watches of the engine: RocksDB property -> metric name.
ENGINE_FIGURES = {
    "rocksdb.live-sst-files-size": "rocksdb_live_sst_bytes",
    "rocksdb.cur-size-all-mem-tables": "rocksdb_memtable_bytes",
    "rocksdb.block-cache-usage": "rocksdb_block_cache_usage_bytes",
    "rocksdb.estimate-pending-compaction-bytes": "rocksdb_pending_compaction_bytes",
}


def engine_figures(db: Rdict) -> dict[str, float]:
    """The engine's figures now, by metric name (read at scrape time)."""
    return {name: float(db.property_int_value(prop) or 0) for prop, name in ENGINE_FIGURES.items()}


class RocksEntryStore:
    def __init__(self, db: Rdict, meter: Meter | None = None) -> None:
        self._db = db
        self._meter = meter if meter is not None else Meter()
        self._write_options = _durable()
        # Few threads: each one that allocates gets its own malloc arena, and blocks
        # read into the cache by many threads fragment the heap (measured: 6 threads
        # took the 5M-key server from 168 to 235 MiB).
        self._readers = ThreadPoolExecutor(_READ_THREADS, thread_name_prefix="rocksdb-read")

    def close(self) -> None:
        self._readers.shutdown()

    async def write(self, batch: Batch) -> None:
        prefix = _ENTRY + batch.version_id.encode() + _SEP
        writes = WriteBatch(raw_mode=True)
        put = writes.put
        for table, key, value in batch.entries:
            put(prefix + table.encode() + _SEP + key.encode(), value)
        with _writing():
            self._db.write(writes, self._write_options)

    async def read(self, version_id: str, table: str, key: str) -> bytes | None:
        return self._db.get(f"e\0{version_id}\0{table}\0{key}".encode())

    async def read_many(
        self, version_id: str, table: str, keys: Sequence[str]
    ) -> list[bytes | None]:
        prefix = f"e\0{version_id}\0{table}\0"
        raw_keys = [(prefix + key).encode() for key in keys]
        if len(raw_keys) < _THREADED_READ_KEYS:
            return self._db.get(raw_keys)
        # RocksDB lookups release the GIL: in worker threads, the keys of large reads
        # are looked up on every core while the event loop goes on serving requests.
        chunks = [
            raw_keys[i : i + _READ_CHUNK_KEYS] for i in range(0, len(raw_keys), _READ_CHUNK_KEYS)
        ]
        loop = asyncio.get_running_loop()
        parts = await asyncio.gather(
            *(loop.run_in_executor(self._readers, self._db.get, chunk) for chunk in chunks)
        )
        return [value for part in parts for value in part]

    async def fingerprints(
        self, dataset: str, version_id: str, table: str, after: str | None, limit: int
    ) -> Fingerprints:
        return await asyncio.to_thread(self._scan_table, version_id, table, after, limit)

    def fingerprint_of(self, value: bytes) -> bytes:
        return value  # its own fingerprint: comparing bytes is cheaper than hashing them

    async def stats(self, dataset: str, version_id: str, tables: Sequence[str]) -> EntryStats:
        return await asyncio.to_thread(self._scan_stats, version_id)

    async def delete(self, dataset: str, version_id: str, tables: Sequence[str]) -> None:
        await asyncio.to_thread(self._delete_range, version_id)

    async def excise(self, dataset: str, version_id: str, table: str, keys: Sequence[str]) -> None:
        await asyncio.to_thread(self._excise, version_id, table, keys)

    def forget(self, version_id: str) -> None:
        pass  # nothing of a version's entries is held outside RocksDB

    async def scan(
        self,
        dataset: str,
        version_id: str,
        tables: Sequence[str],
        after: ScanPosition | None,
        page_size: int,
    ) -> AsyncIterator[EntryPage]:
        loop = asyncio.get_running_loop()
        for table in sorted(tables):
            if after is not None and table < after[0]:
                continue
            prefix = _ENTRY + f"{version_id}\0{table}\0".encode()
            # Past `after`: its key followed by NUL, the smallest key greater than it.
            start = prefix + (after[1].encode() + _SEP if after and table == after[0] else b"")
            while start is not None:
                keys, values, start = await loop.run_in_executor(
                    self._readers, self._page, prefix, start, page_size
                )
                if keys:
                    yield EntryPage(table, keys, values)

    def _page(
        self, prefix: bytes, start: bytes, size: int
    ) -> tuple[list[str], list[bytes], bytes | None]:
        """Up to `size` entries from `start` under `prefix`, and where the next page starts."""
        options = _sequential(prefix[:-1] + b"\x01")
        skip = len(prefix)
        keys: list[str] = []
        values: list[bytes] = []
        items = self._db.items(from_key=start, read_opt=options)
        for raw_key, value in islice(items, size):
            keys.append(raw_key[skip:].decode())
            values.append(value)
        following = prefix + keys[-1].encode() + _SEP if len(keys) == size else None
        return keys, values, following

    def _scan_stats(self, version_id: str) -> EntryStats:
        # The version is complete: move it out of the memtables (whose memory counts
        # against the block cache) and compact it into one sorted run at the bottom
        # level, so that a read of it looks in one file instead of every L0 file.
        start, end = _version_range(version_id)
        with _writing():
            self._db.flush()
            self._db.compact_range(start, end, _compaction())
        options = _sequential(end)
        stats = EntryStats()
        skip = len(start)
        for raw_key, value in self._db.items(from_key=start, read_opt=options):
            table, _, key = raw_key[skip:].decode().partition("\0")
            stats.add(table, key, value)
        return stats

    def _scan_table(
        self, version_id: str, table: str, after: str | None, limit: int
    ) -> Fingerprints:
        # The value is its own fingerprint: comparing bytes is cheaper than hashing them.
        prefix = _ENTRY + f"{version_id}\0{table}\0".encode()
        options = _sequential(prefix[:-1] + b"\x01")
        # Keys hold no NUL, so the first key after `after` is at or beyond after + NUL.
        start = prefix if after is None else prefix + after.encode() + _SEP
        skip = len(prefix)
        items = list(islice(self._db.items(from_key=start, read_opt=options), limit))
        return Fingerprints(
            [raw_key[skip:].decode() for raw_key, _ in items], [*map(_VALUE, items)]
        )

    def _delete_range(self, version_id: str) -> None:
        start, end = _version_range(version_id)
        before = self._live_bytes()
        with _writing():
            self._db.delete_range(start, end, self._write_options)
            self._db.compact_range(start, end, _compaction())
        # Other writes may land meanwhile: what the disk gave back, never below zero.
        self._meter.gc_bytes_reclaimed += max(0, before - self._live_bytes())

    def _excise(self, version_id: str, table: str, keys: Sequence[str]) -> None:
        prefix = _ENTRY + f"{version_id}\0{table}\0".encode()
        doomed = sorted(prefix + key.encode() for key in keys)
        writes = WriteBatch(raw_mode=True)
        for raw_key in doomed:
            writes.delete(raw_key)
        with _writing():
            self._db.write(writes, self._write_options)
            # A tombstone only shadows a value: flushed (no write-ahead log is left holding
            # the memtable) and compacted with the files that hold the value, it is gone.
            self._db.flush()
            self._db.compact_range(doomed[0], doomed[-1] + _SEP, _forced_compaction())

    def _live_bytes(self) -> int:
        return self._db.property_int_value("rocksdb.live-sst-files-size") or 0


class RocksDatasetStore:
    """Each dataset as a header and one document per version, so a command rewrites what it
    changed (`Outcome`), not the dataset's whole history."""

    def __init__(self, db: Rdict) -> None:
        self._db = db
        self._write_options = _durable()
        # Datasets read in the older one-document layout: their next save writes every version.
        self._stored_whole: set[str] = set()

    def load_all(self) -> list[Dataset]:
        headers = [orjson.loads(doc) for _, doc in self._range(_DATASET)]
        return [self._decoded(header) for header in headers]

    def load(self, name: str) -> Dataset | None:
        header = self._db.get(_DATASET + name.encode())
        return self._decoded(orjson.loads(header)) if header is not None else None

    def save(self, dataset: Dataset, outcome: Outcome | None = None) -> None:
        """Store the dataset (all of it without an `outcome`) in one synced write."""
        name = dataset.name.encode()
        everything = outcome is None or dataset.name in self._stored_whole
        self._stored_whole.discard(dataset.name)
        batch = WriteBatch(raw_mode=True)
        for version_id in dataset.versions if everything else outcome.changed:
            document = version_to_dict(dataset.versions[version_id])
            batch.put(_version_key(name, version_id), orjson.dumps(document))
        for version_id in outcome.forgotten if outcome is not None else ():
            batch.delete(_version_key(name, version_id))
        batch.put(_DATASET + name, orjson.dumps(dataset_header_to_dict(dataset)))
        with _writing():
            self._db.write(batch, self._write_options)

    def _decoded(self, header: dict) -> Dataset:
        if "versions" in header:  # stored whole, before versions had keys of their own
            self._stored_whole.add(header["name"])
            return dataset_from_dict(header)
        name = header["name"].encode()
        documents = [self._db.get(_version_key(name, v)) for v in header["version_ids"]]
        return dataset_from_header(header, [orjson.loads(doc) for doc in documents])

    def _range(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        options = ReadOptions()
        options.set_iterate_upper_bound(prefix[:-1] + bytes([prefix[-1] + 1]))
        # A generator, so that `options` (whose upper bound the iterator points into) lives
        # as long as the iteration: returned bare, it was freed and the scan stopped early.
        yield from self._db.items(from_key=prefix, read_opt=options)


def _version_key(dataset: bytes, version_id: str) -> bytes:
    return _VERSION + dataset + _SEP + version_id.encode()
