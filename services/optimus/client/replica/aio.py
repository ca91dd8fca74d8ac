"""The local replica, asyncio form: it follows the dataset's active version in the background.

Which version to serve is learnt two ways, both carrying the dataset's
revision: `WatchDataset` (at once) and a bounded poll of the REST dataset
(for a watch that failed or an event that was missed). Only a newer revision
counts, so the replica never goes back to a state older than one it served.
A new active version is streamed into a store of its own beside the served
one; once complete, and its counts and digest equal the server's, one
reference assignment switches the readers to it, and the old store is deleted
a grace period later (readers holding its snapshot finish meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx

from optimus.client import calls
from optimus.client.errors import OptimusClientError, Unavailable, no_active_version
from optimus.client.models import Dataset, Entries, Version
from optimus.client.replica.disk import ReplicaDisk
from optimus.client.replica.download import Abandoned, download, mismatch
from optimus.client.replica.served import ServedVersion
from optimus.client.replica.source import ReplicaSource
from optimus.client.replica.stores import MemoryStore, VersionStore
from optimus.v1 import optimus_pb2 as pb
from optimus.v1 import optimus_pb2_grpc

_FAILURES = (grpc.aio.AioRpcError, OptimusClientError)
# A store is deleted a step at a time with this pause between steps: the event loop
# then waits in epoll without the GIL, and reader threads run meanwhile.
_DELETE_PAUSE_S = 0.0005


@dataclass(frozen=True, slots=True)
class ReplicaStatus:
    version_id: str | None  # the version served (None: none yet)
    revision: int  # the dataset's revision at which it was known active
    downloading: str | None  # the version being streamed, if any
    received_entries: int  # entries streamed by this replica object, all versions
    last_error: str | None  # the last failure (watch, poll, download, verification)


class AsyncReplica:
    """`dataset`'s active version, held in-process (see the module docstring).

    `path`: a directory for RocksDB stores (survives restarts, resumes downloads);
    None keeps the version in memory. `tables`: the tables to hold (default: all).
    """

    def __init__(
        self,
        source: ReplicaSource,
        dataset: str,
        *,
        tables: Sequence[str] | None = None,
        path: str | Path | None = None,
        poll_interval: float = 5.0,
        retry_interval: float = 0.5,
        drop_after: float = 1.0,
        chunk_size: int = 1000,
        block_cache_bytes: int = 256 << 20,
    ) -> None:
        self.source = source
        self.dataset = dataset
        self._wanted_tables = tuple(tables) if tables is not None else None
        self._disk = ReplicaDisk(Path(path), block_cache_bytes) if path is not None else None
        self._poll_interval = poll_interval
        self._retry_interval = retry_interval
        self._drop_after = drop_after
        self._chunk_size = chunk_size
        self._served: ServedVersion | None = None
        self._tables: frozenset[str] = frozenset()
        self._every_table = tables is None
        self._wanted: tuple[int, str | None] = (-1, None)  # (revision, active version id)
        self._wanted_changed = asyncio.Event()
        self._rejected: set[str] = set()  # failed verification: not downloaded again
        self._downloading: str | None = None
        self._pending: VersionStore | None = None  # the store of the version downloading
        self._received = 0
        self._last_error: str | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None
        self._channel: grpc.aio.Channel | None = None

    # Reads: in-process, no I/O, safe from any thread.

    def snapshot(self) -> ServedVersion:
        """The version served now; every read of it answers from that version."""
        served = self._served
        if served is None:
            raise no_active_version(self.dataset)
        return served

    def get(self, table: str, key: str) -> bytes:
        """The stored bytes of `key`; KeyNotFound if the served version has none."""
        served = self._served
        if served is None:
            raise no_active_version(self.dataset)
        return served.get(table, key)

    def get_many(self, table: str, keys: Iterable[str]) -> Entries:
        """Many keys, all from one version (named in the answer)."""
        return self.snapshot().get_many(table, keys)

    @property
    def version_id(self) -> str | None:
        served = self._served
        return served.version_id if served is not None else None

    @property
    def last_error(self) -> str | None:
        return self._last_error

    def status(self) -> ReplicaStatus:
        served = self._served
        return ReplicaStatus(
            served.version_id if served else None,
            served.revision if served else -1,
            self._downloading,
            self._received,
            self._last_error,
        )

    # Lifecycle

    async def start(self, timeout: float = 300.0) -> AsyncReplica:
        """Serve what the disk holds, then follow the server; return once the active
        version is served (or the dataset has none). TimeoutError otherwise."""
        self._http = httpx.AsyncClient(
            base_url=self.source.rest_url, headers=self.source.http_headers(), timeout=30.0
        )
        self._channel = grpc.aio.insecure_channel(self.source.grpc_address)
        self._stub = optimus_pb2_grpc.OptimusStub(self._channel)
        dataset = await self._dataset()
        all_tables = dataset.tables
        self._tables = frozenset(self._wanted_tables or all_tables)
        self._every_table = self._tables >= set(all_tables)
        self._restore()
        self._observe(dataset.raw["revision"], dataset.active_version_id)
        self._tasks = [
            asyncio.create_task(self._follow()),
            asyncio.create_task(self._watch()),
            asyncio.create_task(self._poll()),
        ]
        try:
            await asyncio.wait_for(self._caught_up(), timeout)
        except TimeoutError as exc:
            await self.aclose()
            message = f"replica of {self.dataset!r} not ready: {self._last_error}"
            raise TimeoutError(message) from exc
        return self

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for held in (self._served.store if self._served else None, self._pending):
            if held is not None:
                held.close()  # a download left pending resumes on the next start
        if self._channel is not None:
            await self._channel.close()
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncReplica:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def _caught_up(self) -> None:
        while True:
            _, active = self._wanted
            if active is None or active == self.version_id or active in self._rejected:
                return
            await asyncio.sleep(0.01)

    def _restore(self) -> None:
        found = self._disk.serving() if self._disk is not None else None
        if found is None or self._disk is None:
            return
        version_id, revision = found
        store = self._disk.store(version_id)
        if store.sealed:
            self._served = ServedVersion(version_id, revision, store, self._tables)
            self._wanted = (revision, version_id)
        else:
            store.close()

    # Learning the active version

    def _observe(self, revision: int, active_version_id: str | None) -> None:
        if revision > self._wanted[0]:
            self._wanted = (revision, active_version_id)
            self._wanted_changed.set()

    def _fail(self, what: str, error: BaseException) -> None:
        if isinstance(error, grpc.aio.AioRpcError):
            self._last_error = f"{what}: {error.code().name}: {error.details()}"
        else:
            self._last_error = f"{what}: {error}"

    async def _watch(self) -> None:
        request = pb.WatchDatasetRequest(dataset=self.dataset)
        while True:
            try:
                stream = self._stub.WatchDataset(request, metadata=self.source.call_metadata())
                async for change in stream:
                    state = change.current if change.HasField("current") else change.event
                    self._observe(state.revision, state.active_version_id or None)
            except grpc.aio.AioRpcError as exc:
                self._fail("watch", exc)
            await asyncio.sleep(self._retry_interval)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval)
            try:
                dataset = await self._dataset()
            except OptimusClientError as exc:
                self._fail("poll", exc)
                continue
            self._observe(dataset.raw["revision"], dataset.active_version_id)

    async def _dataset(self) -> Dataset:
        return Dataset.from_json(calls.json_of(await self._send(calls.dataset(self.dataset))))

    async def _version(self, version_id: str) -> Version:
        return Version.from_json(calls.json_of(await self._send(calls.version(version_id))))

    async def _send(self, call: calls.Call) -> httpx.Response:
        assert self._http is not None
        try:
            return await self._http.send(call.to_request(self._http))
        except httpx.TransportError as exc:
            raise Unavailable(f"{call.method} {call.path}: {exc!r}") from exc

    # Following it

    async def _follow(self) -> None:
        while True:
            await self._wanted_changed.wait()
            self._wanted_changed.clear()
            revision, version_id = self._wanted
            served = self._served
            if version_id is None or version_id in self._rejected:
                continue
            if served is not None and served.version_id == version_id:
                self._served = served.at_revision(revision)
                continue
            try:
                await self._replace(version_id)
            except Abandoned:
                await self._drop_pending()
                continue
            except _FAILURES as exc:
                self._fail(f"download of {version_id}", exc)
                await asyncio.sleep(self._retry_interval)
                self._wanted_changed.set()  # resume where it stopped

    def _store_for(self, version_id: str) -> VersionStore:
        if self._disk is None:
            return MemoryStore()
        served = self._served
        self._disk.keep_only({version_id} | ({served.version_id} if served else set()))
        return self._disk.store(version_id)

    async def _replace(self, version_id: str) -> None:
        """Download `version_id` beside the served version, verify it, switch, drop the old."""
        store = await self._pending_store(version_id)
        self._downloading = version_id
        version = await self._version(version_id)
        self._received += await download(
            self._stub,
            self.source,
            self.dataset,
            version_id,
            sorted(self._tables),
            store,
            chunk_size=self._chunk_size,
            still_wanted=lambda: self._wanted[1] == version_id,
        )
        error = mismatch(store.progress().stats, version, sorted(self._tables), self._every_table)
        if error:
            self._rejected.add(version_id)
            await self._drop_pending()
            self._last_error = error
            return
        store.seal()
        self._pending = None
        self._downloading = None
        old = self._served
        self._served = ServedVersion(version_id, self._wanted[0], store, self._tables)
        if self._disk is not None:
            self._disk.record_serving(version_id, self._wanted[0])
        if old is not None:
            await asyncio.sleep(self._drop_after)
            await _delete(old.store)

    async def _pending_store(self, version_id: str) -> VersionStore:
        """The store a download of `version_id` goes on with (kept across retries)."""
        if self._downloading != version_id or self._pending is None:
            await self._drop_pending()
            self._pending = self._store_for(version_id)
        return self._pending

    async def _drop_pending(self) -> None:
        pending, self._pending, self._downloading = self._pending, None, None
        if pending is not None:
            await _delete(pending)


async def _delete(store: VersionStore) -> None:
    for _ in store.destroy():
        await asyncio.sleep(_DELETE_PAUSE_S)
