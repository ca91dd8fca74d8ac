"""Patch versions read through their layers: the one place entries of a patch are resolved.

A patch version stores only its own writes and retractions; every other entry
is its base's. Its layers (`Version.layers`) are its base, the base's base, …,
down to a full version. A read looks in the patch's own layer, then in each
layer below, and stops at the first that has the key or retracted it.

Retractions are entries of a table that no dataset can name ("!" + table,
names being `[A-Za-z0-9-_.]`), so each host stores them as it stores any
entry, in the version's own key range: deleted with it, listed in its
manifests. Within one patch, a retraction wins over a load of the same key.

Wrapping the host's entry store, this makes every reader of entries (reads,
scans, diffs, exports, gRPC streams) see a patch's effective entries, on
both hosts, without knowing what a patch is.

It also hides what an excision recorded on a layer (`Version.excisions`): an
excision is recorded before its bytes are deleted, so that no read finds them
in between (or after a crash there, until the excision is run again).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from optimus.domain.diff import Fingerprints
from optimus.domain.digest import EntryStats, stats_from
from optimus.domain.excision import key_hash, mark
from optimus.service_layer.ports import Batch, EntryPage, EntryStore, ScanPosition
from optimus.service_layer.views import ViewSource

_RETRACTED = "!"
_TOMBSTONE = b"-"
_OWN_PAGE = 10_000  # entries of a patch's own layer read at once (a patch is small)
# Reads of a patch test its own keys in memory (one lookup per read, as for a full version)
# when it wrote and retracted at most this many keys of a table; else they look them up.
MAX_INDEXED_KEYS = 100_000
MAX_INDEXED_LAYERS = 256
_UNINDEXED = object()


@dataclass(frozen=True, slots=True)
class OwnKeys:
    """The keys a patch itself wrote into one table, and those it retracted from it."""

    written: frozenset[str]
    retracted: frozenset[str]


def retractions_of(table: str) -> str:
    """The hidden table where a patch records the keys of `table` it removes."""
    return _RETRACTED + table


def retraction_batch(dataset: str, version_id: str, table: str, keys: Sequence[str]) -> Batch:
    hidden = retractions_of(table)
    return Batch(dataset, version_id, [(hidden, key, _TOMBSTONE) for key in keys])


class LayeredEntryStore:
    def __init__(
        self, inner: EntryStore, source: ViewSource, max_indexed_keys: int = MAX_INDEXED_KEYS
    ) -> None:
        self._inner = inner
        self._max_indexed_keys = max_indexed_keys
        self._source = source
        self._layers_of = source.views.layers_of
        self._marks = source.views.excised
        self._indexed: dict[tuple[str, str], OwnKeys | object] = {}

    async def write(self, batch: Batch) -> None:
        await self._inner.write(batch)

    async def delete(self, dataset: str, version_id: str, tables: Sequence[str]) -> None:
        # Only the version's own layer: garbage collection keeps layers some patch needs.
        await self._inner.delete(dataset, version_id, tables)

    async def excise(self, dataset: str, version_id: str, table: str, keys: Sequence[str]) -> None:
        # Only the version's own layer, as `delete`: the excision goes through every layer.
        self._indexed.pop((version_id, table), None)
        await self._inner.excise(dataset, version_id, table, keys)

    def forget(self, version_id: str) -> None:
        for name in [name for name in self._indexed if name[0] == version_id]:
            del self._indexed[name]
        self._inner.forget(version_id)

    def _excised(self, layer: str, table: str, key: str) -> bool:
        marks = self._marks.get(layer)
        return marks is not None and mark(table, key_hash(key)) in marks

    def _not_excised(
        self, layer: str, table: str, keys: Sequence[str], pending: list[int]
    ) -> list[int]:
        """The `pending` indices of `keys` whose entries were not excised from `layer`."""
        if layer not in self._marks:
            return pending
        return [i for i in pending if not self._excised(layer, table, keys[i])]

    async def read(self, version_id: str, table: str, key: str) -> bytes | None:
        layers = self._layers_of(version_id)
        if not layers:
            if version_id in self._marks and self._excised(version_id, table, key):
                return None
            return await self._inner.read(version_id, table, key)
        # The hot path of a patch: membership tests, then one lookup, as for a full version.
        for layer in (version_id, *layers[:-1]):
            if self._excised(layer, table, key):  # from it and from every layer below
                return None
            own = self._indexed.get((layer, table)) or await self._index(layer, table)
            if own is _UNINDEXED:
                return (await self._read_through(version_id, layers, table, [key]))[0]
            if key in own.retracted:
                return None
            if key in own.written:
                return await self._inner.read(layer, table, key)
        if self._excised(layers[-1], table, key):
            return None
        return await self._inner.read(layers[-1], table, key)

    async def read_many(
        self, version_id: str, table: str, keys: Sequence[str]
    ) -> list[bytes | None]:
        layers = self._layers_of(version_id)
        if not layers:
            values = await self._inner.read_many(version_id, table, keys)
            if version_id in self._marks:
                kept = set(self._not_excised(version_id, table, keys, list(range(len(keys)))))
                values = [v if i in kept else None for i, v in enumerate(values)]
            return values
        return await self._read_through(version_id, layers, table, keys)

    async def _read_through(
        self, version_id: str, layers: tuple[str, ...], table: str, keys: Sequence[str]
    ) -> list[bytes | None]:
        found: list[bytes | None] = [None] * len(keys)
        pending = list(range(len(keys)))
        *patches, full = (version_id, *layers)
        for patch in patches:
            pending = self._not_excised(patch, table, keys, pending)
            pending = await self._from_layer(patch, table, keys, pending, found)
            if not pending:
                return found
        pending = self._not_excised(full, table, keys, pending)
        values = await self._inner.read_many(full, table, [keys[i] for i in pending])
        for index, value in zip(pending, values, strict=True):
            found[index] = value
        return found

    async def _from_layer(
        self,
        patch: str,
        table: str,
        keys: Sequence[str],
        pending: list[int],
        found: list[bytes | None],
    ) -> list[int]:
        """Fill `found` with what the patch's own layer says of the `pending` keys; the
        indices of the keys it leaves to the layers below."""
        own = self._indexed.get((patch, table)) or await self._index(patch, table)
        asked = [keys[i] for i in pending]
        if own is _UNINDEXED:
            values = await self._inner.read_many(patch, table, asked)
            gone = await self._inner.read_many(patch, retractions_of(table), asked)
            retracted = {key for key, mark in zip(asked, gone, strict=True) if mark is not None}
            written = {key for key, value in zip(asked, values, strict=True) if value is not None}
        else:
            retracted, written = own.retracted, own.written
            mine = [i for i in pending if keys[i] in written and keys[i] not in retracted]
            values_of = await self._inner.read_many(patch, table, [keys[i] for i in mine])
            values = [None] * len(pending)
            where = {index: n for n, index in enumerate(pending)}
            for index, value in zip(mine, values_of, strict=True):
                values[where[index]] = value
        below = []
        for index, key, value in zip(pending, asked, values, strict=True):
            if key in retracted:
                continue
            if key in written:
                found[index] = value
            else:
                below.append(index)
        return below

    async def own_keys(self, dataset: str, patch: str, table: str) -> frozenset[str] | None:
        """The keys of `table` a committed patch itself wrote or retracted; None if too many
        to hold (then every key must be looked at)."""
        own = self._indexed.get((patch, table)) or await self._index(patch, table, dataset)
        return None if not isinstance(own, OwnKeys) else own.written | own.retracted

    async def _index(self, patch: str, table: str, dataset: str | None = None) -> OwnKeys | object:
        """The keys a committed patch wrote into and retracted from `table`, read once
        (a committed version never changes), or _UNINDEXED if too many to hold."""
        # Named by the caller when this replica's view may not know of the version yet.
        dataset = dataset or self._source.views.dataset_of_version(patch) or ""
        written: set[str] = set()
        retracted: set[str] = set()
        hidden = retractions_of(table)
        index: OwnKeys | object = _UNINDEXED
        async for page in self._inner.scan(dataset, patch, [hidden, table], None, _OWN_PAGE):
            (retracted if page.table == hidden else written).update(page.keys)
            if len(written) + len(retracted) > self._max_indexed_keys:
                break
        else:
            index = OwnKeys(frozenset(written), frozenset(retracted))
        if len(self._indexed) >= MAX_INDEXED_LAYERS:
            self._indexed.clear()
        self._indexed[patch, table] = index
        return index

    async def stats(self, dataset: str, version_id: str, tables: Sequence[str]) -> EntryStats:
        """A patch's counts and digest from its base's and its own layer: cost ∝ the patch."""
        # From the aggregate: this replica's view may not know of the version yet.
        aggregate = await self._source.get(dataset)
        layers = aggregate.version(version_id).layers
        if not layers:
            return await self._inner.stats(dataset, version_id, tables)
        self._source.views.update(aggregate)  # the reads below go through its layers
        base = aggregate.version(layers[0])
        stats = stats_from(base.counts or {}, base.digest)
        for table in tables:
            written, retracted = await self._own_layer(dataset, version_id, table)
            touched = sorted(written.keys() | retracted)
            before = await self.read_many(layers[0], table, touched) if touched else []
            for key, old in zip(touched, before, strict=True):
                if old is not None:
                    stats.remove(table, key, old)
            for key, value in written.items():
                if key not in retracted:
                    stats.add(table, key, value)
        return stats

    async def fingerprints(
        self, dataset: str, version_id: str, table: str, after: str | None, limit: int
    ) -> Fingerprints:
        if not self._layers_of(version_id):
            if version_id in self._marks:
                return await self._unexcised(dataset, version_id, table, after, limit)
            return await self._inner.fingerprints(dataset, version_id, table, after, limit)
        # A patch: its merged entries, fingerprinted as the store fingerprints stored values.
        found = Fingerprints()
        async for key, value in self._merged(dataset, version_id, table, after):
            found.keys.append(key)
            found.prints.append(self._inner.fingerprint_of(value))
            if len(found.keys) == limit:
                break
        return found

    async def _unexcised(
        self, dataset: str, version_id: str, table: str, after: str | None, limit: int
    ) -> Fingerprints:
        """`limit` fingerprints of a full version's entries that were not excised from it."""
        found = Fingerprints()
        while True:
            chunk = await self._inner.fingerprints(dataset, version_id, table, after, limit)
            for key, print_ in zip(chunk.keys, chunk.prints, strict=True):
                if not self._excised(version_id, table, key):
                    found.keys.append(key)
                    found.prints.append(print_)
            if len(chunk.keys) < limit or len(found.keys) >= limit:
                return Fingerprints(found.keys[:limit], found.prints[:limit])
            after = chunk.keys[-1]

    def fingerprint_of(self, value: bytes) -> bytes | str:
        return self._inner.fingerprint_of(value)

    async def scan(
        self,
        dataset: str,
        version_id: str,
        tables: Sequence[str],
        after: ScanPosition | None,
        page_size: int,
    ) -> AsyncIterator[EntryPage]:
        if not self._layers_of(version_id):
            async for page in self._inner.scan(dataset, version_id, tables, after, page_size):
                page = self._unexcised_page(version_id, page)
                if page.keys:
                    yield page
            return
        for table in sorted(tables):
            if after is not None and table < after[0]:
                continue
            start = after[1] if after is not None and table == after[0] else None
            keys: list[str] = []
            values: list[bytes] = []
            async for key, value in self._merged(dataset, version_id, table, start):
                keys.append(key)
                values.append(value)
                if len(keys) == page_size:
                    yield EntryPage(table, keys, values)
                    keys, values = [], []
            if keys:
                yield EntryPage(table, keys, values)

    def _unexcised_page(self, version_id: str, page: EntryPage) -> EntryPage:
        if version_id not in self._marks:
            return page
        kept = self._not_excised(version_id, page.table, page.keys, list(range(len(page.keys))))
        return EntryPage(page.table, [page.keys[i] for i in kept], [page.values[i] for i in kept])

    async def _merged(
        self, dataset: str, version_id: str, table: str, after: str | None
    ) -> AsyncIterator[tuple[str, bytes]]:
        """The version's effective entries of `table` after the key `after`, in key order."""
        async for key, value in self._layered(dataset, version_id, table, after):
            if not self._excised(version_id, table, key):
                yield key, value

    async def _layered(
        self, dataset: str, version_id: str, table: str, after: str | None
    ) -> AsyncIterator[tuple[str, bytes]]:
        layers = self._layers_of(version_id)
        if not layers:
            position = (table, after) if after is not None else None
            async for page in self._inner.scan(dataset, version_id, [table], position, _OWN_PAGE):
                for item in zip(page.keys, page.values, strict=True):
                    yield item
            return
        written, retracted = await self._own_layer(dataset, version_id, table)
        hidden = written.keys() | retracted
        own = sorted(
            (key, value)
            for key, value in written.items()
            if key not in retracted and (after is None or key > after)
        )
        below = self._merged(dataset, layers[0], table, after)
        kept = _without(below, hidden)
        async for item in _merge_sorted(kept, own):
            yield item

    async def _own_layer(
        self, dataset: str, version_id: str, table: str
    ) -> tuple[dict[str, bytes], set[str]]:
        """What the patch itself wrote into `table`, and the keys of it it retracted."""
        written: dict[str, bytes] = {}
        retracted: set[str] = set()
        hidden = retractions_of(table)
        pages = self._inner.scan(dataset, version_id, [hidden, table], None, _OWN_PAGE)
        async for page in pages:
            if page.table == hidden:
                retracted.update(page.keys)
            else:
                written.update(zip(page.keys, page.values, strict=True))
        return written, retracted


async def _without(
    items: AsyncIterator[tuple[str, bytes]], hidden: set[str]
) -> AsyncIterator[tuple[str, bytes]]:
    async for item in items:
        if item[0] not in hidden:
            yield item


async def _merge_sorted(
    below: AsyncIterator[tuple[str, bytes]], own: list[tuple[str, bytes]]
) -> AsyncIterator[tuple[str, bytes]]:
    """Two key-ordered streams of distinct keys as one, in key order."""
    mine = iter(own)
    pending = next(mine, None)
    async for item in below:
        while pending is not None and pending[0] < item[0]:
            yield pending
            pending = next(mine, None)
        yield item
    while pending is not None:
        yield pending
        pending = next(mine, None)
