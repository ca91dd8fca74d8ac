"""Taking a version's entries out again: every entry of some tables, in order, streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from optimus.domain.access import Principal
from optimus.service_layer.ports import DatasetHost, EntryPage
from optimus.service_layer.reads import MAX_PAGE_SIZE, EntryReader
from optimus.service_layer.views import DatasetView

BATCH_ENTRIES = 65_536  # entries per batch of an export (a Parquet row group)


@dataclass(frozen=True, slots=True)
class Export:
    """What an export will hold, known before the first entry is read."""

    view: DatasetView
    version_id: str
    tables: tuple[str, ...]
    batches: AsyncIterator[EntryPage]


class VersionExport:
    """A version's entries, read as every read is (`EntryReader.scan`: checks, masking)."""

    def __init__(self, host: DatasetHost, reader: EntryReader) -> None:
        self._host = host
        self._reader = reader

    async def export(
        self, version_id: str, table: str | None = None, *, reader: Principal | None
    ) -> Export:
        """The version's entries, table by table in name order, keys in order.

        Checked first (NotFound, Gone, Conflict), so that a caller can answer an
        error before streaming anything: the version must be readable (SAVED or later).
        """
        name = await self._host.dataset_of_version(version_id)
        scan = await self._reader.scan(name, version_id, table, None, MAX_PAGE_SIZE, reader=reader)
        tables = (table,) if table is not None else tuple(sorted(scan.view.tables))
        return Export(scan.view, version_id, tables, _batches(scan.pages))


async def _batches(pages: AsyncIterator[EntryPage]) -> AsyncIterator[EntryPage]:
    """Pages joined up to BATCH_ENTRIES of one table: the formats turn whole columns
    into bytes (a Parquet row group), not one entry at a time."""
    keys: list[str] = []
    values: list[bytes] = []
    table: str | None = None
    async for page in pages:
        if table is not None and (page.table != table or len(keys) >= BATCH_ENTRIES):
            yield EntryPage(table, keys, values)
            keys, values = [], []
        table = page.table
        keys.extend(page.keys)
        values.extend(page.values)
    if table is not None and keys:
        yield EntryPage(table, keys, values)
