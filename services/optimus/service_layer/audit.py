"""The audit log: where records are kept (a port per host) and how it is read and checked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from optimus.domain.audit import AuditEntry, AuditRecord, ChainCheck, check_chain

PAGE = 500  # records read at a time when paging through the whole log


class AuditStore(Protocol):
    """An append-only chain of records; appends are serialized by the store."""

    async def append(self, entry: AuditEntry) -> AuditRecord:
        """The entry, chained after the last record, once it is stored."""
        ...

    async def after(self, sequence: int, limit: int) -> list[AuditRecord]:
        """Up to `limit` records with a sequence above `sequence`, in order."""
        ...


class AuditLog:
    def __init__(self, store: AuditStore) -> None:
        self._store = store

    async def append(self, entry: AuditEntry) -> AuditRecord:
        return await self._store.append(entry)

    async def records(self) -> AsyncIterator[AuditRecord]:
        sequence = 0
        while page := await self._store.after(sequence, PAGE):
            for record in page:
                yield record
            sequence = page[-1].sequence

    async def page(
        self, *, cursor: int, limit: int, dataset: str | None, since: int | None
    ) -> tuple[list[AuditRecord], int]:
        """Up to `limit` records after `cursor` matching the filters, and the next cursor."""
        found: list[AuditRecord] = []
        while len(found) < limit:
            batch = await self._store.after(cursor, PAGE)
            for record in batch:
                cursor = record.sequence
                entry = record.entry
                if (dataset is None or entry.dataset == dataset) and (
                    since is None or entry.at >= since
                ):
                    found.append(record)
                    if len(found) == limit:
                        break
            if len(batch) < PAGE:
                break
        return found, cursor

    async def verify(self) -> ChainCheck:
        return check_chain([record async for record in self.records()])
