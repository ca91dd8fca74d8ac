"""client.pull: patterns as Python data, sync and async, against a real server."""

from __future__ import annotations

import httpx
import pytest

from optimus.client import AsyncOptimusClient, BadRequest, OptimusClient
from tests.client.conftest import Endpoint, publish

ITEMS = {"a": {"name": "A", "next": "b", "x": 1}, "b": {"name": "B", "next": ["a", "zz"]}}
PATTERN = ["name", {"next": {"table": "items", "pattern": ["name"], "default": "gone"}}]
EXPECTED = {
    "a": {"name": "A", "next": {"name": "B"}},
    "b": {"name": "B", "next": [{"name": "A"}, "gone"]},
}


def test_pull_shapes_values_from_one_version(server: Endpoint, admin, dataset: str) -> None:
    version = publish(admin, dataset, ITEMS)
    with OptimusClient(server.base_url) as client:
        pulled = client.pull(dataset, "items", ["a", "b", "c"], PATTERN)
        assert pulled.version_id == version
        assert pulled.as_dict() == {**EXPECTED, "c": None}
        pinned = client.pull(dataset, "items", ["a"], ["x"], version_id=version)
        assert pinned.values == [{"x": 1}]
        with pytest.raises(BadRequest):
            client.pull(dataset, "items", ["a"], [{"next": {"recurse": 99, "table": "items"}}])


async def test_async_pull_as_of_the_first_publish(server: Endpoint, admin, dataset: str) -> None:
    first = publish(admin, dataset, ITEMS)
    publish(admin, dataset, {"a": {"name": "A2"}})
    async with AsyncOptimusClient(server.base_url) as client:
        now = await client.pull(dataset, "items", ["a"], ["name"])
        assert now.values == [{"name": "A2"}]
        log = httpx.get(f"{server.base_url}/datasets/{dataset}/publications").json()
        then = await client.pull(dataset, "items", ["a"], PATTERN, as_of=log[0]["from"])
        assert (then.version_id, then.values) == (first, [EXPECTED["a"]])
