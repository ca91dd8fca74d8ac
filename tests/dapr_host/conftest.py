"""Fixtures for Optimus on the real Dapr runtime: clusters, API replicas, crash helpers."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import httpx
import pytest

from optimus.dapr_runtime import AppReplica, DaprCluster
from tests.support.dapr_optimus import wait_ready


@pytest.fixture
def redis_cluster(tmp_path) -> Iterator[DaprCluster]:
    with DaprCluster("redis", tmp_path / "run") as cluster:
        yield cluster


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
    cluster = getattr(item, "funcargs", {}).get("redis_cluster")
    if report.failed and isinstance(cluster, DaprCluster):
        report.sections.append(("dapr logs", cluster.log_tails()))
    return report
