"""Diff of two versions over HTTP: counts per table, listings page by page, on every host."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import Api

TABLES = ("alpha", "beta", "gamma")


def _versions(n: int) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Two versions' entries in which every kind of change occurs in every table."""
    old: dict[str, dict[str, Any]] = {}
    new: dict[str, dict[str, Any]] = {}
    for t, table in enumerate(TABLES):
        keys = [f"k{i:04d}" for i in range(n + t * 7)]
        old[table] = {key: {"v": i} for i, key in enumerate(keys)}
        new[table] = dict(old[table])
        for i, key in enumerate(keys):
            if i % 10 == 1:
                del new[table][key]  # removed
            elif i % 10 in (2, 3):
                new[table][key] = {"v": -i}  # changed
        for i in range(n // 10 + t):
            new[table][f"n{i:04d}"] = {"added": i}
    return old, new


def _expected(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[tuple]:
    rows = []
    for table in sorted(TABLES):
        before, after = old[table], new[table]
        for key in sorted(before.keys() | after.keys()):
            if key not in before:
                rows.append((table, key, "added"))
            elif key not in after:
                rows.append((table, key, "removed"))
            elif before[key] != after[key]:
                rows.append((table, key, "changed"))
    return rows


def test_diff_counts_every_kind_of_change_per_table_and_in_total(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset(tables=TABLES)
    old, new = _versions(120)
    v1 = api.saved_version(dataset, old)
    api.publish(v1)
    v2 = api.saved_version(dataset, new)

    response = client.get(f"/versions/{v2}/diff")  # against the active version by default
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == v2 and body["against"] == v1
    total = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    for table in TABLES:
        before, after = old[table], new[table]
        both = before.keys() & after.keys()
        changed = sum(1 for k in both if before[k] != after[k])
        expected = {
            "added": len(after.keys() - before.keys()),
            "removed": len(before.keys() - after.keys()),
            "changed": changed,
            "unchanged": len(both) - changed,
        }
        assert body["tables"][table] == expected
        for kind, count in expected.items():
            total[kind] += count
    assert body["total"] == total

    # The other way round, named explicitly: what was added is now removed.
    reverse = client.get(f"/versions/{v1}/diff", params={"against": v2}).json()
    assert reverse["total"]["added"] == total["removed"]
    assert reverse["total"]["removed"] == total["added"]
    same = client.get(f"/versions/{v2}/diff", params={"against": v2}).json()
    assert same["total"]["unchanged"] == sum(len(new[t]) for t in TABLES)
    assert same["total"]["added"] == same["total"]["removed"] == same["total"]["changed"] == 0


def test_diff_entries_page_through_every_change_in_table_then_key_order(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset(tables=TABLES)
    old, new = _versions(60)
    v1 = api.saved_version(dataset, old)
    v2 = api.saved_version(dataset, new)

    listed: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params = {"against": v1, "limit": 7} | ({"cursor": cursor} if cursor else {})
        response = client.get(f"/versions/{v2}/diff/entries", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["entries"]) <= 7
        listed.extend(page["entries"])
        pages += 1
        cursor = page["cursor"]
        if cursor is None:
            break
    assert pages > 3
    assert [(e["table"], e["key"], e["change"]) for e in listed] == _expected(old, new)
    for entry in listed:
        table, key = entry["table"], entry["key"]
        if entry["change"] == "changed":
            assert entry["old"] == old[table][key] and entry["new"] == new[table][key]
        elif entry["change"] == "added":
            assert entry["new"] == new[table][key] and "old" not in entry
        else:
            assert entry["old"] == old[table][key] and "new" not in entry

    # One table, one kind of change.
    only = client.get(
        f"/versions/{v2}/diff/entries",
        params={"against": v1, "table": "beta", "change": "removed", "limit": 1000},
    ).json()
    expected = [(t, k) for t, k, c in _expected(old, new) if t == "beta" and c == "removed"]
    assert [(e["table"], e["key"]) for e in only["entries"]] == expected
    assert only["cursor"] is None


def test_diff_of_unknown_or_purged_versions_and_bad_parameters_are_json_errors(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset()
    v1 = api.publish_new(dataset, "items", {"a": 1, "b": 2})
    v2 = api.create_version(dataset)
    api.load(dataset, v2, "items", {"a": 1})
    api.save(v2)
    unknown_against = client.get(f"/versions/{v1}/diff", params={"against": "nope"})
    assert unknown_against.status_code == 404 and unknown_against.json()["status"] == "error"
    assert client.get("/versions/unknown-version/diff").status_code == 404

    for params in ({"change": "moved"}, {"limit": "0"}, {"limit": "x"}, {"cursor": "%%%"}):
        bad = client.get(f"/versions/{v2}/diff/entries", params=params)
        assert bad.status_code == 400, (params, bad.text)
        assert bad.json()["status"] == "error"
    missing_table = client.get(f"/versions/{v2}/diff/entries", params={"table": "nope"})
    assert missing_table.status_code == 404

    discarded = client.post(f"/versions/{v2}/discard")
    assert discarded.status_code == 200
    api.wait_purged(v2)
    gone = client.get(f"/versions/{v1}/diff", params={"against": v2})
    assert gone.status_code == 410, gone.text
    assert gone.json()["status"] == "error"
    assert client.get(f"/versions/{v2}/diff").status_code == 410
