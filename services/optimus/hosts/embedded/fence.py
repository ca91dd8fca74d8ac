"""The embedded fence: admits a batch only while its version accepts entries, and counts it.

Commands run in this process and update the read views before they return, so
the view's status is exact. Admission (the status check) and counting the
batch happen with no await in between: a save that begins after a batch was
admitted waits in `drained` until the batch is stored, and a batch that comes
after the save began is refused.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from optimus.adapters.clock import SystemClock
from optimus.domain.errors import unknown_version
from optimus.domain.version import require_loadable
from optimus.service_layer.ports import Batch, Clock
from optimus.service_layer.views import ReadViews


class EmbeddedWriteFence:
    def __init__(self, views: ReadViews, clock: Clock | None = None) -> None:
        self._views = views
        self._clock = clock if clock is not None else SystemClock()
        # When each version last admitted a batch (epoch ms), for load timeouts.
        self.last_batch_at: dict[str, int] = {}
        self._counts: Counter[str] = Counter()
        self._drained: dict[str, asyncio.Event] = {}

    @asynccontextmanager
    async def writing(self, batch: Batch) -> AsyncIterator[None]:
        version_id = batch.version_id
        view = self._views.get(batch.dataset)
        status = view.statuses.get(version_id) if view is not None else None
        if status is None:
            raise unknown_version(version_id)
        require_loadable(version_id, status)
        self._counts[version_id] += 1
        self.last_batch_at[version_id] = self._clock.now_ms()
        self._drained.setdefault(version_id, asyncio.Event()).clear()
        try:
            yield
        finally:
            self._counts[version_id] -= 1
            if self._counts[version_id] == 0:
                del self._counts[version_id]
                self._drained.pop(version_id).set()

    async def drained(self, dataset: str, version_id: str) -> bool:
        event = self._drained.get(version_id)
        if event is not None:
            await event.wait()
        return True
