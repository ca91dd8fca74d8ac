"""Pull patterns over HTTP: shapes, references across tables, recursion, limits, one version."""

from __future__ import annotations

import threading

import httpx
import orjson

from tests.support.api import Api

USERS = {
    "u1": {
        "name": "Ann",
        "address": {"city": "Leeds", "zip": "LS1"},
        "orders": ["o1", "o2", "o-missing"],
        "manager": "u2",
        "tags": ["a", "b", "c"],
    },
    "u2": {"name": "Bo", "orders": [], "manager": "u3"},
    "u3": {"name": "Cy", "manager": "u1"},  # a cycle: u1 -> u2 -> u3 -> u1
}
ORDERS = {
    "o1": {"total": 10, "items": ["i1", "i2"]},
    "o2": {"total": 20, "items": ["i2"], "note": "gift"},
}
ITEMS = {"i1": {"title": "Tribble", "price": 1}, "i2": {"title": "Phaser", "price": 100}}


def _dataset(api: Api) -> tuple[str, str]:
    name = api.create_dataset(tables=("users", "orders", "items"))
    version = api.create_version(name)
    for table, entries in (("users", USERS), ("orders", ORDERS), ("items", ITEMS)):
        api.load(name, version, table, entries)
    assert api.save(version)["status"] == "SAVED"
    api.publish(version)
    return name, version


def _pull(client: httpx.Client, dataset: str, body: dict, **params: str) -> httpx.Response:
    return client.post(f"/datasets/{dataset}/pull", json=body, params=params)


def test_a_pattern_shapes_values_and_follows_references_three_levels(
    api: Api, client: httpx.Client
) -> None:
    name, version = _dataset(api)
    pattern = [
        "name",
        "address.city",
        {"tags": {"limit": 2, "as": "first-tags"}},
        {"phone": {"default": "none"}},
        {
            "orders": {
                "table": "orders",
                "default": "no such order",
                "pattern": [
                    "total",
                    {"note": {"default": ""}},
                    {"items": {"table": "items", "pattern": ["title"]}},
                ],
            }
        },
        {"manager": {"table": "users", "pattern": ["*"], "as": "boss"}},
    ]
    pulled = _pull(client, name, {"table": "users", "keys": ["u1", "nobody"], "pattern": pattern})
    assert pulled.status_code == 200, pulled.text
    assert pulled.headers["x-version-id"] == version
    assert pulled.json() == {
        "status": "OK",
        "version": version,
        "results": [
            {
                "key": "u1",
                "value": {
                    "name": "Ann",
                    "address": {"city": "Leeds"},
                    "first-tags": ["a", "b"],
                    "phone": "none",
                    "orders": [
                        {
                            "total": 10,
                            "note": "",
                            "items": [{"title": "Tribble"}, {"title": "Phaser"}],
                        },
                        {"total": 20, "note": "gift", "items": [{"title": "Phaser"}]},
                        "no such order",
                    ],
                    "boss": USERS["u2"],
                },
            },
            {"key": "nobody", "value": None},
        ],
    }
    # The same as GET, the pattern as JSON in the query.
    got = client.get(
        f"/datasets/{name}/pull",
        params={
            "table": "users",
            "key": ["u1", "nobody"],
            "pattern": orjson.dumps(pattern).decode(),
        },
    )
    assert got.status_code == 200 and got.json() == pulled.json()


def test_recursion_follows_a_self_reference_and_stops_a_cycle_at_its_bound(
    api: Api, client: httpx.Client
) -> None:
    name, _ = _dataset(api)
    pattern = ["name", {"manager": {"table": "users", "recurse": 4}}]
    pulled = _pull(client, name, {"table": "users", "keys": ["u1"], "pattern": pattern})
    chain = pulled.json()["results"][0]["value"]
    names = []
    while isinstance(chain, dict):
        names.append(chain["name"])
        chain = chain["manager"]
    # u1 and four levels below it; the bound gives the next key as it is stored.
    assert names == ["Ann", "Bo", "Cy", "Ann", "Bo"] and chain == "u3"
    star = _pull(client, name, {"table": "items", "keys": ["i1"], "pattern": ["*"]})
    assert star.json()["results"] == [{"key": "i1", "value": ITEMS["i1"]}]


def test_bad_patterns_and_limits_are_400s(api: Api, client: httpx.Client) -> None:
    name, _ = _dataset(api)

    def nested(depth: int) -> list:
        pattern: list = ["name"]
        for _ in range(depth):
            pattern = [{"manager": {"table": "users", "pattern": pattern}}]
        return pattern

    cases = {
        "pattern-too-deep": nested(5),
        "pattern-too-wide": [f"f{n}" for n in range(65)],
        "recursion-too-deep": [{"manager": {"table": "users", "recurse": 9}}],
        "invalid-pattern": [{"orders": {"table": "nope"}}],
    }
    for code, pattern in cases.items():
        refused = _pull(client, name, {"table": "users", "keys": ["u1"], "pattern": pattern})
        assert refused.status_code == 400 and refused.json()["code"] == code, refused.text
    assert _pull(client, name, {"table": "users", "keys": ["u1"], "pattern": nested(4)}).is_success
    for bad in ([], [3], [{"a": {"limit": -1}}], [{"a": {"colour": 1}}], [{"a": {"pattern": []}}]):
        refused = _pull(client, name, {"table": "users", "keys": ["u1"], "pattern": bad})
        assert refused.status_code == 400 and refused.json()["code"] == "invalid-pattern", bad
    many = _pull(client, name, {"table": "users", "keys": ["u"] * 1001, "pattern": ["*"]})
    assert many.status_code == 400 and many.json()["code"] == "too-many-keys"
    assert _pull(client, name, {"table": "users", "keys": ["u1"]}).status_code == 400
    unknown = _pull(client, name, {"table": "nope", "keys": ["u1"], "pattern": ["*"]})
    assert unknown.status_code == 404


def test_a_pull_reads_one_version_through_a_publish_storm_and_as_of(
    api: Api, client: httpx.Client
) -> None:
    name = api.create_dataset(tables=("users", "orders"))
    versions: list[str] = []

    def publish(n: int) -> None:
        version = api.create_version(name)
        api.load(name, version, "users", {f"u{k}": {"n": n, "order": f"o{k}"} for k in range(20)})
        api.load(name, version, "orders", {f"o{k}": {"n": n} for k in range(20)})
        assert api.save(version)["status"] == "SAVED"
        versions.append(version)  # before it can be read: versions[n] is the nth
        api.publish(version)

    publish(0)
    done = threading.Event()

    def storm() -> None:
        for n in range(1, 6):
            publish(n)
        done.set()

    thread = threading.Thread(target=storm)
    thread.start()
    pattern = ["n", {"order": {"table": "orders", "pattern": ["n"]}}]
    body = {"table": "users", "keys": [f"u{k}" for k in range(20)], "pattern": pattern}
    seen = set()
    try:
        while not done.is_set():
            pulled = _pull(client, name, body)
            assert pulled.status_code == 200, pulled.text
            values = [r["value"] for r in pulled.json()["results"]]
            ns = {v["n"] for v in values} | {v["order"]["n"] for v in values}
            assert len(ns) == 1, ns  # never two versions in one answer
            assert pulled.headers["x-version-id"] == versions[ns.pop()]
            seen.add(pulled.headers["x-version-id"])
    finally:
        thread.join()
    first = client.get(f"/datasets/{name}/publications").json()[0]
    as_of = _pull(client, name, body, **{"as-of": first["from"]})
    assert as_of.headers["x-version-id"] == versions[0]
    assert as_of.json()["results"][0]["value"] == {"n": 0, "order": {"n": 0}}
