"""The fast read paths answer exactly as the documented FastAPI routes do."""

from __future__ import annotations

from pathlib import Path

import httpx

from optimus.bootstrap import EmbeddedSettings, bootstrap_embedded
from optimus.domain.policies import EvictionPolicy
from optimus.entrypoints.api.app import create_app, create_fastapi

PATHS = [
    "/v1/datasets/ds/tables/t/entries/found",
    "/v1/datasets/ds/tables/t/entries/missing",
    "/v1/datasets/ds/tables/nope/entries/found",
    "/v1/datasets/nope/tables/t/entries/found",
    "/v1/datasets/ds/tables/t/entries/bad%20key",
    "/v1/datasets/ds/tables/t/entries/found?version-id=unknown",
    "/v1/datasets/ds/tables/t/entries/found?version-id={loading}",
    "/v1/datasets/ds/tables/t/entries/found?version-id={saved}",
]
MANY = "/v1/datasets/ds/tables/t/entries"
GET_MANY = [  # (path, body)
    (MANY, b'[{"key": "found"}, {"key": "missing"}, {"key": "found"}]'),
    (MANY + "?key=found&key=missing", b""),
    (MANY + "?version-id={saved}", b'[{"key": "found"}]'),
    (MANY + "?version-id={loading}", b'[{"key": "found"}]'),
    (MANY + "?version-id=unknown", b'[{"key": "found"}]'),
    ("/v1/datasets/ds/tables/nope/entries", b'[{"key": "found"}]'),
    ("/v1/datasets/nope/tables/t/entries", b'[{"key": "found"}]'),
    (MANY, b'[{"key": "found"}, {"key": "bad key"}]'),
    (MANY, b'[{"key": "found"}'),
    (MANY, b'{"key": "found"}'),
    (MANY, b"[]"),
    (MANY, b""),
    (MANY, b"[" + b'{"key": "found"},' * 100 + b'{"key": "found"}]'),  # over the body limit
]
COMPARED_HEADERS = ("content-type", "x-version-id", "x-active-version-id")


async def same_answers(
    fast: httpx.AsyncClient,
    route: httpx.AsyncClient,
    requests: list[tuple[str, bytes]],
    ids: dict[str, str],
) -> set[int]:
    """Send each GET (path, body) to both; they must answer alike. Returns the statuses seen."""
    statuses = set()
    for template, body in requests:
        path = template.format(**ids)
        a = await fast.request("GET", path, content=body)
        b = await route.request("GET", path, content=body)
        assert (a.status_code, a.content) == (b.status_code, b.content), path
        for name in COMPARED_HEADERS:
            assert a.headers.get(name) == b.headers.get(name), (path, name)
        statuses.add(a.status_code)
    return statuses


async def test_fast_path_and_route_give_the_same_responses(tmp_path: Path) -> None:
    settings = EmbeddedSettings(data_dir=tmp_path / "data", max_request_bytes=1000)
    services = bootstrap_embedded(settings)
    lifecycle = services.lifecycle
    await services.background.start()
    try:
        await lifecycle.create_dataset(
            "ds", ["t"], content_type="application/json", eviction_policy=EvictionPolicy(), by="t"
        )
        saved = await lifecycle.create_version("ds", label=None, verification_policy=None, by="t")
        await services.loader.load("ds", saved.id, [{"key": "found", "value": {"a": 1}}], table="t")
        await lifecycle.save(saved.id, by="t")
        assert (await lifecycle.wait_saved(saved.id)).status == "SAVED"
        await lifecycle.publish(saved.id, by="t")
        loading = await lifecycle.create_version("ds", label=None, verification_policy=None, by="t")

        fast = httpx.AsyncClient(
            transport=httpx.ASGITransport(create_app(services)), base_url="http://t"
        )
        route = httpx.AsyncClient(
            transport=httpx.ASGITransport(create_fastapi(services)), base_url="http://t"
        )
        ids = {"loading": loading.id, "saved": saved.id}
        single = [(path, b"") for path in PATHS]
        assert await same_answers(fast, route, single, ids) == {200, 400, 404, 409}
        assert await same_answers(fast, route, GET_MANY, ids) == {200, 400, 404, 409, 413}
    finally:
        await services.background.stop()
        services.close()
