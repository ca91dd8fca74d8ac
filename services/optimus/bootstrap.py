"""The composition root: wires a host and its adapters from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from optimus.adapters.clock import SystemClock
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
from optimus.service_layer.export import VersionExport
from optimus.service_layer.jobs import GC_GRACE_MS, LifecycleJobs
from optimus.service_layer.lifecycle import VersionLifecycle
from optimus.service_layer.loading import EntryLoader, Limits
from optimus.service_layer.metering import Meter
from optimus.service_layer.reads import EntryReader
from optimus.service_layer.replicas import ReplicaReadiness, ServingReporter, ServingTracker
from optimus.service_layer.services import BackgroundGroup, Services
from optimus.service_layer.views import ReadViews


@dataclass(frozen=True, slots=True)
class DaprSettings:
    limits: Limits = field(default_factory=Limits)
    gc_grace_ms: int = GC_GRACE_MS
    # Bound on how long a replica can serve an old version if a publish event is lost.
    refresh_interval_s: float = 2.0
    max_request_bytes: int = 64 << 20
    # Entries of committed versions never change: each replica keeps recent ones in memory.
    read_cache_bytes: int = 64 << 20
    # The load timeout of datasets that set none (None: loads never time out).
    default_load_timeout_s: int | None = None


@dataclass(frozen=True, slots=True)
class EmbeddedSettings:
    data_dir: Path
    limits: Limits = field(default_factory=Limits)
    collector: CollectorSettings = field(default_factory=CollectorSettings)
    max_request_bytes: int = 64 << 20
    block_cache_bytes: int = BLOCK_CACHE_BYTES


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
    fence = EmbeddedWriteFence(host.views, clock)
    jobs = EmbeddedJobs(
        LifecycleJobs(host, entries, fence, meter), clock, settings.collector, fence.last_batch_at
    )
    host.add_listener(EventLog())
    host.add_listener(jobs)
    tracker = ServingTracker(host.views, clock)

    def close() -> None:
        entries.close()  # its reader threads first: they use the database
        db.close()

    return Services(
        host=host,
        lifecycle=VersionLifecycle(host, clock, meter=meter),
        loader=EntryLoader(host, entries, fence, settings.limits, meter),
        reader=EntryReader(host, entries),
        # `optimus backup` asks the running server for a checkpoint through its socket.
        background=BackgroundGroup(
            (jobs, BackupSocket(db, settings.data_dir), ServingReporter(tracker, None, 0))
        ),
        export=VersionExport(host, entries),
        replicas=ReplicaReadiness(ThisProcess(tracker, clock)),
        max_request_bytes=settings.max_request_bytes,
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

    from optimus.hosts.dapr.actor import ActorServices
    from optimus.hosts.dapr.actor_client import DatasetActors
    from optimus.hosts.dapr.app import DaprBackground, dapr_routes
    from optimus.hosts.dapr.components import DaprNames
    from optimus.hosts.dapr.entry_cache import CachingEntryStore
    from optimus.hosts.dapr.entry_store import DaprEntryStore
    from optimus.hosts.dapr.events import VersionEventPublisher
    from optimus.hosts.dapr.fence import DaprWriteFence
    from optimus.hosts.dapr.host import DaprHost
    from optimus.hosts.dapr.jobs import DaprJobs
    from optimus.hosts.dapr.refresher import ViewRefresher
    from optimus.hosts.dapr.replicas import HEARTBEAT_S, StateStoreReplicas

    names = DaprNames.from_env()
    client = DaprClient()  # waits until the sidecar answers
    actors = DatasetActors()
    clock = SystemClock()
    meter = Meter()
    host = DaprHost(actors, client, names, ReadViews())
    entries = DaprEntryStore(client, actors, names)
    fence = DaprWriteFence(actors)
    jobs = DaprJobs(LifecycleJobs(host, entries, fence, meter), clock, settings.gc_grace_ms)
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
        refresher=ViewRefresher(host, client, names, settings.refresh_interval_s, meter),
    )
    registry = StateStoreReplicas(client, names.entries_store, clock)
    reporter = ServingReporter(ServingTracker(host.views, clock), registry.report, HEARTBEAT_S)
    return Services(
        host=host,
        lifecycle=VersionLifecycle(host, clock, meter=meter),
        loader=EntryLoader(host, entries, fence, settings.limits, meter),
        reader=EntryReader(host, CachingEntryStore(entries, settings.read_cache_bytes, meter)),
        background=BackgroundGroup((background, reporter)),
        replicas=ReplicaReadiness(registry),
        export=VersionExport(host, entries),  # not through the read cache: it reads everything
        max_request_bytes=settings.max_request_bytes,
        host_routes=dapr_routes(background),
        meter=meter,
    )
