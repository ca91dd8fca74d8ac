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
import random
from collections.abc import Mapping
from typing import Any

from opentelemetry import context, trace
from starlette.types import ASGIApp, Receive, Scope, Send

_TRACEPARENT = b"traceparent"
# Samplers whose root decision is a ratio (OTEL_TRACES_SAMPLER_ARG), and those that never sample.
_RATIO_SAMPLERS = {"traceidratio", "parentbased_traceidratio"}
_OFF_SAMPLERS = {"always_off", "parentbased_always_off"}
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


def root_ratio(env: Mapping[str, str] = os.environ) -> float:
    """The share of requests without a traceparent that are traced, as the SDK would."""
    sampler = env.get("OTEL_TRACES_SAMPLER", "parentbased_always_on")
    if sampler in _OFF_SAMPLERS:
        return 0.0
    if sampler in _RATIO_SAMPLERS:
        try:
            return min(1.0, max(0.0, float(env.get("OTEL_TRACES_SAMPLER_ARG", "1.0"))))
        except ValueError:
            return 1.0
    return 1.0


# A valid parent that is not sampled: parent-based samplers record none of its children.
# One for all such requests: nothing under it is recorded, so its ids are never seen.
_NOT_SAMPLED = trace.set_span_in_context(
    trace.NonRecordingSpan(
        trace.SpanContext(
            trace_id=random.getrandbits(128) | 1,
            span_id=random.getrandbits(64) | 1,
            is_remote=True,
            trace_flags=trace.TraceFlags(trace.TraceFlags.DEFAULT),
        )
    )
)


class SampledRequests:
    """Sends the requests to be traced through `traced`, the others straight to `app`."""

    def __init__(self, app: ASGIApp, traced_app: ASGIApp, ratio: float) -> None:
        self.app = app
        self._traced = traced_app
        self._ratio = ratio

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            parent = None
            for name, value in scope["headers"]:
                if name == _TRACEPARENT:
                    parent = value
                    break
            # traceparent: version-traceid-spanid-flags; flag 01 is "sampled".
            sampled = parent.endswith(b"-01") if parent else random.random() < self._ratio
            if not sampled:
                token = context.attach(_NOT_SAMPLED)
                try:
                    await self.app(scope, receive, send)
                finally:
                    context.detach(token)
                return
        await self._traced(scope, receive, send)


def traced(app: ASGIApp) -> ASGIApp:
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    instrumented = OpenTelemetryMiddleware(
        app,
        excluded_urls="healthcheck,metrics,dapr/config,dapr/subscribe",  # probes and scrapes
        default_span_details=_span_details,
        exclude_spans=["send", "receive"],
    )
    return SampledRequests(app, instrumented, root_ratio())
