"""The Dapr fence: the dataset's actor numbers and tracks every batch being written.

A batch begins with a call to the actor, which refuses it once the version
no longer accepts entries, and ends with another. A save waits until no batch
is in flight. A writer that died mid-batch leaves its lease behind; leases
expire after `BATCH_LEASE_MS`, so a crashed loader can't block the save for
long. The lease outlasts the longest write the resiliency policy allows on
the entries store (timeout x attempts + backoff, about 25 s): a slow writer
can't land entries after the save has counted them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from optimus.hosts.dapr.actor_client import DatasetActors
from optimus.hosts.dapr.envelope import unwrap
from optimus.service_layer.ports import Batch

BATCH_LEASE_MS = 30_000
POLL_SECONDS = 0.2


class DaprWriteFence:
    def __init__(
        self, actors: DatasetActors, drain_timeout_s: float = BATCH_LEASE_MS / 1000
    ) -> None:
        self._actors = actors
        self._drain_timeout_s = drain_timeout_s

    @asynccontextmanager
    async def writing(self, batch: Batch) -> AsyncIterator[None]:
        actor = self._actors.of(batch.dataset)
        where = {"version_id": batch.version_id}
        batch.number = int(unwrap(await actor.begin_batch(where)))
        try:
            yield
        finally:
            unwrap(await actor.end_batch({**where, "number": batch.number}))

    async def drained(self, dataset: str, version_id: str) -> bool:
        deadline = time.monotonic() + self._drain_timeout_s + 1
        while time.monotonic() < deadline:
            ledger = unwrap(await self._actors.of(dataset).batches({"version_id": version_id}))
            if not ledger["pending"]:
                return True
            await asyncio.sleep(POLL_SECONDS)
        return False
