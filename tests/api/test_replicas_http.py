"""GET /v1/datasets/{name}/replicas and POST /v1/versions/{id}/publish?wait=replicas."""

from __future__ import annotations

import httpx

from tests.support.api import Api, unique
from tests.support.waiting import eventually


def _saved(api: Api, name: str, value: int) -> str:
    version = api.create_version(name)
    api.load(name, version, "items", {"k": value})
    assert api.save(version)["status"] == "SAVED"
    return version


def test_every_replica_is_listed_with_the_version_it_serves(api: Api, client: httpx.Client) -> None:
    name = api.create_dataset()
    version = _saved(api, name, 1)
    api.publish(version)

    def serving():
        replicas = client.get(f"/datasets/{name}/replicas").json()
        return replicas if replicas and all(r["version"] == version for r in replicas) else None

    replicas = eventually(serving, what="every replica serving the version")
    for replica in replicas:
        assert replica.keys() == {"replica", "version", "since", "last-seen"}
        assert replica["replica"] and replica["since"] <= replica["last-seen"]


def test_publish_with_wait_replicas_returns_once_the_version_is_served(
    api: Api, client: httpx.Client
) -> None:
    name = api.create_dataset()
    first = _saved(api, name, 1)
    api.publish(first)
    second = _saved(api, name, 2)
    published = client.post(f"/versions/{second}/publish", params={"wait": "replicas"})
    assert published.status_code == 202, published.text
    assert {r["version"] for r in client.get(f"/datasets/{name}/replicas").json()} == {second}
    assert api.get(name, "items", "k").headers["x-version-id"] == second


def test_bad_replica_requests_are_refused(api: Api, client: httpx.Client) -> None:
    assert client.get(f"/datasets/{unique('nope')}/replicas").status_code == 404
    name = api.create_dataset()
    version = _saved(api, name, 1)
    refused = client.post(f"/versions/{version}/publish", params={"wait": "everyone"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid-wait"
    assert api.version(version)["status"] == "SAVED"  # nothing was published
