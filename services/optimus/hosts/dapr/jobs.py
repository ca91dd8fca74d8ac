"""Background work started by dataset actors, run in the process that hosts the actor.

The actor starts a job as soon as its events call for one (a save began, a
version died) and again from its periodic reminder, which is what finishes
the work after a crash or a move of the actor to another replica. Jobs are
idempotent; a job already running in this process is not started twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Sequence
from typing import Any

from optimus.domain.dataset import Dataset
from optimus.domain.events import VersionEvent
from optimus.service_layer.jobs import LifecycleJobs, any_version_died, saves_begun
from optimus.service_layer.ports import Clock

log = logging.getLogger(__name__)


class DaprJobs:
    def __init__(self, jobs: LifecycleJobs, clock: Clock, grace_ms: int) -> None:
        self._jobs = jobs
        self._clock = clock
        self._grace_ms = grace_ms
        self._running: dict[str, asyncio.Task[None]] = {}

    def on_events(self, events: Sequence[VersionEvent]) -> None:
        for dataset, version_id in saves_begun(events):
            self._save(dataset, version_id)
        if any_version_died(events):
            dataset = events[0].dataset
            self._start(f"purge/{dataset}", self._purge(dataset, delay_s=self._grace_ms / 1000))

    def housekeeping(self, dataset: Dataset) -> None:
        """Resume whatever the dataset still needs: saves in progress, purges due."""
        for version in dataset.versions_saving():
            self._save(dataset.name, version.id)
        if dataset.versions_to_purge():
            self._start(f"purge/{dataset.name}", self._purge(dataset.name, delay_s=0))

    async def stop(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _save(self, dataset: str, version_id: str) -> None:
        self._start(f"save/{version_id}", self._jobs.complete_save(dataset, version_id))

    async def _purge(self, dataset: str, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        await self._jobs.purge_dead_versions(
            dataset, now=self._clock.now_ms(), grace_ms=self._grace_ms
        )

    def _start(self, key: str, job: Coroutine[Any, Any, None]) -> None:
        if key in self._running:
            job.close()
            return
        task = asyncio.create_task(job)
        self._running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))

    def _finished(self, key: str, task: asyncio.Task[None]) -> None:
        self._running.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            # Left for the dataset's next reminder to retry.
            log.error("job %s failed: %r", key, task.exception())
