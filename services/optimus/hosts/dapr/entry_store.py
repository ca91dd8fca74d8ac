"""Entries through the Dapr state API: any state store component, same code.

Keys are laid out in `state_keys.py`. The component sets `keyPrefix: name`, so the
API replicas and loader workers (other app ids) see the same keys. A batch
writes its manifest with its entries, in one transaction, so the save's
count and digest and GC can find every key it wrote. The manifest maps each
"<table>/<key>" to a hash of its value, so that a diff of two versions counts
their changes from the manifests alone, without reading a value.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Sequence
from hashlib import blake2b
from itertools import groupby

import orjson
from dapr.aio.clients import DaprClient
from dapr.clients.grpc._request import TransactionalStateOperation, TransactionOperationType
from opentelemetry import trace

from optimus.domain.digest import EntryStats
from optimus.hosts.dapr import state_keys
from optimus.hosts.dapr.actor_client import DatasetActors
from optimus.hosts.dapr.components import DaprNames
from optimus.hosts.dapr.envelope import unwrap
from optimus.service_layer.ports import Batch, EntryPage, Fingerprinted, ScanPosition

_tracer = trace.get_tracer(__name__)
CHUNK = 500  # keys per bulk call
# The value hash of a key listed by a manifest of the earlier layout: unknown, so a diff
# against such a version counts the key as changed.
LEGACY_FINGERPRINT = ""
PARALLELISM = 16  # concurrent reads inside one bulk get (stores without a native bulk get)
INDEXED_VERSIONS = 4  # versions whose sorted keys are kept for diffs (a diff pages through two)

# Per table of a version: its "<key>" in key order, and (key, value hash) in the same order.
TableIndex = tuple[list[str], list[Fingerprinted]]


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
        self._indexes: OrderedDict[str, dict[str, TableIndex]] = OrderedDict()

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
    ) -> list[Fingerprinted]:
        keys, pairs = (await self._index(dataset, version_id)).get(table, ([], []))
        start = 0 if after is None else bisect_right(keys, after)
        return pairs[start : start + limit]

    async def _index(self, dataset: str, version_id: str) -> dict[str, TableIndex]:
        index = self._indexes.get(version_id)
        if index is None:
            written = await self._manifests(
                version_id, await self._batch_count(dataset, version_id)
            )
            by_table: dict[str, list[Fingerprinted]] = {}
            for name, hashed in sorted(written.items()):
                table, _, key = name.partition("/")
                by_table.setdefault(table, []).append((key, hashed))
            index = {t: ([key for key, _ in pairs], pairs) for t, pairs in by_table.items()}
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
        operations = []
        for chunk in _chunks(manifests):
            for name, raw in (await self._get_many(list(chunk))).items():
                manifest = _as_mapping(orjson.loads(raw))
                if not names.isdisjoint(manifest):
                    kept = {k: v for k, v in manifest.items() if k not in names}
                    operations.append(_upsert(name, orjson.dumps(kept)))
        operations += [_delete(state_keys.entry(version_id, table, key)) for key in keys]
        for start in range(0, len(operations), CHUNK):
            await self._client.execute_state_transaction(
                self._store, operations[start : start + CHUNK]
            )
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
        written: dict[str, str] = {}
        for chunk in _chunks(manifests):
            found = await self._get_many(list(chunk))
            for name in chunk:
                if name in found:
                    written.update(_as_mapping(orjson.loads(found[name])))
        return written

    async def _get_many(self, state_keys: list[str]) -> dict[str, bytes]:
        found = await self._client.get_bulk_state(self._store, state_keys, parallelism=PARALLELISM)
        return {item.key: item.data for item in found.items if item.etag and not item.error}
