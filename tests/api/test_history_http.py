"""A key's history across the retained versions of its dataset."""

from __future__ import annotations

import httpx

from tests.support.api import Api


def test_history_lists_the_key_in_every_retained_version_in_sequence_order(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset()
    contents = [{"k": 1}, {"k": 2}, {"other": 0}, {"other": 0}, {"k": 5}]  # k gone, then back
    ids = []
    for n, entries in enumerate(contents):
        version_id = api.create_version(dataset, label=f"v{n + 1}")
        api.load(dataset, version_id, "items", entries | {"filler": n})
        assert api.save(version_id)["status"] == "SAVED"
        if n != 3:  # the fourth is saved, never published
            api.publish(version_id)
        ids.append(version_id)

    response = client.get(f"/datasets/{dataset}/tables/items/entries/k/history")
    assert response.status_code == 200, response.text
    versions = response.json()["versions"]
    assert [v["version"] for v in versions] == ids
    assert [v["sequence"] for v in versions] == [1, 2, 3, 4, 5]
    assert [v["label"] for v in versions] == ["v1", "v2", "v3", "v4", "v5"]
    assert [v["status"] for v in versions] == ["SAVED"] * 4 + ["PUBLISHED"]
    assert [v["present"] for v in versions] == [True, True, False, False, True]
    assert [v.get("value") for v in versions] == [1, 2, None, None, 5]
    published = [v["published-at"] is not None for v in versions]
    assert published == [True, True, True, False, True]


def test_history_of_an_unknown_dataset_or_table_is_a_json_404(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset()
    for path in (
        f"/datasets/{dataset}/tables/nope/entries/k/history",
        "/datasets/nope/tables/items/entries/k/history",
    ):
        response = client.get(path)
        assert response.status_code == 404, response.text
        assert response.json()["status"] == "error"
    empty = client.get(f"/datasets/{dataset}/tables/items/entries/k/history")
    assert empty.status_code == 200 and empty.json()["versions"] == []
