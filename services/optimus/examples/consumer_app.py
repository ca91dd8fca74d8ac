"""An example consumer: a Dapr app that reads Optimus entries and follows publishes.

It reaches `optimus-api` through its own sidecar (service invocation) with the
client SDK, which caches entries by version id (versions never change, so a
cached entry never goes stale). The only thing that moves is each dataset's
active pointer: this app subscribes to `optimus-versions` so it switches as
soon as a version is published, and the client also re-checks the pointer at
a bounded interval. Run it next to Optimus with app id
`optimus-consumer-example`:

    python -m uvicorn optimus.examples.consumer_app:app --port 8890

(its sidecar sets DAPR_HTTP_PORT). GET /recommendations/{dataset}/{table}/{key}
answers a value and the version it came from; GET /events lists the version
events received.
"""

from __future__ import annotations

import collections
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dapr.ext.fastapi import DaprApp
from fastapi import FastAPI, HTTPException

from optimus.client import AsyncOptimusClient, KeyNotFound, NotFound
from optimus.hosts.dapr.components import API_APP_ID, DaprNames

EVENTS_ROUTE = "/events/optimus-versions"
RECENT_EVENTS = 100


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.optimus = AsyncOptimusClient.via_dapr(
        os.environ.get("OPTIMUS_APP_ID", API_APP_ID), active_ttl=5.0
    )
    try:
        yield
    finally:
        await app.state.optimus.aclose()


app = FastAPI(title="Optimus consumer example", lifespan=lifespan)
names = DaprNames.from_env()
received: collections.deque[dict[str, Any]] = collections.deque(maxlen=RECENT_EVENTS)


@DaprApp(app).subscribe(pubsub=names.pubsub, topic=names.topic, route=EVENTS_ROUTE)
async def on_version_event(event: dict[str, Any]) -> dict[str, str]:
    """Dapr delivers each version event here at least once; applying one twice is harmless."""
    received.append({"id": event.get("id"), "type": event.get("type"), "data": event.get("data")})
    app.state.optimus.handle_version_event(event)
    return {"status": "SUCCESS"}


@app.get("/recommendations/{dataset}/{table}/{key}")
async def recommendation(dataset: str, table: str, key: str) -> dict[str, Any]:
    optimus: AsyncOptimusClient = app.state.optimus
    try:
        async with optimus.pin(dataset) as snapshot:
            return {"version": snapshot.version_id, "value": await snapshot.get(table, key)}
    except (KeyNotFound, NotFound) as missing:
        raise HTTPException(404, str(missing)) from None


@app.get("/events")
async def events() -> list[dict[str, Any]]:
    return list(received)


@app.get("/healthcheck")
async def healthcheck() -> dict[str, str]:
    return {"status": "OK"}
