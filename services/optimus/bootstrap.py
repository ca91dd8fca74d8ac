"""The composition root: wires a host and its adapters from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from optimus.adapters.clock import SystemClock
from optimus.adapters.event_log import EventLog
from optimus.adapters.rocksdb import RocksDatasetStore, RocksEntryStore, open_database
from optimus.service_layer.embedded_host import EmbeddedHost
from optimus.service_layer.lifecycle import VersionLifecycle
from optimus.service_layer.loading import EntryLoader, InFlightWrites, Limits
from optimus.service_layer.local_jobs import CollectorSettings, LocalJobs
from optimus.service_layer.reads import EntryReader
from optimus.service_layer.services import Services
from optimus.service_layer.views import ReadViews


@dataclass(frozen=True, slots=True)
class EmbeddedSettings:
    data_dir: Path
    limits: Limits = field(default_factory=Limits)
    collector: CollectorSettings = field(default_factory=CollectorSettings)
    max_request_bytes: int = 64 << 20
    block_cache_bytes: int = 64 << 20


def bootstrap_embedded(settings: EmbeddedSettings) -> Services:
    """Everything in this process, on local disk under `settings.data_dir`."""
    db = open_database(settings.data_dir / "rocksdb", block_cache_bytes=settings.block_cache_bytes)
    clock = SystemClock()
    views = ReadViews()
    host = EmbeddedHost(RocksDatasetStore(db), clock, views)
    entries = RocksEntryStore(db)
    in_flight = InFlightWrites()
    jobs = LocalJobs(host, entries, in_flight, clock, settings.collector)
    host.add_listener(EventLog())
    host.add_listener(jobs)
    return Services(
        host=host,
        lifecycle=VersionLifecycle(host, clock),
        loader=EntryLoader(host, entries, in_flight, settings.limits),
        reader=EntryReader(host, entries),
        background=jobs,
        max_request_bytes=settings.max_request_bytes,
        close=db.close,
    )
