"""A page in a local browser can neither drive the server nor have stored markup run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import Api
from tests.support.server import OptimusServer

PINNED = "public, max-age=31536000, immutable"


@pytest.fixture
def api(server: OptimusServer) -> Iterator[Api]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield Api(client)


def test_a_write_not_sent_as_json_is_refused_and_changes_nothing(api: Api) -> None:
    body = b'{"name": "from-a-page", "tables": ["t"]}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"content-type": content_type} if content_type else {}
        response = api.client.post("/datasets", content=body, headers=headers)
        assert response.status_code == 415, response.text
        assert response.json()["code"] == "unsupported-media-type"
    assert api.client.get("/datasets/from-a-page").status_code == 404
    sent_as_json = {"content-type": "application/json; charset=utf-8"}
    assert api.client.post("/datasets", content=body, headers=sent_as_json).status_code == 201


def test_only_loopback_host_names_are_answered_by_default(server: OptimusServer) -> None:
    for host in ("localhost", f"localhost:{server.port}", f"127.0.0.1:{server.port}", "[::1]:1"):
        assert httpx.get(f"{server.url}/healthcheck", headers={"host": host}).status_code == 200
    rebound = httpx.get(
        f"{server.url}/v1/datasets", headers={"host": f"evil.example:{server.port}"}
    )
    assert rebound.status_code == 421
    assert rebound.json()["code"] == "host-not-allowed"
    read = f"{server.url}/v1/datasets/d/tables/t/entries/k"  # the fast path is guarded too
    assert httpx.get(read, headers={"host": "evil.example"}).status_code == 421


def test_allowed_hosts_are_configurable(tmp_path: Path) -> None:
    server = OptimusServer(
        tmp_path / "data", "--allowed-hosts", "optimus.internal,127.0.0.1"
    ).start()
    try:
        health = f"{server.url}/healthcheck"
        assert httpx.get(health, headers={"host": "optimus.internal:80"}).status_code == 200
        assert httpx.get(health, headers={"host": "localhost"}).status_code == 421
    finally:
        server.stop()


def test_entries_are_served_as_inert_data_with_cache_headers_by_pinning(api: Api) -> None:
    dataset = api.create_dataset(tables=["pages"], **{"content-type": "text/html"})
    version = api.publish_new(dataset, "pages", {"home": "<script>alert(1)</script>"})
    unpinned = api.get(dataset, "pages", "home")
    pinned = api.get(dataset, "pages", "home", version)
    many = api.get_many(dataset, "pages", ["home"], version)
    missing = api.get(dataset, "pages", "nope")
    for response in (unpinned, pinned, many, missing):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert re.fullmatch(
            r"default-src 'none'; sandbox", response.headers["content-security-policy"]
        )
    assert unpinned.text == "<script>alert(1)</script>"
    assert (pinned.headers["cache-control"], many.headers["cache-control"]) == (PINNED, PINNED)
    assert unpinned.headers["cache-control"] == "no-cache"
    assert (
        api.get(dataset, "pages", "home").headers["cache-control"] == "no-cache"
    )  # cached headers
    assert api.get(dataset, "pages", "home", version).headers["cache-control"] == PINNED
