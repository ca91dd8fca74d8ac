"""The background jobs of the lifecycle, shared by both hosts.

Each host decides when to run them (the embedded host from in-process tasks,
the Dapr host from actor reminders); they are idempotent, so running one
twice after a crash is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from optimus.domain.errors import OptimusError
from optimus.domain.events import EventType, VersionEvent
from optimus.domain.version import DEAD
from optimus.service_layer.commands import CompleteSave, FailVersion, RecordPurge
from optimus.service_layer.ports import DatasetHost, EntryStore, WriteFence

log = logging.getLogger(__name__)

# How long entries of a dead version stay readable, for reads that resolved it just before.
GC_GRACE_MS = 10_000


def saves_begun(events: Sequence[VersionEvent]) -> list[tuple[str, str]]:
    """(dataset, version id) of each version whose save began with these events."""
    return [(e.dataset, e.version_id) for e in events if e.type is EventType.SAVING]


def any_version_died(events: Sequence[VersionEvent]) -> bool:
    """True if these events leave a version whose entries are to be deleted."""
    return any(event.status in DEAD for event in events)


@dataclass(frozen=True, slots=True)
class LifecycleJobs:
    host: DatasetHost
    entries: EntryStore
    fence: WriteFence

    async def complete_save(self, dataset_name: str, version_id: str) -> None:
        """Count and digest the entries of a SAVING version, then let the aggregate verify them.

        Errors reading the entries propagate: the host decides whether to retry
        (Dapr, from the dataset's reminder) or to fail the version (embedded).
        """
        command: CompleteSave | FailVersion
        dataset = await self.host.get(dataset_name)
        if await self.fence.drained(dataset_name, version_id):
            stats = await self.entries.stats(dataset_name, version_id, dataset.tables)
            command = CompleteSave(version_id, stats.counts, stats.digest_sum)
        else:
            reason = "a batch was still being written when the save began; load it again"
            command = FailVersion(version_id, reason)
        try:
            await self.host.execute(dataset_name, command)
        except OptimusError as exc:  # e.g. discarded while it was saving
            log.info("save of %s ended: %s", version_id, exc.message)

    async def purge_dead_versions(self, dataset_name: str, *, now: int, grace_ms: int) -> list[str]:
        """Delete the entries of the dataset's dead versions that died at least `grace_ms` ago.

        The grace period lets reads that resolved a version just before it was
        evicted finish; returns the ids of the versions purged.
        """
        purged: list[str] = []
        # Again after each round: purging a patch frees the layers it was the last to need.
        while True:
            dataset = await self.host.get(dataset_name)
            due = [
                version
                for version in dataset.versions_to_purge()
                if now - version.operation_log[-1].at >= grace_ms and version.id not in purged
            ]
            if not due:
                return purged
            for version in due:
                await self.fence.drained(dataset_name, version.id)
                await self.entries.delete(dataset_name, version.id, dataset.tables)
                await self.host.execute(dataset_name, RecordPurge(version.id))
                purged.append(version.id)
