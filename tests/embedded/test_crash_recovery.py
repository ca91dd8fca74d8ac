"""kill -9 at any moment loses nothing acknowledged and leaves every version legal."""

from __future__ import annotations

import random
import time

import httpx
import orjson

from optimus.domain.digest import stats_of
from tests.support.api import Api
from tests.support.server import OptimusServer
from tests.support.under_fire import BatchSenders, PublishInTurn

LEGAL = {"AWAITING_ENTRIES", "SAVING", "SAVED", "PUBLISHED", "DISCARDED", "FAILED"}


def restart(server: OptimusServer) -> Api:
    server.kill()
    server.start()
    return Api(httpx.Client(base_url=server.base_url, timeout=30))


def assert_legal(api: Api, dataset: str) -> list[dict]:
    versions = api.client.get("/versions", params={"dataset": dataset}).json()
    assert {v["status"] for v in versions} <= LEGAL
    published = [v["id"] for v in versions if v["status"] == "PUBLISHED"]
    assert len(published) <= 1
    active = api.dataset(dataset)["active-version"]
    assert (active["id"] if active else None) == (published[0] if published else None)
    return versions


def batches(count: int, size: int) -> list[list[dict]]:
    return [
        [
            {"key": f"b{b:03d}-k{k:04d}", "value": {"b": b, "k": k, "pad": "x" * 40}}
            for k in range(size)
        ]
        for b in range(count)
    ]


def test_kill_during_parallel_load_loses_no_acknowledged_batch(server: OptimusServer) -> None:
    api = Api(httpx.Client(base_url=server.base_url, timeout=30))
    dataset = api.create_dataset()
    version_id = api.create_version(dataset)
    all_batches = batches(count=240, size=250)
    path = f"/datasets/{dataset}/tables/items/entries"
    senders = BatchSenders(server.base_url + path, version_id, all_batches, threads=4).start()
    senders.wait_for(40)
    server.kill()
    senders.join()
    acknowledged = senders.acknowledged
    assert 40 <= len(acknowledged) < len(all_batches), "the kill must land mid-load"

    api = restart(server)
    assert api.version(version_id)["status"] == "AWAITING_ENTRIES"
    # Resume as a loader does: send only what was not acknowledged (re-sending is idempotent).
    for index, batch in enumerate(all_batches):
        if index not in acknowledged:
            response = api.client.post(path, params={"version-id": version_id}, json=batch)
            assert response.status_code == 201
    version = api.save(version_id)
    # The digest covers every entry: acknowledged batches must have survived the kill.
    expected = stats_of(
        ("items", e["key"], orjson.dumps(e["value"])) for batch in all_batches for e in batch
    )
    assert version["status"] == "SAVED"
    assert version["counts"] == {"items": expected.total}
    assert version["digest"] == expected.digest  # the same as an uninterrupted load


def test_kill_during_publishes_keeps_exactly_one_published_version(server: OptimusServer) -> None:
    api = Api(httpx.Client(base_url=server.base_url, timeout=30))
    dataset = api.create_dataset()
    versions = [api.publish_new(dataset, "items", {"k": n}) for n in range(3)]
    rng = random.Random(11)
    for _ in range(5):
        publisher = PublishInTurn(server.base_url, versions).start()
        publisher.wait_acknowledged()
        time.sleep(rng.uniform(0.05, 0.4))
        server.kill()
        acknowledged = publisher.stop()
        assert acknowledged, "some publishes must have been acknowledged before the kill"

        api = restart(server)
        listed = assert_legal(api, dataset)
        active = api.dataset(dataset)["active-version"]["id"]
        # The last acknowledged publish survived; one more may have landed unacknowledged.
        last = acknowledged[-1]
        assert active in {last, versions[(versions.index(last) + 1) % 3]}
        assert {v["status"] for v in listed} == {"PUBLISHED", "SAVED"}
        read = api.get(dataset, "items", "k")
        assert read.headers["x-version-id"] == active
        assert read.json() == versions.index(active)


def test_kill_during_save_resumes_the_save(server: OptimusServer) -> None:
    api = Api(httpx.Client(base_url=server.base_url, timeout=60))
    dataset = api.create_dataset()
    version_id = api.create_version(dataset)
    for batch in batches(count=200, size=1000):
        api.client.post(
            f"/datasets/{dataset}/tables/items/entries",
            params={"version-id": version_id},
            json=batch,
        ).raise_for_status()
    response = api.client.post(f"/versions/{version_id}/save")
    assert response.status_code == 202
    server.kill()

    api = restart(server)
    status = api.version(version_id)["status"]
    assert status in {"SAVING", "SAVED"}
    deadline = time.monotonic() + 60
    while api.version(version_id)["status"] == "SAVING" and time.monotonic() < deadline:
        time.sleep(0.05)
    version = api.version(version_id)
    assert version["status"] == "SAVED"
    assert version["counts"] == {"items": 200_000}
    assert_legal(api, dataset)
