"""A version event reached this replica (by HTTP or gRPC subscription): views and watchers."""

from __future__ import annotations

from optimus.adapters.dapr.events import event_from_data
from optimus.adapters.dapr.refresher import ViewRefresher
from optimus.service_layer.watching import EventFeed


async def deliver_version_event(data: object, refresher: ViewRefresher, feed: EventFeed) -> None:
    if isinstance(data, dict) and "dataset" in data and "revision" in data:
        refresher.apply_event(data)
        await feed.publish([event_from_data(data)])
