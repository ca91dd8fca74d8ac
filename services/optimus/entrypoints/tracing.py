"""OpenTelemetry traces: off by default, on with the standard OTEL_* environment variables.

On when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is
set and OTEL_TRACES_EXPORTER is not "none"; spans go by OTLP over HTTP, and
the SDK reads the rest itself (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER and
its _ARG, OTEL_BSP_*...). Every HTTP request gets a server span by the ASGI
instrumentation (the one FastAPI's instrumentation is made of), around the
whole app so that the fast read path is traced too; it continues the W3C
`traceparent` the Dapr sidecar passes in. Off, nothing is wrapped: the read
path pays nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Scope

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_FAST_ROUTES = {
    7: "/v1/datasets/{dataset}/tables/{table}/entries/{key}",
    6: "/v1/datasets/{dataset}/tables/{table}/entries",
}


def tracing_enabled(env: Mapping[str, str] = os.environ) -> bool:
    if env.get("OTEL_TRACES_EXPORTER", "otlp") == "none":
        return False
    return any(env.get(name) for name in _ENDPOINTS)


def configure_tracing(service_name: str) -> bool:
    """Install the SDK's tracer provider with the OTLP exporter, if tracing is on."""
    if not tracing_enabled():
        return False
    # Imported here: a process without tracing does without the SDK.
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service_name)})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True


def _span_details(scope: Scope) -> tuple[str, dict[str, Any]]:
    # Named by route template where it is known before routing (the fast read path).
    path: str = scope.get("path", "")
    method: str = scope.get("method", "HTTP")
    route = _FAST_ROUTES.get(path.count("/")) if path.startswith("/v1/datasets/") else None
    return (f"{method} {route}", {"http.route": route}) if route else (method, {})


def traced(app: ASGIApp) -> ASGIApp:
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(
        app,
        excluded_urls="healthcheck,metrics,dapr/config,dapr/subscribe",  # probes and scrapes
        default_span_details=_span_details,
        exclude_spans=["send", "receive"],
    )
