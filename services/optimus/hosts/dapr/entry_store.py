"""Entries through the Dapr state API: any state store component, same code.

Keys are laid out in `state_keys.py`. The component sets `keyPrefix: name`, so the
API replicas and loader workers (other app ids) see the same keys. A batch
writes its manifest with its entries, in one transaction, so the save's
count and digest and GC can find every key it wrote. The manifest maps each
"<table>/<key>" to a hash of its value, so that a diff of two versions counts
their changes from the manifests alone, without reading a value.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Sequence
from hashlib import blake2b
from itertools import groupby

import orjson
from dapr.aio.clients import DaprClient
from dapr.clients.grpc._request import TransactionalStateOperation, TransactionOperationType
from opentelemetry import trace

from optimus.domain.diff import Fingerprints
from optimus.domain.digest import EntryStats
from optimus.hosts.dapr import state_keys
from optimus.hosts.dapr.actor_client import DatasetActors
from optimus.hosts.dapr.components import DaprNames
from optimus.hosts.dapr.envelope import unwrap
from optimus.service_layer.ports import Batch, EntryPage, ScanPosition

_tracer = trace.get_tracer(__name__)
CHUNK = 500  # keys per bulk call
# The value hash of a key listed by a manifest of the earlier layout: unknown, so a diff
# against such a version counts the key as changed.
LEGACY_FINGERPRINT = ""
PARALLELISM = 16  # concurrent reads inside one bulk get (stores without a native bulk get)
IN_FLIGHT = 16  # concurrent calls reading one key each
INDEXED_VERSIONS = 4  # versions whose sorted keys are kept for diffs (a diff pages through two)


def fingerprint(value: bytes) -> str:
    return blake2b(value, digest_size=8).hexdigest()


def _upsert(key: str, value: bytes) -> TransactionalStateOperation:
    return TransactionalStateOperation(key, value, operation_type=TransactionOperationType.upsert)


def _delete(key: str) -> TransactionalStateOperation:
    return TransactionalStateOperation(key, b"", operation_type=TransactionOperationType.delete)


def _as_mapping(manifest: list[str] | dict[str, str]) -> dict[str, str]:
    """A manifest as "<table>/<key>" -> value hash."""
    if isinstance(manifest, list):  # written before manifests kept value hashes
        return dict.fromkeys(manifest, LEGACY_FINGERPRINT)
    return manifest


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DaprEntryStore:
    def __init__(self, client: DaprClient, actors: DatasetActors, names: DaprNames) -> None:
        self._client = client
        self._actors = actors
        self._store = names.entries_store
        # Committed versions never change: their sorted key indexes can't go stale.
        self._indexes: OrderedDict[str, dict[str, Fingerprints]] = OrderedDict()

    async def write(self, batch: Batch) -> None:
        if batch.number is None:
            raise ValueError("a batch must be numbered by the fence before it is written")
        version_id = batch.version_id
        manifest = orjson.dumps({f"{t}/{k}": fingerprint(v) for t, k, v in batch.entries})
        # One transaction: a single round trip, and the manifest lands with its entries.
        # (A bulk save is one write per key, in parallel: slow, and on SQLite contended.)
        operations = [_upsert(state_keys.manifest(version_id, str(batch.number)), manifest)]
        operations += [_upsert(state_keys.entry(version_id, t, k), v) for t, k, v in batch.entries]
        with _tracer.start_as_current_span(
            "state batch",
            kind=trace.SpanKind.CLIENT,
            attributes={"optimus.version": version_id, "optimus.entries": len(batch.entries)},
        ):
            await self._client.execute_state_transaction(self._store, operations)

    async def read(self, version_id: str, table: str, key: str) -> bytes | None:
        found = await self._client.get_state(self._store, state_keys.entry(version_id, table, key))
        # A missing key comes back as empty data without an etag.
        return found.data if found.etag else None

    async def read_many(
        self, version_id: str, table: str, keys_: Sequence[str]
    ) -> list[bytes | None]:
        values = await self._get_many([state_keys.entry(version_id, table, key) for key in keys_])
        return [values.get(state_keys.entry(version_id, table, key)) for key in keys_]

    def fingerprint_of(self, value: bytes) -> str:
        return fingerprint(value)

    async def fingerprints(
        self, dataset: str, version_id: str, table: str, after: str | None, limit: int
    ) -> Fingerprints:
        index = (await self._index(dataset, version_id)).get(table, Fingerprints())
        start = 0 if after is None else bisect_right(index.keys, after)
        end = start + limit
        return Fingerprints(index.keys[start:end], index.prints[start:end])

    async def _index(self, dataset: str, version_id: str) -> dict[str, Fingerprints]:
        """Per table of a version: its keys in key order, and their value hashes."""
        index = self._indexes.get(version_id)
        if index is None:
            written = await self._manifests(
                version_id, await self._batch_count(dataset, version_id)
            )
            index = {}
            for name, hashed in sorted(written.items()):
                table, _, key = name.partition("/")
                prints = index.setdefault(table, Fingerprints())
                prints.keys.append(key)
                prints.prints.append(hashed)
            self._indexes[version_id] = index
            while len(self._indexes) > INDEXED_VERSIONS:
                self._indexes.popitem(last=False)
        self._indexes.move_to_end(version_id)
        return index

    async def stats(self, dataset: str, version_id: str, tables: Sequence[str]) -> EntryStats:
        stats = EntryStats()
        prefix = state_keys.entries_of(version_id)
        written = await self._written(version_id, await self._batch_count(dataset, version_id))
        for chunk in _chunks(written):
            values = await self._get_many([prefix + name for name in chunk])
            for name in chunk:
                value = values.get(prefix + name)
                if value is not None:
                    table, _, key = name.partition("/")
                    stats.add(table, key, value)
        return stats

    async def delete(self, dataset: str, version_id: str, tables: Sequence[str]) -> None:
        count = await self._batch_count(dataset, version_id)
        prefix = state_keys.entries_of(version_id)
        doomed = [prefix + name for name in await self._written(version_id, count)]
        doomed += [state_keys.manifest(version_id, str(n)) for n in range(count)]
        for chunk in _chunks(doomed):
            await self._client.execute_state_transaction(self._store, [_delete(k) for k in chunk])

    async def excise(self, dataset: str, version_id: str, table: str, keys: Sequence[str]) -> None:
        """Delete the entries, and drop them (and their value hashes) from the manifests."""
        names = {f"{table}/{key}" for key in keys}
        count = await self._batch_count(dataset, version_id)
        manifests = [state_keys.manifest(version_id, str(n)) for n in range(count)]
        for name, raw in (await self._get_each(manifests)).items():
            manifest = _as_mapping(orjson.loads(raw))
            if not names.isdisjoint(manifest):
                kept = {k: v for k, v in manifest.items() if k not in names}
                # One manifest per call: several may not fit in one message to the sidecar.
                await self._client.execute_state_transaction(
                    self._store, [_upsert(name, orjson.dumps(kept))]
                )
        entries = [state_keys.entry(version_id, table, key) for key in keys]
        for chunk in _chunks(entries):
            await self._client.execute_state_transaction(self._store, [_delete(k) for k in chunk])
        self.forget(version_id)

    def forget(self, version_id: str) -> None:
        self._indexes.pop(version_id, None)

    async def scan(
        self,
        dataset: str,
        version_id: str,
        tables: Sequence[str],
        after: ScanPosition | None,
        page_size: int,
    ) -> AsyncIterator[EntryPage]:
        # The state API can't scan: the batches' manifests name every key, sorted here
        # as (table, key) pairs ("a-b/k" sorts before "a/k" as a string, not as a pair).
        wanted = set(tables)
        written = await self._written(version_id, await self._batch_count(dataset, version_id))
        pairs = sorted(tuple(name.partition("/")[::2]) for name in written)
        pending = [(t, k) for t, k in pairs if t in wanted and (after is None or (t, k) > after)]
        for table, group in groupby(pending, key=lambda pair: pair[0]):
            for chunk in _chunks([key for _, key in group], page_size):
                values = await self.read_many(version_id, table, chunk)
                found = [(k, v) for k, v in zip(chunk, values, strict=True) if v is not None]
                if found:
                    yield EntryPage(table, [k for k, _ in found], [v for _, v in found])

    async def _batch_count(self, dataset: str, version_id: str) -> int:
        ledger = unwrap(await self._actors.of(dataset).batches({"version_id": version_id}))
        return int(ledger["count"])

    async def _written(self, version_id: str, batches: int) -> list[str]:
        """Every "<table>/<key>" any of the version's `batches` may have written."""
        return sorted(await self._manifests(version_id, batches))

    async def _manifests(self, version_id: str, batches: int) -> dict[str, str]:
        """ "<table>/<key>" -> value hash, of every key the version's `batches` wrote.

        A key written by several batches has the hash of the latest-numbered one.
        """
        manifests = [state_keys.manifest(version_id, str(n)) for n in range(batches)]
        found = await self._get_each(manifests)
        written: dict[str, str] = {}
        for name in manifests:
            if name in found:
                written.update(_as_mapping(orjson.loads(found[name])))
        return written

    async def _get_each(self, state_keys: list[str]) -> dict[str, bytes]:
        """Values read one per call, a few calls in flight: each manifest was sent with its
        batch, so one fits in a message; many in one bulk answer may not (the sidecar
        refuses answers over its max body size, 4 MiB by default)."""
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def one(key: str) -> tuple[str, bytes | None]:
            async with slots:
                found = await self._client.get_state(self._store, key)
            return key, found.data if found.etag else None

        pairs = await asyncio.gather(*(one(key) for key in state_keys))
        return {key: value for key, value in pairs if value is not None}

    async def _get_many(self, state_keys: list[str]) -> dict[str, bytes]:
        found = await self._client.get_bulk_state(self._store, state_keys, parallelism=PARALLELISM)
        return {item.key: item.data for item in found.items if item.etag and not item.error}
