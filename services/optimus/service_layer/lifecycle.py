"""Use cases that create datasets and move versions through their lifecycle."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from optimus.domain.dataset import Dataset
from optimus.domain.ids import new_version_id
from optimus.domain.policies import EvictionPolicy, parse_verification_policy
from optimus.domain.version import Version, VersionStatus
from optimus.service_layer.commands import BeginSave, CreateVersion, Discard, Publish
from optimus.service_layer.ports import Clock, DatasetHost

SAVE_POLL_SECONDS = (0.01, 0.25)  # first and longest pause while waiting for a save


class VersionLifecycle:
    def __init__(
        self, host: DatasetHost, clock: Clock, new_id: Callable[[], str] = new_version_id
    ) -> None:
        self._host = host
        self._clock = clock
        self._new_id = new_id

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
        await self._host.create(dataset)
        return dataset

    async def create_version(
        self,
        dataset: str,
        *,
        label: str | None,
        verification_policy: dict[str, Any] | None,
        by: str,
        base: str | None = None,
        reason: str | None = None,
    ) -> Version:
        """A new empty version, or with `base` a patch version starting from its entries."""
        parse_verification_policy(verification_policy)  # a bad policy fails before anything
        command = CreateVersion(self._new_id(), label, verification_policy, by, base, reason)
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

    async def publish(self, version_id: str, *, by: str, reason: str | None = None) -> Version:
        dataset = await self._host.dataset_of_version(version_id)
        return await self._host.execute(dataset, Publish(version_id, by, reason))

    async def discard(self, version_id: str, *, by: str, reason: str | None = None) -> Version:
        dataset = await self._host.dataset_of_version(version_id)
        return await self._host.execute(dataset, Discard(version_id, by, reason))
