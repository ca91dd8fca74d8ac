"""Version events as CloudEvents on the `optimus-versions` topic (schema: docs/events.md)."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from dapr.aio.clients import DaprClient

from optimus.adapters.dapr import keys
from optimus.adapters.dapr.names import DaprNames
from optimus.domain.events import VersionEvent

EVENT_TYPE_PREFIX = "optimus.version."
SOURCE = "optimus"


def event_data(event: VersionEvent) -> dict[str, Any]:
    return dataclasses.asdict(event)


def event_from_data(data: dict[str, Any]) -> VersionEvent:
    """The event of a CloudEvent's data; fields it lacks (an older publisher's) are None."""
    return VersionEvent(
        **{field.name: data.get(field.name) for field in dataclasses.fields(VersionEvent)}
    )


class VersionEventPublisher:
    """Publishes events through the sidecar, and records the dataset's head for pollers."""

    def __init__(self, client: DaprClient, names: DaprNames) -> None:
        self._client = client
        self._names = names

    async def publish(self, data: dict[str, Any]) -> None:
        # Dapr wraps the data in a CloudEvent; these override its type, source and id so
        # consumers can route on the type and drop duplicates (at-least-once) by id.
        await self._client.publish_event(
            pubsub_name=self._names.pubsub,
            topic_name=self._names.topic,
            data=orjson.dumps(data),
            data_content_type="application/json",
            publish_metadata={
                "cloudevent.type": EVENT_TYPE_PREFIX + data["type"],
                "cloudevent.source": SOURCE,
                "cloudevent.id": f"{data['dataset']}/{data['revision']}",
            },
        )

    async def record_head(self, dataset: str, revision: int, active_version_id: str | None) -> None:
        head = {"revision": revision, "active_version_id": active_version_id}
        await self._client.save_state(
            self._names.entries_store, keys.head(dataset), orjson.dumps(head)
        )
