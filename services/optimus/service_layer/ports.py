"""Ports: what the use cases need from the outside world."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from optimus.domain.dataset import Dataset
from optimus.domain.digest import EntryStats
from optimus.domain.events import VersionEvent
from optimus.domain.version import Version
from optimus.service_layer.commands import Command
from optimus.service_layer.views import ReadViews

# (table, key, stored value bytes)
Entry = tuple[str, str, bytes]


@dataclass(slots=True)
class Batch:
    """Entries written together into one version."""

    dataset: str
    version_id: str
    entries: Sequence[Entry]
    # Where the host keeps a ledger of batches (Dapr), the fence numbers each batch.
    number: int | None = None


class EntryStore(Protocol):
    """Entries of every version, addressed by (version id, table, key)."""

    async def write(self, batch: Batch) -> None:
        """Store a batch durably; rewriting the same entries is idempotent."""

    async def read(self, version_id: str, table: str, key: str) -> bytes | None: ...

    async def read_many(
        self, version_id: str, table: str, keys: Sequence[str]
    ) -> list[bytes | None]: ...

    async def stats(self, dataset: str, version_id: str, tables: Sequence[str]) -> EntryStats:
        """Counts and digest of everything stored under the version."""

    async def delete(self, dataset: str, version_id: str, tables: Sequence[str]) -> None:
        """Delete every entry of the version and give the space back."""

    def scan(
        self, version_id: str, table: str, after: str | None = None
    ) -> AsyncIterator[tuple[str, bytes]]:
        """(key, value) of one table of the version in key order, strictly after `after`.

        Streamed: a whole version is never held in memory.
        """


class DatasetStore(Protocol):
    """Durable storage of dataset aggregates (the embedded host's metadata)."""

    def load_all(self) -> list[Dataset]: ...

    def load(self, name: str) -> Dataset | None: ...

    def save(self, dataset: Dataset) -> None:
        """Replace the stored aggregate atomically and durably."""


class WriteFence(Protocol):
    """Admits batches only while their version accepts entries, and tells when they're stored."""

    def writing(self, batch: Batch) -> AbstractAsyncContextManager[None]:
        """Hold the version open for the batch; Conflict if it no longer accepts entries."""

    async def drained(self, dataset: str, version_id: str) -> bool:
        """Wait until no batch of the version is in flight; False if some never finished."""


class EventListener(Protocol):
    """Told of the events of every command, once they are stored."""

    async def on_events(self, events: Sequence[VersionEvent]) -> None: ...


class Clock(Protocol):
    def now_ms(self) -> int: ...


class DatasetHost(Protocol):
    """Where a dataset's state machine runs: one implementation per host (`optimus.hosts`).

    Both apply the same `Command`s to the same `Dataset` aggregate; they differ
    only in where the aggregate lives and how commands on one dataset are
    serialized.
    """

    views: ReadViews

    async def create(self, dataset: Dataset) -> None:
        """Store a new dataset; Conflict if the name is taken."""

    async def execute(self, name: str, command: Command) -> Version:
        """Apply one command to the named dataset, one at a time per dataset."""

    async def get(self, name: str) -> Dataset:
        """The dataset's current aggregate; NotFound if there is none."""

    async def all(self) -> list[Dataset]: ...

    async def dataset_of_version(self, version_id: str) -> str:
        """Name of the dataset owning the version; NotFound if unknown."""
