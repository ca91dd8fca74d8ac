"""Where a replica keeps a version: in memory, or in an embedded RocksDB of its own.

A store is written once, chunk by chunk, each chunk together with the download's
progress (in RocksDB, in one write batch: a crash leaves the entries and the
progress that names them, never one without the other), then sealed; after that
it is only read. One store holds one version.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import orjson
from rocksdict import BlockBasedOptions, Cache, DataBlockIndexType, Options, Rdict, WriteBatch

from optimus.domain.digest import EntryStats

# Keys of entries are `<table>\0<key>` (table names have no NUL); the download's
# bookkeeping sorts before every table under a leading NUL.
_PROGRESS = b"\x00progress"
_SEALED = b"\x00sealed"
_SEP = b"\x00"
# Entries a memory store frees per step of its deletion: a small fraction of a millisecond.
_FREED_PER_STEP = 1_000

Lookup = Callable[[str], bytes | None]


@dataclass(slots=True)
class Progress:
    """How far a download has come: the last (table, key) stored and the stats so far."""

    after_table: str | None = None
    after_key: str | None = None
    stats: EntryStats = field(default_factory=EntryStats)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "after_table": self.after_table,
                "after_key": self.after_key,
                "counts": self.stats.counts,
                "digest_sum": f"{self.stats.digest_sum:x}",
            }
        )

    @classmethod
    def from_json(cls, raw: bytes) -> Progress:
        body = orjson.loads(raw)
        stats = EntryStats(counts=dict(body["counts"]), digest_sum=int(body["digest_sum"], 16))
        return cls(body["after_table"], body["after_key"], stats)


class VersionStore(Protocol):
    """One version's entries (see the module docstring)."""

    def lookup(self, table: str) -> Lookup:
        """`table`'s point read: key -> value or None, with nothing built per call."""

    def get_many(self, table: str, keys: Sequence[str]) -> list[bytes | None]: ...

    def write(self, table: str, keys: Sequence[str], values: Sequence[bytes], p: Progress) -> None:
        """Store one chunk of entries with the progress after it."""

    def progress(self) -> Progress: ...

    def seal(self) -> None:
        """The download is complete and verified: what is stored is the version."""

    @property
    def sealed(self) -> bool: ...

    def close(self) -> None: ...

    def destroy(self) -> Iterator[None]:
        """Close and delete everything stored, in steps: iterate it to the end.

        Between steps the caller lets other threads run: a reader thread waits for
        the GIL behind whatever this one does, and freeing a million entries at
        once would hold it for tens of milliseconds.
        """


class MemoryStore:
    """Dicts per table: the fastest reads, for datasets that fit in memory; lost on exit."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, bytes]] = {}
        self._progress = Progress()
        self._sealed = False

    def lookup(self, table: str) -> Lookup:
        return self._tables.setdefault(table, {}).get  # a read is one C call

    def get_many(self, table: str, keys: Sequence[str]) -> list[bytes | None]:
        entries = self._tables.get(table, {})
        return [entries.get(key) for key in keys]

    def write(self, table: str, keys: Sequence[str], values: Sequence[bytes], p: Progress) -> None:
        self._tables.setdefault(table, {}).update(zip(keys, values, strict=True))
        self._progress = p

    def progress(self) -> Progress:
        return self._progress

    def seal(self) -> None:
        self._sealed = True

    @property
    def sealed(self) -> bool:
        return self._sealed

    def close(self) -> None:
        return None

    def destroy(self) -> Iterator[None]:
        tables, self._tables = self._tables, {}
        for entries in tables.values():
            while entries:
                for _ in range(min(_FREED_PER_STEP, len(entries))):
                    entries.popitem()
                yield


def _options(block_cache_bytes: int) -> Options:
    # Point reads of keys that exist: bloom filters, index and filter blocks in the
    # block cache, a hash index inside each data block (as the embedded host's engine).
    table = BlockBasedOptions()
    table.set_block_cache(Cache.new_hyper_clock_cache(block_cache_bytes, 0))
    table.set_bloom_filter(10, False)
    table.set_cache_index_and_filter_blocks(True)
    table.set_data_block_index_type(DataBlockIndexType.binary_and_hash())
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    options.set_block_based_table_factory(table)
    options.set_optimize_filters_for_hits(True)
    options.set_keep_log_file_num(2)
    return options


class RocksStore:
    """An embedded RocksDB in its own directory: bounded memory, survives restarts."""

    def __init__(self, directory: Path, block_cache_bytes: int = 256 << 20) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        options = _options(block_cache_bytes)
        self._db = Rdict(str(directory), options, column_families={"default": options})
        self._prefixes: dict[str, bytes] = {}
        self._sealed = self._db.get(_SEALED) is not None

    def _prefix(self, table: str) -> bytes:
        prefix = self._prefixes.get(table)
        if prefix is None:
            prefix = self._prefixes[table] = table.encode() + _SEP
        return prefix

    def lookup(self, table: str) -> Lookup:
        get, prefix = self._db.get, self._prefix(table)

        def read(key: str) -> bytes | None:
            return get(prefix + key.encode())

        return read

    def get_many(self, table: str, keys: Sequence[str]) -> list[bytes | None]:
        prefix = self._prefix(table)
        return self._db.get([prefix + key.encode() for key in keys])

    def write(self, table: str, keys: Sequence[str], values: Sequence[bytes], p: Progress) -> None:
        batch = WriteBatch(raw_mode=True)
        prefix = self._prefix(table)
        for key, value in zip(keys, values, strict=True):
            batch.put(prefix + key.encode(), value)
        batch.put(_PROGRESS, p.to_json())
        self._db.write(batch)

    def progress(self) -> Progress:
        raw = self._db.get(_PROGRESS)
        return Progress.from_json(raw) if raw is not None else Progress()

    def seal(self) -> None:
        self._db.put(_SEALED, b"1")
        self._db.flush()  # a restarted replica finds it whole without replaying the log
        self._sealed = True

    @property
    def sealed(self) -> bool:
        return self._sealed

    def close(self) -> None:
        self._db.close()

    def destroy(self) -> Iterator[None]:
        self.close()
        yield
        shutil.rmtree(self.directory, ignore_errors=True)
