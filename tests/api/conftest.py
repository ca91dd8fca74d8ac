"""REST behaviour tests run against a real server over HTTP, on every host."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.api import Api
from tests.support.server import OptimusServer


@pytest.fixture(scope="session", params=["embedded"])
def optimus_base_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    server = OptimusServer(tmp_path_factory.mktemp("embedded") / "data", "--gc-grace-seconds", "0")
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture
def client(optimus_base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=optimus_base_url, timeout=30) as http:
        yield http


@pytest.fixture
def api(client: httpx.Client) -> Api:
    return Api(client)
