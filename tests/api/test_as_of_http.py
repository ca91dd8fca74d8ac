"""As-of reads: answered from the version that was published at an instant, from the publish log."""

from __future__ import annotations

import httpx

from tests.support.api import Api

BEFORE_ANYTHING = "2000-01-01T00:00:00Z"


def _get(client: httpx.Client, dataset: str, key: str, as_of: str, **params: str):
    path = f"/datasets/{dataset}/tables/items/entries/{key}"
    return client.get(path, params={"as-of": as_of, **params})


def _publications(client: httpx.Client, dataset: str) -> list[dict]:
    listed = client.get(f"/datasets/{dataset}/publications")
    assert listed.status_code == 200, listed.text
    return listed.json()


def test_reads_as_of_an_instant_answer_from_the_version_published_then(
    api: Api, client: httpx.Client
) -> None:
    name = api.create_dataset()
    nothing = _get(client, name, "k", "2100-01-01T00:00:00Z")
    assert nothing.status_code == 404 and nothing.json()["code"] == "not-published-then"
    v1 = api.publish_new(name, "items", {"k": 1})
    v2 = api.publish_new(name, "items", {"k": 2})
    rollback = client.post(f"/versions/{v1}/publish", json={"reason": "2 was wrong"})
    assert rollback.status_code == 202
    log = _publications(client, name)
    assert [(p["version"], p["reason"]) for p in log] == [
        (v1, None),
        (v2, None),
        (v1, "2 was wrong"),
    ]
    assert log[0]["until"] == log[1]["from"] and log[-1]["until"] is None
    assert all(p["by"] == "anonymous" for p in log)

    for publication, value in zip(log, (1, 2, 1), strict=True):
        read = _get(client, name, "k", publication["from"])
        assert read.status_code == 200 and read.json() == value
        assert read.headers["x-version-id"] == publication["version"]
        many = client.request(
            "GET",
            f"/datasets/{name}/tables/items/entries",
            params={"as-of": publication["from"]},
            json=[{"key": "k"}],
        )
        assert many.json()["data"] == {"k": value}
        assert many.headers["x-version-id"] == publication["version"]

    before = _get(client, name, "k", BEFORE_ANYTHING)
    assert before.status_code == 404 and before.json()["code"] == "not-published-then"


def test_as_of_a_purged_version_is_gone_and_bad_times_are_refused(
    api: Api, client: httpx.Client
) -> None:
    name = api.create_dataset(
        **{"eviction-policy": {"type": "keep-last-x-versions", "versions": 1}}
    )
    v1 = api.publish_new(name, "items", {"k": 1})
    api.publish_new(name, "items", {"k": 2})
    api.wait_purged(v1)
    first = _publications(client, name)[0]
    assert first["version"] == v1
    gone = _get(client, name, "k", first["from"])
    assert gone.status_code == 410 and gone.json()["status"] == "error"
    for bad in ("yesterday", "2026-12-01", "2026-12-01T10:00:00"):  # no offset: ambiguous
        refused = _get(client, name, "k", bad)
        assert refused.status_code == 400 and refused.json()["code"] == "invalid-as-of"
    both = _get(client, name, "k", first["from"], **{"version-id": v1})
    assert both.status_code == 400 and both.json()["code"] == "version-and-as-of"
    unknown = client.get("/datasets/nope-nope/publications")
    assert unknown.status_code == 404
