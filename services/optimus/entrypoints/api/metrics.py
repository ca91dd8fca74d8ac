"""Prometheus metrics at GET /metrics: the service's Meter and the HTTP requests, read at scrape.

Requests are counted by a thin ASGI wrapper around the whole app (the fast
read path included) into plain dicts and lists; `OptimusCollector` turns them
and the `Meter` into metric families only when Prometheus scrapes, so a
request pays a few dictionary and list increments, never a label lookup.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optimus.service_layer.metering import LATENCY_BOUNDS_S, Meter, Timing
from optimus.service_layer.views import ReadViews

METRICS_PATH = "/metrics"
_V1 = "/v1"
ENTRY_ROUTE = "/v1/datasets/{dataset}/tables/{table}/entries/{key}"
ENTRIES_ROUTE = "/v1/datasets/{dataset}/tables/{table}/entries"
_UNMATCHED = "unmatched"  # any path no route matched, so that scanners can't add series


@dataclass(slots=True)
class RouteCounts:
    """One route's responses by status, and its latencies."""

    statuses: dict[int, int] = field(default_factory=dict)
    latency: Timing = field(default_factory=lambda: Timing(LATENCY_BOUNDS_S))

    def record(self, status: int, seconds: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latency.observe(seconds)


@dataclass(slots=True)
class RequestCounts:
    # (method, route template) -> what it answered
    routes: dict[tuple[str, str], RouteCounts] = field(default_factory=dict)

    def of(self, method: str, route: str) -> RouteCounts:
        counts = self.routes.get((method, route))
        if counts is None:
            counts = self.routes[method, route] = RouteCounts()
        return counts


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    if route is None:
        return _UNMATCHED
    # FastAPI gives the route as its router declared it, without the prefix it was
    # included under (/v1 for the API's routers).
    template: str = route.path
    if scope["path"].startswith(_V1) and not template.startswith(_V1):
        return _V1 + template
    return template


class CountedRequests:
    """Counts every HTTP request of `app` by route template and status, and times it.

    It wraps the FastAPI app; the fast read path, in front of it, counts its own
    two routes in line (`FastEntryReads`), so that a read pays no extra coroutine.
    """

    def __init__(self, app: ASGIApp, counts: RequestCounts) -> None:
        self.app = app
        self._counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = self._counts.of(scope["method"], _route_of(scope))
            route.record(status, time.perf_counter() - started)


def _histogram(name: str, doc: str, labels: list[str]) -> HistogramMetricFamily:
    return HistogramMetricFamily(name, doc, labels=labels)


def _add(family: HistogramMetricFamily, labels: list[str], timing: Timing) -> None:
    buckets, running = [], 0
    for bound, count in zip([*timing.bounds, float("inf")], timing.counts, strict=True):
        running += count
        buckets.append((str(bound) if bound != float("inf") else "+Inf", running))
    family.add_metric(labels, buckets, timing.total)


@dataclass(frozen=True, slots=True, eq=False)  # registries key collectors by identity
class OptimusCollector(Collector):
    requests: RequestCounts
    meter: Meter
    views: ReadViews
    engine_figures: Callable[[], Mapping[str, float]]

    def collect(self) -> Iterator[Metric]:
        yield from self._http()
        yield from self._work()
        yield from self._datasets()
        for name, value in self.engine_figures().items():
            yield GaugeMetricFamily(f"optimus_{name}", f"RocksDB: {name}", value=value)

    def _http(self) -> Iterator[Metric]:
        responses = CounterMetricFamily(
            "optimus_http_requests",
            "HTTP requests answered, by method, route template and status",
            labels=["method", "route", "status"],
        )
        latency = _histogram(
            "optimus_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
        )
        for (method, route), counts in list(self.requests.routes.items()):
            for status, count in list(counts.statuses.items()):
                responses.add_metric([method, route, str(status)], count)
            _add(latency, [method, route], counts.latency)
        yield responses
        yield latency

    def _work(self) -> Iterator[Metric]:
        meter = self.meter
        yield CounterMetricFamily(
            "optimus_entries_loaded", "Entries written into versions", value=meter.entries_loaded
        )
        yield GaugeMetricFamily(
            "optimus_load_batches_in_flight",
            "Batches of entries being written now",
            value=meter.batches_in_flight,
        )
        operations = _histogram(
            "optimus_operation_duration_seconds",
            "Saves, publishes and rollbacks, by outcome, and how long they took",
            ["operation", "outcome"],
        )
        for (operation, outcome), timing in list(meter.operations.items()):
            _add(operations, [operation, outcome], timing)
        yield operations
        served = _histogram(
            "optimus_publish_to_served_seconds",
            "From a publish to this replica serving it (replicas told by an event)",
            [],
        )
        _add(served, [], meter.publish_to_served)
        yield served
        for name, doc, value in (
            ("read_cache_hits", "Entries read from the replica's cache", meter.read_cache_hits),
            ("read_cache_misses", "Entries read past the replica's cache", meter.read_cache_misses),
            ("gc_runs", "Garbage collection passes over a dataset", meter.gc_runs),
            ("gc_versions_purged", "Versions whose entries were deleted", meter.gc_versions_purged),
            ("gc_reclaimed_bytes", "Disk space given back by GC", meter.gc_bytes_reclaimed),
        ):
            yield CounterMetricFamily(f"optimus_{name}", doc, value=value)

    def _datasets(self) -> Iterator[Metric]:
        versions = GaugeMetricFamily(
            "optimus_versions",
            "Versions this replica knows of, by dataset and status",
            labels=["dataset", "status"],
        )
        active = GaugeMetricFamily(
            "optimus_active_version_sequence",
            "Sequence number of the version this replica serves, by dataset",
            labels=["dataset"],
        )
        for name in self.views.names():
            view = self.views.get(name)
            if view is None:
                continue
            by_status: dict[str, int] = {}
            for status in view.statuses.values():
                by_status[status] = by_status.get(status, 0) + 1
            for status, count in sorted(by_status.items()):
                versions.add_metric([name, str(status)], count)
            if view.active_sequence is not None:
                active.add_metric([name], view.active_sequence)
        yield versions
        yield active


def metrics_endpoint(registry: CollectorRegistry) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


def metrics_registry(collector: OptimusCollector) -> CollectorRegistry:
    # A registry of its own per app: no process-wide state, two apps in one test process.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
