"""The gRPC API against a real server on every host, loaded and published through REST.

`embedded` is `optimus serve --grpc-port`; `dapr-local` is `optimus serve --dapr
--grpc-port` on the real Dapr runtime (SQLite state, in-memory pub/sub), its
gRPC port called directly (tests/grpc/test_through_dapr.py goes through the sidecar).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import httpx
import pytest

from optimus.dapr_runtime import DaprCluster
from optimus.v1 import optimus_pb2_grpc
from tests.support.api import Api
from tests.support.dapr_optimus import start_api
from tests.support.ports import free_port
from tests.support.server import OptimusServer

HOSTS = ["embedded", "dapr-local"]


@dataclass(frozen=True)
class Optimus:
    """A running server: REST to prepare data, gRPC to read it."""

    api: Api
    stub: optimus_pb2_grpc.OptimusStub
    channel: grpc.Channel


@pytest.fixture(scope="session", params=HOSTS)
def grpc_address(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """(REST base URL, gRPC address) of a server on the host."""
    port = free_port()
    if request.param == "embedded":
        server = OptimusServer(tmp_path_factory.mktemp("grpc") / "data", "--grpc-port", str(port))
        server.start()
        try:
            yield server.base_url, f"127.0.0.1:{port}"
        finally:
            server.stop()
        return
    with DaprCluster("local", tmp_path_factory.mktemp("grpc-dapr")) as cluster:
        replica = start_api(cluster, "--grpc-port", str(port))
        yield f"{replica.app_url}/v1", f"127.0.0.1:{port}"


@pytest.fixture
def optimus(grpc_address: tuple[str, str]) -> Iterator[Optimus]:
    rest_url, address = grpc_address
    with httpx.Client(base_url=rest_url, timeout=30) as http, grpc.insecure_channel(address) as ch:
        yield Optimus(Api(http), optimus_pb2_grpc.OptimusStub(ch), ch)
