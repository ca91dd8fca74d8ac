"""The entry reads are answered once, by the fast path, with the app's one error mapping."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from optimus.bootstrap import EmbeddedSettings, bootstrap_embedded
from optimus.domain.policies import EvictionPolicy
from optimus.entrypoints.api.app import create_fastapi, with_fast_reads
from optimus.entrypoints.api.error_mapping import ErrorRule, Rendered, render_json_error
from optimus.service_layer.reads import EntryReader
from optimus.service_layer.services import Services

ONE = "/v1/datasets/ds/tables/t/entries/k"
MANY = "/v1/datasets/ds/tables/t/entries?key=k&key=j"


class StoreAway(Exception):
    """What a host's entry store raises when its backend is out of reach."""


class UnreachableStore:
    """An entry store whose backend is gone (a lost sidecar, a dead disk); counts the reads."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.reads = 0

    async def read(self, version_id: str, table: str, key: str) -> bytes | None:
        self.reads += 1
        raise self.error

    async def read_many(
        self, version_id: str, table: str, keys: Sequence[str]
    ) -> list[bytes | None]:
        self.reads += 1
        raise self.error


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    """Embedded services with dataset ds, table t, one published version holding k."""
    services = bootstrap_embedded(EmbeddedSettings(data_dir=tmp_path / "data"))
    lifecycle = services.lifecycle
    await services.background.start()
    try:
        await lifecycle.create_dataset(
            "ds", ["t"], content_type="application/json", eviction_policy=EvictionPolicy(), by="t"
        )
        version = await lifecycle.create_version("ds", label=None, verification_policy=None, by="t")
        await services.loader.load("ds", version.id, [{"key": "k", "value": 1}], table="t")
        await lifecycle.save(version.id, by="t")
        await lifecycle.wait_saved(version.id)
        await lifecycle.publish(version.id, by="t")
        yield services
    finally:
        await services.background.stop()
        services.close()


def _client(
    services: Services, store: UnreachableStore, rules: dict[type[Exception], ErrorRule]
) -> httpx.AsyncClient:
    def host_routes(app: FastAPI) -> None:  # as a host registers its own error kinds
        for kind, rule in rules.items():
            app.state.errors.register(kind, rule)

    broken = dataclasses.replace(
        services, reader=EntryReader(services.host, store), host_routes=host_routes
    )
    app = with_fast_reads(create_fastapi(broken))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1")


async def test_a_read_that_fails_unexpectedly_is_tried_once_and_answered_json_500(
    services: Services,
) -> None:
    store = UnreachableStore(OSError("input/output error"))
    async with _client(services, store, {}) as client:
        for path in (ONE, MANY):
            response = await client.get(path)
            assert response.status_code == 500
            assert response.json()["code"] == "internal"
    assert store.reads == 2  # one per request: no second run of the read to map its error


async def test_an_error_kind_registered_by_the_host_is_answered_by_its_rule(
    services: Services,
) -> None:
    def store_away(_: Exception) -> Rendered:
        return render_json_error(503, "retry shortly", "unavailable", {"Retry-After": "1"})

    store = UnreachableStore(StoreAway())
    async with _client(services, store, {StoreAway: store_away}) as client:
        for path in (ONE, MANY):
            response = await client.get(path)
            assert response.status_code == 503
            assert response.json() == {
                "status": "error",
                "message": "retry shortly",
                "code": "unavailable",
            }
            assert response.headers["retry-after"] == "1"
    assert store.reads == 2


async def test_fastapi_has_no_second_implementation_of_the_reads(services: Services) -> None:
    """The read paths are documented, but only the fast path answers them."""
    app = create_fastapi(services)
    document = app.openapi()
    assert "get" in document["paths"]["/v1/datasets/{dataset}/tables/{table}/entries/{key}"]
    assert "get" in document["paths"]["/v1/datasets/{dataset}/tables/{table}/entries"]
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        assert (await client.get(ONE)).status_code == 405  # FastAPI alone only loads there
