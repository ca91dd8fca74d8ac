"""Readiness per version on three Dapr replicas: listed, waited for, and a killed one dropped."""

from __future__ import annotations

import os
import signal

from optimus.client import OptimusClient
from optimus.dapr_runtime import DaprCluster
from optimus.hosts.dapr.replicas import REPORT_TTL_S
from tests.dapr_host.conftest import api_client
from tests.support.api import Api
from tests.support.dapr_optimus import start_api
from tests.support.waiting import eventually


def _listed(api: Api, dataset: str, count: int, version: str | None = None):
    def check():
        replicas = api.client.get(f"/datasets/{dataset}/replicas").json()
        if len(replicas) != count:
            return None
        if version is not None and any(r["version"] != version for r in replicas):
            return None
        return replicas

    return check


def test_three_replicas_are_listed_waited_for_and_a_dead_one_drops_out(
    cluster: DaprCluster,
) -> None:
    # Polls every 60 s: only events (and wait=replicas) make the others switch fast.
    replicas = [start_api(cluster, "--refresh-interval-seconds", "60") for _ in range(3)]
    apis = [Api(api_client(replica)) for replica in replicas]
    first = apis[0]
    dataset = first.create_dataset()
    v1 = first.publish_new(dataset, "items", {"k": 1})
    listed = eventually(_listed(first, dataset, 3, v1), timeout=30, what="three replicas on v1")
    assert len({r["replica"] for r in listed}) == 3

    # wait=replicas: when the call returns, every replica answers from the new version.
    v2 = first.create_version(dataset)
    first.load(dataset, v2, "items", {"k": 2})
    first.save(v2)
    published = first.client.post(f"/versions/{v2}/publish", params={"wait": "replicas"})
    assert published.status_code == 202, published.text
    for api in apis:
        assert api.get(dataset, "items", "k").headers["x-version-id"] == v2

    # The SDK's publish(wait_replicas=True): a rollback, the same promise.
    with OptimusClient(f"{replicas[1].app_url}/v1") as client:
        client.publish(v1, wait_replicas=True)
    for api in apis:
        assert api.get(dataset, "items", "k").headers["x-version-id"] == v1

    # A killed replica leaves the list within the bound the docs state.
    victim = replicas[2].app
    assert victim.pid is not None
    os.killpg(victim.pid, signal.SIGKILL)
    victim.stop()
    eventually(_listed(first, dataset, 2), timeout=REPORT_TTL_S + 5, pause=0.2, what="dropped")
