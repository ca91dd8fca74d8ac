"""Fixtures that run the real Dapr runtime (see optimus.dapr_runtime).

One cluster per component set for the whole session, with the counter test app
(tests/dapr_runtime/apps/counter_app.py) attached as ``optimus-api``. Tests that take
``cluster`` or ``api`` run once per component set. When such a test fails, the
log tail of each process of its cluster is added to the report.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from dapr.actor import ActorId, ActorProxy
from dapr.aio.clients import DaprClient
from dapr.conf import settings

from optimus.dapr_runtime import (
    AppReplica,
    AppSpec,
    ComponentSet,
    DaprBinaries,
    DaprCluster,
    python_app,
    resolve_binaries,
)

APPS_DIR = Path(__file__).parent / "apps"
API_APP_ID = "optimus-api"
# Only OPTIMUS_SECRET_* variables of the sidecar are visible in optimus-secrets.
API_SIDECAR_ENV = {"OPTIMUS_SECRET_PLUMBING": "s3cret", "NOT_A_SECRET": "hidden"}
T = TypeVar("T")


def counter_app(app_id: str, sidecar_env: dict[str, str] | None = None) -> AppSpec:
    return AppSpec(app_id, python_app("counter_app:app", APPS_DIR), sidecar_env=sidecar_env or {})


@pytest.fixture(scope="session")
def dapr_binaries() -> DaprBinaries:
    """Built from tools/dapr on first use (cached), or OPTIMUS_DAPR_BIN_DIR."""
    return resolve_binaries()


@pytest.fixture(scope="session", params=list(ComponentSet), ids=str)
def cluster(
    request: pytest.FixtureRequest,
    dapr_binaries: DaprBinaries,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DaprCluster]:
    run_dir = tmp_path_factory.mktemp(f"dapr-{request.param}")
    with DaprCluster(request.param, run_dir, dapr_binaries) as running:
        yield running


@pytest.fixture(scope="session")
def api(cluster: DaprCluster) -> AppReplica:
    return cluster.add_app(counter_app(API_APP_ID, API_SIDECAR_ENV))


@pytest.fixture
def sdk_settings(api: AppReplica, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the SDK's global settings (used by ActorProxy) at this test's sidecar."""
    monkeypatch.setattr(settings, "DAPR_HTTP_ENDPOINT", api.http_endpoint)
    monkeypatch.setattr(settings, "DAPR_GRPC_ENDPOINT", api.grpc_endpoint)


@pytest.fixture
async def dapr_client(api: AppReplica, sdk_settings: None) -> AsyncIterator[DaprClient]:
    async with DaprClient(address=api.grpc_endpoint) as client:
        yield client


class Counter:
    """CounterActor (see apps/counter_app.py) called through daprd by the SDK's ActorProxy."""

    def __init__(self, actor_id: str) -> None:
        self.actor_id = actor_id
        self._proxy = ActorProxy.create("CounterActor", ActorId(actor_id))

    async def call(self, method: str, argument: object = None) -> Any:
        body = None if argument is None else json.dumps(argument).encode()
        return json.loads(await self._proxy.invoke_method(method, body))


@pytest.fixture
def counter(sdk_settings: None) -> Callable[[str], Counter]:
    """A fresh actor id per test keeps tests independent on the shared cluster."""
    return lambda name: Counter(f"{name}-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def probe(api: AppReplica) -> Callable[[str], Any]:
    """GET a /probe URL of the test app: what that process observed."""

    def get(path: str) -> Any:
        with httpx.Client(base_url=api.app_url, trust_env=False, timeout=5.0) as client:
            response = client.get(path)
            response.raise_for_status()
            return response.json()

    return get


@pytest.fixture
def attach_app(cluster: DaprCluster) -> Iterator[Callable[[str], AppReplica]]:
    """Start more counter-app replicas (any app id) on the cluster; stopped after the test."""
    started: list[AppReplica] = []

    def attach(app_id: str) -> AppReplica:
        started.append(cluster.add_app(counter_app(app_id)))
        return started[-1]

    yield attach
    for replica in started:
        replica.stop()


@pytest.fixture
def eventually() -> Callable[..., Awaitable[Any]]:
    return _eventually


async def _eventually(
    observe: Callable[[], T], until: Callable[[T], bool], timeout: float = 20.0
) -> T:
    """Poll ``observe`` until ``until`` accepts its value; the last value is in the error."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not until(value := observe()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.2)
    return value


def pytest_collection_finish(session: pytest.Session) -> None:
    """Find or build the sidecar before any test starts, outside per-test timeouts
    (a cold build takes minutes)."""
    if any("dapr_binaries" in getattr(item, "fixturenames", ()) for item in session.items):
        resolve_binaries()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    used = getattr(item, "funcargs", {}).get("cluster")
    if report.failed and isinstance(used, DaprCluster):
        report.sections.append((f"dapr logs ({used.component_set})", used.log_tails()))
    return report
