"""The asynchronous client: the same calls as `OptimusClient`, awaited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from optimus.client import calls
from optimus.client.cache import NOT_CACHED, EntryCache
from optimus.client.errors import Unavailable, no_active_version
from optimus.client.events import apply_version_event
from optimus.client.models import FINAL_SAVE_STATES, Dataset, Entries, Pulled, Version
from optimus.client.pointers import ActivePointers
from optimus.client.reads import ReadPath, merged
from optimus.client.transport import (
    DEFAULT_APP_ID,
    DEFAULT_BASE_URL,
    bearer_headers,
    dapr_base_url,
    dapr_headers,
)


class AsyncOptimusClient:
    """Reads and administration of an Optimus API, for asyncio code (see `OptimusClient`)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        user: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        cache_entries: int = 100_000,
        cache_bytes: int = 64 << 20,
        active_ttl: float = 1.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 100,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            headers={**(headers or {}), **bearer_headers(token)},
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections),
        )
        if user is not None:
            self._http.headers[calls.USER_HEADER] = user
        self._reads = ReadPath(EntryCache(cache_entries, cache_bytes), ActivePointers(active_ttl))

    @classmethod
    def via_dapr(
        cls, app_id: str = DEFAULT_APP_ID, *, dapr_http_port: int | None = None, **options: Any
    ) -> AsyncOptimusClient:
        """A client that reaches the app `app_id` through the local Dapr sidecar."""
        headers = {**dapr_headers(), **options.pop("headers", {})}
        return cls(dapr_base_url(app_id, dapr_http_port), headers=headers, **options)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncOptimusClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _send(self, call: calls.Call) -> httpx.Response:
        try:
            return await self._http.send(call.to_request(self._http))
        except httpx.TransportError as exc:
            raise Unavailable(f"{call.method} {call.path}: {exc!r}") from exc

    # Reads

    async def get(
        self,
        dataset: str,
        table: str,
        key: str,
        *,
        version_id: str | None = None,
        track: str | None = None,
    ) -> Any:
        """The value of `key` (decoded: JSON, or text); KeyNotFound if the version has none.

        `track="candidate"` reads the staged candidate (the active version if none is).
        """
        reads = self._reads
        if track is not None:  # the candidate pointer is not kept here: ask each time
            asked_at = reads.pointers.clock()
            response = await self._send(calls.entry(dataset, table, key, version_id, track))
            return reads.settle_one(dataset, table, key, response, asked_at)
        target = reads.target(dataset, version_id)
        value = reads.cached_one(target, table, key)
        if value is not NOT_CACHED:
            return value
        asked_at = reads.pointers.clock()
        response = await self._send(calls.entry(dataset, table, key, target))
        if reads.stale_pointer(dataset, version_id, target, response):
            asked_at = reads.pointers.clock()
            response = await self._send(calls.entry(dataset, table, key, None))
        return reads.settle_one(dataset, table, key, response, asked_at)

    async def get_many(
        self,
        dataset: str,
        table: str,
        keys: Iterable[str],
        *,
        version_id: str | None = None,
        track: str | None = None,
    ) -> Entries:
        """Many keys, all from one version (of `track`, as for `get`)."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            raise ValueError("get_many needs at least one key")
        reads = self._reads
        if track is not None:
            asked_at = reads.pointers.clock()
            response = await self._send(calls.entries(dataset, table, wanted, version_id, track))
            return reads.settle_many(dataset, table, wanted, response, asked_at)
        target = reads.target(dataset, version_id)
        values, missing, unknown = {}, [], wanted
        if target is not None:
            values, missing, unknown = reads.cached_many(target, table, wanted)
            if not unknown:
                return Entries(target, values, missing)
        asked_at = reads.pointers.clock()
        response = await self._send(calls.entries(dataset, table, unknown, target))
        if reads.stale_pointer(dataset, version_id, target, response):
            values, missing, unknown = {}, [], wanted
            asked_at = reads.pointers.clock()
            response = await self._send(calls.entries(dataset, table, unknown, None))
        fetched = reads.settle_many(dataset, table, unknown, response, asked_at)
        return merged((values, missing), fetched)

    async def pull(
        self,
        dataset: str,
        table: str,
        keys: Iterable[str],
        pattern: Sequence[Any],
        *,
        version_id: str | None = None,
        as_of: str | None = None,
    ) -> Pulled:
        """Values of `keys` shaped by `pattern`, references followed, all from one version.

        `as_of` (RFC 3339) reads the version published then; see docs/reads.md.
        """
        call = calls.pull(dataset, table, list(keys), pattern, version_id, as_of)
        return Pulled.from_json(calls.json_of(await self._send(call)))

    def pin(self, dataset: str, version_id: str | None = None) -> AsyncPin:
        """`async with client.pin(dataset) as snapshot:` reads one version throughout."""
        return AsyncPin(self, dataset, version_id)

    async def active_version_id(self, dataset: str) -> str | None:
        """The version unpinned reads use now (asks the server unless the pointer is fresh)."""
        fresh = self._reads.target(dataset, None)
        return fresh or (await self.dataset(dataset)).active_version_id

    def handle_version_event(self, payload: Mapping[str, Any]) -> bool:
        """Feed a version event (CloudEvent or its data) from Dapr pub/sub; True if it moved
        the active pointer (an `excised` event also drops the version's cached entries).
        Call it from your subscription route."""
        return apply_version_event(self._reads.pointers, self._reads.cache, payload)

    # Inspection

    async def datasets(self) -> list[Dataset]:
        bodies = calls.json_of(await self._send(calls.datasets()))
        return [Dataset.from_json(body) for body in bodies]

    async def dataset(self, name: str) -> Dataset:
        asked_at = self._reads.pointers.clock()
        found = Dataset.from_json(calls.json_of(await self._send(calls.dataset(name))))
        self._reads.pointers.observe(name, found.active_version_id, asked_at)
        return found

    async def versions(self, dataset: str) -> list[Version]:
        bodies = calls.json_of(await self._send(calls.versions(dataset)))
        return [Version.from_json(body) for body in bodies]

    async def version(self, version_id: str) -> Version:
        return Version.from_json(calls.json_of(await self._send(calls.version(version_id))))

    async def history(self, dataset: str, table: str, key: str) -> list[dict[str, Any]]:
        """The key in every retained version, in sequence order (`present`, `value`, …)."""
        body = calls.json_of(await self._send(calls.history(dataset, table, key)))
        return body["versions"]

    async def diff(self, version_id: str, *, against: str | None = None) -> dict[str, Any]:
        """Counts of added, removed, changed and unchanged keys against `against` (default:
        the active version), under "tables" and "total"."""
        return calls.json_of(await self._send(calls.diff(version_id, against)))

    async def diff_entries(
        self,
        version_id: str,
        *,
        against: str | None = None,
        table: str | None = None,
        change: str | None = None,
        page_size: int = 1000,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every changed key ({table, key, change, old, new}), page after page."""
        cursor = None
        while True:
            call = calls.diff_entries(version_id, against, table, change, cursor, page_size)
            page = calls.json_of(await self._send(call))
            for entry in page["entries"]:
                yield entry
            cursor = page["cursor"]
            if cursor is None:
                return

    # Administration

    async def create_dataset(
        self,
        name: str,
        tables: Sequence[str],
        *,
        content_type: str | None = None,
        eviction_policy: Mapping[str, Any] | None = None,
        publish_gates: Mapping[str, Any] | None = None,
    ) -> None:
        call = calls.create_dataset(name, tables, content_type, eviction_policy, publish_gates)
        calls.checked(await self._send(call))

    async def create_version(
        self,
        dataset: str,
        *,
        label: str | None = None,
        verification_policy: Mapping[str, Any] | None = None,
    ) -> Version:
        call = calls.create_version(dataset, label, verification_policy)
        return Version.from_json(calls.json_of(await self._send(call))["version"])

    async def load_entries(self, dataset: str, version_id: str, body: bytes) -> int:
        """Write a JSON array of {table, key, value}; returns the entries accepted."""
        response = await self._send(calls.load_entries(dataset, version_id, body))
        return calls.json_of(response)["items-accepted"]

    async def save(
        self,
        version_id: str,
        *,
        reason: str | None = None,
        verification_policy: Mapping[str, Any] | None = None,
        wait: bool = False,
    ) -> Version:
        """Start the save; with `wait`, follow the version until it is SAVED or FAILED.

        A `verification_policy` replaces the one the version was created with.
        """
        call = calls.save(version_id, reason, verification_policy)
        body = calls.json_of(await self._send(call))
        saved = Version.from_json(body["version"])
        return await self.wait_saved(version_id) if wait else saved

    async def wait_saved(self, version_id: str, *, timeout: float = 3600.0) -> Version:
        """Poll the version (backing off to 1 s) until its save has ended."""
        deadline = time.monotonic() + timeout
        pause = 0.02
        while True:
            found = await self.version(version_id)
            if found.status in FINAL_SAVE_STATES or time.monotonic() > deadline:
                return found
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

    async def publish(
        self,
        version_id: str,
        *,
        reason: str | None = None,
        force: bool = False,
        wait_replicas: bool = False,
    ) -> Version:
        """Publish (or roll back to) a SAVED version; `force` (with a reason) overrides
        failed publish gates.

        With `wait_replicas`, return once every live API replica serves it; if some
        don't within the server's bound, the publish is still done and
        `ReplicasNotReady` (a 504) is raised.
        """
        if force and not reason:
            raise ValueError("a forced publish needs a reason")
        call = (
            calls.forced_publish(version_id, reason)  # type: ignore[arg-type]
            if force
            else calls.transition(version_id, "publish", reason, wait_replicas=wait_replicas)
        )
        body = calls.json_of(await self._send(call))
        return Version.from_json(body["version"])

    async def stage(self, version_id: str, *, reason: str | None = None) -> Version:
        """Make a SAVED version the candidate: readers with track="candidate" get it."""
        body = calls.json_of(await self._send(calls.transition(version_id, "stage", reason)))
        return Version.from_json(body["version"])

    async def unstage(self, version_id: str, *, reason: str | None = None) -> Version:
        body = calls.json_of(await self._send(calls.transition(version_id, "unstage", reason)))
        return Version.from_json(body["version"])

    async def discard(self, version_id: str, *, reason: str | None = None) -> Version:
        body = calls.json_of(await self._send(calls.transition(version_id, "discard", reason)))
        return Version.from_json(body)

    async def excise(self, dataset: str, table: str, keys: Iterable[str], *, reason: str) -> Any:
        """Remove the keys from every retained version for good (see `OptimusClient.excise`)."""
        return calls.json_of(await self._send(calls.excise(dataset, table, list(keys), reason)))


class AsyncSnapshot:
    """Reads of one version of a dataset (see `AsyncOptimusClient.pin`)."""

    def __init__(self, client: AsyncOptimusClient, dataset: str, version_id: str) -> None:
        self.client = client
        self.dataset = dataset
        self.version_id = version_id

    async def get(self, table: str, key: str) -> Any:
        return await self.client.get(self.dataset, table, key, version_id=self.version_id)

    async def get_many(self, table: str, keys: Iterable[str]) -> Entries:
        return await self.client.get_many(self.dataset, table, keys, version_id=self.version_id)


class AsyncPin:
    def __init__(self, client: AsyncOptimusClient, dataset: str, version_id: str | None) -> None:
        self._client = client
        self._dataset = dataset
        self._version_id = version_id

    async def __aenter__(self) -> AsyncSnapshot:
        version_id = self._version_id or await self._client.active_version_id(self._dataset)
        if version_id is None:
            raise no_active_version(self._dataset)
        return AsyncSnapshot(self._client, self._dataset, version_id)

    async def __aexit__(self, *_: object) -> None:
        return None
