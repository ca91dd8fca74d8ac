"""Optimus on the real Dapr runtime for tests: the API app (and its sidecar) on a cluster."""

from __future__ import annotations

import sys

from optimus.dapr_runtime import AppReplica, AppSpec, DaprCluster
from optimus.dapr_runtime.processes import free_ports
from optimus.hosts.dapr.components import API_APP_ID, READS_APP_ID
from tests.support.waiting import answers_200, eventually


def optimus_api(*extra_args: str) -> AppSpec:
    """`optimus serve --dapr` as app id optimus-api."""
    command = [
        sys.executable, "-m", "optimus", "serve", "--dapr",
        "--port", "{app_port}", "--log-level", "warning", *extra_args,
    ]  # fmt: skip
    return AppSpec(API_APP_ID, command, health_path="/healthcheck")


def wait_ready(replica: AppReplica, timeout: float = 60.0) -> AppReplica:
    """Until the replica has joined placement and loaded its dataset views."""
    url = f"{replica.app_url}/readyz"
    eventually(lambda: answers_200(url), timeout=timeout, pause=0.1, what=f"{replica.name} ready")
    return replica


def start_api(cluster: DaprCluster, *extra_args: str) -> AppReplica:
    return wait_ready(cluster.add_app(optimus_api(*extra_args)))


def invocation_url(replica: AppReplica) -> str:
    """The API's /v1 as consumers reach it: Dapr service invocation through this sidecar."""
    return f"{replica.http_endpoint}/v1.0/invoke/{API_APP_ID}/method/v1"


def start_reads(cluster: DaprCluster, *extra_args: str) -> tuple[AppReplica, str]:
    """`optimus serve --dapr` as app id optimus-reads: the sidecar's app port is its gRPC port.

    Returns the replica and its own REST URL (not reached through the sidecar).
    """
    (rest_port,) = free_ports(1)
    command = [
        sys.executable, "-m", "optimus", "serve", "--dapr", "--grpc-app-channel",
        "--grpc-port", "{app_port}", "--port", str(rest_port), "--log-level", "warning",
        *extra_args,
    ]  # fmt: skip
    replica = cluster.add_app(AppSpec(READS_APP_ID, command, app_protocol="grpc"))
    rest_url = f"http://127.0.0.1:{rest_port}"
    eventually(
        lambda: answers_200(f"{rest_url}/readyz"), timeout=60, pause=0.1, what="optimus-reads ready"
    )
    return replica, rest_url
