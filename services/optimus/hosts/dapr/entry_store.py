"""Entries through the Dapr state API: any state store component, same code.

Keys are laid out in `state_keys.py`. The component sets `keyPrefix: name`, so the
API replicas and loader workers (other app ids) see the same keys. A batch
writes its manifest with its entries, in one transaction, so the save's
count and digest and GC can find every key it wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence

import orjson
from dapr.aio.clients import DaprClient
from dapr.clients.grpc._request import TransactionalStateOperation, TransactionOperationType
from opentelemetry import trace

from optimus.domain.digest import EntryStats
from optimus.hosts.dapr import state_keys
from optimus.hosts.dapr.actor_client import DatasetActors
from optimus.hosts.dapr.components import DaprNames
from optimus.hosts.dapr.envelope import unwrap
from optimus.service_layer.ports import Batch

_tracer = trace.get_tracer(__name__)
CHUNK = 500  # keys per bulk call
PARALLELISM = 16  # concurrent reads inside one bulk get (stores without a native bulk get)


def _upsert(key: str, value: bytes) -> TransactionalStateOperation:
    return TransactionalStateOperation(key, value, operation_type=TransactionOperationType.upsert)


def _delete(key: str) -> TransactionalStateOperation:
    return TransactionalStateOperation(key, b"", operation_type=TransactionOperationType.delete)


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DaprEntryStore:
    def __init__(self, client: DaprClient, actors: DatasetActors, names: DaprNames) -> None:
        self._client = client
        self._actors = actors
        self._store = names.entries_store

    async def write(self, batch: Batch) -> None:
        if batch.number is None:
            raise ValueError("a batch must be numbered by the fence before it is written")
        version_id = batch.version_id
        manifest = orjson.dumps([f"{table}/{key}" for table, key, _ in batch.entries])
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

    async def scan(
        self, version_id: str, table: str, after: str | None = None
    ) -> AsyncIterator[tuple[str, bytes]]:
        # The state API can't scan: the batch manifests list the keys (names only are
        # held, sorted), and values are read a chunk at a time.
        found = await self._client.get_state(self._store, state_keys.version_index(version_id))
        dataset = found.data.decode()
        written = await self._written(version_id, await self._batch_count(dataset, version_id))
        mark = f"{table}/"
        keys = [name[len(mark) :] for name in written if name.startswith(mark)]
        if after is not None:
            keys = [key for key in keys if key > after]
        for chunk in _chunks(keys):
            values = await self.read_many(version_id, table, chunk)
            for key, value in zip(chunk, values, strict=True):
                if value is not None:  # a manifest lists what a batch may have written
                    yield key, value

    async def _batch_count(self, dataset: str, version_id: str) -> int:
        ledger = unwrap(await self._actors.of(dataset).batches({"version_id": version_id}))
        return int(ledger["count"])

    async def _written(self, version_id: str, batches: int) -> list[str]:
        """Every "<table>/<key>" any of the version's `batches` may have written."""
        manifests = [state_keys.manifest(version_id, str(n)) for n in range(batches)]
        names: set[str] = set()
        for chunk in _chunks(manifests):
            for manifest in (await self._get_many(list(chunk))).values():
                names.update(orjson.loads(manifest))
        return sorted(names)

    async def _get_many(self, state_keys: list[str]) -> dict[str, bytes]:
        found = await self._client.get_bulk_state(self._store, state_keys, parallelism=PARALLELISM)
        return {item.key: item.data for item in found.items if item.etag and not item.error}
