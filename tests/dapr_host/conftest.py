"""Fixtures for Optimus on the real Dapr runtime: clusters, API replicas, crash helpers.

``cluster`` is the redis component set (Redis state and pub/sub). Tests whose
outcome depends on the state store (GC, entries shared by app ids, durability
under kills) are marked ``on_postgres_too`` and also run on the postgres set
(PostgreSQL state, pub/sub on Redis); the others exercise placement and pub/sub,
the same in both sets, and would add minutes to every CI run.
OPTIMUS_TEST_POSTGRES=all runs every test on the postgres set too
(tests/support/component_sets.py).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import httpx
import pytest

from optimus.dapr_runtime import AppReplica, ComponentSet, DaprCluster
from tests.support.component_sets import DAPR_HOST_SETS
from tests.support.dapr_optimus import wait_ready


@pytest.fixture(params=DAPR_HOST_SETS, ids=str)
def cluster(request: pytest.FixtureRequest, tmp_path) -> Iterator[DaprCluster]:
    with DaprCluster(request.param, tmp_path / "run") as running:
        yield running


on_postgres_too = pytest.mark.parametrize(
    "cluster", [ComponentSet.REDIS, ComponentSet.POSTGRES], indirect=True, ids=str
)


def api_client(replica: AppReplica) -> httpx.Client:
    return httpx.Client(base_url=f"{replica.app_url}/v1", timeout=60)


def kill_and_restart(replica: AppReplica, victim: str) -> None:
    """SIGKILL the replica's app or its daprd, start it again on the same ports, wait ready."""
    process = replica.app if victim == "app" else replica.daprd
    assert process.pid is not None
    os.killpg(process.pid, signal.SIGKILL)
    process.stop()  # reaps it
    process.start()
    wait_ready(replica)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    cluster = getattr(item, "funcargs", {}).get("cluster")
    if report.failed and isinstance(cluster, DaprCluster):
        report.sections.append((f"dapr logs ({cluster.component_set})", cluster.log_tails()))
    return report
