"""A state store that refuses writes: clear, retryable errors, reads go on, nothing lost."""

from __future__ import annotations

import subprocess

import orjson
import pytest

from optimus.dapr_runtime import ComponentSet, DaprCluster
from optimus.domain.digest import stats_of
from tests.dapr_host.conftest import api_client
from tests.support.api import Api
from tests.support.dapr_optimus import start_api


def redis_config(cluster: DaprCluster, name: str, value: str) -> None:
    port = str(cluster.redis_port)
    subprocess.run(["redis-cli", "-p", port, "config", "set", name, value], check=True)


# The refusal is Redis's own (`min-replicas-to-write`): the redis set only, even when
# OPTIMUS_TEST_POSTGRES=all runs the rest of the suite on PostgreSQL too.
@pytest.mark.parametrize("cluster", [ComponentSet.REDIS], indirect=True, ids=str)
def test_writes_refused_by_the_store_answer_503_and_resume_with_it(
    cluster: DaprCluster,
) -> None:
    replica = start_api(cluster)
    api = Api(api_client(replica))
    dataset = api.create_dataset()
    published = api.publish_new(dataset, "items", {"a": 1})
    loading = api.create_version(dataset)
    path = f"/datasets/{dataset}/tables/items/entries"
    first = [{"key": f"k{n}", "value": n} for n in range(100)]
    assert api.client.post(path, params={"version-id": loading}, json=first).status_code == 201

    versions = api.client.get("/versions", params={"dataset": dataset}).json()
    # Redis refuses every write while it has fewer replicas than this (it has none).
    redis_config(cluster, "min-replicas-to-write", "1")
    try:
        second = [{"key": f"m{n}", "value": n} for n in range(100)]
        refused = api.client.post(path, params={"version-id": loading}, json=second)
        created = api.client.post("/versions", json={"dataset": dataset})
        read = api.get(dataset, "items", "a")
    finally:
        redis_config(cluster, "min-replicas-to-write", "0")
    for response in (refused, created):  # entries, and the dataset's own state
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "store-unavailable"
        assert int(response.headers["retry-after"]) > 0
    assert (read.status_code, read.json()) == (200, 1)

    assert api.client.get("/versions", params={"dataset": dataset}).json() == versions

    # The store takes writes again: the refused batch is sent again, and nothing is lost.
    assert api.client.post(path, params={"version-id": loading}, json=second).status_code == 201
    version = api.save(loading)
    expected = stats_of(("items", e["key"], orjson.dumps(e["value"])) for e in first + second)
    assert (version["status"], version["digest"]) == ("SAVED", expected.digest)
    assert api.get(dataset, "items", "a", published).json() == 1
