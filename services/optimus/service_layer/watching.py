"""Watching a dataset: its current state, then its version transitions as they happen.

Both hosts push their version events into one `EventFeed` (it is an
`EventPublisher`): the embedded host as a listener of its commands, a Dapr
replica from its subscription to the versions topic. The feed fans them out to
the watchers of each dataset.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager

from optimus.domain.errors import TooLarge
from optimus.domain.events import VersionEvent
from optimus.service_layer.views import DatasetView, ViewSource, refreshed_view

MAX_PENDING_EVENTS = 1000


class EventFeed:
    def __init__(self, max_pending: int = MAX_PENDING_EVENTS) -> None:
        self.max_pending = max_pending
        self._watchers: defaultdict[str, set[asyncio.Queue[VersionEvent | None]]] = defaultdict(set)

    async def on_events(self, events: Sequence[VersionEvent]) -> None:
        for event in events:
            for queue in self._watchers.get(event.dataset, ()):
                try:
                    queue.put_nowait(event)
                except asyncio.QueueFull:
                    # Too slow a watcher is dropped, not waited for: the host must not stall.
                    queue.get_nowait()
                    queue.put_nowait(None)

    @contextmanager
    def watch(self, dataset: str) -> Iterator[asyncio.Queue[VersionEvent | None]]:
        """A queue of the dataset's events from now on; None in it: the watcher fell behind."""
        queue: asyncio.Queue[VersionEvent | None] = asyncio.Queue(self.max_pending)
        self._watchers[dataset].add(queue)
        try:
            yield queue
        finally:
            self._watchers[dataset].discard(queue)
            if not self._watchers[dataset]:
                del self._watchers[dataset]


async def watch_dataset(
    source: ViewSource, feed: EventFeed, dataset: str
) -> AsyncIterator[DatasetView | VersionEvent]:
    """The dataset's view (NotFound if none), then each later event once, in revision order.

    Events come at least once and, on Dapr, possibly out of order: one not newer
    than what was already given is a duplicate or overtaken, and is skipped.
    """
    # Watching before the state is read: no event can fall between the two.
    with feed.watch(dataset) as events:
        view = await refreshed_view(source, dataset)
        yield view
        seen = view.revision
        while (event := await events.get()) is not None:
            if event.revision > seen:
                seen = event.revision
                yield event
    raise TooLarge(
        f"the watcher fell more than {feed.max_pending} events behind; watch again",
        code="watcher-behind",
        dataset=dataset,
    )
