"""DatasetActor: one Dapr virtual actor per dataset, owning its aggregate.

Dapr runs one call at a time per actor id, so commands on a dataset are
serialized wherever they come from. The aggregate and an outbox of events
not yet published are saved in one actor-state transaction, then the events
are published: if the process dies in between, the outbox is published on
the next call or reminder (at least once; consumers drop duplicates by the
event's revision).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from dapr.actor import Actor, ActorInterface, Remindable, actormethod
from dapr.actor.id import ActorId
from dapr.actor.runtime.context import ActorRuntimeContext
from dapr.aio.clients import DaprClient

from optimus.adapters.codec import (
    command_from_dict,
    dataset_from_dict,
    dataset_to_dict,
    version_to_dict,
)
from optimus.domain.dataset import Dataset
from optimus.domain.errors import OptimusError, dataset_exists, unknown_dataset
from optimus.hosts.dapr import state_keys
from optimus.hosts.dapr.components import DaprNames
from optimus.hosts.dapr.envelope import failure, success
from optimus.hosts.dapr.events import VersionEventPublisher, event_data
from optimus.hosts.dapr.fence import BATCH_LEASE_MS
from optimus.hosts.dapr.jobs import DaprJobs
from optimus.service_layer.commands import CreateVersion, RecordPurge, execute_command
from optimus.service_layer.ports import Clock

log = logging.getLogger(__name__)

DATASET = "dataset"
OUTBOX = "outbox"
HOUSEKEEPING = "housekeeping"
HOUSEKEEPING_PERIOD = timedelta(seconds=30)


def _ledger_key(version_id: str) -> str:
    # No "/": actor state keys end up in the sidecar's URL paths.
    return f"batches.{version_id}"


class DatasetActorInterface(ActorInterface):
    @actormethod(name="get")
    async def get(self, payload: dict) -> dict: ...

    @actormethod(name="create")
    async def create(self, payload: dict) -> dict: ...

    @actormethod(name="execute")
    async def execute(self, payload: dict) -> dict: ...

    @actormethod(name="begin_batch")
    async def begin_batch(self, payload: dict) -> dict: ...

    @actormethod(name="end_batch")
    async def end_batch(self, payload: dict) -> dict: ...

    @actormethod(name="batches")
    async def batches(self, payload: dict) -> dict: ...


@dataclass(frozen=True, slots=True)
class ActorServices:
    """What every DatasetActor of this process shares."""

    client: DaprClient
    publisher: VersionEventPublisher
    names: DaprNames
    clock: Clock
    jobs: DaprJobs


class DatasetActor(Actor, DatasetActorInterface, Remindable):
    def __init__(self, ctx: ActorRuntimeContext, actor_id: ActorId, services: ActorServices):
        super().__init__(ctx, actor_id)
        self._services = services
        self._name = actor_id.id

    # ----------------------------------------------------------------- methods
    async def get(self, payload: dict) -> dict:
        return success(await self._document())

    async def create(self, payload: dict) -> dict:
        if await self._document() is not None:
            return failure(dataset_exists(self._name))
        document = payload["dataset"]
        await self._state_manager.set_state(DATASET, document)
        await self._state_manager.save_state()
        await self._keep_house()
        return success(document)

    async def execute(self, payload: dict) -> dict:
        try:
            dataset = await self._dataset()
            command = command_from_dict(payload["command"])
            version, events = execute_command(dataset, command, self._services.clock.now_ms())
        except OptimusError as error:
            return failure(error)
        if isinstance(command, CreateVersion):
            # Index first: an index entry without its version just answers "not found".
            await self._services.client.save_state(
                self._services.names.entries_store, state_keys.version_index(version.id), self._name
            )
        if isinstance(command, RecordPurge):
            await self._state_manager.try_remove_state(_ledger_key(version.id))
        document = dataset_to_dict(dataset)
        _, outbox = await self._state_manager.try_get_state(OUTBOX)
        await self._state_manager.set_state(DATASET, document)
        await self._state_manager.set_state(OUTBOX, [*(outbox or []), *map(event_data, events)])
        await self._state_manager.save_state()
        await self._flush_outbox(dataset)
        self._services.jobs.on_events(events)
        return success({"version": version_to_dict(version), "dataset": document})

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
        ledger["pending"][str(number)] = self._services.clock.now_ms()
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
        """How many batches the version had, and which are still being written."""
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
        if name != HOUSEKEEPING:
            return
        document = await self._document()
        if document is None:
            await self.unregister_reminder(HOUSEKEEPING)
            return
        dataset = dataset_from_dict(document)
        await self._flush_outbox(dataset)
        self._services.jobs.housekeeping(dataset)

    async def _on_activate(self) -> None:
        """After a crash or a move to this replica: resume the reminder and the outbox."""
        document = await self._document()
        if document is not None:
            await self._keep_house()
            await self._flush_outbox(dataset_from_dict(document))

    # --------------------------------------------------------------- internals
    async def _document(self) -> dict[str, Any] | None:
        _, document = await self._state_manager.try_get_state(DATASET)
        return document

    async def _dataset(self) -> Dataset:
        document = await self._document()
        if document is None:
            raise unknown_dataset(self._name)
        return dataset_from_dict(document)

    async def _ledger(self, version_id: str) -> dict[str, Any]:
        _, ledger = await self._state_manager.try_get_state(_ledger_key(version_id))
        return ledger or {"count": 0, "pending": {}}

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
