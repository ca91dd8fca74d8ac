"""The embedded host's background work: saves and garbage collection as asyncio tasks.

It listens to the host's events: a save beginning starts the save job, a
version dying wakes the collector. On start it resumes what a crash
interrupted (versions left SAVING, dead versions not yet purged).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from optimus.domain.errors import Unavailable
from optimus.domain.events import VersionEvent
from optimus.service_layer.commands import FailVersion
from optimus.service_layer.jobs import GC_GRACE_MS, LifecycleJobs, any_version_died, saves_begun
from optimus.service_layer.ports import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CollectorSettings:
    grace_ms: int = GC_GRACE_MS
    interval_s: float = 5.0


class EmbeddedJobs:
    def __init__(self, jobs: LifecycleJobs, clock: Clock, settings: CollectorSettings) -> None:
        self._jobs = jobs
        self._host = jobs.host
        self._clock = clock
        self._settings = settings
        self._saves: dict[str, asyncio.Task[None]] = {}
        self._collector: asyncio.Task[None] | None = None
        self._collect_now = asyncio.Event()

    async def on_events(self, events: Sequence[VersionEvent]) -> None:
        for dataset, version_id in saves_begun(events):
            self._start_save(dataset, version_id)
        if any_version_died(events):
            self._collect_now.set()

    async def start(self) -> None:
        for dataset in await self._host.all():
            for version in dataset.versions_saving():
                self._start_save(dataset.name, version.id)
        self._collector = asyncio.create_task(self._collect_forever())

    async def stop(self) -> None:
        tasks = [*self._saves.values(), *([self._collector] if self._collector else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def collect_garbage(self) -> int:
        """Purge every dataset's dead versions past the grace period; returns how many."""
        purged = 0
        for dataset in await self._host.all():
            purged += len(
                await self._jobs.purge_dead_versions(
                    dataset.name, now=self._clock.now_ms(), grace_ms=self._settings.grace_ms
                )
            )
        return purged

    def _start_save(self, dataset: str, version_id: str) -> None:
        if version_id in self._saves:
            return
        task = asyncio.create_task(self._save(dataset, version_id))
        self._saves[version_id] = task
        task.add_done_callback(lambda _: self._saves.pop(version_id, None))

    async def _save(self, dataset: str, version_id: str) -> None:
        while True:
            try:
                await self._jobs.complete_save(dataset, version_id)
                return
            except Unavailable as exc:  # a full disk: the save goes on once there is room
                log.warning("saving %s waits: %s", version_id, exc.message)
                await asyncio.sleep(exc.retry_after)
            except Exception as exc:  # the local engine failing otherwise is not transient
                log.exception("saving %s failed", version_id)
                await self._host.execute(dataset, FailVersion(version_id, f"save failed: {exc}"))
                return

    async def _collect_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._collect_now.wait(), self._settings.interval_s)
            self._collect_now.clear()
            try:
                await self.collect_garbage()
            except Exception:
                log.exception("garbage collection failed; retrying later")
