"""Patch versions: a base's entries plus a delta, saved, published and collected like any."""

from __future__ import annotations

import httpx
import orjson

from optimus.domain.digest import stats_of
from tests.support.api import Api


def _retract(client: httpx.Client, dataset: str, table: str, version: str, keys: list[str]):
    return client.post(
        f"/datasets/{dataset}/tables/{table}/retract",
        params={"version-id": version},
        json=[{"key": key} for key in keys],
    )


def _patch(client: httpx.Client, dataset: str, base: str, **extra: object) -> str:
    created = client.post("/versions", json={"dataset": dataset, "base": base, **extra})
    assert created.status_code == 202, created.text
    return created.json()["id"]


def _digest(entries: dict[str, dict[str, object]]) -> str:
    rows = [(t, k, orjson.dumps(v)) for t, values in entries.items() for k, v in values.items()]
    return stats_of(rows).digest


def _read_many(client: httpx.Client, dataset: str, version: str, table: str, keys: list[str]):
    read = client.request(
        "GET",
        f"/datasets/{dataset}/tables/{table}/entries",
        params={"version-id": version},
        json=[{"key": key} for key in keys],
    )
    assert read.status_code == 200, read.text
    return read.json()


def test_patch_chain_with_retractions_digests_like_a_full_load_and_outlives_its_bases(
    api: Api, client: httpx.Client
) -> None:
    keep_two = {"type": "keep-last-x-versions", "versions": 2}
    name = api.create_dataset(tables=("items", "users"), **{"eviction-policy": keep_two})
    items = {f"i{n}": {"n": n} for n in range(20)}
    full = api.publish_new(name, "items", items)
    # Patch 1: fix one value, add one, retract two; who and why are recorded.
    p1 = _patch(client, name, full, label="fix-1", reason="999 tribbles")
    api.load(name, p1, "items", {"i3": {"n": 999}, "new": {"n": -1}})
    api.load(name, p1, "users", {"u1": "ann"})
    assert _retract(client, name, "items", p1, ["i4", "i5", "absent"]).status_code == 201
    # Patch 2 of patch 1: undo the tribbles, retract the new key.
    saved1 = api.save(p1)
    assert saved1["status"] == "SAVED", saved1
    p2 = _patch(client, name, p1, reason="back to 3")
    api.load(name, p2, "items", {"i3": {"n": 3}})
    assert _retract(client, name, "items", p2, ["new", "i6"]).status_code == 201
    saved2 = api.save(p2)

    after1 = {**{k: v for k, v in items.items() if k not in ("i4", "i5")}, "i3": {"n": 999}}
    after1["new"] = {"n": -1}
    after2 = {k: v for k, v in after1.items() if k not in ("new", "i6")} | {"i3": {"n": 3}}
    assert saved1["counts"] == {"items": 19, "users": 1}
    assert saved1["digest"] == _digest({"items": after1, "users": {"u1": "ann"}})
    assert saved2["counts"] == {"items": 17, "users": 1}
    assert saved2["digest"] == _digest({"items": after2, "users": {"u1": "ann"}})
    assert saved2["base-version-id"] == p1
    created = saved1["operation-log"][0]
    assert created["reason"] == f"patch of {full}: 999 tribbles"

    assert _read_many(client, name, p2, "items", [*items, "new"])["data"] == after2
    assert api.get(name, "items", "i3", p1).json() == {"n": 999}
    assert api.get(name, "items", "i4", p1).status_code == 404
    assert api.get(name, "items", "i3", p2).json() == {"n": 3}
    assert api.get(name, "items", "new", p2).status_code == 404
    assert api.get(name, "users", "u1", p2).json() == "ann"

    api.publish(p2)
    assert api.get(name, "items", "i7").headers["x-version-id"] == p2
    # Its bases go: p1 discarded, the full version evicted by a newer version.
    assert client.post(f"/versions/{p1}/discard").status_code == 200
    api.publish_new(name, "items", {"other": 1})
    assert api.version(full)["status"] == "DISCARDED"
    api.publish(p2)  # rollback to the patch
    assert api.get(name, "items", "i7").json() == {"n": 7}
    assert api.get(name, "items", "i3").json() == {"n": 3}
    # GC keeps layers a retained version needs; once the patch is gone, all go.
    assert "PURGED" not in [op["action"] for op in api.version(full)["operation-log"]]
    api.publish_new(name, "items", {"other": 2})
    api.publish_new(name, "items", {"other": 3})
    for version in (p2, p1, full):
        api.wait_purged(version)


def test_retractions_need_a_patch_version_and_bad_patches_change_nothing(
    api: Api, client: httpx.Client
) -> None:
    name = api.create_dataset()
    full = api.publish_new(name, "items", {"a": 1})
    plain = api.create_version(name)
    refused = _retract(client, name, "items", plain, ["a"])
    assert refused.status_code == 409 and refused.json()["code"] == "not-a-patch"
    unknown = client.post("/versions", json={"dataset": name, "base": "nope"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown-base-version"
    not_saved = client.post("/versions", json={"dataset": name, "base": plain})
    assert not_saved.status_code == 409 and not_saved.json()["code"] == "base-not-readable"
    patch = _patch(client, name, full)
    bad = _retract(client, name, "items", patch, ["ok", "not ok!"])
    assert bad.status_code == 400 and bad.json()["code"] == "invalid-entries"
    assert _retract(client, name, "nope", patch, ["a"]).status_code == 404
    assert api.save(patch)["counts"] == {"items": 1}
    assert api.get(name, "items", "a", patch).json() == 1


def test_a_patch_is_gated_on_what_it_changes_against_the_active_version(
    api: Api, client: httpx.Client
) -> None:
    gates = {"max-changed-fraction": 0.1, "max-added-fraction": 0.1, "max-removed-fraction": 0.1}
    name = api.create_dataset(**{"publish-gates": gates})
    full = api.publish_new(name, "items", {f"k{i:02}": i for i in range(20)})
    small = _patch(client, name, full)
    api.load(name, small, "items", {"k00": -1, "k01": 1, "new": 0})  # k01 rewritten as it was
    assert _retract(client, name, "items", small, ["k02"]).status_code == 201
    saved = api.save(small)
    assert saved["gates"]["passed"] is True and saved["gates"]["against"] == full
    api.publish(small)
    # A sibling patch, judged against the active one: k00 back, k03 and k04 changed (3 of
    # 20), k02 back (added), "new" gone (removed).
    sibling = _patch(client, name, full)
    api.load(name, sibling, "items", {"k03": -3, "k04": -4})
    saved = api.save(sibling)
    values = {c["gate"]: c["value"] for c in saved["gates"]["checks"] if c["table"] == "items"}
    assert values == {
        "max-changed-fraction": 0.15,
        "max-added-fraction": 0.05,
        "max-removed-fraction": 0.05,
    }
    assert saved["gates"]["passed"] is False and saved["gates"]["against"] == small
    refused = client.post(f"/versions/{sibling}/publish")
    assert refused.status_code == 409 and refused.json()["code"] == "publish-gates-failed"
