"""The API as a Dapr app: the same FastAPI app, plus the DatasetActor and the event subscription."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from dapr.actor import ActorRuntime
from dapr.clients.exceptions import DaprGrpcError
from dapr.ext.fastapi import DaprActor, DaprApp
from fastapi import FastAPI, Request
from grpc import StatusCode
from grpc.aio import AioRpcError
from starlette.responses import Response
from starlette.types import ASGIApp

from optimus.adapters.dapr.actors import DatasetActors
from optimus.adapters.dapr.faults import store_refused_write
from optimus.adapters.dapr.refresher import ViewRefresher
from optimus.entrypoints.api.app import create_fastapi
from optimus.entrypoints.api.fast_reads import FastEntryReads
from optimus.entrypoints.api.responses import ack, error_body, json_response
from optimus.entrypoints.dapr.actor import ActorServices, DatasetActor
from optimus.service_layer.services import Services

log = logging.getLogger(__name__)

EVENTS_ROUTE = "/events/optimus-versions"


@dataclass
class DaprBackground:
    """Starts what a Dapr replica runs beside requests, and stops it in order."""

    actor_services: ActorServices
    actors: DatasetActors
    refresher: ViewRefresher

    async def start(self) -> None:
        await ActorRuntime.register_actor(
            DatasetActor,
            actor_factory=lambda ctx, actor_id: DatasetActor(ctx, actor_id, self.actor_services),
        )
        self.refresher.start()

    async def stop(self) -> None:
        await self.refresher.stop()
        await self.actor_services.jobs.stop()
        await self.actors.close()
        await self.actor_services.client.close()


async def _sidecar_error(_: Request, exc: Exception) -> Response:
    """A call through the sidecar failed: 503 (retry later) when the sidecar is unreachable
    or its state store refuses writes."""
    code = exc.code() if isinstance(exc, AioRpcError | DaprGrpcError) else None
    if code in (StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED):
        body = error_body("the Dapr sidecar is unavailable; retry shortly", "unavailable")
        return json_response(body, 503, {"Retry-After": "1"})
    details = exc.details() if isinstance(exc, AioRpcError | DaprGrpcError) else None
    if store_refused_write(details):
        log.warning("the state store refuses writes: %s", details)
        message = "the state store refuses writes; nothing was written: retry shortly"
        return json_response(error_body(message, "store-unavailable"), 503, {"Retry-After": "1"})
    log.error("sidecar call failed: %s", exc)
    return json_response(error_body(f"a Dapr call failed: {code}", "sidecar-error"), 502)


def create_dapr_app(services: Services, background: DaprBackground) -> ASGIApp:
    app: FastAPI = create_fastapi(services)
    DaprActor(app)
    names = background.actor_services.names

    @DaprApp(app).subscribe(pubsub=names.pubsub, topic=names.topic, route=EVENTS_ROUTE)
    async def on_version_event(event: dict) -> dict:
        data = event.get("data")
        if isinstance(data, dict) and "dataset" in data and "revision" in data:
            background.refresher.apply_event(data)
        return {"status": "SUCCESS"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="200 while this replica reaches its sidecar and has loaded its dataset views",
    )
    async def ready() -> Response:
        if not background.refresher.synced.is_set():
            return json_response(error_body("loading dataset views", "not-ready"), 503)
        try:
            await asyncio.wait_for(background.actor_services.client.get_metadata(), 2)
        except Exception:
            return json_response(error_body("the Dapr sidecar does not answer", "not-ready"), 503)
        return json_response(ack("ready"))

    app.add_exception_handler(AioRpcError, _sidecar_error)
    app.add_exception_handler(DaprGrpcError, _sidecar_error)

    return FastEntryReads(app, services.reader, services.max_request_bytes)
