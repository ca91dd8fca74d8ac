"""A patch published through one replica is read through its layers on another, and
as-of reads there use the publish log its events carried."""

from __future__ import annotations

from optimus.dapr_runtime import DaprCluster
from tests.dapr_host.conftest import api_client
from tests.dapr_host.test_replicas import time_until_served
from tests.support.api import Api
from tests.support.dapr_optimus import start_api


def test_another_replica_reads_a_patch_and_as_of_from_its_events(cluster: DaprCluster) -> None:
    # Polls every 60 s: what the second replica knows comes from the events.
    first, second = (
        Api(api_client(start_api(cluster, "--refresh-interval-seconds", "60"))) for _ in range(2)
    )
    dataset = first.create_dataset()
    v1 = first.publish_new(dataset, "items", {"k": 1, "other": "base"})
    time_until_served(second, dataset, v1)
    created = first.client.post("/versions", json={"dataset": dataset, "base": v1})
    patch = created.json()["id"]
    first.load(dataset, patch, "items", {"k": 2})
    retract = {"params": {"version-id": patch}, "json": [{"key": "other"}]}
    assert first.client.post(f"/datasets/{dataset}/tables/items/retract", **retract).is_success
    assert first.save(patch)["status"] == "SAVED"
    first.publish(patch)
    time_until_served(second, dataset, patch)
    assert second.get(dataset, "items", "k").json() == 2
    assert second.get(dataset, "items", "other").status_code == 404
    published = first.client.get(f"/datasets/{dataset}/publications").json()
    as_of = second.client.get(
        f"/datasets/{dataset}/tables/items/entries/other", params={"as-of": published[0]["from"]}
    )
    assert as_of.json() == "base" and as_of.headers["x-version-id"] == v1
