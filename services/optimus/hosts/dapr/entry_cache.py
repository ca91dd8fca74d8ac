"""A bounded in-process cache of entries in front of a remote entry store.

Readers only ever read committed versions (SAVED or later), whose entries
never change, so an entry cached under its version id can't go stale, and
neither can "this key is missing" (an excision, the one change to a committed
version, drops what it removed: `excise`, `forget`). Entries of versions being loaded go
through: their writes are never cached. Memory is bounded by the bytes held
(least recently used first out).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence

from optimus.domain.diff import Fingerprints
from optimus.domain.digest import EntryStats
from optimus.service_layer.metering import Meter
from optimus.service_layer.ports import Batch, EntryPage, EntryStore, ScanPosition

_MISSING = b""  # stands for a key known to be absent (stored values are never empty)
_OVERHEAD = 100  # bytes per cached entry beyond its key and value: tuple, node, ints


class CachingEntryStore:
    def __init__(self, inner: EntryStore, max_bytes: int, meter: Meter | None = None) -> None:
        self._inner = inner
        self._meter = meter if meter is not None else Meter()
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()

    async def read(self, version_id: str, table: str, key: str) -> bytes | None:
        name = (version_id, table, key)
        value = self._entries.get(name)
        if value is not None:
            self._entries.move_to_end(name)
            self._meter.read_cache_hits += 1
            return value or None
        self._meter.read_cache_misses += 1
        fetched = await self._inner.read(version_id, table, key)
        self._remember(name, fetched)
        return fetched

    async def read_many(
        self, version_id: str, table: str, keys: Sequence[str]
    ) -> list[bytes | None]:
        found: list[bytes | None] = []
        unknown: list[str] = []
        for key in keys:
            value = self._entries.get((version_id, table, key))
            if value is None:
                unknown.append(key)
            else:
                self._entries.move_to_end((version_id, table, key))
            found.append(value or None)
        self._meter.read_cache_misses += len(unknown)
        self._meter.read_cache_hits += len(keys) - len(unknown)
        if unknown:
            fetched = dict(
                zip(unknown, await self._inner.read_many(version_id, table, unknown), strict=True)
            )
            for key, value in fetched.items():
                self._remember((version_id, table, key), value)
            found = [fetched.get(key, value) for key, value in zip(keys, found, strict=True)]
        return found

    async def write(self, batch: Batch) -> None:
        await self._inner.write(batch)

    async def fingerprints(
        self, dataset: str, version_id: str, table: str, after: str | None, limit: int
    ) -> Fingerprints:
        return await self._inner.fingerprints(dataset, version_id, table, after, limit)

    def fingerprint_of(self, value: bytes) -> bytes | str:
        return self._inner.fingerprint_of(value)

    async def stats(self, dataset: str, version_id: str, tables: Sequence[str]) -> EntryStats:
        return await self._inner.stats(dataset, version_id, tables)

    async def delete(self, dataset: str, version_id: str, tables: Sequence[str]) -> None:
        await self._inner.delete(dataset, version_id, tables)

    async def excise(self, dataset: str, version_id: str, table: str, keys: Sequence[str]) -> None:
        for key in keys:
            self._drop((version_id, table, key))
        await self._inner.excise(dataset, version_id, table, keys)

    def forget(self, version_id: str) -> None:
        for name in [name for name in self._entries if name[0] == version_id]:
            self._drop(name)
        self._inner.forget(version_id)

    def scan(
        self,
        dataset: str,
        version_id: str,
        tables: Sequence[str],
        after: ScanPosition | None,
        page_size: int,
    ) -> AsyncIterator[EntryPage]:
        # Not cached: a whole version streamed once would only push out the hot entries.
        return self._inner.scan(dataset, version_id, tables, after, page_size)

    def _drop(self, name: tuple[str, str, str]) -> None:
        old = self._entries.pop(name, None)
        if old is not None:
            self._bytes -= len(old) + len(name[2]) + _OVERHEAD

    def _remember(self, name: tuple[str, str, str], value: bytes | None) -> None:
        stored = value if value is not None else _MISSING
        size = len(stored) + len(name[2]) + _OVERHEAD
        if size > self._max_bytes or name in self._entries:
            return
        self._entries[name] = stored
        self._bytes += size
        while self._bytes > self._max_bytes:
            (_, _, key), old = self._entries.popitem(last=False)
            self._bytes -= len(old) + len(key) + _OVERHEAD
