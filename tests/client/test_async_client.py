"""The async client: the same reads, snapshots, cache and administration, awaited."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from optimus.client import AsyncOptimusClient, Conflict, KeyNotFound
from tests.client.conftest import Endpoint, publish
from tests.support.api import unique


async def test_reads_snapshots_and_events(server: Endpoint, admin, dataset: str) -> None:
    first = publish(admin, dataset, {"a": {"n": 1}, "b": 2})
    async with AsyncOptimusClient(server.base_url, active_ttl=60) as client:
        values = await asyncio.gather(*(client.get(dataset, "items", k) for k in ("a", "b")))
        assert values == [{"n": 1}, 2]
        with pytest.raises(KeyNotFound):
            await client.get(dataset, "items", "zz")
        async with client.pin(dataset) as snapshot:
            second = publish(admin, dataset, {"a": 3})
            assert snapshot.version_id == first
            assert (await snapshot.get_many("items", ["a", "b"])).values == {"a": {"n": 1}, "b": 2}
        assert await client.get(dataset, "items", "a") == {"n": 1}  # the pointer holds a minute
        event = {"dataset": dataset, "active_version_id": second, "revision": 100}
        assert client.handle_version_event(event)
        assert await client.get(dataset, "items", "a") == 3
        assert await client.active_version_id(dataset) == second
        assert (await client.dataset(dataset)).active_version_id == second


async def test_the_admin_calls_the_loader_uses(server: Endpoint) -> None:
    async with AsyncOptimusClient(server.base_url, user="tester") as client:
        dataset = unique("ds")
        await client.create_dataset(
            dataset, ["items"], eviction_policy={"type": "keep-last-x-versions", "versions": 3}
        )
        version = await client.create_version(
            dataset, label="async", verification_policy={"strategy": "count", "count": 1}
        )
        assert version.status == "AWAITING_ENTRIES"
        body = orjson.dumps([{"table": "items", "key": "k", "value": [1]}])
        assert await client.load_entries(dataset, version.id, body) == 1
        saved = await client.save(version.id, reason="done", wait=True)
        assert (saved.status, saved.counts) == ("SAVED", {"items": 1})
        published = await client.publish(version.id)
        assert published.status == "PUBLISHED"
        assert published.operation_log[-1].by == "tester"
        with pytest.raises(Conflict):
            await client.discard(version.id)
        assert [v.id for v in await client.versions(dataset)] == [version.id]
        assert (await client.version(version.id)).label == "async"
        assert dataset in {d.name for d in await client.datasets()}
