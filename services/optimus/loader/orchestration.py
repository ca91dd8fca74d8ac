"""A load from start to end: version, batches, save, verification, publish.

`start_load` creates the version (or takes one by id) and its journal;
`resume_load` reopens the journal of an interrupted load. Both then finish
the same way: send what the journal lacks, save, check that the saved
version holds exactly the input (counts and digest), and publish if asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from optimus.client import AsyncOptimusClient, Dataset, NotFound, OptimusClientError, Version
from optimus.client.errors import is_transient
from optimus.domain.dataset import is_json
from optimus.loader.encoding import EncodingRules
from optimus.loader.errors import BadRow, LoadFailed, TooManyBadRows
from optimus.loader.journal import Journal, JournalHeader, Recovered
from optimus.loader.mapping import ValueFormat
from optimus.loader.pipeline import LoadTotals, PipelineSettings, load_sources
from optimus.loader.plan import LoadPlan
from optimus.loader.progress import LoadProgress
from optimus.loader.retry import RetryPolicy, with_retries
from optimus.loader.sink import HttpSink
from optimus.loader.workers import WorkerPool
from optimus.loader.writer import BatchRecord, BatchWriter

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How to run a load (not recorded: a resumed load may run differently)."""

    journal_dir: Path
    base_url: str | None = None  # None: the journal's, on resume
    token: str | None = None  # never journaled: a resume is given it again
    concurrency: int = 4
    discard_on_error: bool = False
    user: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_request_bytes: int = 8 << 20
    timeout: float = 120.0
    # Through loader workers (their chunks URL, see workers.py) instead of the API.
    workers_url: str | None = None


@dataclass(frozen=True, slots=True)
class LoadResult:
    version: Version
    totals: BatchRecord  # counts and digest of the input, and its bad rows
    verified: bool  # False when the version was not created by this load (not compared)
    batches_sent: int
    batches_skipped: int


class LoadStopped(LoadFailed):
    """A load that stopped with its version still open; `resumable` if --resume can finish it."""

    def __init__(
        self,
        message: str,
        version_id: str,
        status: str,
        resumable: bool,
        bad_rows: list[BadRow],
    ) -> None:
        super().__init__(message)
        self.version_id = version_id
        self.status = status
        self.resumable = resumable
        self.bad_rows = bad_rows


def _client(base_url: str, settings: RunSettings) -> AsyncOptimusClient:
    return AsyncOptimusClient(
        base_url,
        user=settings.user,
        token=settings.token,
        timeout=settings.timeout,
        cache_entries=0,
        max_connections=settings.concurrency + 2,
    )


async def start_load(
    plan: LoadPlan,
    base_url: str,
    settings: RunSettings,
    progress: LoadProgress,
    *,
    version_id: str | None = None,
) -> LoadResult:
    """Load `plan` into a new version (or into `version_id`, AWAITING_ENTRIES)."""
    async with _client(base_url, settings) as client:
        run = _Run(client, settings, progress)
        dataset = await run.dataset(plan)
        if version_id is None:
            version = await run.retrying(
                "create version", lambda: client.create_version(plan.dataset, label=plan.label)
            )
        else:
            version = await run.admin(client.version(version_id))
            if version.status != "AWAITING_ENTRIES":
                raise LoadFailed(
                    f"version {version_id} is {version.status}; entries are accepted only "
                    "while it is AWAITING_ENTRIES"
                )
        header = JournalHeader(version.id, base_url, version_id is None, plan)
        journal = Journal.create(settings.journal_dir, header)
        progress.note(
            f"version {version.id} (journal {journal.path}; if interrupted, finish with: "
            f"optimus load --resume {version.id})"
        )
        return await run.finish(dataset, journal, Recovered(header))


async def resume_load(
    version_id: str, settings: RunSettings, progress: LoadProgress, *, publish: bool = False
) -> LoadResult:
    """Finish the load of `version_id` from its journal, sending only unacknowledged batches."""
    journal, recovered = Journal.reopen(settings.journal_dir, version_id)
    header = recovered.header
    if publish:
        recovered.header = header = replace(header, plan=replace(header.plan, publish=True))
    for source in header.plan.sources:
        why = source.changed()
        if why is not None:
            journal.close()
            raise LoadFailed(f"{why}; a resumed load needs the very same input")
    async with _client(settings.base_url or header.base_url, settings) as client:
        run = _Run(client, settings, progress)
        try:
            dataset = await run.dataset(header.plan)
        except LoadFailed:
            journal.close()
            raise
        progress.note(
            f"resuming version {version_id}: {len(recovered.batches)} batches acknowledged before"
        )
        return await run.finish(dataset, journal, recovered)


class _Run:
    def __init__(
        self, client: AsyncOptimusClient, settings: RunSettings, progress: LoadProgress
    ) -> None:
        self.client = client
        self.settings = settings
        self.progress = progress

    async def admin(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except OptimusClientError as exc:
            raise LoadFailed(str(exc)) from None

    def _retried(self, describe: str, action: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        return with_retries(
            action,
            policy=self.settings.retry,
            transient=is_transient,
            describe=describe,
            notify=self.progress.note,
        )

    async def retrying(self, describe: str, action: Callable[[], Awaitable[T]]) -> T:
        return await self.admin(self._retried(describe, action))

    async def dataset(self, plan: LoadPlan) -> Dataset:
        try:
            dataset = await self._retried("dataset", lambda: self.client.dataset(plan.dataset))
        except NotFound:
            raise LoadFailed(
                f"dataset {plan.dataset!r} does not exist; create it first "
                "(POST /v1/datasets, or OptimusClient.create_dataset)"
            ) from None
        except OptimusClientError as exc:
            raise LoadFailed(str(exc)) from None
        for source in plan.sources:
            if source.table is not None and source.table not in dataset.tables:
                raise LoadFailed(
                    f"{source.path}: dataset {plan.dataset!r} has no table {source.table!r} "
                    f"(tables: {', '.join(dataset.tables)})"
                )
        if plan.mapping.value_format is ValueFormat.JSON and not is_json(dataset.content_type):
            raise LoadFailed(
                f"--value-format json needs a JSON dataset; {plan.dataset!r} holds "
                f"{dataset.content_type}"
            )
        return dataset

    async def finish(self, dataset: Dataset, journal: Journal, recovered: Recovered) -> LoadResult:
        header = recovered.header
        plan = header.plan
        version_id = header.version_id
        try:
            version = await self._awaiting(version_id)
            sent = skipped = 0
            if version.status == "AWAITING_ENTRIES":
                totals, sent, skipped = await self._load(dataset, version_id, journal, recovered)
                journal.record_loaded(totals)
            elif recovered.loaded is not None:
                totals = recovered.loaded
            else:
                raise LoadFailed(
                    f"version {version_id} is {version.status}: it was not loaded by this journal"
                )
            if plan.save:
                version = await self._save(version, totals, header.created_version)
                verified = _verify(version, totals, header.created_version)
                if plan.publish and version.status != "PUBLISHED":
                    self.progress.note(f"publishing {version_id}")
                    version = await self.retrying(
                        "publish", lambda: self.client.publish(version_id, reason="optimus load")
                    )
            else:
                verified = False
        except (LoadFailed, OptimusClientError) as exc:
            journal.close()
            raise await self._stopped(version_id, exc) from None
        except BaseException:
            journal.close()  # interrupted: the journal stays for --resume
            raise
        journal.remove()
        return LoadResult(version, totals, verified, sent, skipped)

    async def _awaiting(self, version_id: str) -> Version:
        """The version, once past PREPARING."""
        while True:
            version = await self.retrying("version", lambda: self.client.version(version_id))
            if version.status != "PREPARING":
                return version
            await asyncio.sleep(0.1)

    async def _load(
        self, dataset: Dataset, version_id: str, journal: Journal, recovered: Recovered
    ) -> tuple[BatchRecord, int, int]:
        """Send every batch the journal lacks, through the API or the loader workers."""
        plan = recovered.header.plan
        rules = EncodingRules.of(plan, dataset.tables, dataset.content_type)
        loading: Awaitable[LoadTotals]
        if self.settings.workers_url is not None:
            pool = WorkerPool(
                self.settings.workers_url,
                calls=self.settings.concurrency,
                retry=self.settings.retry,
            )
            loading = pool.load(
                plan,
                version_id=version_id,
                tables=list(dataset.tables),
                content_type=dataset.content_type,
                done=recovered.batches,
                on_record=journal.record,
                progress=self.progress,
            )
        else:
            sink = HttpSink(
                self.client,
                dataset.name,
                version_id,
                is_json=rules.is_json,
                max_request_bytes=self.settings.max_request_bytes,
            )
            loading = load_sources(
                enumerate(plan.sources),
                PipelineSettings(
                    plan.mapping, rules, plan.limits, self.settings.concurrency, plan.max_bad_rows
                ),
                BatchWriter(sink, self.settings.retry, self.progress.note),
                done=recovered.batches,
                on_record=journal.record,
                progress=self.progress,
            )
        self.progress.start(float(sum(source.size for source in plan.sources)))
        try:
            async with journal.syncing():
                totals = await loading
        finally:
            self.progress.stop()
        return totals.as_record(), totals.batches_sent, totals.batches_skipped

    async def _save(self, version: Version, totals: BatchRecord, created: bool) -> Version:
        """Save; a version this load created must hold exactly the input (the server checks
        the input's digest and fails the version otherwise, so nobody can publish it)."""
        version_id = version.id
        if version.status == "AWAITING_ENTRIES":
            self.progress.note(f"saving {version_id}")
            policy = {"strategy": "digest", "digest": totals.stats.digest} if created else None
            await self.retrying(
                "save",
                lambda: self.client.save(
                    version_id, reason="optimus load", verification_policy=policy
                ),
            )
        saved = await self.retrying("save", lambda: self.client.wait_saved(version_id))
        if saved.status == "FAILED":
            if created and saved.counts is not None:
                raise LoadFailed(_mismatch(saved, totals))
            why = next(
                (op.reason for op in reversed(saved.operation_log) if op.reason), "no reason given"
            )
            raise LoadFailed(f"version {version_id} failed its verification: {why}")
        if saved.status not in ("SAVED", "PUBLISHED"):
            raise LoadFailed(f"version {version_id} is {saved.status}, not SAVED")
        return saved

    async def _stopped(self, version_id: str, error: BaseException) -> LoadStopped:
        """The error, once the version is discarded (--discard-on-error) or left as it is."""
        message = str(error)
        status = "unknown"
        try:
            if self.settings.discard_on_error:
                reason = f"optimus load failed: {message}"[:500]
                status = (await self.client.discard(version_id, reason=reason)).status
            else:
                status = (await self.client.version(version_id)).status
        except OptimusClientError as exc:
            action = "discarded" if self.settings.discard_on_error else "read"
            message += f" (and the version could not be {action}: {exc})"
        bad_rows = error.bad_rows if isinstance(error, TooManyBadRows) else []
        # Bad rows stop a resumed load again, and a saved version holds what it holds.
        resumable = status in ("AWAITING_ENTRIES", "SAVING") and not bad_rows
        return LoadStopped(message, version_id, status, resumable, bad_rows)


def _nonzero(counts: dict[str, int] | None) -> dict[str, int]:
    return {table: count for table, count in (counts or {}).items() if count}


def _verify(version: Version, totals: BatchRecord, created: bool) -> bool:
    """True if the saved version holds exactly the input; False if it was not ours to compare."""
    if not created:
        return False
    expected = totals.stats
    if _nonzero(version.counts) == _nonzero(expected.counts) and version.digest == expected.digest:
        return True
    raise LoadFailed(_mismatch(version, totals))


def _mismatch(version: Version, totals: BatchRecord) -> str:
    expected = totals.stats
    extra = expected.total - (version.entries or 0)
    hint = (
        f"; the input holds {extra} more rows than the version has entries: duplicate keys, "
        "of which the version kept one value each"
        if extra > 0
        else ""
    )
    return (
        f"version {version.id} does not hold the input: it has {version.entries} entries "
        f"{_nonzero(version.counts)} and digest {version.digest}, the input "
        f"{expected.total} {_nonzero(expected.counts)} and {expected.digest}{hint}; "
        "it was not published"
    )
