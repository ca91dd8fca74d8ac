"""The load pipeline: read and encode batches, write them in parallel, account for each.

One producer reads and encodes (CPU work, in the event loop: batches are
cut small enough that writers get their turn between them); `concurrency`
writers send batches through the sink. A batch the journal already holds
is not encoded nor sent; its recorded counts and digest are added instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from optimus.domain.digest import EntryStats
from optimus.loader.encoding import EncodedBatch, EncodingRules, encode_batch
from optimus.loader.errors import BadRow, TooManyBadRows
from optimus.loader.mapping import ColumnMapping
from optimus.loader.plan import BatchLimits
from optimus.loader.progress import LoadProgress
from optimus.loader.readers import read_batches
from optimus.loader.sources import Source
from optimus.loader.writer import BatchRecord, BatchWriter


@dataclass(slots=True)
class LoadTotals:
    stats: EntryStats = field(default_factory=EntryStats)
    bad: list[BadRow] = field(default_factory=list)
    batches_sent: int = 0
    batches_skipped: int = 0

    def add(self, record: BatchRecord) -> None:
        self.stats.merge(record.stats)
        self.bad.extend(record.bad)

    def as_record(self) -> BatchRecord:
        return BatchRecord("all", self.stats, self.bad)


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    mapping: ColumnMapping
    rules: EncodingRules
    limits: BatchLimits
    concurrency: int
    max_bad_rows: int


async def load_sources(
    sources: Iterable[tuple[int, Source]],
    settings: PipelineSettings,
    writer: BatchWriter,
    *,
    done: Mapping[str, BatchRecord],
    on_record: Callable[[BatchRecord], None],
    progress: LoadProgress,
) -> LoadTotals:
    """Load every batch of `sources` not in `done`; `on_record` is called for each ack.

    `sources` are (index in the plan, source) pairs: batch ids start with the
    index, so a worker given some of a plan's sources makes the same ids.
    """
    totals = LoadTotals()
    queue: asyncio.Queue[EncodedBatch | None] = asyncio.Queue(maxsize=settings.concurrency)

    def check_bad_rows(extra: list[BadRow]) -> None:
        if len(totals.bad) + len(extra) > settings.max_bad_rows:
            raise TooManyBadRows(sorted(totals.bad + extra, key=_where), settings.max_bad_rows)

    async def produce() -> None:
        for index, source in sources:
            for raw in read_batches(source, index, settings.mapping, settings.limits):
                recorded = done.get(raw.id)
                if recorded is not None:
                    check_bad_rows(recorded.bad)
                    totals.add(recorded)
                    totals.batches_skipped += 1
                    progress.advance(raw.rows, raw.weight, sent=False)
                    continue
                batch = encode_batch(raw, source, settings.rules)
                check_bad_rows(batch.bad)  # before sending anything of it
                await queue.put(batch)
                await asyncio.sleep(0)  # let writers take acks between two batches
        for _ in range(settings.concurrency):
            await queue.put(None)

    async def write() -> None:
        while (batch := await queue.get()) is not None:
            record = await writer.write(batch)
            on_record(record)
            check_bad_rows(record.bad)
            totals.add(record)
            totals.batches_sent += 1
            progress.advance(batch.rows, batch.weight, sent=True)

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(produce())
            for _ in range(settings.concurrency):
                group.create_task(write())
    except BaseExceptionGroup as failed:
        raise _first(failed) from None
    return totals


def _where(row: BadRow) -> tuple[str, int]:
    return row.file, row.line


def _first(group: BaseExceptionGroup) -> BaseException:
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
