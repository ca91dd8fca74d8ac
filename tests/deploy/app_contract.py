"""What the application code says about how it must be deployed.

The values come from the code itself, never restated here: the CLI parses the
container args, the Dapr app (built on stub services, so it does no I/O) answers
its health and subscription routes, DaprNames resolves component names from a
container's environment the way the app does at startup.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from unittest import mock

import httpx
import typer
from starlette.types import ASGIApp

from optimus.entrypoints.api.app import create_app
from optimus.entrypoints.cli import cli
from optimus.hosts.dapr.app import dapr_routes
from optimus.hosts.dapr.components import DaprNames
from optimus.service_layer.metering import Meter
from optimus.service_layer.views import ReadViews
from optimus.service_layer.watching import EventFeed

SUBSCRIBE_PATH = "/dapr/subscribe"  # where Dapr asks an app for its subscriptions


@dataclass(frozen=True)
class Subscription:
    pubsub: str
    topic: str
    route: str


def names_in(env: dict[str, str]) -> DaprNames:
    """The component names a container with this environment uses."""
    with mock.patch.dict(os.environ, env, clear=True):
        return DaprNames.from_env()


def parse_args(args: list[str]) -> tuple[str, dict[str, Any]] | None:
    """(command, its parameters) as `optimus ARGS` parses them; None if it refuses them."""
    group = typer.main.get_command(cli)
    if not args or (command := group.get_command(group.context_class(group), args[0])) is None:
        return None
    try:
        return args[0], command.make_context(args[0], list(args[1:])).params
    except Exception:  # typer's (vendored) click refuses the args with a UsageError
        return None


class ApiProbe:
    """`optimus serve --dapr`'s app with nothing behind it: no sidecar, no views loaded."""

    def __init__(self, names: DaprNames) -> None:
        background = SimpleNamespace(
            actor_services=SimpleNamespace(names=names),
            refresher=SimpleNamespace(synced=asyncio.Event()),
            serve_actors=True,  # optimus-api's (optimus-reads has a gRPC app channel)
        )
        services = SimpleNamespace(
            reader=None,
            audit=None,
            max_request_bytes=1 << 20,
            host_routes=dapr_routes(background, EventFeed()),
            host_layer=lambda app: app,
            meter=Meter(),
            host=SimpleNamespace(views=ReadViews()),
            engine_figures=dict,
            authenticator=None,  # the probes answer without a token either way
        )
        self._app = create_app(services)  # type: ignore[arg-type]

    def status(self, path: str) -> int:
        return _get(self._app, path).status_code

    def subscriptions(self) -> list[Subscription]:
        return subscriptions_of(self._app)


def consumer_example_subscriptions() -> list[Subscription]:
    """What the example consumer app (optimus.examples.consumer_app) subscribes to itself."""
    from optimus.examples.consumer_app import app  # builds the app; I/O only in its lifespan

    return subscriptions_of(app)


def subscriptions_of(app: ASGIApp) -> list[Subscription]:
    return [
        Subscription(s["pubsubname"], s["topic"], s["route"])
        for s in _get(app, SUBSCRIBE_PATH).json()
    ]


def _get(app: ASGIApp, path: str) -> httpx.Response:
    """GET on the ASGI app, without running its lifespan (no sidecar, no I/O)."""

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.get(path)

    return asyncio.run(get())
