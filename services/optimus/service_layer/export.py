"""Taking a version's entries out again: every entry of some tables, in order, streamed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from optimus.domain.access import Principal
from optimus.service_layer.ports import DatasetHost, EntryPage
from optimus.service_layer.reads import MAX_PAGE_SIZE, EntryReader
from optimus.service_layer.views import DatasetView

BATCH_ENTRIES = 65_536  # entries per batch of an export (a Parquet row group)
# Pages the scan reads ahead while the batch before is encoded: the store's reads (a
# worker thread, or the network) overlap the format's work instead of waiting for it.
READ_AHEAD_PAGES = 8


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
        pages = _read_ahead(scan.pages, READ_AHEAD_PAGES)
        return Export(scan.view, version_id, tables, _batches(pages))


async def _read_ahead(pages: AsyncIterator[EntryPage], depth: int) -> AsyncIterator[EntryPage]:
    """`pages`, read by a task of their own up to `depth` pages ahead of the consumer."""
    queue: asyncio.Queue[EntryPage | Exception | None] = asyncio.Queue(depth)

    async def read() -> None:
        try:
            async for page in pages:
                await queue.put(page)
        except Exception as exc:  # raised where the consumer reads, not lost in the task
            await queue.put(exc)
        else:
            await queue.put(None)

    reading = asyncio.create_task(read())
    try:
        while (page := await queue.get()) is not None:
            if isinstance(page, Exception):
                raise page
            yield page
    finally:  # the export finished, failed, or its client went away: stop reading
        reading.cancel()


async def _batches(pages: AsyncIterator[EntryPage]) -> AsyncIterator[EntryPage]:
    """Pages joined into batches of BATCH_ENTRIES of one table (a table's last one may be
    smaller): the formats turn whole columns into bytes (a Parquet row group), not one
    entry at a time."""
    keys: list[str] = []
    values: list[bytes] = []
    table: str | None = None
    async for page in pages:
        if page.table != table and keys:
            yield EntryPage(table, keys, values)
            keys, values = [], []
        table = page.table
        keys.extend(page.keys)
        values.extend(page.values)
        while len(keys) >= BATCH_ENTRIES:
            yield EntryPage(table, keys[:BATCH_ENTRIES], values[:BATCH_ENTRIES])
            del keys[:BATCH_ENTRIES], values[:BATCH_ENTRIES]
    if table is not None and keys:
        yield EntryPage(table, keys, values)
