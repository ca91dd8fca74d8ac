"""Loading through loader workers: each source of the plan goes to a worker app.

The coordinator (`optimus load --workers optimus-loader`) calls the workers
through its Dapr sidecar's service invocation, `calls` sources at a time
(the sidecar spreads the calls over the worker replicas). Each call answers
with the records of the batches the worker stored; the coordinator journals
them, so a resumed load tells the workers which batches to skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import httpx

from optimus.client.transport import dapr_base_url, dapr_headers
from optimus.loader.errors import LoadFailed
from optimus.loader.pipeline import LoadTotals
from optimus.loader.plan import LoadPlan
from optimus.loader.progress import LoadProgress
from optimus.loader.retry import RetryPolicy, with_retries
from optimus.loader.writer import BatchRecord


class WorkerUnavailable(Exception):
    """No answer, or a 5xx, from the workers: the call may be tried again."""


def workers_url(app_id: str) -> str:
    """Where a worker app's chunks are posted, through the local sidecar ($DAPR_HTTP_PORT)."""
    return f"{dapr_base_url(app_id)}/chunks"


class WorkerPool:
    def __init__(
        self, url: str, *, calls: int, retry: RetryPolicy, timeout: float = 3600.0
    ) -> None:
        self._url = url
        self._calls = calls
        self._retry = retry
        self._timeout = timeout

    async def load(
        self,
        plan: LoadPlan,
        *,
        version_id: str,
        tables: list[str],
        content_type: str,
        done: Mapping[str, BatchRecord],
        on_record: Callable[[BatchRecord], None],
        progress: LoadProgress,
    ) -> LoadTotals:
        totals = LoadTotals()
        for record in done.values():
            totals.add(record)
            totals.batches_skipped += 1
        slots = asyncio.Semaphore(self._calls)
        body = {
            "version_id": version_id,
            "tables": tables,
            "content_type": content_type,
            "plan": plan.to_json(),
        }

        async def load_source(index: int, client: httpx.AsyncClient) -> None:
            skip = [batch_id for batch_id in done if batch_id.split(".")[0] == str(index)]
            async with slots:
                records = await with_retries(
                    lambda: self._post(client, {**body, "source": index, "done": skip}),
                    policy=self._retry,
                    transient=lambda exc: isinstance(exc, WorkerUnavailable),
                    describe=f"source {plan.sources[index].path}",
                    notify=progress.note,
                )
            for record in records:
                on_record(record)
                totals.add(record)
                totals.batches_sent += 1
            rows = sum(record.stats.total + len(record.bad) for record in records)
            progress.advance(rows, float(plan.sources[index].size), sent=True)
            if len(totals.bad) > plan.max_bad_rows:
                raise LoadFailed(
                    f"{len(totals.bad)} bad rows, more than --max-bad-rows {plan.max_bad_rows}"
                )

        async with httpx.AsyncClient(headers=dapr_headers(), timeout=self._timeout) as client:
            try:
                async with asyncio.TaskGroup() as group:
                    for index in range(len(plan.sources)):
                        group.create_task(load_source(index, client))
            except BaseExceptionGroup as failed:
                raise failed.exceptions[0] from None
        return totals

    async def _post(self, client: httpx.AsyncClient, chunk: dict) -> list[BatchRecord]:
        try:
            response = await client.post(self._url, json=chunk)
        except httpx.TransportError as exc:
            raise WorkerUnavailable(f"no answer from the loader workers: {exc}") from None
        if response.status_code >= 500:
            raise WorkerUnavailable(f"loader worker: {response.status_code} {response.text[:300]}")
        body = response.json()
        if response.status_code != 200:
            raise LoadFailed(
                f"loader worker refused source {chunk['source']}: {body.get('message')}"
            )
        return [BatchRecord.from_json(record) for record in body["records"]]
