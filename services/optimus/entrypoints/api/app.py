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
    routes_excision,
    routes_export,
    routes_history,
    routes_patches,
    routes_publications,
    routes_pull,
    routes_replicas,
    routes_tracks,
    routes_versions,
)
from optimus.entrypoints.api.allowed_methods import allowed_methods
from optimus.entrypoints.api.audit_trail import AuditRecorder, AuditTrail
from optimus.entrypoints.api.authentication import Authenticate
from optimus.entrypoints.api.error_mapping import ErrorMapper
from optimus.entrypoints.api.errors import install_error_handlers
from optimus.entrypoints.api.fast_reads import FastEntryReads
from optimus.entrypoints.api.metrics import (
    METRICS_PATH,
    CountedRequests,
    OptimusCollector,
    RequestCounts,
    metrics_endpoint,
    metrics_registry,
)
from optimus.entrypoints.api.openapi import install_openapi
from optimus.entrypoints.api.request_ids import RequestIds, RequestIdSource
from optimus.entrypoints.api.response_schemas import Ack
from optimus.entrypoints.api.responses import ack, json_response
from optimus.entrypoints.tracing import traced
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


def create_fastapi(services: Services, requests: RequestCounts | None = None) -> FastAPI:
    """The documented routes; `requests` is where `create_app` counts the HTTP requests."""

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
        routes_excision,
        routes_history,
        routes_entries,
        routes_audit,
        routes_export,
        routes_replicas,
        routes_patches,
        routes_publications,
        routes_pull,
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

    collector = OptimusCollector(
        requests if requests is not None else RequestCounts(),
        services.meter,
        services.host.views,
        services.engine_figures,
    )
    # Not under /v1, nor in the OpenAPI document: not part of the compatible surface.
    app.add_route(METRICS_PATH, metrics_endpoint(metrics_registry(collector)), ["GET"], False)

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


def with_fast_reads(
    app: FastAPI, ids: RequestIdSource | None = None, counts: RequestCounts | None = None
) -> ASGIApp:
    """`app` behind the entry reads, which share its services and error mapping."""
    services: Services = app.state.services
    ids = ids if ids is not None else RequestIdSource()
    return FastEntryReads(
        RequestIds(app, ids),
        services.reader,
        app.state.errors,
        services.max_request_bytes,
        ids,
        counts,
    )


def create_app(
    services: Services, *, count_requests: bool = True, tracing: bool = False
) -> ASGIApp:
    """The API; with an authenticator, every call under /v1 needs a token (none: open).

    Every change and every refusal is in the audit log either way. Without
    `count_requests`, /metrics has no HTTP request figures; with `tracing` (see
    `entrypoints.tracing`), every request gets a span.
    """
    requests = RequestCounts()
    ids = RequestIdSource()
    fastapi = create_fastapi(services, requests)
    counted: ASGIApp = CountedRequests(fastapi, requests) if count_requests else fastapi
    app: ASGIApp = FastEntryReads(
        RequestIds(counted, ids),
        services.reader,
        fastapi.state.errors,
        services.max_request_bytes,
        ids,
        requests if count_requests else None,
    )
    recorder = AuditRecorder(services.audit, SystemClock())
    if services.authenticator is not None:
        app = Authenticate(app, services.authenticator, recorder)
    app = services.host_layer(AuditTrail(app, recorder, fastapi.state.errors))
    return traced(app) if tracing else app
