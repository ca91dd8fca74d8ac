"""Staged versions: readers of the candidate track see a version before it is published."""

from __future__ import annotations

import httpx

from tests.support.api import Api

CANDIDATE = {"x-optimus-track": "candidate"}


def test_candidate_readers_get_the_staged_version_and_everyone_else_the_active_one(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset()
    v1 = api.publish_new(dataset, "items", {"a": 1, "b": 1})
    v2 = api.create_version(dataset)
    api.load(dataset, v2, "items", {"a": 2, "c": 2})
    api.save(v2)

    # Nothing staged: the candidate track falls back to the active version, and says so.
    fallback = client.get(f"/datasets/{dataset}/tables/items/entries/a", headers=CANDIDATE)
    assert fallback.json() == 1
    assert fallback.headers["x-version-id"] == v1
    assert fallback.headers["x-optimus-track"] == "active"

    staged = client.post(f"/versions/{v2}/stage", json={"reason": "canary"})
    assert staged.status_code == 200, staged.text
    assert api.dataset(dataset)["candidate-version"]["id"] == v2
    assert api.dataset(dataset)["active-version"]["id"] == v1

    read = client.get(f"/datasets/{dataset}/tables/items/entries/a", headers=CANDIDATE)
    assert read.json() == 2
    assert read.headers["x-version-id"] == v2
    assert read.headers["x-optimus-track"] == "candidate"
    by_query = client.get(f"/datasets/{dataset}/tables/items/entries/c?track=candidate")
    assert by_query.json() == 2 and by_query.headers["x-optimus-track"] == "candidate"
    many = api.client.request(
        "GET",
        f"/datasets/{dataset}/tables/items/entries",
        headers=CANDIDATE,
        json=[{"key": "a"}, {"key": "b"}, {"key": "c"}],
    )
    assert many.json()["data"] == {"a": 2, "c": 2}
    assert many.headers["x-version-id"] == v2

    # Every other reader keeps the active version, without a track header.
    default = api.get(dataset, "items", "a")
    assert default.json() == 1 and default.headers["x-version-id"] == v1
    assert "x-optimus-track" not in default.headers
    pinned = client.get(
        f"/datasets/{dataset}/tables/items/entries/a",
        params={"version-id": v1},
        headers=CANDIDATE,
    )
    assert pinned.json() == 1 and "x-optimus-track" not in pinned.headers

    # Publishing the candidate promotes it: the two tracks meet again.
    api.publish(v2)
    assert api.dataset(dataset)["candidate-version"] is None
    after = client.get(f"/datasets/{dataset}/tables/items/entries/a", headers=CANDIDATE)
    assert after.json() == 2 and after.headers["x-optimus-track"] == "active"
    log = [op["action"] for op in api.version(v2)["operation-log"]]
    assert "STAGED" in log


def test_unstage_staging_another_and_discarding_the_candidate(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset()
    v1 = api.publish_new(dataset, "items", {"a": 1})
    candidates = []
    for value in (2, 3):
        version_id = api.create_version(dataset)
        api.load(dataset, version_id, "items", {"a": value})
        api.save(version_id)
        candidates.append(version_id)
    v2, v3 = candidates

    def candidate_read() -> httpx.Response:
        return client.get(f"/datasets/{dataset}/tables/items/entries/a", headers=CANDIDATE)

    assert client.post(f"/versions/{v2}/stage").status_code == 200
    assert client.post(f"/versions/{v3}/stage").status_code == 200  # replaces v2
    assert candidate_read().headers["x-version-id"] == v3
    assert api.dataset(dataset)["candidate-version"]["id"] == v3

    assert client.post(f"/versions/{v3}/unstage").status_code == 200
    assert api.dataset(dataset)["candidate-version"] is None
    assert candidate_read().headers["x-version-id"] == v1

    assert client.post(f"/versions/{v2}/stage").status_code == 200
    assert client.post(f"/versions/{v2}/discard").status_code == 200
    assert api.dataset(dataset)["candidate-version"] is None
    assert candidate_read().headers["x-version-id"] == v1


def test_staging_what_is_not_saved_and_unknown_tracks_are_refused(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset()
    v1 = api.publish_new(dataset, "items", {"a": 1})
    loading = api.create_version(dataset)
    for version_id in (v1, loading):  # published, awaiting entries
        refused = client.post(f"/versions/{version_id}/stage")
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "illegal-transition"
    assert api.dataset(dataset)["candidate-version"] is None
    assert client.post("/versions/no-such-version/stage").status_code == 404

    bad = client.get(
        f"/datasets/{dataset}/tables/items/entries/a", headers={"x-optimus-track": "beta"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid-track"
    bad_many = client.get(f"/datasets/{dataset}/tables/items/entries?key=a&track=beta")
    assert bad_many.status_code == 400 and bad_many.json()["code"] == "invalid-track"
