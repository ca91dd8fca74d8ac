"""Every API replica serves a new version promptly after a publish through any replica, and
stops serving what an excision removed."""

from __future__ import annotations

import dataclasses
import time

from optimus.dapr_runtime import DaprCluster
from tests.dapr_host.conftest import api_client
from tests.support.api import Api
from tests.support.dapr_optimus import optimus_api, start_api, wait_ready
from tests.support.waiting import eventually


def time_until_served(api: Api, dataset: str, version_id: str, timeout: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if api.get(dataset, "items", "k").headers.get("x-version-id") == version_id:
            return time.monotonic() - started
        time.sleep(0.005)
    raise AssertionError(f"{version_id} not served within {timeout}s")


def test_a_publish_reaches_every_replica_by_its_own_subscription(
    cluster: DaprCluster,
) -> None:
    # Polls every 60 s: only the publish event can make the second replica switch fast.
    first = Api(api_client(start_api(cluster, "--refresh-interval-seconds", "60")))
    second = Api(api_client(start_api(cluster, "--refresh-interval-seconds", "60")))
    third = Api(api_client(start_api(cluster, "--refresh-interval-seconds", "60")))
    dataset = first.create_dataset()
    v1 = first.publish_new(dataset, "items", {"k": 1})
    for replica in (second, third):
        time_until_served(replica, dataset, v1)

    delays = []
    for n in range(2, 7):
        version_id = first.create_version(dataset)
        first.load(dataset, version_id, "items", {"k": n})
        first.save(version_id)
        first.publish(version_id)
        delays += [time_until_served(r, dataset, version_id) for r in (second, third)]
    print(f"\npublish -> served on other replicas (s): {sorted(round(d, 3) for d in delays)}")
    assert max(delays) < 2.0


def test_a_replica_that_misses_events_catches_up_by_polling(cluster: DaprCluster) -> None:
    publisher = Api(api_client(start_api(cluster)))
    # This replica subscribes through a pub/sub component that does not exist: no events.
    spec = optimus_api("--refresh-interval-seconds", "1")
    deaf_spec = dataclasses.replace(spec, env={"OPTIMUS_PUBSUB": "no-such-pubsub"})
    deaf = Api(api_client(wait_ready(cluster.add_app(deaf_spec))))
    dataset = publisher.create_dataset()
    v1 = publisher.publish_new(dataset, "items", {"k": 1})
    time_until_served(deaf, dataset, v1)
    v2 = publisher.publish_new(dataset, "items", {"k": 2})
    delay = time_until_served(deaf, dataset, v2)
    print(f"\npublish -> served by polling alone: {delay:.3f}s (interval 1s)")
    assert delay < 3.0


def test_another_replica_stops_serving_an_excised_key_it_had_cached(
    cluster: DaprCluster,
) -> None:
    # Polls every 60 s: the second replica learns of the excision from its event.
    first, second = (
        Api(api_client(start_api(cluster, "--refresh-interval-seconds", "60"))) for _ in range(2)
    )
    dataset = first.create_dataset()
    v1 = first.publish_new(dataset, "items", {"k": {"mail": "k@x"}, "other": 1})
    time_until_served(second, dataset, v1)
    assert second.get(dataset, "items", "k", v1).status_code == 200  # cached by the second
    body = {"table": "items", "keys": ["k"], "reason": "erasure"}
    assert first.client.post(f"/datasets/{dataset}/excise", json=body).status_code == 200

    def excised() -> bool:
        answer = second.get(dataset, "items", "k", v1)
        return answer.status_code == 404 and answer.json()["code"] == "excised"

    eventually(excised, timeout=10, pause=0.05, what="the second replica answering excised")
    assert second.get(dataset, "items", "other", v1).json() == 1
    assert second.version(v1)["counts"] == {"items": 1}
