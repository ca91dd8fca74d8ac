"""The embedded host: every dataset aggregate in memory, persisted to a local DatasetStore."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from optimus.domain.dataset import Dataset
from optimus.domain.errors import dataset_exists, unknown_dataset, unknown_version
from optimus.domain.version import Version
from optimus.service_layer.commands import Command, execute_command
from optimus.service_layer.ports import Clock, DatasetStore, EventListener
from optimus.service_layer.views import ReadViews


class EmbeddedHost:
    def __init__(self, store: DatasetStore, clock: Clock, views: ReadViews) -> None:
        self.views = views
        self._store = store
        self._listeners: list[EventListener] = []
        self._clock = clock
        self._datasets = {dataset.name: dataset for dataset in store.load_all()}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        for dataset in self._datasets.values():
            views.update(dataset)

    def add_listener(self, listener: EventListener) -> None:
        """`listener` receives the events of every command, once they are stored."""
        self._listeners.append(listener)

    async def create(self, dataset: Dataset) -> Dataset:
        async with self._locks[dataset.name]:
            if dataset.name in self._datasets:
                raise dataset_exists(dataset.name)
            self._store.save(dataset)
            self._datasets[dataset.name] = dataset
            self.views.update(dataset)
        return dataset

    async def execute(self, name: str, command: Command) -> Version:
        async with self._locks[name]:
            dataset = self._require(name)
            # A refused command changes nothing (the domain checks before it changes; the
            # state-machine property tests hold it to that), so it runs on the live
            # aggregate: no copy, whose cost would grow with the dataset's history.
            outcome = execute_command(dataset, command, self._clock.now_ms())
            try:
                self._store.save(dataset, outcome)
            except BaseException:
                self._datasets[name] = self._store.load(name) or dataset  # as stored
                raise
            self.views.update(dataset)
        if outcome.events:
            for listener in self._listeners:
                await listener.on_events(outcome.events)
        return outcome.version

    async def get(self, name: str) -> Dataset:
        return self._require(name)

    async def all(self) -> list[Dataset]:
        return [self._datasets[name] for name in sorted(self._datasets)]

    async def dataset_of_version(self, version_id: str) -> str:
        name = self.views.dataset_of_version(version_id)
        if name is None:
            raise unknown_version(version_id)
        return name

    def _require(self, name: str) -> Dataset:
        dataset = self._datasets.get(name)
        if dataset is None:
            raise unknown_dataset(name)
        return dataset
