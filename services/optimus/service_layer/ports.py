"""Ports: what the use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from functools import cached_property
from typing import Protocol

from optimus.domain.dataset import Dataset
from optimus.domain.digest import EntryStats, stats_of
from optimus.domain.events import VersionEvent

# (table, key, stored value bytes)
Entry = tuple[str, str, bytes]


class Batch:
    """Entries written together into one version."""

    def __init__(self, dataset: str, version_id: str, entries: Sequence[Entry]) -> None:
        self.dataset = dataset
        self.version_id = version_id
        self.entries = entries

    @cached_property
    def id(self) -> str:
        """Stable id from the content: a retried batch has the same id (computed on demand)."""
        stats = stats_of(self.entries)
        return f"{stats.total}-{stats.digest_sum:064x}"[:40]


class EntryStore(Protocol):
    """Entries of every version, addressed by (version id, table, key)."""

    async def write(self, batch: Batch) -> None:
        """Store a batch durably; rewriting the same entries is idempotent."""

    async def read(self, version_id: str, table: str, key: str) -> bytes | None: ...

    async def read_many(
        self, version_id: str, table: str, keys: Sequence[str]
    ) -> list[bytes | None]: ...

    async def stats(self, version_id: str, tables: Sequence[str]) -> EntryStats:
        """Counts and digest of everything stored under the version."""

    async def delete(self, version_id: str, tables: Sequence[str]) -> None:
        """Delete every entry of the version and give the space back."""


class DatasetStore(Protocol):
    """Durable storage of dataset aggregates (the embedded host's metadata)."""

    def load_all(self) -> list[Dataset]: ...

    def save(self, dataset: Dataset) -> None:
        """Replace the stored aggregate atomically and durably."""


class WriteFence(Protocol):
    """Admits batches only while their version accepts entries, and tells when they're stored."""

    def writing(self, batch: Batch) -> AbstractAsyncContextManager[None]:
        """Hold the version open for the batch; Conflict if it no longer accepts entries."""

    async def drained(self, version_id: str) -> None:
        """Return once every batch acknowledged or in flight for the version is stored."""


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[VersionEvent]) -> None: ...


class Clock(Protocol):
    def now_ms(self) -> int: ...
