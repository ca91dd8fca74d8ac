"""The local replica for threaded code: the asyncio replica, followed from a thread of its own.

Reads never touch that thread: they read the served snapshot directly.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from optimus.client.models import Entries
from optimus.client.replica.aio import AsyncReplica, ReplicaStatus
from optimus.client.replica.served import ServedVersion
from optimus.client.replica.source import ReplicaSource

T = TypeVar("T")


class Replica:
    """`dataset`'s active version held in-process (see `AsyncReplica` for the options).

    with Replica(ReplicaSource("http://127.0.0.1:8888/v1", "127.0.0.1:8890"), "ds") as r:
        r.get("items", "item001")
    """

    def __init__(
        self,
        source: ReplicaSource,
        dataset: str,
        *,
        tables: Sequence[str] | None = None,
        path: str | Path | None = None,
        **options: Any,
    ) -> None:
        self._replica_args = (source, dataset)
        self._replica_options = {"tables": tables, "path": path, **options}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"optimus-replica-{dataset}", daemon=True
        )
        self._replica: AsyncReplica | None = None

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def start(self, timeout: float = 300.0) -> Replica:
        self._thread.start()

        async def started() -> AsyncReplica:
            replica = AsyncReplica(*self._replica_args, **self._replica_options)
            return await replica.start(timeout)

        self._replica = self._run(started())
        return self

    def close(self) -> None:
        if self._replica is not None:
            self._run(self._replica.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def _started(self) -> AsyncReplica:
        if self._replica is None:
            raise RuntimeError("the replica is not started: call start() or use `with`")
        return self._replica

    def snapshot(self) -> ServedVersion:
        return self._started.snapshot()

    def get(self, table: str, key: str) -> bytes:
        return self._started.get(table, key)

    def get_many(self, table: str, keys: Iterable[str]) -> Entries:
        return self._started.get_many(table, keys)

    @property
    def version_id(self) -> str | None:
        return self._started.version_id

    @property
    def last_error(self) -> str | None:
        return self._started.last_error

    def status(self) -> ReplicaStatus:
        return self._started.status()
