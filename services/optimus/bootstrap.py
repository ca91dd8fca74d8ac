"""The composition root: wires a host and its adapters from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from optimus.adapters.clock import SystemClock
from optimus.hosts.embedded.event_log import EventLog
from optimus.hosts.embedded.fence import EmbeddedWriteFence
from optimus.hosts.embedded.host import EmbeddedHost
from optimus.hosts.embedded.jobs import CollectorSettings, EmbeddedJobs
from optimus.hosts.embedded.malloc import fix_mmap_threshold, limit_arenas
from optimus.hosts.embedded.rocksdb import (
    BLOCK_CACHE_BYTES,
    RocksDatasetStore,
    RocksEntryStore,
    open_database,
)
from optimus.service_layer.jobs import GC_GRACE_MS, LifecycleJobs
from optimus.service_layer.layers import LayeredEntryStore
from optimus.service_layer.lifecycle import VersionLifecycle
from optimus.service_layer.loading import EntryLoader, Limits
from optimus.service_layer.reads import EntryReader
from optimus.service_layer.services import AllBackgroundWork, BackgroundWork, Services
from optimus.service_layer.views import ReadViews, ViewSource
from optimus.service_layer.watching import EventFeed

if TYPE_CHECKING:
    from optimus.entrypoints.grpc_api.server import ServiceInstaller


@dataclass(frozen=True, slots=True)
class DaprSettings:
    limits: Limits = field(default_factory=Limits)
    gc_grace_ms: int = GC_GRACE_MS
    # Bound on how long a replica can serve an old version if a publish event is lost.
    refresh_interval_s: float = 2.0
    max_request_bytes: int = 64 << 20
    # Entries of committed versions never change: each replica keeps recent ones in memory.
    read_cache_bytes: int = 64 << 20
    # host:port of the gRPC API (docs/grpc.md); None: no gRPC server.
    grpc_address: str | None = None
    # The sidecar's app channel is the gRPC port (app id optimus-reads): reads only, no actors.
    grpc_app_channel: bool = False


@dataclass(frozen=True, slots=True)
class EmbeddedSettings:
    data_dir: Path
    limits: Limits = field(default_factory=Limits)
    collector: CollectorSettings = field(default_factory=CollectorSettings)
    max_request_bytes: int = 64 << 20
    block_cache_bytes: int = BLOCK_CACHE_BYTES
    grpc_address: str | None = None


def _with_grpc(
    background: BackgroundWork,
    address: str | None,
    reader: EntryReader,
    views: ViewSource,
    feed: EventFeed,
    *installers: ServiceInstaller,
) -> BackgroundWork:
    """The background work, plus the gRPC server if it has an address."""
    if address is None:
        return background
    # Imported here: without a gRPC port, the embedded host does without grpc.
    from optimus.entrypoints.grpc_api.server import GrpcServer
    from optimus.entrypoints.grpc_api.servicer import OptimusServicer

    server = GrpcServer(OptimusServicer(reader, views, feed), address, *installers)
    return AllBackgroundWork([background, server])


def bootstrap_embedded(settings: EmbeddedSettings) -> Services:
    """Everything in this process, on local disk under `settings.data_dir`."""
    limit_arenas(1)  # before RocksDB starts its threads
    fix_mmap_threshold(128 << 10)  # glibc's initial threshold, kept
    db = open_database(settings.data_dir / "rocksdb", block_cache_bytes=settings.block_cache_bytes)
    clock = SystemClock()
    host = EmbeddedHost(RocksDatasetStore(db), clock, ReadViews())
    entries = RocksEntryStore(db)
    layered = LayeredEntryStore(entries, host)
    fence = EmbeddedWriteFence(host.views)
    jobs = EmbeddedJobs(LifecycleJobs(host, layered, fence), clock, settings.collector)
    feed = EventFeed()
    host.add_listener(EventLog())
    host.add_listener(jobs)
    host.add_listener(feed)
    reader = EntryReader(host, layered)

    def close() -> None:
        entries.close()  # its reader threads first: they use the database
        db.close()

    return Services(
        host=host,
        lifecycle=VersionLifecycle(host, clock),
        loader=EntryLoader(host, entries, fence, settings.limits),
        reader=reader,
        background=_with_grpc(jobs, settings.grpc_address, reader, host, feed),
        max_request_bytes=settings.max_request_bytes,
        feed=feed,
        close=close,
    )


def bootstrap_dapr(settings: DaprSettings) -> Services:
    """The API as a Dapr app; its sidecar must be reachable (DAPR_GRPC_PORT, DAPR_HTTP_PORT).

    Call it inside the running event loop (uvicorn's app factory): the gRPC
    clients bind to the loop they are created in.
    """
    # Imported here: the embedded host does without the Dapr SDK, grpc and aiohttp
    # (some 30 MiB of a process that serves from local disk).
    from dapr.aio.clients import DaprClient

    from optimus.hosts.dapr.actor import ActorServices
    from optimus.hosts.dapr.actor_client import DatasetActors
    from optimus.hosts.dapr.app import DaprBackground, dapr_routes
    from optimus.hosts.dapr.components import DaprNames
    from optimus.hosts.dapr.entry_cache import CachingEntryStore
    from optimus.hosts.dapr.entry_store import DaprEntryStore
    from optimus.hosts.dapr.events import VersionEventPublisher
    from optimus.hosts.dapr.fence import DaprWriteFence
    from optimus.hosts.dapr.grpc_callbacks import VersionEventCallbacks
    from optimus.hosts.dapr.host import DaprHost
    from optimus.hosts.dapr.jobs import DaprJobs
    from optimus.hosts.dapr.refresher import ViewRefresher

    names = DaprNames.from_env()
    client = DaprClient()  # waits until the sidecar answers
    actors = DatasetActors()
    clock = SystemClock()
    host = DaprHost(actors, client, names, ReadViews())
    entries = DaprEntryStore(client, actors, names)
    layered = LayeredEntryStore(entries, host)
    fence = DaprWriteFence(actors)
    jobs = DaprJobs(LifecycleJobs(host, layered, fence), clock, settings.gc_grace_ms)
    if settings.grpc_app_channel and settings.grpc_address is None:
        raise ValueError("a gRPC app channel needs the gRPC API's address")
    refresher = ViewRefresher(host, client, names, settings.refresh_interval_s)
    feed = EventFeed()
    background = DaprBackground(
        actor_services=ActorServices(
            client, VersionEventPublisher(client, names), names, clock, jobs
        ),
        actors=actors,
        refresher=refresher,
        serve_actors=not settings.grpc_app_channel,
    )
    # With a gRPC app channel, the sidecar delivers events over gRPC (grpc_callbacks.py).
    callbacks = VersionEventCallbacks(names, refresher, feed)
    installers = [callbacks.install] if settings.grpc_app_channel else []
    reader = EntryReader(host, CachingEntryStore(layered, settings.read_cache_bytes))
    return Services(
        host=host,
        lifecycle=VersionLifecycle(host, clock),
        loader=EntryLoader(host, entries, fence, settings.limits),
        reader=reader,
        background=_with_grpc(background, settings.grpc_address, reader, host, feed, *installers),
        max_request_bytes=settings.max_request_bytes,
        feed=feed,
        host_routes=dapr_routes(background, feed),
    )
