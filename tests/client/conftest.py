"""Client tests run against a real server over HTTP: `optimus serve`, and `optimus serve
--dapr` reached through Dapr service invocation (the way consumers on Dapr reach it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from optimus.client import OptimusClient
from optimus.dapr_runtime import DaprCluster
from tests.support.api import unique
from tests.support.dapr_optimus import invocation_url, start_api
from tests.support.server import OptimusServer


@dataclass(frozen=True)
class Endpoint:
    base_url: str


@pytest.fixture(scope="module", params=["embedded", "dapr"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Endpoint]:
    if request.param == "embedded":
        embedded = OptimusServer(tmp_path_factory.mktemp("client") / "data").start()
        yield Endpoint(embedded.base_url)
        embedded.stop()
        return
    with DaprCluster("redis", tmp_path_factory.mktemp("client-dapr")) as cluster:
        yield Endpoint(invocation_url(start_api(cluster)))


class CountingTransport(httpx.HTTPTransport):
    """Real HTTP, counting what goes out (to see what the cache spared)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return super().handle_request(request)


@pytest.fixture
def counted() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
def admin(server: Endpoint) -> Iterator[OptimusClient]:
    """A second client, for the producer's side of each test."""
    with OptimusClient(server.base_url, cache_entries=0, active_ttl=0) as client:
        yield client


def publish(
    admin: OptimusClient, dataset: str, entries: dict[str, Any], table: str = "items"
) -> str:
    version = admin.create_version(dataset)
    body = orjson.dumps([{"table": "items", "key": k, "value": v} for k, v in entries.items()])
    admin.load_entries(dataset, version.id, body)
    assert admin.save(version.id, wait=True).status == "SAVED"
    admin.publish(version.id)
    return version.id


@pytest.fixture
def dataset(admin: OptimusClient) -> str:
    name = unique("ds")
    admin.create_dataset(name, ["items"])
    return name
