"""Events published through daprd reach a subscribed FastAPI route as CloudEvents."""

import json
import uuid
from collections.abc import Callable
from typing import Any

from dapr.aio.clients import DaprClient

from optimus.dapr_runtime import AppReplica

PUBSUB = "optimus-pubsub"
TOPIC = "optimus-versions"


async def test_published_event_arrives_as_a_cloudevent(
    api: AppReplica,
    dapr_client: DaprClient,
    probe: Callable[[str], Any],
    eventually: Callable,
) -> None:
    payload = {"version_id": uuid.uuid4().hex, "status": "PUBLISHED"}

    await dapr_client.publish_event(
        PUBSUB, TOPIC, json.dumps(payload), data_content_type="application/json"
    )

    events = await eventually(
        lambda: probe("/probe/events"),
        until=lambda events: any(event.get("data") == payload for event in events),
    )
    event = next(event for event in events if event.get("data") == payload)
    assert event["specversion"] == "1.0"
    assert event["type"] == "com.dapr.event.sent"
    assert event["source"] == api.spec.app_id
    assert event["pubsubname"] == PUBSUB
    assert event["topic"] == TOPIC
    assert event["datacontenttype"] == "application/json"
    assert event["id"]
