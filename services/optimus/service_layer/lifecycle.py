"""Use cases that move versions through their lifecycle, and the background work they start.

Saving is the only long step (every entry is read back to count and digest
it), so it runs in the background: the caller gets the version in SAVING and
follows it with GET /versions/{id}. Entries of dead versions are deleted by
a collector after a grace period, so a read that resolved its version just
before an eviction still finds its entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from optimus.domain.dataset import Dataset
from optimus.domain.errors import OptimusError
from optimus.domain.ids import new_version_id
from optimus.domain.policies import EvictionPolicy, parse_verification_policy
from optimus.domain.version import Version, VersionStatus
from optimus.service_layer.commands import (
    BeginSave,
    CompleteSave,
    CreateVersion,
    Discard,
    FailVersion,
    Publish,
    RecordPurge,
)
from optimus.service_layer.host import DatasetHost
from optimus.service_layer.loading import InFlightWrites
from optimus.service_layer.ports import Clock, EntryStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CollectorSettings:
    grace_ms: int = 10_000
    interval_s: float = 5.0


class VersionLifecycle:
    def __init__(
        self,
        host: DatasetHost,
        entries: EntryStore,
        in_flight: InFlightWrites,
        clock: Clock,
        collector: CollectorSettings,
        new_id: Callable[[], str] = new_version_id,
    ) -> None:
        self._host = host
        self._entries = entries
        self._in_flight = in_flight
        self._clock = clock
        self._collector = collector
        self._new_id = new_id
        self._saves: dict[str, asyncio.Task[None]] = {}
        self._collector_task: asyncio.Task[None] | None = None
        self._collect_now = asyncio.Event()

    # ---------------------------------------------------------------- datasets
    async def create_dataset(
        self,
        name: object,
        tables: object,
        *,
        content_type: object,
        eviction_policy: EvictionPolicy,
        by: str,
    ) -> Dataset:
        dataset = Dataset.create(
            name,
            tables,
            content_type=content_type,
            eviction_policy=eviction_policy,
            at=self._clock.now_ms(),
            by=by,
        )
        return await self._host.create(dataset)

    # ---------------------------------------------------------------- versions
    async def create_version(
        self,
        dataset: str,
        *,
        label: str | None,
        verification_policy: dict[str, Any] | None,
        by: str,
    ) -> Version:
        parse_verification_policy(verification_policy)  # a bad policy fails before anything
        command = CreateVersion(self._new_id(), label, verification_policy, by)
        return await self._host.execute(dataset, command)

    async def version(self, version_id: str) -> Version:
        dataset = await self._host.get(await self._host.dataset_of_version(version_id))
        return dataset.version(version_id)

    async def save(self, version_id: str, *, by: str, reason: str | None = None) -> Version:
        dataset = await self._host.dataset_of_version(version_id)
        version = await self._host.execute(dataset, BeginSave(version_id, by, reason))
        if version.status is VersionStatus.SAVING:
            self._start_save(dataset, version_id)
        return version

    async def wait_saved(self, version_id: str) -> Version:
        """Wait for a save in progress (if any) and return the version as it ends."""
        task = self._saves.get(version_id)
        if task is not None:
            await asyncio.shield(task)
        return await self.version(version_id)

    async def publish(self, version_id: str, *, by: str, reason: str | None = None) -> Version:
        dataset = await self._host.dataset_of_version(version_id)
        version = await self._host.execute(dataset, Publish(version_id, by, reason))
        self._collect_now.set()
        return version

    async def discard(self, version_id: str, *, by: str, reason: str | None = None) -> Version:
        dataset = await self._host.dataset_of_version(version_id)
        version = await self._host.execute(dataset, Discard(version_id, by, reason))
        self._collect_now.set()
        return version

    # ------------------------------------------------------------ background
    async def start(self) -> None:
        """Resume saves that a crash interrupted, and start the collector."""
        for dataset in await self._host.all():
            for version in dataset.versions_saving():
                self._start_save(dataset.name, version.id)
        self._collector_task = asyncio.create_task(self._collect_forever())

    async def stop(self) -> None:
        tasks = [*self._saves.values()]
        if self._collector_task is not None:
            tasks.append(self._collector_task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _start_save(self, dataset: str, version_id: str) -> None:
        if version_id in self._saves:
            return
        task = asyncio.create_task(self._complete_save(dataset, version_id))
        self._saves[version_id] = task
        task.add_done_callback(lambda _: self._saves.pop(version_id, None))

    async def _complete_save(self, dataset_name: str, version_id: str) -> None:
        await self._in_flight.drained(version_id)
        dataset = await self._host.get(dataset_name)
        try:
            stats = await self._entries.stats(version_id, dataset.tables)
            command: CompleteSave | FailVersion = CompleteSave(
                version_id, stats.counts, stats.digest_sum
            )
        except Exception as exc:
            log.exception("reading the entries of %s failed", version_id)
            command = FailVersion(version_id, f"reading entries failed: {exc}")
        try:
            await self._host.execute(dataset_name, command)
        except OptimusError as exc:  # e.g. discarded while saving
            log.info("save of %s ended: %s", version_id, exc.message)
        self._collect_now.set()

    async def collect_garbage(self) -> int:
        """Delete the entries of dead versions past the grace period; returns how many."""
        purged = 0
        now = self._clock.now_ms()
        for dataset in await self._host.all():
            for version in dataset.versions_to_purge():
                if now - version.operation_log[-1].at < self._collector.grace_ms:
                    continue
                await self._in_flight.drained(version.id)
                await self._entries.delete(version.id, dataset.tables)
                await self._host.execute(dataset.name, RecordPurge(version.id))
                purged += 1
        return purged

    async def _collect_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._collect_now.wait(), self._collector.interval_s)
            self._collect_now.clear()
            try:
                await self.collect_garbage()
            except Exception:
                log.exception("garbage collection failed; retrying later")
