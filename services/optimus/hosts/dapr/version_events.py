"""A version event reached this replica (by HTTP or gRPC subscription): views and watchers."""

from __future__ import annotations

from optimus.adapters.codec import event_from_dict
from optimus.hosts.dapr.refresher import ViewRefresher
from optimus.service_layer.watching import EventFeed


async def deliver_version_event(data: object, refresher: ViewRefresher, feed: EventFeed) -> None:
    if isinstance(data, dict) and "dataset" in data and "revision" in data:
        refresher.apply_event(data)
        try:
            event = event_from_dict(data)
        except (TypeError, ValueError):  # the refresher has logged it and refreshes the dataset
            return
        await feed.on_events([event])
