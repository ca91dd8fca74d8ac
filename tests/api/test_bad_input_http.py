"""Bad input gets a precise 4xx JSON error and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.api import Api

JSON = {"content-type": "application/json"}


def assert_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "error"
    assert isinstance(body["message"], str) and body["message"]
    for word in words:
        assert word in body["message"], body
    return body


@pytest.fixture
def loading(api: Api) -> dict[str, str]:
    """A dataset with a published version and a version awaiting entries."""
    name = api.create_dataset(tables=["items", "users"])
    published = api.publish_new(name, "items", {"k": "v1"})
    awaiting = api.create_version(name)
    api.load(name, awaiting, "items", {"k": "v2"})
    return {"name": name, "published": published, "awaiting": awaiting}


def state(api: Api, client: httpx.Client, loading: dict[str, str]) -> Any:
    name = loading["name"]
    versions = client.get("/versions", params={"dataset": name}).json()
    pinned = api.get_many(name, "items", ["k", "x", "y"], loading["published"]).json()
    return api.dataset(name), versions, pinned, client.get("/datasets").json()


BadRequest = Callable[[httpx.Client, dict[str, str]], httpx.Response]

CASES: list[tuple[str, BadRequest, int, str]] = [
    (
        "malformed JSON",
        lambda c, s: c.post(
            f"/datasets/{s['name']}/tables/items/entries",
            params={"version-id": s["awaiting"]},
            content=b'[{"key": "x", "value": 1',
            headers=JSON,
        ),
        400,
        "malformed JSON",
    ),
    (
        "entries body is not an array",
        lambda c, s: c.post(
            f"/datasets/{s['name']}/tables/items/entries",
            params={"version-id": s["awaiting"]},
            json={"key": "x", "value": 1},
        ),
        400,
        "array",
    ),
    (
        "entry missing its value",
        lambda c, s: c.post(
            f"/datasets/{s['name']}/tables/items/entries",
            params={"version-id": s["awaiting"]},
            json=[{"key": "x", "value": 1}, {"key": "y"}],
        ),
        400,
        "nothing was written",
    ),
    (
        "entry key with a slash",
        lambda c, s: c.post(
            f"/datasets/{s['name']}/tables/items/entries",
            params={"version-id": s["awaiting"]},
            json=[{"key": "x", "value": 1}, {"key": "a/b", "value": 1}],
        ),
        400,
        "invalid",
    ),
    (
        "entry of an unknown table",
        lambda c, s: c.post(
            f"/datasets/{s['name']}",
            params={"version-id": s["awaiting"]},
            json=[
                {"table": "items", "key": "x", "value": 1},
                {"table": "nope", "key": "y", "value": 1},
            ],
        ),
        400,
        "invalid",
    ),
    (
        "oversized value",
        lambda c, s: c.post(
            f"/datasets/{s['name']}/tables/items/entries",
            params={"version-id": s["awaiting"]},
            json=[{"key": "x", "value": 1}, {"key": "y", "value": "z" * (1 << 20)}],
        ),
        413,
        "exceed",
    ),
    (
        "load without version-id",
        lambda c, s: c.post(
            f"/datasets/{s['name']}/tables/items/entries", json=[{"key": "x", "value": 1}]
        ),
        400,
        "version-id",
    ),
    (
        "load into an unknown version",
        lambda c, s: c.post(
            f"/datasets/{s['name']}/tables/items/entries",
            params={"version-id": "doesnotexist"},
            json=[{"key": "x", "value": 1}],
        ),
        404,
        "does not exist",
    ),
    (
        "load into a published version",
        lambda c, s: c.post(
            f"/datasets/{s['name']}/tables/items/entries",
            params={"version-id": s["published"]},
            json=[{"key": "x", "value": 1}],
        ),
        409,
        "AWAITING_ENTRIES",
    ),
    (
        "load into an unknown dataset",
        lambda c, s: c.post(
            "/datasets/nope-nope/tables/items/entries",
            params={"version-id": s["awaiting"]},
            json=[{"key": "x", "value": 1}],
        ),
        404,
        "nope-nope",
    ),
    (
        "load into an unknown table",
        lambda c, s: c.post(
            f"/datasets/{s['name']}/tables/nope/entries",
            params={"version-id": s["awaiting"]},
            json=[{"key": "x", "value": 1}],
        ),
        404,
        "nope",
    ),
    (
        "create dataset without tables",
        lambda c, s: c.post("/datasets", json={"name": "x-no-tables"}),
        400,
        "tables",
    ),
    (
        "create dataset with a bad name",
        lambda c, s: c.post("/datasets", json={"name": "no spaces", "tables": ["t"]}),
        400,
        "[A-Za-z0-9-_.]",
    ),
    (
        "create dataset that exists",
        lambda c, s: c.post("/datasets", json={"name": s["name"], "tables": ["t"]}),
        409,
        "already exists",
    ),
    (
        "create dataset with an unknown eviction policy",
        lambda c, s: c.post(
            "/datasets",
            json={"name": "x-evict", "tables": ["t"], "eviction-policy": {"type": "lru"}},
        ),
        400,
        "eviction",
    ),
    (
        "create version of an unknown dataset",
        lambda c, s: c.post("/versions", json={"dataset": "nope-nope"}),
        404,
        "nope-nope",
    ),
    (
        "create version with an unknown verification strategy",
        lambda c, s: c.post(
            "/versions", json={"dataset": s["name"], "verification-policy": {"strategy": "magic"}}
        ),
        400,
        "magic",
    ),
    (
        "create version with a bad label",
        lambda c, s: c.post("/versions", json={"dataset": s["name"], "label": "bad label!"}),
        400,
        "label",
    ),
    (
        "save with an unknown verification strategy",
        lambda c, s: c.post(
            f"/versions/{s['awaiting']}/save", json={"verification-policy": {"strategy": "x"}}
        ),
        400,
        "verification strategy",
    ),
    (
        "save with a body that is not an object",
        lambda c, s: c.post(f"/versions/{s['awaiting']}/save", json=["reason"]),
        400,
        "must be a JSON object",
    ),
    (
        "discard the published version",
        lambda c, s: c.post(f"/versions/{s['published']}/discard"),
        409,
        "PUBLISHED",
    ),
    (
        "publish a version awaiting entries",
        lambda c, s: c.post(f"/versions/{s['awaiting']}/publish"),
        409,
        "SAVED",
    ),
    (
        "save an unknown version",
        lambda c, s: c.post("/versions/doesnotexist/save"),
        404,
        "does not exist",
    ),
    (
        "pinned read of a version still loading",
        lambda c, s: c.get(
            f"/datasets/{s['name']}/tables/items/entries/k", params={"version-id": s["awaiting"]}
        ),
        409,
        "SAVED",
    ),
    (
        "read with an invalid key",
        lambda c, s: c.get(f"/datasets/{s['name']}/tables/items/entries/bad%20key"),
        400,
        "key",
    ),
    (
        "get-many with a malformed body",
        lambda c, s: c.request("GET", f"/datasets/{s['name']}/tables/items/entries", content=b"[{"),
        400,
        "malformed JSON",
    ),
    (
        "get-many without keys",
        lambda c, s: c.get(f"/datasets/{s['name']}/tables/items/entries"),
        400,
        "key",
    ),
    (
        "pinned read with an empty version-id",
        lambda c, s: c.get(f"/datasets/{s['name']}/tables/items/entries/k?version-id="),
        400,
        "version-id is empty",
    ),
    (
        "get-many with an empty version-id",
        lambda c, s: c.get(f"/datasets/{s['name']}/tables/items/entries?key=k&version-id="),
        400,
        "version-id is empty",
    ),
    (
        "load with an empty version-id beside ?version=",
        lambda c, s: c.post(
            f"/datasets/{s['name']}/tables/items/entries?version-id=&version={s['awaiting']}",
            json=[{"key": "x", "value": 1}],
        ),
        400,
        "version-id is empty",
    ),
    (
        "batch with a key twice",
        lambda c, s: c.post(
            f"/datasets/{s['name']}",
            params={"version-id": s["awaiting"]},
            json=[
                {"table": "items", "key": "x", "value": 1},
                {"table": "users", "key": "x", "value": 2},
                {"table": "items", "key": "x", "value": 3},
            ],
        ),
        400,
        "repeat a key",
    ),
    (
        "x-optimus-user longer than its bound",
        lambda c, s: c.post(
            "/versions", json={"dataset": s["name"]}, headers={"x-optimus-user": "u" * 1000}
        ),
        400,
        "x-optimus-user",
    ),
    (
        "x-optimus-user that is not UTF-8",
        lambda c, s: c.post(
            "/versions", json={"dataset": s["name"]}, headers={"x-optimus-user": b"Jos\xe9"}
        ),
        400,
        "UTF-8",
    ),
    (
        "discard with a reason longer than its bound",
        lambda c, s: c.post(f"/versions/{s['awaiting']}/discard", json={"reason": "r" * 100_000}),
        400,
        "reason",
    ),
    (
        "publish with a reason longer than its bound",
        lambda c, s: c.post(f"/versions/{s['published']}/publish", json={"reason": "r" * 513}),
        400,
        "reason",
    ),
    (
        "unknown route",
        lambda c, s: c.get("/no/such/thing"),
        404,
        "not found",
    ),
]


@pytest.mark.parametrize(("case", "send", "status", "word"), CASES, ids=[c[0] for c in CASES])
def test_bad_request_is_refused_and_changes_nothing(
    api: Api,
    client: httpx.Client,
    loading: dict[str, str],
    case: str,
    send: BadRequest,
    status: int,
    word: str,
) -> None:
    before = state(api, client, loading)
    assert_error(send(client, loading), status, word)
    assert state(api, client, loading) == before
    # The version still loads and saves normally afterwards.
    awaiting = loading["awaiting"]
    if api.version(awaiting)["status"] == "AWAITING_ENTRIES":
        api.load(loading["name"], awaiting, "items", {"after": 1})
        assert api.save(awaiting)["counts"]["items"] == 2


def test_invalid_entries_are_listed_with_index_key_and_reason(
    client: httpx.Client, loading
) -> None:
    response = client.post(
        f"/datasets/{loading['name']}",
        params={"version-id": loading["awaiting"]},
        json=[
            {"table": "items", "key": "ok", "value": 1},
            {"table": "items", "key": "bad key", "value": 1},
            {"table": "items", "value": 1},
            "not an object",
        ],
    )
    body = assert_error(response, 400)
    assert body["code"] == "invalid-entries"
    assert [(p["index"], p["key"]) for p in body["problems"]] == [
        (1, "bad key"),
        (2, None),
        (3, None),
    ]


def test_oversized_request_body_is_refused(client: httpx.Client, loading) -> None:
    huge = b"[" + b",".join([b'{"key":"k","value":"' + b"x" * 1000 + b'"}'] * 70_000) + b"]"
    response = client.post(
        f"/datasets/{loading['name']}/tables/items/entries",
        params={"version-id": loading["awaiting"]},
        content=huge,
        headers=JSON,
    )
    assert_error(response, 413, "exceeds")


def test_a_load_through_another_dataset_is_404_and_writes_nothing(api: Api) -> None:
    owner, other = api.create_dataset(), api.create_dataset()
    version_id = api.create_version(owner)
    path = f"/datasets/{other}/tables/items/entries"
    response = api.client.post(
        path, params={"version-id": version_id}, json=[{"key": "k", "value": 1}]
    )
    assert response.status_code == 404
    assert response.json()["code"] == "version-not-in-dataset"
    assert response.json()["dataset"] == owner
    assert api.save(version_id)["counts"] == {"items": 0}


def test_a_repeated_key_is_named_in_the_refusal(client: httpx.Client, loading) -> None:
    response = client.post(
        f"/datasets/{loading['name']}/tables/items/entries",
        params={"version-id": loading["awaiting"]},
        json=[{"key": "a", "value": 1}, {"key": "b", "value": 2}, {"key": "a", "value": 3}],
    )
    body = assert_error(response, 400, "repeat a key", "(a)")
    assert body["code"] == "duplicate-keys"
    assert body["keys"] == ["a"]
    assert [(p["index"], p["key"]) for p in body["problems"]] == [(2, "a")]


def test_a_utf8_user_name_is_recorded_as_sent(api: Api, client: httpx.Client, loading) -> None:
    name = "José Ωmega 😀"
    response = client.post(
        "/versions",
        json={"dataset": loading["name"]},
        headers={"x-optimus-user": name.encode()},
    )
    assert response.status_code == 202, response.text
    log = api.version(response.json()["id"])["operation-log"]
    assert {line["by"] for line in log} == {name}
