"""The API as a Dapr app: the same FastAPI app, plus the DatasetActor and the event subscription."""

from __future__ import annotations

from dataclasses import dataclass

from dapr.actor import ActorRuntime
from dapr.ext.fastapi import DaprActor, DaprApp
from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import ASGIApp

from optimus.adapters.dapr.actors import DatasetActors
from optimus.adapters.dapr.refresher import ViewRefresher
from optimus.entrypoints.api.app import create_fastapi
from optimus.entrypoints.api.fast_reads import FastEntryReads
from optimus.entrypoints.api.responses import ack, error_body, json_response
from optimus.entrypoints.dapr.actor import ActorServices, DatasetActor
from optimus.service_layer.services import Services

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

    @app.get("/readyz", tags=["health"], summary="200 once this replica's views are loaded")
    async def ready() -> Response:
        if background.refresher.synced.is_set():
            return json_response(ack("ready"))
        return json_response(error_body("loading dataset views", "not-ready"), 503)

    return FastEntryReads(app, services.reader)
