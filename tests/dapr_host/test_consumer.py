"""The example consumer: reads through its own sidecar, switches on publish events; and
events that could not be published when the version changed reach it later (outbox)."""

from __future__ import annotations

import dataclasses
import sys
import time

import httpx

from optimus.dapr_runtime import AppReplica, AppSpec, DaprCluster
from tests.dapr_host.conftest import api_client, on_postgres_too
from tests.support.api import Api
from tests.support.dapr_optimus import optimus_api, start_api, wait_ready
from tests.support.waiting import eventually

CONSUMER = AppSpec(
    "optimus-consumer-example",
    [sys.executable, "-m", "uvicorn", "optimus.examples.consumer_app:app",
     "--host", "127.0.0.1", "--port", "{app_port}", "--log-level", "warning"],
    health_path="/healthcheck",
)  # fmt: skip


def published_events(consumer: AppReplica, dataset: str) -> list[dict]:
    events = httpx.get(f"{consumer.app_url}/events").json()
    return [
        e
        for e in events
        if e["type"] == "optimus.version.published" and e["data"]["dataset"] == dataset
    ]


def recommendation(consumer: AppReplica, dataset: str) -> dict | None:
    response = httpx.get(f"{consumer.app_url}/recommendations/{dataset}/items/k")
    return response.json() if response.status_code == 200 else None


@on_postgres_too
def test_the_consumer_reads_through_its_sidecar_and_follows_publishes(
    cluster: DaprCluster,
) -> None:
    api = Api(api_client(start_api(cluster)))
    consumer = cluster.add_app(CONSUMER)
    dataset = api.create_dataset()
    v1 = api.publish_new(dataset, "items", {"k": "first"})
    assert eventually(lambda: recommendation(consumer, dataset)) == {
        "version": v1,
        "value": "first",
    }

    v2 = api.publish_new(dataset, "items", {"k": "second"})
    started = time.monotonic()
    eventually(lambda: (recommendation(consumer, dataset) or {}).get("version") == v2)
    switched_after = time.monotonic() - started
    event = published_events(consumer, dataset)[-1]
    assert event["id"] == f"{dataset}/{event['data']['revision']}"
    assert event["data"]["version_id"] == v2
    assert event["data"]["previous_active_version_id"] == v1
    assert event["data"]["active_version_id"] == v2
    # The client's own pointer re-check is every 5 s: switching sooner means the event did it.
    assert switched_after < 2.0, switched_after


def test_events_not_published_at_the_time_are_sent_from_the_outbox(
    cluster: DaprCluster,
) -> None:
    # The only API replica can't reach pub/sub: its actors keep events in their outbox.
    cut_off = dataclasses.replace(optimus_api(), env={"OPTIMUS_PUBSUB": "no-such-pubsub"})
    isolated = wait_ready(cluster.add_app(cut_off))
    consumer = cluster.add_app(CONSUMER)
    api = Api(api_client(isolated))
    dataset = api.create_dataset()
    version_id = api.publish_new(dataset, "items", {"k": 1})
    time.sleep(1)
    assert published_events(consumer, dataset) == []

    # A healthy replica takes the actors over; the first call activates the dataset's
    # actor there, which publishes what its outbox still holds.
    healthy = Api(api_client(start_api(cluster)))
    isolated.stop()
    assert healthy.dataset(dataset)["active-version"]["id"] == version_id
    events = eventually(lambda: published_events(consumer, dataset))
    assert events[0]["data"]["version_id"] == version_id
