"""Optimus on a private Dapr cluster (daprd, placement, scheduler, a state store on loopback)."""

from __future__ import annotations

import asyncio
import sys
import time

import httpx
from dapr.aio.clients import DaprClient
from dapr.conf import settings as dapr_settings

from harness.data import store_batches
from optimus.dapr_runtime import AppReplica, AppSpec, DaprCluster
from optimus.hosts.dapr.actor_client import DatasetActors
from optimus.hosts.dapr.components import API_APP_ID, DaprNames
from optimus.hosts.dapr.entry_store import DaprEntryStore
from optimus.hosts.dapr.fence import DaprWriteFence
from optimus.service_layer.ports import Batch

READY_TIMEOUT_S = 60.0
BATCH = 1000  # entries per batch of the writer


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


def use_sidecar(replica: AppReplica) -> None:
    """The Dapr SDK's clients in this process (actor proxies) talk to the replica's sidecar,
    as a loader worker's talk to its own."""
    dapr_settings.DAPR_HTTP_ENDPOINT = replica.http_endpoint
    dapr_settings.DAPR_GRPC_ENDPOINT = replica.grpc_endpoint


async def write_through_dapr(replica: AppReplica, dataset: str, version_id: str, n: int) -> float:
    """Entries/s of `n` batches of BATCH random-order entries written as a loader worker
    writes them (the dataset actor's fence, one state transaction per batch), 4 in flight.

    Needs `use_sidecar(replica)` first.
    """
    client = DaprClient(address=replica.grpc_endpoint)
    actors = DatasetActors()
    store = DaprEntryStore(client, actors, DaprNames())
    fence = DaprWriteFence(actors)
    queue = list(reversed(store_batches(n, BATCH)))

    async def writer() -> None:
        while queue:
            batch = Batch(dataset, version_id, queue.pop())
            async with fence.writing(batch):
                await store.write(batch)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(4)))
    seconds = time.perf_counter() - started
    await actors.close()
    await client.close()
    return n * BATCH / seconds
