"""The composition root: wires a host and its adapters from settings."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from optimus.adapters.clock import SystemClock
from optimus.adapters.publish_hooks import HttpPublishHooks
from optimus.hosts.embedded.audit_file import AuditFile
from optimus.hosts.embedded.backup import DATABASE_DIR, BackupSocket
from optimus.hosts.embedded.event_log import EventLog
from optimus.hosts.embedded.fence import EmbeddedWriteFence
from optimus.hosts.embedded.host import EmbeddedHost
from optimus.hosts.embedded.jobs import CollectorSettings, EmbeddedJobs
from optimus.hosts.embedded.malloc import fix_mmap_threshold, limit_arenas
from optimus.hosts.embedded.replicas import ThisProcess
from optimus.hosts.embedded.rocksdb import (
    BLOCK_CACHE_BYTES,
    RocksDatasetStore,
    RocksEntryStore,
    engine_figures,
    open_database,
)
from optimus.service_layer.audit import AuditLog
from optimus.service_layer.diffs import VersionDiffs
from optimus.service_layer.excision import VersionExcision
from optimus.service_layer.export import VersionExport
from optimus.service_layer.jobs import GC_GRACE_MS, LifecycleJobs
from optimus.service_layer.layers import LayeredEntryStore
from optimus.service_layer.lifecycle import VersionLifecycle
from optimus.service_layer.loading import EntryLoader, Limits
from optimus.service_layer.metering import Meter
from optimus.service_layer.ports import TokenVerifier
from optimus.service_layer.reads import EntryReader
from optimus.service_layer.replicas import ReplicaReadiness, ServingReporter, ServingTracker
from optimus.service_layer.services import BackgroundGroup, BackgroundWork, Services
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
    # Checks every caller's token (REST and gRPC); None: the API is open.
    authenticator: TokenVerifier | None = None
    # Dapr's app-api-token (env APP_API_TOKEN): when set, only the sidecar may call the app.
    app_api_token: str | None = field(default_factory=lambda: os.environ.get("APP_API_TOKEN"))
    # The load timeout of datasets that set none (None: loads never time out).
    default_load_timeout_s: int | None = None


@dataclass(frozen=True, slots=True)
class EmbeddedSettings:
    data_dir: Path
    limits: Limits = field(default_factory=Limits)
    collector: CollectorSettings = field(default_factory=CollectorSettings)
    max_request_bytes: int = 64 << 20
    block_cache_bytes: int = BLOCK_CACHE_BYTES
    grpc_address: str | None = None
    authenticator: TokenVerifier | None = None


def _with_grpc(
    background: BackgroundWork,
    address: str | None,
    reader: EntryReader,
    views: ViewSource,
    feed: EventFeed,
    authenticator: TokenVerifier | None,
    *installers: ServiceInstaller,
) -> BackgroundWork:
    """The background work, plus the gRPC server if it has an address."""
    if address is None:
        return background
    # Imported here: without a gRPC port, the embedded host does without grpc.
    from optimus.entrypoints.grpc_api.server import GrpcServer
    from optimus.entrypoints.grpc_api.servicer import OptimusServicer

    servicer = OptimusServicer(reader, views, feed, authenticator)
    server = GrpcServer(servicer, address, *installers)
    return BackgroundGroup((background, server))


def bootstrap_embedded(settings: EmbeddedSettings) -> Services:
    """Everything in this process, on local disk under `settings.data_dir`."""
    limit_arenas(1)  # before RocksDB starts its threads
    fix_mmap_threshold(128 << 10)  # glibc's initial threshold, kept
    db = open_database(
        settings.data_dir / DATABASE_DIR, block_cache_bytes=settings.block_cache_bytes
    )
    clock = SystemClock()
    meter = Meter()
    host = EmbeddedHost(RocksDatasetStore(db), clock, ReadViews())
    entries = RocksEntryStore(db, meter)
    # A patch version's entries are its own over its base's: every read goes through layers.
    layered = LayeredEntryStore(entries, host)
    fence = EmbeddedWriteFence(host.views, clock)
    jobs = EmbeddedJobs(
        LifecycleJobs(host, layered, fence, meter), clock, settings.collector, fence.last_batch_at
    )
    feed = EventFeed()
    host.add_listener(EventLog())
    host.add_listener(jobs)
    host.add_listener(feed)
    tracker = ServingTracker(host.views, clock)
    reader = EntryReader(host, layered)
    diffs = VersionDiffs(host, layered)

    def close() -> None:
        entries.close()  # its reader threads first: they use the database
        db.close()

    # `optimus backup` asks the running server for a checkpoint through its socket.
    work = BackgroundGroup(
        (jobs, BackupSocket(db, settings.data_dir), ServingReporter(tracker, None, 0))
    )
    return Services(
        host=host,
        lifecycle=VersionLifecycle(host, clock, diffs=diffs, hooks=HttpPublishHooks(), meter=meter),
        loader=EntryLoader(host, entries, fence, settings.limits, meter),
        reader=reader,
        background=_with_grpc(
            work, settings.grpc_address, reader, host, feed, settings.authenticator
        ),
        authenticator=settings.authenticator,
        audit=AuditLog(AuditFile(settings.data_dir)),
        diffs=diffs,
        export=VersionExport(host, reader),
        replicas=ReplicaReadiness(ThisProcess(tracker, clock)),
        excision=VersionExcision(host, layered),
        max_request_bytes=settings.max_request_bytes,
        feed=feed,
        close=close,
        meter=meter,
        engine_figures=lambda: engine_figures(db),
    )


def bootstrap_dapr(settings: DaprSettings) -> Services:
    """The API as a Dapr app; its sidecar must be reachable (DAPR_GRPC_PORT, DAPR_HTTP_PORT).

    Call it inside the running event loop (uvicorn's app factory): the gRPC
    clients bind to the loop they are created in.
    """
    # Imported here: the embedded host does without the Dapr SDK, grpc and aiohttp
    # (some 30 MiB of a process that serves from local disk).
    from dapr.aio.clients import DaprClient
    from dapr.conf import settings as dapr_settings

    from optimus.hosts.dapr.actor import ActorServices
    from optimus.hosts.dapr.actor_client import DatasetActors
    from optimus.hosts.dapr.app import DaprBackground, dapr_routes
    from optimus.hosts.dapr.app_token import SidecarOnly
    from optimus.hosts.dapr.audit_store import DaprAuditStore
    from optimus.hosts.dapr.components import DaprNames
    from optimus.hosts.dapr.entry_cache import CachingEntryStore
    from optimus.hosts.dapr.entry_store import DaprEntryStore
    from optimus.hosts.dapr.events import VersionEventPublisher
    from optimus.hosts.dapr.fence import DaprWriteFence
    from optimus.hosts.dapr.grpc_callbacks import VersionEventCallbacks
    from optimus.hosts.dapr.host import DaprHost
    from optimus.hosts.dapr.jobs import DaprJobs
    from optimus.hosts.dapr.refresher import ViewRefresher
    from optimus.hosts.dapr.replicas import HEARTBEAT_S, StateStoreReplicas

    if settings.grpc_app_channel and settings.grpc_address is None:
        raise ValueError("a gRPC app channel needs the gRPC API's address")
    names = DaprNames.from_env()
    client = DaprClient()  # waits until the sidecar answers
    actors = DatasetActors()
    clock = SystemClock()
    meter = Meter()
    host = DaprHost(actors, client, names, ReadViews())
    entries = DaprEntryStore(client, actors, names)
    layered = LayeredEntryStore(entries, host)
    fence = DaprWriteFence(actors)
    jobs = DaprJobs(LifecycleJobs(host, layered, fence, meter), clock, settings.gc_grace_ms)
    cached_entries = CachingEntryStore(layered, settings.read_cache_bytes, meter)
    refresher = ViewRefresher(
        host, client, names, settings.refresh_interval_s, meter, forget=cached_entries.forget
    )
    feed = EventFeed()
    background = DaprBackground(
        actor_services=ActorServices(
            client,
            VersionEventPublisher(client, names),
            names,
            clock,
            jobs,
            settings.default_load_timeout_s,
        ),
        actors=actors,
        refresher=refresher,
        serve_actors=not settings.grpc_app_channel,
    )
    registry = StateStoreReplicas(client, names.entries_store, clock)
    reporter = ServingReporter(ServingTracker(host.views, clock), registry.report, HEARTBEAT_S)
    # With a gRPC app channel, the sidecar delivers events over gRPC (grpc_callbacks.py).
    callbacks = VersionEventCallbacks(names, refresher, feed)
    installers = [callbacks.install] if settings.grpc_app_channel else []
    reader = EntryReader(host, cached_entries)
    diffs = VersionDiffs(host, layered)  # cold reads: past the cache of hot entries
    hooks = HttpPublishHooks(dapr_http_port=int(dapr_settings.DAPR_HTTP_PORT))
    return Services(
        host=host,
        lifecycle=VersionLifecycle(host, clock, diffs=diffs, hooks=hooks, meter=meter),
        loader=EntryLoader(host, entries, fence, settings.limits, meter),
        reader=reader,
        background=_with_grpc(
            BackgroundGroup((background, reporter)),
            settings.grpc_address,
            reader,
            host,
            feed,
            settings.authenticator,
            *installers,
        ),
        authenticator=settings.authenticator,
        audit=AuditLog(DaprAuditStore(client, names)),
        diffs=diffs,
        export=VersionExport(host, reader),  # the read cache lets a scan pass through
        replicas=ReplicaReadiness(registry),
        excision=VersionExcision(host, cached_entries),
        max_request_bytes=settings.max_request_bytes,
        feed=feed,
        host_routes=dapr_routes(background, feed),
        host_layer=(
            functools.partial(SidecarOnly, token=settings.app_api_token)
            if settings.app_api_token
            else lambda app: app
        ),
        meter=meter,
    )
