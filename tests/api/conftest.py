"""REST behaviour tests run against a real server over HTTP, on every host.

`embedded` is `optimus serve`; `dapr-local` and `dapr-redis` are `optimus serve
--dapr` on the real Dapr runtime (SQLite state with in-memory pub/sub, and
Redis state and pub/sub), reached through Dapr service invocation as
consumers reach it; `dapr-postgres` too with OPTIMUS_TEST_POSTGRES=all
(tests/support/component_sets.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from optimus.dapr_runtime import DaprCluster
from tests.support.api import Api
from tests.support.auth import Secured, auth_setup
from tests.support.component_sets import REST_HOSTS
from tests.support.dapr_optimus import invocation_url, start_api
from tests.support.server import OptimusServer

HOSTS = REST_HOSTS


@pytest.fixture(scope="session", params=HOSTS)
def optimus_base_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    host: str = request.param
    if host == "embedded":
        server = OptimusServer(
            tmp_path_factory.mktemp("embedded") / "data", "--gc-grace-seconds", "0"
        )
        server.start()
        try:
            yield server.base_url
        finally:
            server.stop()
        return
    component_set = host.removeprefix("dapr-")
    with DaprCluster(component_set, tmp_path_factory.mktemp(host)) as cluster:
        request.node.stash[CLUSTER] = cluster
        replica = start_api(cluster, "--gc-grace-seconds", "0")
        yield invocation_url(replica)


CLUSTER = pytest.StashKey[DaprCluster]()


@pytest.fixture
def client(optimus_base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=optimus_base_url, timeout=30) as http:
        yield http


@pytest.fixture
def api(client: httpx.Client) -> Api:
    return Api(client)


@pytest.fixture(scope="session", params=HOSTS)
def secured(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Secured]:
    """A server of each host with authentication on (tokens file and OIDC), beside the open one."""
    host: str = request.param
    auth_file, tokens, issuer = auth_setup(tmp_path_factory.mktemp(f"auth-{host}"))
    args = ("--gc-grace-seconds", "0", "--auth-file", str(auth_file), *issuer.serve_args())
    if host == "embedded":
        server = OptimusServer(tmp_path_factory.mktemp("secured") / "data", *args)
        server.start()
        try:
            yield Secured(server.base_url, auth_file, tokens, issuer)
        finally:
            server.stop()
        return
    with DaprCluster(
        host.removeprefix("dapr-"), tmp_path_factory.mktemp(f"secured-{host}")
    ) as cluster:
        yield Secured(invocation_url(start_api(cluster, *args)), auth_file, tokens, issuer)
