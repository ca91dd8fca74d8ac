"""/docs and /redoc work without the internet: every asset they load comes from the server."""

from __future__ import annotations

import re

import httpx

from tests.support.server import OptimusServer


def test_the_docs_pages_load_every_asset_from_the_server(server: OptimusServer) -> None:
    for page in ("/docs", "/redoc"):
        html = httpx.get(f"{server.url}{page}").text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets, html
        assert not re.search(r"https?://", html), html  # no CDN
        for asset in assets:
            response = httpx.get(f"{server.url}{asset}")
            assert response.status_code == 200, asset
            assert len(response.content) > 1000, asset
    schema = httpx.get(f"{server.url}/openapi.json")
    assert schema.json()["info"]["title"] == "Optimus API"
