"""The background jobs of the lifecycle, shared by both hosts.

Each host decides when to run them (the embedded host from in-process tasks,
the Dapr host from actor reminders); they are idempotent, so running one
twice after a crash is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from optimus.domain.dataset import Dataset
from optimus.domain.errors import OptimusError
from optimus.domain.events import EventType, VersionEvent
from optimus.domain.version import DEAD
from optimus.service_layer.commands import CompleteSave, FailVersion, RecordPurge
from optimus.service_layer.diffs import VersionDiffs
from optimus.service_layer.metering import Meter
from optimus.service_layer.ports import DatasetHost, LayeredEntries, WriteFence

log = logging.getLogger(__name__)

# How long entries of a dead version stay readable, for reads that resolved it just before.
GC_GRACE_MS = 10_000


def abandoned_reason(timeout_s: int) -> str:
    return f"abandoned: no batch for {timeout_s} s (load-timeout-seconds)"


def saves_begun(events: Sequence[VersionEvent]) -> list[tuple[str, str]]:
    """(dataset, version id) of each version whose save began with these events."""
    return [(e.dataset, e.version_id) for e in events if e.type is EventType.SAVING]


def any_version_died(events: Sequence[VersionEvent]) -> bool:
    """True if these events leave a version whose entries are to be deleted."""
    return any(event.status in DEAD for event in events)


@dataclass(frozen=True, slots=True)
class LifecycleJobs:
    host: DatasetHost
    entries: LayeredEntries
    fence: WriteFence
    meter: Meter = field(default_factory=Meter)

    async def complete_save(self, dataset_name: str, version_id: str) -> None:
        """Count and digest the entries of a SAVING version, then let the aggregate verify them.

        Errors reading the entries propagate: the host decides whether to retry
        (Dapr, from the dataset's reminder) or to fail the version (embedded).
        """
        command: CompleteSave | FailVersion
        started = time.perf_counter()
        dataset = await self.host.get(dataset_name)
        if await self.fence.drained(dataset_name, version_id):
            # At once: the count and digest wait mostly on the engine (a flush and a compaction
            # on the embedded host, the state store on Dapr) while the diff reads.
            stats, diff = await asyncio.gather(
                self.entries.stats(dataset_name, version_id, dataset.tables),
                self._diff_for_gates(dataset, version_id),
            )
            command = CompleteSave(version_id, stats.counts, stats.digest_sum, diff=diff)
        else:
            reason = "a batch was still being written when the save began; load it again"
            command = FailVersion(version_id, reason)
        try:
            version = await self.host.execute(dataset_name, command)
        except OptimusError as exc:  # e.g. discarded while it was saving
            log.info("save of %s ended: %s", version_id, exc.message)
            outcome = "refused"
        else:
            outcome = str(version.status)
        self.meter.operation("save", outcome, time.perf_counter() - started)

    async def fail_abandoned_loads(
        self,
        dataset_name: str,
        *,
        now: int,
        last_batch_at: Mapping[str, int],
        watched_since: int,
        default_timeout_s: int | None,
    ) -> list[str]:
        """Fail the dataset's versions AWAITING_ENTRIES that got no batch within their timeout.

        FAILED is dead: the collector then deletes what they had received. Returns their ids.
        """
        dataset = await self.host.get(dataset_name)
        abandoned = dataset.abandoned_loads(
            now=now,
            last_batch_at=last_batch_at,
            watched_since=watched_since,
            default_s=default_timeout_s,
        )
        failed = []
        for version_id, timeout_s in abandoned:
            reason = abandoned_reason(timeout_s)
            try:
                await self.host.execute(dataset_name, FailVersion(version_id, reason))
            except OptimusError as exc:  # saved or discarded meanwhile
                log.info("timing out %s: %s", version_id, exc.message)
                continue
            log.warning("version %s failed: %s", version_id, reason)
            failed.append(version_id)
        return failed

    async def _diff_for_gates(self, dataset: Dataset, version_id: str) -> dict[str, Any] | None:
        """The diff against the active version, if the version's publish gates need one."""
        version, active = dataset.version(version_id), dataset.active_version
        gates = dataset.gates_of(version)
        if active is None or gates is None or not gates.needs_diff:
            return None
        summary = await VersionDiffs(self.host, self.entries).summary_of(dataset, version, active)
        return summary.to_dict()

    async def purge_dead_versions(self, dataset_name: str, *, now: int, grace_ms: int) -> list[str]:
        """Delete the entries of the dataset's dead versions that died at least `grace_ms` ago.

        The grace period lets reads that resolved a version just before it was
        evicted finish; returns the ids of the versions purged.
        """
        purged: list[str] = []
        self.meter.gc_runs += 1
        # Again after each round: purging a patch frees the layers it was the last to need.
        while True:
            dataset = await self.host.get(dataset_name)
            due = [
                version
                for version in dataset.versions_to_purge()
                if now - version.operation_log[-1].at >= grace_ms and version.id not in purged
            ]
            if not due:
                self.meter.gc_versions_purged += len(purged)
                return purged
            for version in due:
                await self.fence.drained(dataset_name, version.id)
                await self.entries.delete(dataset_name, version.id, dataset.tables)
                await self.host.execute(dataset_name, RecordPurge(version.id))
                purged.append(version.id)
