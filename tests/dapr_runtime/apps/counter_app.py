"""A minimal Dapr app for the plumbing tests, run by uvicorn next to a real daprd.

- ``CounterActor`` keeps a count in the actor state store and records its
  activations, deactivations and the interval of each ``Hold`` turn;
- ``/events`` collects the CloudEvents delivered for ``optimus-versions``;
- ``/probe/...`` lets a test read what this process observed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from dapr.actor import Actor, ActorInterface, actormethod
from dapr.actor.runtime.config import ActorRuntimeConfig
from dapr.actor.runtime.runtime import ActorRuntime
from dapr.ext.fastapi import DaprActor, DaprApp
from fastapi import FastAPI, Request

PUBSUB = "optimus-pubsub"
TOPIC = "optimus-versions"

activations: Counter[str] = Counter()
deactivations: Counter[str] = Counter()
received_events: list[dict[str, Any]] = []


class CounterActorInterface(ActorInterface):
    @actormethod(name="Increment")
    async def increment(self, by: int) -> int: ...

    @actormethod(name="Get")
    async def get(self) -> int: ...

    @actormethod(name="Hold")
    async def hold(self, seconds: float) -> list[float]: ...


class CounterActor(Actor, CounterActorInterface):
    async def _on_activate(self) -> None:
        activations[self.id.id] += 1

    async def _on_deactivate(self) -> None:
        deactivations[self.id.id] += 1

    async def increment(self, by: int) -> int:
        count = await self.get() + by
        await self._state_manager.set_state("count", count)
        await self._state_manager.save_state()
        return count

    async def get(self) -> int:
        found, count = await self._state_manager.try_get_state("count")
        return count if found else 0

    async def hold(self, seconds: float) -> list[float]:
        """Occupy one turn; the returned [start, end] lets a test check for overlap."""
        start = time.monotonic()
        await asyncio.sleep(seconds)
        return [start, time.monotonic()]


# Deactivate idle actors after a second, so a test can observe a reload from the store.
ActorRuntime.set_actor_config(
    ActorRuntimeConfig(
        actor_idle_timeout=timedelta(seconds=1), actor_scan_interval=timedelta(seconds=1)
    )
)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    await actors.register_actor(CounterActor)
    yield


app = FastAPI(lifespan=lifespan)
actors = DaprActor(app)  # also serves GET /healthz
dapr_app = DaprApp(app)


@dapr_app.subscribe(pubsub=PUBSUB, topic=TOPIC, route="/events")
async def on_version_event(request: Request) -> dict[str, str]:
    received_events.append(await request.json())
    return {"status": "SUCCESS"}


@app.get("/probe/events")
async def probe_events() -> list[dict[str, Any]]:
    return received_events


@app.get("/probe/lifecycle/{actor_id}")
async def probe_lifecycle(actor_id: str) -> dict[str, int]:
    return {"activations": activations[actor_id], "deactivations": deactivations[actor_id]}
