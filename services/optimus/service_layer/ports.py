"""Ports: what the use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from optimus.domain.dataset import Dataset
from optimus.domain.digest import EntryStats
from optimus.domain.events import VersionEvent

# (table, key, stored value bytes)
Entry = tuple[str, str, bytes]


class EntryStore(Protocol):
    """Entries of every version, addressed by (version id, table, key)."""

    async def write(self, version_id: str, entries: Sequence[Entry]) -> None:
        """Store a batch atomically and durably; rewriting an entry is idempotent."""

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
    """Tells when no batch of a version is being written any more."""

    async def drained(self, version_id: str) -> None:
        """Return once every batch acknowledged or in flight for the version is stored."""


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[VersionEvent]) -> None: ...


class Clock(Protocol):
    def now_ms(self) -> int: ...
