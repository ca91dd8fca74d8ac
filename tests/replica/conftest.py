"""A real server on each host for the local replica: REST to load and publish, gRPC to follow.

`restart()` stops the server and starts it again on the same ports (and data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from optimus.client import ReplicaSource
from optimus.dapr_runtime import DaprCluster
from tests.support.api import Api
from tests.support.dapr_optimus import start_api, wait_ready
from tests.support.ports import free_port
from tests.support.server import OptimusServer

HOSTS = ["embedded", "dapr-local"]


@dataclass(frozen=True)
class Server:
    host: str
    source: ReplicaSource
    restart: Callable[[], None]
    data_dir: Path | None  # the embedded host's, to reach its RocksDB while it is stopped
    stop: Callable[[], None]
    start: Callable[[], None]


@pytest.fixture(scope="session", params=HOSTS)
def server(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Server]:
    grpc_port = free_port()
    grpc_address = f"127.0.0.1:{grpc_port}"
    if request.param == "embedded":
        data_dir = tmp_path_factory.mktemp("replica") / "data"
        process = OptimusServer(data_dir, "--grpc-port", str(grpc_port)).start()

        def start() -> None:
            process.start(same_port=True)

        def restart() -> None:
            process.stop()
            start()

        try:
            source = ReplicaSource(process.base_url, grpc_address)
            yield Server("embedded", source, restart, data_dir, process.stop, start)
        finally:
            process.stop()
        return
    with DaprCluster("local", tmp_path_factory.mktemp("replica-dapr")) as cluster:
        app = start_api(cluster, "--grpc-port", str(grpc_port))

        def restart_app() -> None:
            app.restart()
            wait_ready(app)

        source = ReplicaSource(f"{app.app_url}/v1", grpc_address)
        yield Server("dapr-local", source, restart_app, None, app.stop, restart_app)


@pytest.fixture
def api(server: Server) -> Iterator[Api]:
    with httpx.Client(base_url=server.source.rest_url, timeout=60) as http:
        yield Api(http)
