"""DatasetActor: one Dapr virtual actor per dataset, owning its aggregate.

Dapr runs one call at a time per actor id, so commands on a dataset are
serialized wherever they come from. The aggregate is kept decoded in the
actor while it is active and stored as a header plus one state key per
version, so a command writes what it changed, whatever the dataset's
history. What changed and an outbox of events not yet published are saved
in one actor-state transaction, then the events are published: if the
process dies in between, the outbox is published on the next call or
reminder (at least once; consumers drop duplicates by the event's revision).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from dapr.actor import Actor, Remindable
from dapr.actor.id import ActorId
from dapr.actor.runtime.context import ActorRuntimeContext
from dapr.aio.clients import DaprClient

from optimus.adapters.codec import (
    command_from_dict,
    command_to_dict,
    dataset_from_dict,
    dataset_from_header,
    dataset_header_to_dict,
    dataset_to_dict,
    event_to_dict,
    version_to_dict,
)
from optimus.domain.dataset import Dataset
from optimus.domain.errors import OptimusError, dataset_exists, unknown_dataset
from optimus.domain.version import VersionStatus
from optimus.hosts.dapr import state_keys
from optimus.hosts.dapr.actor_interface import DatasetActorInterface
from optimus.hosts.dapr.components import DaprNames
from optimus.hosts.dapr.envelope import failure, success
from optimus.hosts.dapr.events import VersionEventPublisher
from optimus.hosts.dapr.fence import BATCH_LEASE_MS
from optimus.hosts.dapr.jobs import DaprJobs
from optimus.service_layer.commands import (
    CreateVersion,
    FailVersion,
    Outcome,
    RecordPurge,
    execute_command,
)
from optimus.service_layer.jobs import abandoned_reason
from optimus.service_layer.ports import Clock

log = logging.getLogger(__name__)

DATASET = "dataset"
OUTBOX = "outbox"
HOUSEKEEPING = "housekeeping"
HOUSEKEEPING_PERIOD = timedelta(seconds=30)
# One reminder per version being loaded, every load timeout: it fails the version once
# no batch came for that long, so a version fails between 1x and 2x the timeout after
# its last batch, across restarts and moves of the actor.
LOAD_TIMEOUT = "load-timeout."


# No "/" in actor state keys: they end up in the sidecar's URL paths.
def _version_key(version_id: str) -> str:
    return f"version.{version_id}"


def _ledger_key(version_id: str) -> str:
    return f"batches.{version_id}"


@dataclass(frozen=True, slots=True)
class ActorServices:
    """What every DatasetActor of this process shares."""

    client: DaprClient
    publisher: VersionEventPublisher
    names: DaprNames
    clock: Clock
    jobs: DaprJobs
    # The load timeout of datasets that set none (None: loads never time out).
    default_load_timeout_s: int | None = None


class DatasetActor(Actor, DatasetActorInterface, Remindable):
    def __init__(self, ctx: ActorRuntimeContext, actor_id: ActorId, services: ActorServices):
        super().__init__(ctx, actor_id)
        self._services = services
        self._name = actor_id.id
        # The aggregate as stored, decoded once per activation.
        self._loaded: Dataset | None = None

    # ----------------------------------------------------------------- methods
    async def get(self, payload: dict) -> dict:
        dataset = await self._stored()
        return success(dataset_to_dict(dataset) if dataset is not None else None)

    async def create_dataset(self, payload: dict) -> dict:
        if await self._stored() is not None:
            return failure(dataset_exists(self._name))
        dataset = dataset_from_dict(payload["dataset"])
        await self._state_manager.set_state(DATASET, dataset_header_to_dict(dataset))
        await self._state_manager.save_state()
        self._loaded = dataset
        await self._keep_house()
        return success(dataset.revision)

    async def execute(self, payload: dict) -> dict:
        try:
            dataset = await self._dataset()
            command = command_from_dict(payload["command"])
            outcome = execute_command(dataset, command, self._services.clock.now_ms())
        except OptimusError as error:
            return failure(error)
        try:
            await self._store(dataset, command, outcome)
        except BaseException:
            self._loaded = None  # changed in memory, not stored: read it again
            raise
        await self._flush_outbox(dataset)
        self._services.jobs.on_events(outcome.events)
        if isinstance(command, CreateVersion):
            await self._watch_load(dataset, outcome.version.id)
        return success(
            {
                "version": version_to_dict(outcome.version),
                "events": [event_to_dict(e) for e in outcome.events],
            }
        )

    async def begin_batch(self, payload: dict) -> dict:
        """Number a new batch of a version that accepts entries, and hold it open."""
        version_id = payload["version_id"]
        try:
            (await self._dataset()).check_loadable(version_id)
        except OptimusError as error:
            return failure(error)
        ledger = await self._ledger(version_id)
        number = ledger["count"]
        ledger["count"] = number + 1
        ledger["pending"][str(number)] = ledger["last"] = self._services.clock.now_ms()
        await self._state_manager.set_state(_ledger_key(version_id), ledger)
        await self._state_manager.save_state()
        return success(number)

    async def end_batch(self, payload: dict) -> dict:
        version_id = payload["version_id"]
        ledger = await self._ledger(version_id)
        if ledger["pending"].pop(str(payload["number"]), None) is not None:
            await self._state_manager.set_state(_ledger_key(version_id), ledger)
            await self._state_manager.save_state()
        return success()

    async def batches(self, payload: dict) -> dict:
        ledger = await self._ledger(payload["version_id"])
        oldest = self._services.clock.now_ms() - BATCH_LEASE_MS
        pending = [n for n, began in ledger["pending"].items() if began > oldest]
        return success({"count": ledger["count"], "pending": pending})

    # -------------------------------------------------------------- reminders
    async def receive_reminder(
        self,
        name: str,
        state: bytes,
        due_time: timedelta,
        period: timedelta,
        ttl: timedelta | None = None,
    ) -> None:
        if name.startswith(LOAD_TIMEOUT):
            await self._time_out_load(name.removeprefix(LOAD_TIMEOUT))
            return
        if name != HOUSEKEEPING:
            return
        dataset = await self._stored()
        if dataset is None:
            await self.unregister_reminder(HOUSEKEEPING)
            return
        await self._flush_outbox(dataset)
        self._services.jobs.housekeeping(dataset)

    async def _on_activate(self) -> None:
        """After a crash or a move to this replica: resume the reminder and the outbox."""
        dataset = await self._stored()
        if dataset is not None:
            await self._keep_house()
            await self._flush_outbox(dataset)

    # --------------------------------------------------------------- internals
    async def _stored(self) -> Dataset | None:
        if self._loaded is None:
            _, header = await self._state_manager.try_get_state(DATASET)
            if header is None:
                return None
            if "versions" in header:  # stored whole, before versions had keys of their own
                self._loaded = dataset_from_dict(header)
            else:
                documents = await asyncio.gather(
                    *(self._state_manager.get_state(_version_key(v)) for v in header["version_ids"])
                )
                self._loaded = dataset_from_header(header, list(documents))
        return self._loaded

    async def _dataset(self) -> Dataset:
        dataset = await self._stored()
        if dataset is None:
            raise unknown_dataset(self._name)
        return dataset

    async def _store(self, dataset: Dataset, command: Any, outcome: Outcome) -> None:
        """Save what the command changed, and its events into the outbox, in one transaction."""
        if isinstance(command, CreateVersion):
            # Index first: an index entry without its version just answers "not found".
            await self._services.client.save_state(
                self._services.names.entries_store,
                state_keys.version_index(outcome.version.id),
                self._name,
            )
        state = self._state_manager
        _, header = await state.try_get_state(DATASET)
        changed = outcome.changed
        if header is not None and "versions" in header:
            changed = frozenset(dataset.versions)  # the first command since: every version
        for version_id in changed:
            await state.set_state(
                _version_key(version_id), version_to_dict(dataset.versions[version_id])
            )
        for version_id in outcome.forgotten:
            await state.try_remove_state(_version_key(version_id))
        if isinstance(command, RecordPurge):
            await state.try_remove_state(_ledger_key(outcome.version.id))
        await state.set_state(DATASET, dataset_header_to_dict(dataset))
        if outcome.events:
            _, outbox = await state.try_get_state(OUTBOX)
            await state.set_state(OUTBOX, [*(outbox or []), *map(event_to_dict, outcome.events)])
        await state.save_state()

    async def _ledger(self, version_id: str) -> dict[str, Any]:
        _, ledger = await self._state_manager.try_get_state(_ledger_key(version_id))
        return ledger or {"count": 0, "pending": {}}

    def _load_timeout_s(self, dataset: Dataset) -> int | None:
        own = dataset.load_timeout_s
        return own if own is not None else self._services.default_load_timeout_s

    async def _watch_load(self, dataset: Dataset, version_id: str) -> None:
        timeout_s = self._load_timeout_s(dataset)
        if timeout_s is not None:
            every = timedelta(seconds=timeout_s)
            await self.register_reminder(LOAD_TIMEOUT + version_id, b"", every, every)

    async def _time_out_load(self, version_id: str) -> None:
        dataset = await self._stored()
        version = dataset.versions.get(version_id) if dataset is not None else None
        if (
            dataset is None
            or version is None
            or version.status is not VersionStatus.AWAITING_ENTRIES
        ):
            await self.unregister_reminder(LOAD_TIMEOUT + version_id)  # nothing to watch
            return
        ledger = await self._ledger(version_id)
        abandoned = dataset.abandoned_loads(
            now=self._services.clock.now_ms(),
            last_batch_at={version_id: ledger.get("last", 0)},
            watched_since=0,
            default_s=self._services.default_load_timeout_s,
        )
        if not any(found == version_id for found, _ in abandoned):
            return  # a batch came meanwhile: look again at the next reminder
        reason = abandoned_reason(self._load_timeout_s(dataset) or 0)
        log.warning("version %s failed: %s", version_id, reason)
        await self.execute({"command": command_to_dict(FailVersion(version_id, reason))})
        await self.unregister_reminder(LOAD_TIMEOUT + version_id)

    async def _keep_house(self) -> None:
        await self.register_reminder(
            HOUSEKEEPING, b"", due_time=HOUSEKEEPING_PERIOD, period=HOUSEKEEPING_PERIOD
        )

    async def _flush_outbox(self, dataset: Dataset) -> None:
        _, outbox = await self._state_manager.try_get_state(OUTBOX)
        if not outbox:
            return
        publisher = self._services.publisher
        sent = 0
        try:
            for data in outbox:
                await publisher.publish(data)
                sent += 1
            await publisher.record_head(dataset.name, dataset.revision, dataset.active_version_id)
        except Exception:
            log.exception("publishing events of %s failed; the reminder will retry", self._name)
        if sent:
            await self._state_manager.set_state(OUTBOX, outbox[sent:])
            await self._state_manager.save_state()
