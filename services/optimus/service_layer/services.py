"""What the entrypoints use: the host and the use cases, wired by `bootstrap`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from optimus.service_layer.audit import AuditLog
from optimus.service_layer.diffs import VersionDiffs
from optimus.service_layer.excision import VersionExcision
from optimus.service_layer.export import VersionExport
from optimus.service_layer.lifecycle import VersionLifecycle
from optimus.service_layer.loading import EntryLoader
from optimus.service_layer.metering import Meter
from optimus.service_layer.ports import DatasetHost, TokenVerifier
from optimus.service_layer.reads import EntryReader
from optimus.service_layer.replicas import ReplicaReadiness
from optimus.service_layer.watching import EventFeed


class BackgroundWork(Protocol):
    """What a host runs beside the requests (saves, garbage collection, view refreshes)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class BackgroundGroup:
    """Several pieces of background work, started in order and stopped in reverse."""

    works: tuple[BackgroundWork, ...]

    async def start(self) -> None:
        for work in self.works:
            await work.start()

    async def stop(self) -> None:
        for work in reversed(self.works):
            await work.stop()


@dataclass(frozen=True, slots=True)
class Services:
    host: DatasetHost
    lifecycle: VersionLifecycle
    loader: EntryLoader
    reader: EntryReader
    diffs: VersionDiffs
    background: BackgroundWork
    audit: AuditLog
    export: VersionExport
    replicas: ReplicaReadiness
    excision: VersionExcision
    max_request_bytes: int = 64 << 20
    # Version events of every dataset, as the host sees them, for watchers.
    feed: EventFeed = field(default_factory=EventFeed)
    # Releases what the adapters hold (files, connections) once the app has stopped.
    close: Callable[[], None] = lambda: None
    # Adds the host's own routes to the web app (the Dapr host's actor and event routes).
    host_routes: Callable[[Any], None] = lambda app: None
    # Wraps the whole ASGI app (the Dapr host: only its sidecar may call it).
    host_layer: Callable[[Any], Any] = lambda app: app
    # Checks the callers' tokens on every API (REST and gRPC); None: the API is open.
    authenticator: TokenVerifier | None = None
    # What this process counted, shared by the use cases and the adapters that count.
    meter: Meter = field(default_factory=Meter)
    # The host's storage engine figures now, by metric name (the embedded host's RocksDB).
    engine_figures: Callable[[], Mapping[str, float]] = dict
