"""The ASGI application: FastAPI routes under /v1, behind the fast entry reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp

from optimus import __version__
from optimus.adapters.clock import SystemClock
from optimus.entrypoints.api import (
    routes_audit,
    routes_datasets,
    routes_diffs,
    routes_entries,
    routes_history,
    routes_tracks,
    routes_versions,
)
from optimus.entrypoints.api.allowed_methods import allowed_methods
from optimus.entrypoints.api.audit_trail import AuditRecorder, AuditTrail
from optimus.entrypoints.api.authentication import Authenticate
from optimus.entrypoints.api.error_mapping import ErrorMapper
from optimus.entrypoints.api.errors import install_error_handlers
from optimus.entrypoints.api.fast_reads import FastEntryReads
from optimus.entrypoints.api.openapi import install_openapi
from optimus.entrypoints.api.response_schemas import Ack
from optimus.entrypoints.api.responses import ack, json_response
from optimus.service_layer.services import Services

DESCRIPTION = """\
A versioned, transactional key/value store for reference data and model
coefficients. Create a version of a dataset, load entries into it (in
parallel batches), save it (entries are counted, digested and verified),
then publish it: every reader switches at once. Re-publishing an earlier
version is the rollback. Compatible with trainline Optimus's API.
Writes are sent with `Content-Type: application/json`.
"""


def _operation_id(route: APIRoute) -> str:
    return route.name  # the endpoint's name: read_entry, create_version, …


def create_fastapi(services: Services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await services.background.start()
        try:
            yield
        finally:
            await services.background.stop()
            services.close()

    # Swagger UI and ReDoc from the fastapi-offline package: /docs works without the internet.
    app = FastAPIOffline(
        title="Optimus API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.services = services
    app.state.errors = ErrorMapper()
    install_openapi(app)
    # The host's own routes and error kinds (the Dapr host's actor, events, sidecar errors).
    services.host_routes(app)
    # After the host's kinds are registered: each is then handled where it is raised (the
    # catch-all for Exception answers too, but re-raises, and the server drops the connection).
    install_error_handlers(app, app.state.errors)
    for module in (
        routes_datasets,
        routes_versions,
        routes_tracks,
        routes_diffs,
        routes_history,
        routes_entries,
        routes_audit,
    ):
        app.include_router(module.router, prefix="/v1")

    @app.get(
        "/healthcheck",
        tags=["health"],
        summary="200 while the service is running",
        response_model=Ack,
    )
    async def healthcheck() -> Response:
        return json_response(ack("The service is running normally."))

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    # Every method of the path, the fast path's GET included (Starlette's 405 names only
    # those of the first route that matched).
    @app.options("/{path:path}", include_in_schema=False)
    async def options(request: Request) -> Response:
        methods = allowed_methods(app.routes, request.scope)
        if not methods:
            raise HTTPException(404)
        return Response(status_code=204, headers={"allow": ", ".join(methods)})

    return app


def with_fast_reads(app: FastAPI) -> ASGIApp:
    """`app` behind the entry reads, which share its services and error mapping."""
    services: Services = app.state.services
    return FastEntryReads(app, services.reader, app.state.errors, services.max_request_bytes)


def create_app(services: Services) -> ASGIApp:
    """The API; with an authenticator, every call under /v1 needs a token (none: open).

    Every change and every refusal is in the audit log either way.
    """
    recorder = AuditRecorder(services.audit, SystemClock())
    fastapi = create_fastapi(services)
    app: ASGIApp = with_fast_reads(fastapi)
    if services.authenticator is not None:
        app = Authenticate(app, services.authenticator, recorder)
    return services.host_layer(AuditTrail(app, recorder, fastapi.state.errors))
