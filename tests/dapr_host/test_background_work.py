"""Background work of the Dapr host: entries of dead versions are deleted through the state API."""

from __future__ import annotations

import pytest
from dapr.aio.clients import DaprClient
from dapr.conf import settings

from optimus.dapr_runtime import DaprCluster
from tests.dapr_host.conftest import api_client, on_postgres_too
from tests.support.api import Api
from tests.support.dapr_optimus import start_api


@on_postgres_too
async def test_entries_of_a_discarded_version_are_deleted_from_the_store(
    cluster: DaprCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    replica = start_api(cluster, "--gc-grace-seconds", "0.5")
    api = Api(api_client(replica))
    dataset = api.create_dataset()
    kept = api.publish_new(dataset, "items", {f"k{n}": n for n in range(300)})
    doomed = api.create_version(dataset)
    api.load(dataset, doomed, "items", {f"k{n}": -n for n in range(300)})
    api.load(dataset, doomed, "items", {"extra": 1})
    api.client.post(f"/versions/{doomed}/discard").raise_for_status()

    api.wait_purged(doomed)
    monkeypatch.setattr(settings, "DAPR_HTTP_ENDPOINT", replica.http_endpoint)  # its health wait
    async with DaprClient(address=replica.grpc_endpoint) as client:
        keys = [f"e/{doomed}/items/k{n}" for n in range(300)] + [f"e/{doomed}/items/extra"]
        keys += [f"m/{doomed}/0", f"m/{doomed}/1"]
        left = await client.get_bulk_state("optimus-entries", keys)
        assert [item.key for item in left.items if item.data] == []
        still = await client.get_bulk_state("optimus-entries", [f"e/{kept}/items/k1"])
        assert still.items[0].data == b"1"
    assert api.get(dataset, "items", "k1").json() == 1
