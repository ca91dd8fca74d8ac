"""The ASGI application: FastAPI routes under /v1, behind the fast single-key read path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.types import ASGIApp

from optimus import __version__
from optimus.entrypoints.api import (
    routes_datasets,
    routes_entries,
    routes_patches,
    routes_publications,
    routes_pull,
    routes_versions,
)
from optimus.entrypoints.api.errors import install_error_handlers
from optimus.entrypoints.api.fast_reads import FastEntryReads
from optimus.entrypoints.api.responses import ack, json_response
from optimus.service_layer.services import Services

DESCRIPTION = """\
A versioned, transactional key/value store for reference data and model
coefficients. Create a version of a dataset, load entries into it (in
parallel batches), save it (entries are counted, digested and verified),
then publish it: every reader switches at once. Re-publishing an earlier
version is the rollback. Compatible with trainline Optimus's API.
"""


def create_fastapi(services: Services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await services.background.start()
        try:
            yield
        finally:
            await services.background.stop()
            services.close()

    app = FastAPI(
        title="Optimus API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    services.host_routes(app)
    routers = (
        routes_datasets,
        routes_versions,
        routes_entries,
        routes_patches,
        routes_publications,
        routes_pull,
    )
    for module in routers:
        app.include_router(module.router, prefix="/v1")

    @app.get("/healthcheck", tags=["health"], summary="200 while the service is running")
    async def healthcheck() -> Response:
        return json_response(ack("The service is running normally."))

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app


def create_app(services: Services) -> ASGIApp:
    return FastEntryReads(create_fastapi(services), services.reader, services.max_request_bytes)
