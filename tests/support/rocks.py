"""The embedded host and its entry store on one RocksDB, for tests that assemble the parts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rocksdict import Rdict

from optimus.adapters.clock import SystemClock
from optimus.hosts.embedded.host import EmbeddedHost
from optimus.hosts.embedded.rocksdb import RocksDatasetStore, RocksEntryStore, open_database
from optimus.service_layer.views import ReadViews


@dataclass(frozen=True, slots=True)
class Rocks:
    db: Rdict
    entries: RocksEntryStore
    host: EmbeddedHost


@contextmanager
def open_rocks(path: Path) -> Iterator[Rocks]:
    db = open_database(path)
    entries = RocksEntryStore(db)
    try:
        yield Rocks(db, entries, EmbeddedHost(RocksDatasetStore(db), SystemClock(), ReadViews()))
    finally:
        entries.close()  # its reader threads first: they use the database
        db.close()
