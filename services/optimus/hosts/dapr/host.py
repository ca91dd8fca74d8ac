"""The Dapr host, as the API replicas see it: every command goes to the dataset's actor.

The actor owns the aggregate and applies commands one at a time (Dapr's
turn-based concurrency). This side keeps the replica's read views current
with what the actor answers, and keeps the two things the state API can't
list by itself: the catalog of dataset names and the version -> dataset index
(written by the actor).
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from dapr.aio.clients import DaprClient
from dapr.clients.exceptions import DaprGrpcError
from dapr.clients.grpc._state import Concurrency, StateOptions

from optimus.adapters.codec import (
    command_to_dict,
    dataset_from_dict,
    dataset_to_dict,
    event_from_dict,
    version_from_dict,
)
from optimus.domain.dataset import Dataset
from optimus.domain.errors import NotFound, unknown_dataset, unknown_version
from optimus.domain.version import Version
from optimus.hosts.dapr import state_keys
from optimus.hosts.dapr.actor_client import DatasetActors
from optimus.hosts.dapr.components import DaprNames
from optimus.hosts.dapr.envelope import unwrap
from optimus.service_layer.commands import Command
from optimus.service_layer.views import ReadViews

log = logging.getLogger(__name__)

CATALOG_RETRIES = 20


class DaprHost:
    def __init__(
        self, actors: DatasetActors, client: DaprClient, names: DaprNames, views: ReadViews
    ) -> None:
        self.views = views
        self._actors = actors
        self._client = client
        self._store = names.entries_store

    async def create(self, dataset: Dataset) -> None:
        # Catalog first: a name listed without a dataset is skipped by all().
        await self._add_to_catalog(dataset.name)
        unwrap(
            await self._actors.of(dataset.name).create_dataset(
                {"dataset": dataset_to_dict(dataset)}
            )
        )
        self.views.update(dataset)

    async def execute(self, name: str, command: Command) -> Version:
        actor = self._actors.of(name)
        done = unwrap(await actor.execute({"command": command_to_dict(command)}))
        events = [event_from_dict(event) for event in done["events"]]
        if events and not self.views.advance(name, events):
            await self.get(name)  # this replica missed a revision: the whole aggregate
        return version_from_dict(done["version"])

    async def get(self, name: str) -> Dataset:
        document = unwrap(await self._actors.of(name).get({}))
        if document is None:
            raise unknown_dataset(name)
        dataset = dataset_from_dict(document)
        self.views.update(dataset)
        return dataset

    async def all(self) -> list[Dataset]:
        found = await asyncio.gather(
            *(self.get(name) for name in await self.catalog()), return_exceptions=True
        )
        datasets = [d for d in found if isinstance(d, Dataset)]
        for error in found:
            if isinstance(error, BaseException) and not isinstance(error, NotFound):
                raise error
        return sorted(datasets, key=lambda d: d.name)

    async def dataset_of_version(self, version_id: str) -> str:
        name = self.views.dataset_of_version(version_id)
        if name is not None:
            return name
        found = await self._client.get_state(self._store, state_keys.version_index(version_id))
        if not found.data:
            raise unknown_version(version_id)
        return found.data.decode()

    async def catalog(self) -> list[str]:
        found = await self._client.get_state(self._store, state_keys.CATALOG)
        return sorted(orjson.loads(found.data)) if found.data else []

    async def _add_to_catalog(self, name: str) -> None:
        """Add `name` with optimistic concurrency: creates on other replicas are not lost."""
        options = StateOptions(concurrency=Concurrency.first_write)
        for _ in range(CATALOG_RETRIES):
            found = await self._client.get_state(self._store, state_keys.CATALOG)
            names = set(orjson.loads(found.data)) if found.data else set()
            if name in names:
                return
            try:
                await self._client.save_state(
                    self._store,
                    state_keys.CATALOG,
                    orjson.dumps(sorted(names | {name})),
                    etag=found.etag or None,
                    options=options,
                )
            except DaprGrpcError as exc:  # another replica changed it first
                log.debug("catalog update conflicted, retrying: %s", exc)
                await asyncio.sleep(0.01)
        raise RuntimeError(f"could not add {name!r} to the catalog after {CATALOG_RETRIES} tries")
