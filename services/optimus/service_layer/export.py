"""Taking a version's entries out again: every entry of some tables, in order, streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from optimus.service_layer.ports import DatasetHost, EntryStore
from optimus.service_layer.views import DatasetView, refreshed_view

BATCH_ENTRIES = 65_536  # entries per batch of an export (a Parquet row group)
# The layout of an export file, which `optimus load` recognises: these columns, and in
# Parquet this schema metadata (values are then JSON text for JSON datasets).
COLUMNS = ("table", "key", "value")
LAYOUT_KEY = b"optimus.layout"
LAYOUT = b"export"
CONTENT_TYPE_KEY = b"optimus.content-type"


@dataclass(frozen=True, slots=True)
class ExportBatch:
    """Consecutive entries of one table, in key order."""

    table: str
    keys: list[str]
    values: list[bytes]  # stored value bytes


@dataclass(frozen=True, slots=True)
class Export:
    """What an export will hold, known before the first entry is read."""

    view: DatasetView
    version_id: str
    tables: tuple[str, ...]
    batches: AsyncIterator[ExportBatch]


class VersionExport:
    def __init__(self, host: DatasetHost, store: EntryStore) -> None:
        self._host = host
        self._store = store

    async def export(self, version_id: str, table: str | None = None) -> Export:
        """The version's entries, table by table in name order, keys in order.

        Checked first (NotFound, Gone, Conflict), so that a caller can answer an
        error before streaming anything: the version must be readable (SAVED or later).
        """
        name = await self._host.dataset_of_version(version_id)
        view = self._host.views.get(name)
        if view is None or version_id not in view.statuses:  # this replica's view may lag
            view = await refreshed_view(self._host, name)
        view.version_to_read(version_id)
        if table is not None:
            view.check_table(table)
        tables = (table,) if table is not None else tuple(sorted(view.tables))
        return Export(view, version_id, tables, self._batches(version_id, tables))

    async def _batches(
        self, version_id: str, tables: tuple[str, ...]
    ) -> AsyncIterator[ExportBatch]:
        # In batches: the formats turn whole columns into bytes, not one entry at a time.
        for table in tables:
            keys: list[str] = []
            values: list[bytes] = []
            async for key, value in self._store.scan(version_id, table):
                keys.append(key)
                values.append(value)
                if len(keys) == BATCH_ENTRIES:
                    yield ExportBatch(table, keys, values)
                    keys, values = [], []
            if keys:
                yield ExportBatch(table, keys, values)
