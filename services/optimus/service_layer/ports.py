"""Ports: what the use cases need from the outside world."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from optimus.domain.access import Principal
from optimus.domain.dataset import Dataset
from optimus.domain.diff import Fingerprints
from optimus.domain.digest import EntryStats
from optimus.domain.events import VersionEvent
from optimus.domain.hooks import HookAnswer, PublishHook
from optimus.domain.version import Version
from optimus.service_layer.commands import Command, Outcome
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


# Where a scan of a version resumes: the (table, key) it must go past.
ScanPosition = tuple[str, str]


@dataclass(frozen=True, slots=True)
class EntryPage:
    """Consecutive entries of one table of a version, in key order."""

    table: str
    keys: list[str]
    values: list[bytes]


class EntryStore(Protocol):
    """Entries of every version, addressed by (version id, table, key)."""

    async def write(self, batch: Batch) -> None:
        """Store a batch durably; rewriting the same entries is idempotent."""

    async def read(self, version_id: str, table: str, key: str) -> bytes | None: ...

    async def read_many(
        self, version_id: str, table: str, keys: Sequence[str]
    ) -> list[bytes | None]: ...

    async def fingerprints(
        self, dataset: str, version_id: str, table: str, after: str | None, limit: int
    ) -> Fingerprints:
        """Up to `limit` keys of a committed version's table, in key order, strictly after
        `after`, each with a fingerprint of its value (what a diff compares). A host
        chooses the kind: the value itself, or a hash recorded when it was written."""

    def fingerprint_of(self, value: bytes) -> bytes | str:
        """The fingerprint `fingerprints` gives a stored value."""

    async def stats(self, dataset: str, version_id: str, tables: Sequence[str]) -> EntryStats:
        """Counts and digest of everything stored under the version."""

    async def delete(self, dataset: str, version_id: str, tables: Sequence[str]) -> None:
        """Delete every entry of the version and give the space back."""

    async def excise(self, dataset: str, version_id: str, table: str, keys: Sequence[str]) -> None:
        """Delete these entries of the version for good: no trace of their values is left
        in the store (compacted away, dropped from what was recorded for diffs)."""

    def forget(self, version_id: str) -> None:
        """Drop whatever this process holds of the version's entries (an excision changed
        them): caches, indexes."""

    def scan(
        self,
        dataset: str,
        version_id: str,
        tables: Sequence[str],
        after: ScanPosition | None,
        page_size: int,
    ) -> AsyncIterator[EntryPage]:
        """The committed version's entries of `tables` after `after`, in (table, key) order."""


class LayeredEntries(EntryStore, Protocol):
    """The entry store every reader uses: patch versions read through their layers."""

    async def own_keys(self, dataset: str, patch: str, table: str) -> frozenset[str] | None:
        """The keys of `table` a committed patch version itself wrote or retracted; None
        if too many to hold."""


class DatasetStore(Protocol):
    """Durable storage of dataset aggregates (the embedded host's metadata)."""

    def load_all(self) -> list[Dataset]: ...

    def load(self, name: str) -> Dataset | None: ...

    def save(self, dataset: Dataset, outcome: Outcome | None = None) -> None:
        """Store what `outcome` changed (everything without one), atomically and durably."""


class WriteFence(Protocol):
    """Admits batches only while their version accepts entries, and tells when they're stored."""

    def writing(self, batch: Batch) -> AbstractAsyncContextManager[None]:
        """Hold the version open for the batch; Conflict if it no longer accepts entries."""

    async def drained(self, dataset: str, version_id: str) -> bool:
        """Wait until no batch of the version is in flight; False if some never finished."""


class EventListener(Protocol):
    """Told of the events of every command, once they are stored."""

    async def on_events(self, events: Sequence[VersionEvent]) -> None: ...


class TokenVerifier(Protocol):
    """Who an `Authorization` header names; Unauthenticated if no valid token does."""

    def principal(self, authorization: str | bytes | None) -> Principal: ...


class PublishHookCaller(Protocol):
    """Asks a pre-publish hook for its decision."""

    async def ask(self, hook: PublishHook, request: dict[str, Any]) -> HookAnswer:
        """The hook's answer; an error, a timeout or a body that is no decision: an abort."""


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
