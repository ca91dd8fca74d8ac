"""Publish gates: a version that changes too much, or is too small or too large, is refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api import Api

BASE = {f"k{i:03d}": i for i in range(100)}


def _saved(api: Api, dataset: str, entries: dict[str, Any], **extra: Any) -> dict[str, Any]:
    version_id = api.create_version(dataset, **extra)
    api.load(dataset, version_id, "items", entries)
    return api.save(version_id)


def _without(count: int) -> dict[str, Any]:
    return dict(list(BASE.items())[count:])


def _changed(first: int, last: int) -> dict[str, Any]:
    return BASE | {f"k{i:03d}": -1 - i for i in range(first, last)}


def _added(count: int) -> dict[str, Any]:
    return BASE | {f"new{i:03d}": i for i in range(count)}


# gate, its limit, a version that passes it and one that fails it (against BASE).
GATES = [
    ("max-added-fraction", 0.1, _added(10), _added(11)),
    ("max-removed-fraction", 0.1, _without(10), _without(11)),
    ("max-changed-fraction", 0.1, _changed(0, 10), _changed(0, 11)),
    ("min-entries", 100, BASE, _without(1)),
    ("max-entries", 100, BASE, _added(1)),
]


@pytest.mark.parametrize(("gate", "limit", "good", "bad"), GATES, ids=[g[0] for g in GATES])
def test_each_gate_alone_refuses_a_version_that_fails_it(
    api: Api, client: httpx.Client, gate: str, limit: float, good: dict, bad: dict
) -> None:
    dataset = api.create_dataset(**{"publish-gates": {gate: limit}})
    v1 = api.publish_new(dataset, "items", BASE)

    failing = _saved(api, dataset, bad)
    assert failing["status"] == "SAVED"
    assert failing["gates"]["passed"] is False
    assert failing["gates"]["against"] == v1
    failed = [c for c in failing["gates"]["checks"] if not c["passed"]]
    assert failed and {c["gate"] for c in failed} == {gate}

    refused = client.post(f"/versions/{failing['id']}/publish")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "publish-gates-failed"
    assert {c["gate"] for c in body["checks"]} == {gate}
    assert api.dataset(dataset)["active-version"]["id"] == v1
    assert api.get(dataset, "items", "k050").headers["x-version-id"] == v1

    passing = _saved(api, dataset, good)  # a failed version never blocks the next one
    assert passing["gates"]["passed"] is True
    api.publish(passing["id"])
    assert api.dataset(dataset)["active-version"]["id"] == passing["id"]


def test_all_gates_together_per_table_and_in_total(api: Api, client: httpx.Client) -> None:
    gates = {
        "max-added-fraction": 0.2,
        "max-removed-fraction": 0.2,
        "max-changed-fraction": 0.2,
        "min-entries": 150,
        "max-entries": 250,
    }
    dataset = api.create_dataset(tables=["items", "other"], **{"publish-gates": gates})
    v1 = api.create_version(dataset)
    api.load(dataset, v1, "items", BASE)
    api.load(dataset, v1, "other", BASE)
    assert api.save(v1)["gates"]["passed"] is True  # no active version: only the bounds
    api.publish(v1)

    v2 = api.create_version(dataset)
    api.load(dataset, v2, "items", _without(30))  # 30% of one table, 15% in total
    api.load(dataset, v2, "other", BASE)
    saved = api.save(v2)
    failed = [(c["gate"], c["table"]) for c in saved["gates"]["checks"] if not c["passed"]]
    assert failed == [("max-removed-fraction", "items")]
    total = [c for c in saved["gates"]["checks"] if c["table"] == "*" and "fraction" in c["gate"]]
    assert {c["gate"]: c["value"] for c in total}["max-removed-fraction"] == 0.15
    assert client.post(f"/versions/{v2}/publish").status_code == 409


def test_force_with_a_reason_publishes_and_is_in_the_operation_log(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset(**{"publish-gates": {"max-removed-fraction": 0.05}})
    api.publish_new(dataset, "items", BASE)
    bad = _saved(api, dataset, _without(50))["id"]

    no_reason = client.post(f"/versions/{bad}/publish", json={"force": True})
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason-required"
    forced = client.post(
        f"/versions/{bad}/publish", json={"force": True, "reason": "half the catalogue retired"}
    )
    assert forced.status_code == 202, forced.text
    log = api.version(bad)["operation-log"]
    overridden = [op for op in log if op["action"] == "GATES_OVERRIDDEN"]
    assert len(overridden) == 1
    assert "half the catalogue retired" in overridden[0]["reason"]
    assert "max-removed-fraction" in overridden[0]["reason"]


def test_a_rollback_is_never_gated(api: Api, client: httpx.Client) -> None:
    dataset = api.create_dataset(**{"publish-gates": {"max-added-fraction": 0.1}})
    v1 = api.publish_new(dataset, "items", _without(60))  # 40 entries
    v2 = _saved(api, dataset, _without(58))["id"]  # +2: 5%
    api.publish(v2)
    # Back to v1: v1 measured against v2 would add nothing, but a rollback is not judged at all.
    rolled_back = client.post(f"/versions/{v1}/publish", json={"reason": "bad scores"})
    assert rolled_back.status_code == 202, rolled_back.text
    assert api.dataset(dataset)["active-version"]["id"] == v1


def test_gates_are_judged_again_when_the_active_version_changed_since_the_save(
    api: Api, client: httpx.Client
) -> None:
    dataset = api.create_dataset(**{"publish-gates": {"max-changed-fraction": 0.3}})
    v1 = api.publish_new(dataset, "items", BASE)
    v2 = _saved(api, dataset, _changed(0, 20))  # 20% against v1
    v3 = _saved(api, dataset, _changed(20, 40))  # 20% against v1, 40% against v2
    assert v2["gates"]["passed"] and v3["gates"]["passed"]
    assert v3["gates"]["against"] == v1
    api.publish(v2["id"])

    refused = client.post(f"/versions/{v3['id']}/publish")
    assert refused.status_code == 409, refused.text
    assert refused.json()["against"] == v2["id"]
    assert api.version(v3["id"])["gates"]["against"] == v1  # a refused publish changed nothing
    forced = client.post(f"/versions/{v3['id']}/publish", json={"force": True, "reason": "ok"})
    assert forced.status_code == 202, forced.text
    assert api.version(v3["id"])["gates"]["against"] == v2["id"]  # judged again, and kept


def test_bad_gates_are_refused_and_create_nothing(api: Api, client: httpx.Client) -> None:
    for gates in ({"max-removed-fraction": 2}, {"min-entries": -1}, {"nope": 1}, {}, [1]):
        response = client.post(
            "/datasets", json={"name": "gated-bad", "tables": ["t"], "publish-gates": gates}
        )
        assert response.status_code == 400, (gates, response.text)
        assert response.json()["status"] == "error"
    assert client.get("/datasets/gated-bad").status_code == 404
