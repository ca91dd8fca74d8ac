"""Optimus on a private Dapr cluster (daprd, placement, scheduler, redis-server on loopback)."""

from __future__ import annotations

import sys
import time

import httpx
from optimus.hosts.dapr.components import API_APP_ID

from optimus.dapr_runtime import AppReplica, AppSpec, DaprCluster

READY_TIMEOUT_S = 60.0


def api_spec(*extra: str) -> AppSpec:
    """`optimus serve --dapr`, the API app with the dataset actors, as app id optimus-api."""
    command = [
        sys.executable, "-m", "optimus", "serve", "--dapr", "--port", "{app_port}",
        "--log-level", "warning", *extra,
    ]  # fmt: skip
    return AppSpec(API_APP_ID, command, health_path="/healthcheck")


def add_api(cluster: DaprCluster) -> AppReplica:
    """One more API replica, once it has joined placement and loaded its dataset views."""
    replica = cluster.add_app(api_spec())
    deadline = time.monotonic() + READY_TIMEOUT_S
    while httpx.get(f"{replica.app_url}/readyz", timeout=5).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{replica.name} not ready: {cluster.log_tails()}")
        time.sleep(0.1)
    return replica


def invoke_url(replica: AppReplica) -> str:
    """The API's /v1 as consumers reach it: service invocation through the replica's sidecar."""
    return f"{replica.http_endpoint}/v1.0/invoke/{API_APP_ID}/method/v1"
