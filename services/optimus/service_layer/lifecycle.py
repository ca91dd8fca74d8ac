"""Use cases that create datasets and move versions through their lifecycle."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import trace

from optimus.domain.dataset import Dataset
from optimus.domain.diff import DiffSummary
from optimus.domain.errors import Conflict, OptimusError
from optimus.domain.gates import parse_publish_gates
from optimus.domain.hooks import Decision, parse_publish_hooks
from optimus.domain.ids import new_version_id
from optimus.domain.policies import EvictionPolicy, parse_verification_policy
from optimus.domain.version import Version, VersionStatus
from optimus.service_layer.commands import (
    BeginSave,
    CreateVersion,
    Discard,
    Publish,
    RecordHookAnswers,
    Stage,
    Unstage,
)
from optimus.service_layer.diffs import VersionDiffs
from optimus.service_layer.metering import Meter
from optimus.service_layer.ports import Clock, DatasetHost, PublishHookCaller
from optimus.service_layer.schemas import compiled

log = logging.getLogger(__name__)
# The API only: spans are recorded when the process installed the SDK (entrypoints.tracing).
_tracer = trace.get_tracer(__name__)

SAVE_POLL_SECONDS = (0.01, 0.25)  # first and longest pause while waiting for a save
HOOK_RETRY_SECONDS = 30  # the hint given when a pre-publish hook says wait


class VersionLifecycle:
    def __init__(
        self,
        host: DatasetHost,
        clock: Clock,
        *,
        diffs: VersionDiffs,
        hooks: PublishHookCaller,
        new_id: Callable[[], str] = new_version_id,
        meter: Meter | None = None,
    ) -> None:
        self._host = host
        self._clock = clock
        self._diffs = diffs
        self._hooks = hooks
        self._new_id = new_id
        self._meter = meter if meter is not None else Meter()

    async def create_dataset(
        self,
        name: object,
        tables: object,
        *,
        content_type: object,
        eviction_policy: EvictionPolicy,
        masking: object = None,
        publish_gates: object = None,
        schemas: object = None,
        publish_hooks: object = None,
        by: str,
        load_timeout_s: object = None,
    ) -> Dataset:
        dataset = Dataset.create(
            name,
            tables,
            content_type=content_type,
            eviction_policy=eviction_policy,
            masking=masking,
            publish_gates=parse_publish_gates(publish_gates),
            schemas=schemas,
            publish_hooks=parse_publish_hooks(publish_hooks),
            at=self._clock.now_ms(),
            by=by,
            load_timeout_s=load_timeout_s,
        )
        compiled(dataset.schemas)  # a schema that is not valid fails before anything
        await self._host.create(dataset)
        return dataset

    async def create_version(
        self,
        dataset: str,
        *,
        label: str | None,
        verification_policy: dict[str, Any] | None,
        publish_gates: dict[str, Any] | None = None,
        schemas: dict[str, Any] | None = None,
        by: str,
        base: str | None = None,
        reason: str | None = None,
    ) -> Version:
        """A new empty version, or with `base` a patch version starting from its entries."""
        parse_verification_policy(verification_policy)  # a bad policy fails before anything
        parse_publish_gates(publish_gates)
        if isinstance(schemas, dict):
            compiled(schemas)
        command = CreateVersion(
            self._new_id(), label, verification_policy, by, publish_gates, schemas, base, reason
        )
        return await self._host.execute(dataset, command)

    async def version(self, version_id: str) -> Version:
        dataset = await self._host.get(await self._host.dataset_of_version(version_id))
        return dataset.version(version_id)

    async def save(
        self,
        version_id: str,
        *,
        by: str,
        reason: str | None = None,
        verification_policy: dict[str, Any] | None = None,
    ) -> Version:
        """Start saving; the host's background work counts, digests and verifies."""
        parse_verification_policy(verification_policy)  # a bad policy fails before anything
        dataset = await self._host.dataset_of_version(version_id)
        command = BeginSave(version_id, by, reason, verification_policy)
        return await self._host.execute(dataset, command)

    async def wait_saved(self, version_id: str, timeout_s: float = 3600) -> Version:
        """The version once its save has ended (or as it is when `timeout_s` runs out)."""
        pause, longest = SAVE_POLL_SECONDS
        deadline = time.monotonic() + timeout_s
        version = await self.version(version_id)
        while version.status is VersionStatus.SAVING and time.monotonic() < deadline:
            await asyncio.sleep(pause)
            pause = min(pause * 2, longest)
            version = await self.version(version_id)
        return version

    async def publish(
        self, version_id: str, *, by: str, reason: str | None = None, force: bool = False
    ) -> Version:
        """Publish, after the pre-publish hooks said proceed; the version's gates are judged
        again if the active version changed since its save. A rollback is neither."""
        with _tracer.start_as_current_span("publish", attributes={"optimus.version": version_id}):
            started = time.perf_counter()
            try:
                version = await self._publish(version_id, by, reason, force)
            except OptimusError:
                self._meter.operation("publish", "refused", time.perf_counter() - started)
                raise
        # Published before: this publish is a rollback to it.
        published = sum(op.action == VersionStatus.PUBLISHED for op in version.operation_log)
        operation = "rollback" if published > 1 else "publish"
        self._meter.operation(operation, "ok", time.perf_counter() - started)
        log.info(
            "%s of version %s by %s",
            operation,
            version_id,
            by,
            extra={"dataset": version.dataset, "version": version_id, "principal": by},
        )
        return version

    async def _publish(self, version_id: str, by: str, reason: str | None, force: bool) -> Version:
        dataset = await self._host.get(await self._host.dataset_of_version(version_id))
        version, active = dataset.version(version_id), dataset.active_version
        judged = (
            version.status is VersionStatus.SAVED
            and version.id != dataset.active_version_id
            and not dataset.is_rollback(version)
        )
        diff = None
        if (
            judged
            and active is not None
            and (dataset.gates_stale(version) or dataset.publish_hooks)
        ):
            diff = await self._diffs.summary_of(dataset, version, active)
        if judged and dataset.publish_hooks:
            await self._ask_hooks(dataset, version, diff, by)
        stale = diff is not None and dataset.gates_stale(version)
        command = Publish(version_id, by, reason, force, diff.to_dict() if stale else None)
        return await self._host.execute(dataset.name, command)

    async def _ask_hooks(
        self, dataset: Dataset, version: Version, diff: DiffSummary | None, by: str
    ) -> None:
        """Ask every hook at once and log their answers; Conflict unless all say proceed."""
        request = {
            "dataset": dataset.name,
            "version": {
                "id": version.id,
                "sequence": version.sequence,
                "label": version.label,
                "counts": version.counts,
                "digest": version.digest,
            },
            "active-version": dataset.active_version_id,
            "diff": diff.to_dict() if diff is not None else None,
        }
        answers = await asyncio.gather(
            *(self._hooks.ask(h, request) for h in dataset.publish_hooks)
        )
        logged = [(a.hook, str(a.decision), a.message) for a in answers]
        await self._host.execute(dataset.name, RecordHookAnswers(version.id, logged, by))
        for answer in answers:
            if answer.decision is Decision.ABORT:
                raise Conflict(
                    f"publish of {version.id} aborted by {answer.hook}: {answer.message}",
                    code="publish-hook-abort",
                    version=version.id,
                    hook=answer.hook,
                )
        for answer in answers:
            if answer.decision is Decision.WAIT:
                raise Conflict(
                    f"{answer.hook} asks to wait before publishing {version.id}: "
                    f"{answer.message}; nothing was published, try again later",
                    code="publish-hook-wait",
                    version=version.id,
                    hook=answer.hook,
                    retry_after_seconds=HOOK_RETRY_SECONDS,
                )

    async def stage(self, version_id: str, *, by: str, reason: str | None = None) -> Version:
        """Make the version the dataset's candidate: readers of the candidate track get it."""
        dataset = await self._host.dataset_of_version(version_id)
        return await self._host.execute(dataset, Stage(version_id, by, reason))

    async def unstage(self, version_id: str, *, by: str, reason: str | None = None) -> Version:
        dataset = await self._host.dataset_of_version(version_id)
        return await self._host.execute(dataset, Unstage(version_id, by, reason))

    async def discard(self, version_id: str, *, by: str, reason: str | None = None) -> Version:
        dataset = await self._host.dataset_of_version(version_id)
        return await self._host.execute(dataset, Discard(version_id, by, reason))
