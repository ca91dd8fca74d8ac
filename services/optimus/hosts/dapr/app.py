"""What the Dapr host adds to the API app: the DatasetActor, the event subscription, readiness."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from dapr.actor import ActorRuntime
from dapr.clients.exceptions import DaprGrpcError
from dapr.ext.fastapi import DaprActor, DaprApp
from fastapi import FastAPI
from grpc import StatusCode
from grpc.aio import AioRpcError
from starlette.responses import Response

from optimus.entrypoints.api.error_mapping import ErrorMapper, Rendered, render_json_error
from optimus.entrypoints.api.responses import ack, error_body, json_response
from optimus.hosts.dapr.actor import ActorServices, DatasetActor
from optimus.hosts.dapr.actor_client import DatasetActors
from optimus.hosts.dapr.faults import store_refused_write
from optimus.hosts.dapr.refresher import ViewRefresher
from optimus.hosts.dapr.version_events import deliver_version_event
from optimus.service_layer.watching import EventFeed

log = logging.getLogger(__name__)

EVENTS_ROUTE = "/events/optimus-versions"


@dataclass
class DaprBackground:
    """Starts what a Dapr replica runs beside requests, and stops it in order."""

    actor_services: ActorServices
    actors: DatasetActors
    refresher: ViewRefresher
    # False on a replica whose sidecar has a gRPC app channel: the SDK serves actors over HTTP.
    serve_actors: bool = True

    async def start(self) -> None:
        if self.serve_actors:
            await ActorRuntime.register_actor(
                DatasetActor,
                actor_factory=lambda ctx, actor_id: DatasetActor(
                    ctx, actor_id, self.actor_services
                ),
            )
        self.refresher.start()

    async def stop(self) -> None:
        await self.refresher.stop()
        await self.actor_services.jobs.stop()
        await self.actors.close()
        await self.actor_services.client.close()


def _sidecar_error(exc: Exception) -> Rendered:
    """A call through the sidecar failed: 503 (retry later) when the sidecar is unreachable
    or its state store refuses writes."""
    code = exc.code() if isinstance(exc, AioRpcError | DaprGrpcError) else None
    if code in (StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED):
        message = "the Dapr sidecar is unavailable; retry shortly"
        return render_json_error(503, message, "unavailable", {"Retry-After": "1"})
    details = exc.details() if isinstance(exc, AioRpcError | DaprGrpcError) else None
    if store_refused_write(details):
        log.warning("the state store refuses writes: %s", details)
        message = "the state store refuses writes; nothing was written: retry shortly"
        return render_json_error(503, message, "store-unavailable", {"Retry-After": "1"})
    log.error("sidecar call failed: %s", exc)
    return render_json_error(502, f"a Dapr call failed: {code}", "sidecar-error")


def dapr_routes(background: DaprBackground, feed: EventFeed) -> Callable[[FastAPI], None]:
    """What a Dapr replica adds to the API: the actor routes, the event subscription, readiness."""

    def install(app: FastAPI) -> None:
        names = background.actor_services.names
        if background.serve_actors:  # else the sidecar talks gRPC to the app (grpc_callbacks.py)
            DaprActor(app)

            @DaprApp(app).subscribe(pubsub=names.pubsub, topic=names.topic, route=EVENTS_ROUTE)
            async def on_version_event(event: dict) -> dict:
                await deliver_version_event(event.get("data"), background.refresher, feed)
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
                return json_response(
                    error_body("the Dapr sidecar does not answer", "not-ready"), 503
                )
            return json_response(ack("ready"))

        errors: ErrorMapper = app.state.errors
        errors.register(AioRpcError, _sidecar_error)
        errors.register(DaprGrpcError, _sidecar_error)

    return install
