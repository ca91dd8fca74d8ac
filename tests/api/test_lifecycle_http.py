"""The documented Optimus flows, end to end over HTTP."""

from __future__ import annotations

import httpx

from optimus.domain.digest import stats_of
from tests.support.api import Api, unique


def test_create_load_save_publish_read_and_rollback(api: Api, client: httpx.Client) -> None:
    name = unique("recs")
    created = client.post(
        "/datasets",
        json={
            "name": name,
            "tables": ["items", "users"],
            "content-type": "application/json",
            "eviction-policy": {"type": "keep-last-x-versions", "versions": 10},
        },
    )
    assert created.status_code == 201
    assert created.json()["status"] == "OK"
    assert created.headers["location"].endswith(f"/datasets/{name}")

    version = client.post("/versions", json={"dataset": name, "label": "v1-2017-01-02"})
    assert version.status_code == 202
    v1 = version.json()["id"]
    assert version.headers["location"].endswith(f"/versions/{v1}")
    assert api.version(v1)["status"] == "AWAITING_ENTRIES"

    loaded = client.post(
        f"/datasets/{name}",
        params={"version-id": v1},
        json=[
            {"table": "items", "key": "item1", "value": {"score": 1}},
            {"table": "users", "key": "user1", "value": "value1"},
        ],
    )
    assert loaded.status_code == 201
    assert loaded.json() == {
        "status": "OK",
        "message": "data loaded",
        "items-accepted": 2,
        "items-rejected": 0,
    }
    one = client.post(
        f"/datasets/{name}/tables/items/entries/item2", params={"version-id": v1}, json={"value": 2}
    )
    assert one.status_code == 201 and one.json()["items-accepted"] == 1

    saved = api.save(v1)
    assert saved["status"] == "SAVED"
    assert saved["counts"] == {"items": 2, "users": 1}
    assert saved["digest"].startswith("blake2b-sum:")

    # Nothing is visible to unpinned readers before publish.
    assert api.get(name, "items", "item1").status_code == 404
    pinned = api.get(name, "items", "item1", v1)
    assert pinned.status_code == 200 and pinned.json() == {"score": 1}

    api.publish(v1)
    read = api.get(name, "items", "item1")
    assert read.status_code == 200
    assert read.headers["content-type"] == "application/json"
    assert read.json() == {"score": 1}
    assert read.headers["x-version-id"] == v1
    assert read.headers["x-active-version-id"] == v1

    v2 = api.publish_new(name, "items", {"item1": {"score": 99}})
    assert api.get(name, "items", "item1").json() == {"score": 99}
    assert api.get(name, "items", "item2").status_code == 404  # v2 has no item2
    assert api.version(v1)["status"] == "SAVED"

    # Rollback: re-publish v1.
    api.publish(v1)
    rolled = api.get(name, "items", "item1")
    assert rolled.json() == {"score": 1}
    assert rolled.headers["x-version-id"] == v1
    assert api.version(v2)["status"] == "SAVED"
    dataset = api.dataset(name)
    assert dataset["active-version"]["id"] == v1
    assert [v["id"] for v in dataset["available-versions"]] == [v2, v1]
    assert dataset["operation-log"][-1]["action"] == "ROLLED_BACK"


def test_pinned_read_of_a_saved_version_while_another_is_active(api: Api) -> None:
    name = api.create_dataset()
    v1 = api.publish_new(name, "items", {"k": "old"})
    v2 = api.create_version(name)
    api.load(name, v2, "items", {"k": "new"})
    api.save(v2)
    latest = api.get(name, "items", "k")
    assert (latest.json(), latest.headers["x-version-id"]) == ("old", v1)
    pinned = api.get(name, "items", "k", v2)
    assert pinned.json() == "new"
    assert pinned.headers["x-version-id"] == v2
    assert pinned.headers["x-active-version-id"] == v1


def test_get_many_reports_found_and_missing_keys(api: Api, client: httpx.Client) -> None:
    name = api.create_dataset()
    v1 = api.publish_new(name, "items", {"a": 1, "b": [2], "c": {"x": "y"}})
    many = api.get_many(name, "items", ["a", "b", "c", "zz"])
    assert many.status_code == 200
    assert many.json() == {
        "status": "OK",
        "keys-found": 3,
        "keys-missing": 1,
        "data": {"a": 1, "b": [2], "c": {"x": "y"}},
    }
    assert many.headers["x-version-id"] == v1
    bodyless = client.get(f"/datasets/{name}/tables/items/entries", params={"key": ["a", "zz"]})
    assert bodyless.status_code == 200
    assert bodyless.json()["data"] == {"a": 1}
    assert bodyless.json()["keys-missing"] == 1


def test_large_get_many_answers_every_key(api: Api) -> None:
    """Hundreds of keys (looked up in chunks, on threads by the embedded host), missing
    ones and duplicates among them, still answer key for key."""
    name = api.create_dataset()
    api.publish_new(name, "items", {f"k{i:03d}": i for i in range(0, 300, 2)})
    asked = [f"k{i:03d}" for i in range(300)] + ["k000", "k001"]
    many = api.get_many(name, "items", asked)
    assert many.status_code == 200
    body = many.json()
    assert body["data"] == {f"k{i:03d}": i for i in range(0, 300, 2)}
    assert (body["keys-found"], body["keys-missing"]) == (150, 150)


def test_a_version_whose_batches_list_more_keys_than_one_message_holds_saves(
    api: Api,
) -> None:
    """What the save reads of a version's batches (on Dapr, the manifest each batch wrote:
    its keys) is far more than one message of the sidecar holds (4 MiB by default)."""
    name = api.create_dataset()
    version_id = api.create_version(name)
    long_key = "k" * 1000
    for batch in range(6):  # each batch lists ~1 MB of keys
        api.load(name, version_id, "items", {f"{long_key}{batch}{i:03d}": i for i in range(1000)})
    saved = api.save(version_id)
    assert saved["status"] == "SAVED" and saved["counts"] == {"items": 6000}


def test_versions_are_listed_and_carry_their_operation_log(api: Api, client: httpx.Client) -> None:
    name = api.create_dataset()
    v1 = api.publish_new(name, "items", {"k": 1}, label="first")
    v2 = api.create_version(name, label="second")
    client.post(f"/versions/{v2}/discard", json={"reason": "bad input file"}).raise_for_status()
    listed = client.get("/versions", params={"dataset": name})
    assert listed.status_code == 200
    rows = {v["id"]: v for v in listed.json()}
    assert rows[v1]["label"] == "first" and rows[v1]["status"] == "PUBLISHED"
    assert rows[v1]["sequence"] < rows[v2]["sequence"]
    assert rows[v2]["status"] == "DISCARDED"
    discarded = [op for op in rows[v2]["operation-log"] if op["action"] == "DISCARDED"]
    assert discarded[0]["reason"] == "bad input file"
    actions = [op["action"] for op in rows[v1]["operation-log"]]
    assert actions == [
        "PREPARING",
        "AWAITING_ENTRIES",
        "SAVING",
        "SAVED",
        "PUBLISHING",
        "PUBLISHED",
    ]


def test_discard_answers_with_the_discarded_version(api: Api, client: httpx.Client) -> None:
    name = api.create_dataset()
    version_id = api.create_version(name, label="v1-7")
    response = client.post(f"/versions/{version_id}/discard")
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["dataset"], body["status"]) == (version_id, name, "DISCARDED")
    assert body["label"] == "v1-7" and isinstance(body["createdAt"], int)


def test_verification_policy_fails_a_short_version(api: Api) -> None:
    name = api.create_dataset()
    version_id = api.create_version(
        name, **{"verification-policy": {"strategy": "count", "count": 5}}
    )
    api.load(name, version_id, "items", {"a": 1, "b": 2})
    version = api.save(version_id)
    assert version["status"] == "FAILED"
    failed = [op for op in version["operation-log"] if op["action"] == "FAILED"]
    assert "expected 5 entries, found 2" in failed[0]["reason"]


def test_datasets_are_listed_and_described(api: Api, client: httpx.Client) -> None:
    name = api.create_dataset(tables=["a", "b"], **{"content-type": "text/plain"})
    listed = client.get("/datasets")
    assert listed.status_code == 200
    mine = [d for d in listed.json() if d["name"] == name]
    assert mine and mine[0]["tables"] == ["a", "b"]
    described = api.dataset(name)
    assert described["content-type"] == "text/plain"
    assert described["eviction-policy"] == {"type": "keep-last-x-versions", "versions": 10}
    assert described["active-version"] is None
    assert described["available-versions"] == []


def test_non_json_content_type_serves_raw_values(api: Api) -> None:
    name = api.create_dataset(**{"content-type": "text/plain; charset=utf-8"})
    api.publish_new(name, "items", {"k": "plain text, not JSON"})
    read = api.get(name, "items", "k")
    assert read.headers["content-type"] == "text/plain; charset=utf-8"
    assert read.text == "plain text, not JSON"
    assert api.get_many(name, "items", ["k"]).json()["data"] == {"k": "plain text, not JSON"}


def test_retried_save_and_publish_are_harmless(api: Api, client: httpx.Client) -> None:
    name = api.create_dataset()
    version_id = api.create_version(name)
    api.load(name, version_id, "items", {"k": 1})
    api.save(version_id)
    retried = client.post(f"/versions/{version_id}/save")
    assert retried.status_code == 200
    assert retried.json()["message"] == f"version {version_id} is already SAVED; nothing was done"
    api.publish(version_id)
    after_publish = client.post(f"/versions/{version_id}/save")
    assert "already PUBLISHED; nothing was done" in after_publish.json()["message"]
    api.publish(version_id)
    assert api.version(version_id)["status"] == "PUBLISHED"
    log = [op["action"] for op in api.version(version_id)["operation-log"]]
    assert log.count("PUBLISHED") == 1


def test_eviction_keeps_the_last_versions(api: Api) -> None:
    name = api.create_dataset(
        **{"eviction-policy": {"type": "KEEP_LAST_X_VERSIONS", "versions": 2}}
    )
    ids = [api.publish_new(name, "items", {"k": n}) for n in range(4)]
    versions = [api.version(v) for v in ids]
    # Within trainline Optimus's eight statuses: evicted versions are DISCARDED, and say why.
    assert [v["status"] for v in versions] == ["DISCARDED", "DISCARDED", "SAVED", "PUBLISHED"]
    assert [v.get("discard-reason") for v in versions] == ["evicted", "evicted", None, None]
    discards = [op for op in versions[0]["operation-log"] if op["action"] == "DISCARDED"]
    assert discards[0]["reason"].startswith("evicted")
    assert api.dataset(name)["eviction-policy"]["type"] == "KEEP_LAST_X_VERSIONS"
    assert api.get(name, "items", "k", ids[0]).status_code == 410


def test_health_and_api_docs(optimus_base_url: str) -> None:
    root = optimus_base_url.removesuffix("/v1")
    health = httpx.get(f"{root}/healthcheck")
    assert health.status_code == 200 and health.json()["status"] == "OK"
    assert httpx.get(f"{root}/docs").status_code == 200
    paths = httpx.get(f"{root}/openapi.json").json()["paths"]
    for path in [
        "/v1/datasets",
        "/v1/datasets/{dataset}",  # one path item with the dataset-level load
        "/v1/versions",
        "/v1/versions/{version_id}",
        "/v1/versions/{version_id}/save",
        "/v1/versions/{version_id}/publish",
        "/v1/versions/{version_id}/discard",
        "/v1/datasets/{dataset}/tables/{table}/entries",
        "/v1/datasets/{dataset}/tables/{table}/entries/{key}",
    ]:
        assert path in paths


def test_save_can_set_the_verification_policy_once_the_input_is_known(
    api: Api, client: httpx.Client
) -> None:
    name = api.create_dataset()
    good, bad = api.create_version(name), api.create_version(name)
    for version_id in (good, bad):
        api.load(name, version_id, "items", {"a": 1, "b": 2})
    input_digest = client.get(f"/versions/{bad}").json()["digest"]
    assert input_digest is None  # only known once saved
    digest = stats_of([("items", "a", b"1"), ("items", "b", b"2")]).digest
    saved = client.post(
        f"/versions/{good}/save",
        params={"wait": "true"},
        json={"verification-policy": {"strategy": "digest", "digest": digest}},
    )
    assert saved.json()["version"]["status"] == "SAVED"
    wrong = stats_of([("items", "a", b"1")]).digest
    failed = client.post(
        f"/versions/{bad}/save",
        params={"wait": "true"},
        json={"reason": "nightly", "verification-policy": {"strategy": "digest", "digest": wrong}},
    )
    assert failed.json()["version"]["status"] == "FAILED"
    assert failed.json()["version"]["verification-policy"] == {
        "strategy": "digest",
        "digest": wrong,
    }
    assert client.post(f"/versions/{bad}/publish").status_code == 409
    assert api.dataset(name)["revision"] > 0
