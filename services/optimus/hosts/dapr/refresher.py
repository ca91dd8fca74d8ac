"""Keeps a replica's read views current: from version events, and by polling dataset heads.

Each replica subscribes on its own (every replica must see every publish) and
also re-reads every dataset's head at a bounded interval, so a lost event
can't keep it serving an old version for longer than `interval_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from dapr.aio.clients import DaprClient

from optimus.adapters.codec import event_from_dict
from optimus.domain.errors import NotFound
from optimus.domain.events import EventType
from optimus.hosts.dapr import state_keys
from optimus.hosts.dapr.components import DaprNames
from optimus.hosts.dapr.host import DaprHost
from optimus.service_layer.metering import Meter

log = logging.getLogger(__name__)


class ViewRefresher:
    def __init__(
        self,
        host: DaprHost,
        client: DaprClient,
        names: DaprNames,
        interval_s: float,
        meter: Meter | None = None,
        forget: Callable[[str], None] = lambda version_id: None,
    ) -> None:
        self._host = host
        # Drops what this replica holds of a version's entries (`EntryStore.forget`).
        self._forget = forget
        self._meter = meter if meter is not None else Meter()
        self._client = client
        self._store = names.entries_store
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self._event_refreshes: set[asyncio.Task[None]] = set()
        self.synced = asyncio.Event()

    def apply_event(self, data: dict[str, Any]) -> None:
        """A version event arrived: move the view on by it, or refresh the dataset after a gap.

        The refresh runs after the handler has answered: the event may have been
        published from inside the dataset actor's turn (in-memory pub/sub delivers
        while the publisher waits), and calling that actor before the turn ends
        would deadlock.
        """
        try:
            event = event_from_dict(data)
        except (TypeError, ValueError):  # not an event this replica can read: the aggregate can
            log.warning("refreshing %s after an unreadable event: %r", data.get("dataset"), data)
        else:
            if event.type is EventType.EXCISED:  # cached entries of the version may be gone
                self._forget(event.version_id)
            if self._host.views.advance(event.dataset, [event]):
                if event.type is EventType.PUBLISHED:
                    # Wall clocks of two machines: as good as their NTP sync.
                    lag_s = max(0.0, time.time() - event.at / 1000)
                    self._meter.publish_to_served.observe(lag_s)
                return
        task = asyncio.create_task(self._refresh(data["dataset"]))
        self._event_refreshes.add(task)
        task.add_done_callback(self._event_refreshes.discard)

    async def refresh_all(self) -> None:
        names = await self._host.catalog()
        heads = {}
        if names:
            found = await self._client.get_bulk_state(
                self._store, [state_keys.head(n) for n in names]
            )
            heads = {item.key: orjson.loads(item.data) for item in found.items if item.data}
        for name in names:
            view = self._host.views.get(name)
            head = heads.get(state_keys.head(name))
            if view is None or head is None or head["revision"] > view.revision:
                await self._refresh(name)

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _refresh(self, name: str) -> None:
        try:
            await self._host.get(name)
        except NotFound:  # listed, but its creation did not complete
            pass
        except Exception:
            log.exception("refreshing the view of %s failed; the next poll retries", name)

    async def _poll_forever(self) -> None:
        while True:
            try:
                await self.refresh_all()
                self.synced.set()
            except Exception:
                log.exception("refreshing dataset views failed; retrying")
            await asyncio.sleep(self._interval_s)
