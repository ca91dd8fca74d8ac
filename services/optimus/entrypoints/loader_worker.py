"""The loader worker: a Dapr app (app id optimus-loader) that loads chunks of a load.

`optimus load --workers optimus-loader` sends it, through Dapr service
invocation, one source of the load plan at a time. The worker reads the
source itself (the path must be readable where the worker runs: a shared
volume or object-store mount), encodes it with the loader's rules, and
writes its batches straight into the entries state store through its own
sidecar, with the same fence as the API. It answers with one record per
batch (id, counts, digest, bad rows), which the coordinator journals: so
throughput grows with the number of workers, and a resumed load skips what
any worker had finished.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from dapr.aio.clients import DaprClient
from fastapi import FastAPI, Request
from pydantic import BaseModel

from optimus.entrypoints.api.metrics import (
    METRICS_PATH,
    CountedRequests,
    OptimusCollector,
    RequestCounts,
    metrics_endpoint,
    metrics_registry,
)
from optimus.entrypoints.api.request_ids import RequestIds, RequestIdSource
from optimus.entrypoints.api.responses import error_body, json_response
from optimus.hosts.dapr.actor_client import DatasetActors
from optimus.hosts.dapr.components import DaprNames
from optimus.hosts.dapr.entry_store import DaprEntryStore
from optimus.hosts.dapr.fence import DaprWriteFence
from optimus.hosts.dapr.loader_sink import DaprStateSink
from optimus.loader.encoding import EncodingRules
from optimus.loader.errors import LoadFailed
from optimus.loader.pipeline import PipelineSettings, load_sources
from optimus.loader.plan import LoadPlan
from optimus.loader.progress import LogProgress
from optimus.loader.retry import RetryPolicy
from optimus.loader.writer import BatchRecord, BatchWriter
from optimus.service_layer.metering import Meter
from optimus.service_layer.views import ReadViews

CHUNKS_ROUTE = "/v1/chunks"


class ChunkRequest(BaseModel):
    """One source of a load plan, to load into a version."""

    version_id: str
    tables: list[str]
    content_type: str
    plan: dict[str, Any]
    source: int  # its index in the plan
    done: list[str] = []  # batch ids already acknowledged (a resumed load)
    concurrency: int = 4


@dataclass
class WorkerServices:
    client: DaprClient
    actors: DatasetActors
    store: DaprEntryStore
    fence: DaprWriteFence


def create_worker_app() -> RequestIds:
    """Call inside the running event loop (uvicorn factory): the gRPC clients bind to it."""
    meter = Meter()
    requests = RequestCounts()
    client = DaprClient()  # waits until the sidecar answers
    actors = DatasetActors()
    services = WorkerServices(
        client, actors, DaprEntryStore(client, actors, DaprNames.from_env()), DaprWriteFence(actors)
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await actors.close()
            await client.close()

    app = FastAPI(title="Optimus loader worker", lifespan=lifespan)

    @app.post(CHUNKS_ROUTE)
    async def load_chunk(chunk: ChunkRequest, request: Request) -> Any:
        plan = LoadPlan.from_json(chunk.plan)
        if not 0 <= chunk.source < len(plan.sources):
            return json_response(error_body("no such source in the plan", "invalid-input"), 400)
        rules = EncodingRules.of(plan, chunk.tables, chunk.content_type)
        sink = DaprStateSink(services.store, services.fence, plan.dataset, chunk.version_id)
        records: list[BatchRecord] = []
        progress = LogProgress()  # retries and a line every few seconds, in the worker's log
        try:
            await load_sources(
                [(chunk.source, plan.sources[chunk.source])],
                PipelineSettings(
                    plan.mapping, rules, plan.limits, chunk.concurrency, plan.max_bad_rows
                ),
                BatchWriter(sink, RetryPolicy(), progress.note),
                done={batch_id: BatchRecord(batch_id) for batch_id in chunk.done},
                on_record=records.append,
                progress=progress,
            )
        except LoadFailed as failed:
            return json_response(error_body(str(failed), "load-failed"), 409)
        meter.entries_loaded += sum(sum(r.stats.counts.values()) for r in records)
        return json_response({"status": "OK", "records": [r.to_json() for r in records]})

    @app.get("/healthcheck")
    async def healthcheck() -> Any:
        return json_response({"status": "OK", "message": "The loader worker is running."})

    # A worker serves no datasets: its figures are its requests and the entries it wrote.
    collector = OptimusCollector(requests, meter, ReadViews(), dict)
    app.add_route(METRICS_PATH, metrics_endpoint(metrics_registry(collector)), ["GET"], False)
    return RequestIds(CountedRequests(app, requests), RequestIdSource())
