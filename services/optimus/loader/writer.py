"""Write one batch through a sink: retry transient failures, set refused rows aside."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from optimus.domain.digest import EntryStats
from optimus.loader.encoding import EncodedBatch
from optimus.loader.errors import BadRow, LoadFailed
from optimus.loader.retry import RetryPolicy, with_retries
from optimus.loader.sink import EntrySink, RejectedEntries, TransientWriteError


@dataclass(slots=True)
class BatchRecord:
    """What is known of an acknowledged batch: all the journal keeps of it."""

    id: str
    stats: EntryStats = field(default_factory=EntryStats)
    bad: list[BadRow] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """As journals store it and loader workers report it."""
        return {
            "id": self.id,
            "counts": self.stats.counts,
            "digest_sum": f"{self.stats.digest_sum:x}",
            "bad": [[row.file, row.line, row.reason] for row in self.bad],
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> BatchRecord:
        stats = EntryStats(dict(body["counts"]), int(body["digest_sum"], 16))
        return cls(body["id"], stats, [BadRow(*row) for row in body["bad"]])


class BatchWriter:
    def __init__(self, sink: EntrySink, retry: RetryPolicy, notify: Callable[[str], None]) -> None:
        self._sink = sink
        self._retry = retry
        self._notify = notify

    async def write(self, batch: EncodedBatch) -> BatchRecord:
        """Store every good entry of `batch`; returns once the sink acknowledged them all."""
        while batch.entries:
            try:
                await with_retries(
                    lambda: self._sink.write(batch),
                    policy=self._retry,
                    transient=lambda exc: isinstance(exc, TransientWriteError),
                    describe=f"batch {batch.id}",
                    notify=self._notify,
                )
                break
            except RejectedEntries as rejected:
                batch.reject(rejected.problems)  # then send the rest again
            except TransientWriteError as exc:
                raise LoadFailed(
                    f"batch {batch.id}: gave up after {self._retry.attempts} attempts: {exc}"
                ) from None
        return BatchRecord(batch.id, batch.stats, batch.bad)
