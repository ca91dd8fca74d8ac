"""The one interface behind which a dataset's state machine runs.

Two hosts implement it: `EmbeddedHost` (one process, local disk) and the Dapr
host (one virtual actor per dataset). Both apply the same `Command`s to the
same `Dataset` aggregate; they differ only in where the aggregate lives and
how commands on one dataset are serialized.
"""

from __future__ import annotations

from typing import Protocol

from optimus.domain.dataset import Dataset
from optimus.domain.version import Version
from optimus.service_layer.commands import Command
from optimus.service_layer.views import ReadViews


class DatasetHost(Protocol):
    views: ReadViews

    async def create(self, dataset: Dataset) -> Dataset:
        """Store a new dataset; Conflict if the name is taken."""

    async def execute(self, name: str, command: Command) -> Version:
        """Apply one command to the named dataset, one at a time per dataset."""

    async def get(self, name: str) -> Dataset:
        """The dataset's current aggregate; NotFound if there is none."""

    async def all(self) -> list[Dataset]: ...

    async def dataset_of_version(self, version_id: str) -> str:
        """Name of the dataset owning the version; NotFound if unknown."""
