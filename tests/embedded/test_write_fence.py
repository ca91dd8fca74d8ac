"""The embedded write fence admits a batch or refuses it; a save counts every admitted batch.

A loader may be delayed anywhere between checking the version and writing
its batch (a slow client, a busy event loop). Whatever the delay, an
acknowledged batch is in the saved version's counts, and a refused one left
nothing in the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from optimus.adapters.clock import SystemClock
from optimus.adapters.publish_hooks import HttpPublishHooks
from optimus.domain.errors import Conflict
from optimus.domain.policies import EvictionPolicy
from optimus.hosts.embedded.fence import EmbeddedWriteFence
from optimus.service_layer.diffs import VersionDiffs
from optimus.service_layer.jobs import LifecycleJobs
from optimus.service_layer.lifecycle import VersionLifecycle
from optimus.service_layer.loading import EntryLoader, Limits
from optimus.service_layer.ports import Batch, EntryStore, WriteFence
from tests.support.rocks import Rocks


class HeldBeforeTheFence:
    """A fence in front of which the writer waits until `release` is set."""

    def __init__(self, fence: WriteFence, waiting: asyncio.Event, release: asyncio.Event) -> None:
        self._fence, self._waiting, self._release = fence, waiting, release

    @asynccontextmanager
    async def writing(self, batch: Batch) -> AsyncIterator[None]:
        self._waiting.set()
        await self._release.wait()
        async with self._fence.writing(batch):
            yield

    async def drained(self, dataset: str, version_id: str) -> bool:
        return await self._fence.drained(dataset, version_id)


class HeldBeforeTheWrite:
    """An entry store whose writes wait until `release` is set (the fence already admitted them)."""

    def __init__(self, store: EntryStore, waiting: asyncio.Event, release: asyncio.Event) -> None:
        self._store, self._waiting, self._release = store, waiting, release

    async def write(self, batch: Batch) -> None:
        self._waiting.set()
        await self._release.wait()
        await self._store.write(batch)

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


@pytest.mark.parametrize("held", ["before the fence", "inside the fence"])
async def test_a_save_counts_every_acknowledged_batch_and_no_refused_one(
    rocks: Rocks, held: str
) -> None:
    clock, host, entries = SystemClock(), rocks.host, rocks.entries
    fence = EmbeddedWriteFence(host.views)
    waiting, release = asyncio.Event(), asyncio.Event()
    if held == "before the fence":
        loader = EntryLoader(host, entries, HeldBeforeTheFence(fence, waiting, release), Limits())
    else:
        slow = HeldBeforeTheWrite(entries, waiting, release)
        loader = EntryLoader(host, slow, fence, Limits())  # type: ignore[arg-type]
    lifecycle = VersionLifecycle(
        host, clock, diffs=VersionDiffs(host, entries), hooks=HttpPublishHooks()
    )
    await lifecycle.create_dataset(
        "ds", ["t"], content_type="application/json", eviction_policy=EvictionPolicy(), by="t"
    )
    version = await lifecycle.create_version("ds", label=None, verification_policy=None, by="t")

    load = asyncio.create_task(loader.load("ds", version.id, [{"key": "k", "value": 1}], table="t"))
    await waiting.wait()  # the loader has checked the version and is held
    await lifecycle.save(version.id, by="t")
    save = asyncio.create_task(LifecycleJobs(host, entries, fence).complete_save("ds", version.id))
    await asyncio.sleep(0.05)  # the save runs as far as it can while the writer is held
    release.set()
    acknowledged = await asyncio.gather(load, return_exceptions=True)
    await save

    saved = await lifecycle.version(version.id)
    assert saved.status == "SAVED"
    stored = await entries.read(version.id, "t", "k")
    if isinstance(acknowledged[0], BaseException):
        assert isinstance(acknowledged[0], Conflict)
        assert saved.counts == {"t": 0} and stored is None
    else:
        assert saved.counts == {"t": 1} and stored == b"1"
