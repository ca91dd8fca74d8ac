"""Every API replica honours a staged candidate as promptly as a publish."""

from __future__ import annotations

import time

from optimus.dapr_runtime import DaprCluster
from tests.dapr_host.conftest import api_client
from tests.support.api import Api
from tests.support.dapr_optimus import start_api

CANDIDATE = {"x-optimus-track": "candidate"}
# Well under the replicas' 60 s poll: only the stage and unstage events can be that quick.
EVENTS_ONLY = 10.0


def candidate_served(api: Api, dataset: str, version_id: str, timeout: float = 30) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        read = api.client.get(f"/datasets/{dataset}/tables/items/entries/k", headers=CANDIDATE)
        if read.headers.get("x-version-id") == version_id:
            return
        time.sleep(0.005)
    raise AssertionError(f"{version_id} not served to candidate readers within {timeout}s")


def test_a_stage_and_an_unstage_reach_every_replica_by_its_subscription(
    cluster: DaprCluster,
) -> None:
    first = Api(api_client(start_api(cluster, "--refresh-interval-seconds", "60")))
    second = Api(api_client(start_api(cluster, "--refresh-interval-seconds", "60")))
    dataset = first.create_dataset()
    v1 = first.publish_new(dataset, "items", {"k": 1})
    candidate_served(second, dataset, v1)
    v2 = first.create_version(dataset)
    first.load(dataset, v2, "items", {"k": 2})
    first.save(v2)

    assert first.client.post(f"/versions/{v2}/stage").status_code == 200
    candidate_served(second, dataset, v2, EVENTS_ONLY)
    assert second.get(dataset, "items", "k").headers["x-version-id"] == v1
    assert first.client.post(f"/versions/{v2}/unstage").status_code == 200
    candidate_served(second, dataset, v1, EVENTS_ONLY)
