"""Concurrent commands on one dataset are serialized by its actor, whichever replica gets them."""

from __future__ import annotations

import itertools
import threading

from optimus.dapr_runtime import DaprCluster
from tests.dapr_host.conftest import api_client
from tests.support.api import Api
from tests.support.dapr_optimus import start_api


def test_two_concurrent_publishers_leave_exactly_one_published_version(
    cluster: DaprCluster,
) -> None:
    replicas = [Api(api_client(start_api(cluster))) for _ in range(2)]
    dataset = replicas[0].create_dataset()
    versions = [replicas[0].publish_new(dataset, "items", {"k": n}) for n in range(2)]
    failures: list[str] = []

    def publish_many(api: Api, order: list[str]) -> None:
        for n in range(40):
            response = api.client.post(f"/versions/{order[n % 2]}/publish")
            if response.status_code != 202:
                failures.append(response.text)

    threads = [
        threading.Thread(target=publish_many, args=(replicas[0], versions)),
        threading.Thread(target=publish_many, args=(replicas[1], versions[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures, failures[:3]
    statuses = {v: replicas[1].version(v)["status"] for v in versions}
    assert sorted(statuses.values()) == ["PUBLISHED", "SAVED"]
    active = replicas[0].dataset(dataset)["active-version"]["id"]
    assert statuses[active] == "PUBLISHED"
    # Every publish that moved the pointer demoted exactly the version it replaced.
    log = replicas[0].dataset(dataset)["operation-log"]
    moves = [op["reason"] for op in log if op["action"] in ("PUBLISHED", "ROLLED_BACK")]
    assert all(a != b for a, b in itertools.pairwise(moves))
    for api in replicas:
        assert api.get(dataset, "items", "k").headers["x-version-id"] == active
