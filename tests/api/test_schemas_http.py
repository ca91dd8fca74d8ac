"""Schemas per table: a batch with an entry that does not match is refused whole."""

from __future__ import annotations

import httpx

from tests.support.api import Api, unique

SCORE = {
    "type": "object",
    "properties": {"score": {"type": "number", "minimum": 0}},
    "required": ["score"],
}


def test_a_batch_with_invalid_entries_is_refused_whole_and_nothing_is_stored(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset(tables=["items", "free"], schemas={"items": SCORE})
    assert api.dataset(dataset)["schemas"] == {"items": SCORE}
    version_id = api.create_version(dataset)
    api.load(dataset, version_id, "items", {"a": {"score": 1}})

    batch = [
        {"table": "items", "key": "b", "value": {"score": 2}},
        {"table": "items", "key": "c", "value": {"score": -1}},
        {"table": "free", "key": "d", "value": "anything"},
        {"table": "items", "key": "e", "value": {"points": 3}},
    ]
    refused = client.post(f"/datasets/{dataset}", params={"version-id": version_id}, json=batch)
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["code"] == "schema-violation" and body["status"] == "error"
    assert [(p["index"], p["key"]) for p in body["problems"]] == [(1, "c"), (3, "e")]
    assert "minimum" in body["problems"][0]["message"]
    assert "score" in body["problems"][1]["message"]

    saved = api.save(version_id)
    assert saved["counts"] == {"items": 1, "free": 0}  # only the first, good batch
    assert api.get(dataset, "items", "b", version_id).status_code == 404


def test_at_most_100_failing_entries_are_listed(api: Api, client: httpx.Client) -> None:
    dataset = api.create_dataset(schemas={"items": SCORE})
    version_id = api.create_version(dataset)
    batch = [{"key": f"k{i}", "value": {"score": "high"}} for i in range(150)]
    refused = client.post(
        f"/datasets/{dataset}/tables/items/entries", params={"version-id": version_id}, json=batch
    )
    assert refused.status_code == 400
    assert len(refused.json()["problems"]) == 100
    assert "150 of 150" in refused.json()["message"]


def test_a_later_version_may_replace_the_schema(api: Api, client: httpx.Client) -> None:
    dataset = api.create_dataset(schemas={"items": SCORE})
    api.publish_new(dataset, "items", {"a": {"score": 1}})
    evolved = {"type": "object", "required": ["score", "model"]}
    v2 = api.create_version(dataset, schemas={"items": evolved})
    assert api.version(v2)["schemas"] == {"items": evolved}
    old_shape = client.post(
        f"/datasets/{dataset}/tables/items/entries",
        params={"version-id": v2},
        json=[{"key": "a", "value": {"score": 1}}],
    )
    assert old_shape.status_code == 400 and old_shape.json()["code"] == "schema-violation"
    api.load(dataset, v2, "items", {"a": {"score": 1, "model": "m2"}})
    assert api.save(v2)["counts"] == {"items": 1}
    v3 = api.create_version(dataset)  # without a replacement: the dataset's schema again
    api.load(dataset, v3, "items", {"a": {"score": 2}})


def test_bad_schemas_are_refused_and_create_nothing(client: httpx.Client) -> None:
    name = unique("schemas")
    cases = [
        {"items": {"type": "nope"}},  # not a valid JSON Schema
        {"other": SCORE},  # no such table
        {"items": [1]},  # not an object
        [SCORE],
    ]
    for schemas in cases:
        response = client.post(
            "/datasets", json={"name": name, "tables": ["items"], "schemas": schemas}
        )
        assert response.status_code == 400, (schemas, response.text)
        assert response.json()["status"] == "error"
    text = client.post(
        "/datasets",
        json={
            "name": name,
            "tables": ["items"],
            "content-type": "text/plain",
            "schemas": {"items": SCORE},
        },
    )
    assert text.status_code == 400
    assert client.get(f"/datasets/{name}").status_code == 404


def test_a_schema_with_its_own_definitions_and_references(api: Api, client: httpx.Client) -> None:
    schema = {
        "$defs": {"score": {"type": "number", "minimum": 0}},
        "type": "object",
        "properties": {"scores": {"type": "array", "items": {"$ref": "#/$defs/score"}}},
    }
    dataset = api.create_dataset(schemas={"items": schema})
    version_id = api.create_version(dataset)
    api.load(dataset, version_id, "items", {"a": {"scores": [1, 2]}})
    refused = client.post(
        f"/datasets/{dataset}/tables/items/entries",
        params={"version-id": version_id},
        json=[{"key": "b", "value": {"scores": [1, -2]}}],
    )
    assert refused.status_code == 400
    assert refused.json()["problems"][0]["message"].endswith("(at /scores/1)")


def test_values_sent_with_any_spacing_are_validated_as_what_they_mean(
    api: Api, client: httpx.Client
) -> None:
    """A body as a person writes it (spaces, big integers) is kept as its exact text, and
    its values are validated as the JSON they are."""
    dataset = api.create_dataset(schemas={"items": SCORE})
    version_id = api.create_version(dataset)
    path = f"/datasets/{dataset}/tables/items/entries"
    body = (
        b'[ {"key": "a", "value": {"score": 12345678901234567890123}},\n'
        b'  {"key": "b", "value": {"score": -1}} ]'
    )
    headers = {"content-type": "application/json"}
    refused = client.post(path, params={"version-id": version_id}, content=body, headers=headers)
    assert refused.status_code == 400, refused.text
    assert [p["key"] for p in refused.json()["problems"]] == ["b"]
    good = b'[ {"key": "a", "value": {"score": 12345678901234567890123}} ]'
    assert (
        client.post(
            path, params={"version-id": version_id}, content=good, headers=headers
        ).status_code
        == 201
    )
    api.save(version_id)
    read = api.get(dataset, "items", "a", version_id)
    assert read.content == b'{"score": 12345678901234567890123}'
