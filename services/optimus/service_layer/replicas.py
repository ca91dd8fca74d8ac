"""Which version each API replica serves, per dataset, and waiting until all serve one.

Every replica watches its own read views (`ServingTracker`: the active version
of each dataset, and since when) and reports them through a `ReplicaRegistry`
(the embedded host: the one process; the Dapr host: the state store, with a
heartbeat, so that a dead replica drops out of the list).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from optimus.service_layer.ports import Clock
from optimus.service_layer.views import ReadViews

log = logging.getLogger(__name__)

WAIT_POLL_S = 0.05
WATCH_POLL_S = 0.1  # how often a replica looks at its views: the error of "since"
# How long POST /versions/{id}/publish?wait=replicas waits for every replica (then 504).
PUBLISH_WAIT_TIMEOUT_S = 10.0

Report = Callable[[str, dict[str, "Serving"]], Awaitable[None]]


def replica_name() -> str:
    """This process's name among replicas: its host name (a pod's name) and process id."""
    return f"{os.environ.get('HOSTNAME') or socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Serving:
    version_id: str
    since: int  # epoch ms: when this replica began to serve it


@dataclass(frozen=True, slots=True)
class ReplicaReport:
    replica: str
    serving: Mapping[str, Serving]  # by dataset
    last_seen: int  # epoch ms of its latest report


class ServingTracker:
    """The version this replica serves for each dataset, and since when (seen by polling)."""

    def __init__(self, views: ReadViews, clock: Clock) -> None:
        self._views = views
        self._clock = clock
        self._serving: dict[str, Serving] = {}

    def current(self) -> dict[str, Serving]:
        now = self._clock.now_ms()
        for name in self._views.names():
            view = self._views.get(name)
            active = view.active_version_id if view is not None else None
            if active is None:
                self._serving.pop(name, None)
                continue
            known = self._serving.get(name)
            if known is None or known.version_id != active:
                self._serving[name] = Serving(active, now)
        return dict(self._serving)


class ReplicaRegistry(Protocol):
    async def reports(self) -> list[ReplicaReport]:
        """The latest report of every live replica."""


class ReplicaReadiness:
    def __init__(self, registry: ReplicaRegistry) -> None:
        self._registry = registry

    async def of_dataset(self, dataset: str) -> list[tuple[str, Serving | None, int]]:
        """(replica, what it serves of the dataset or None, last seen) of each live replica."""
        return [
            (report.replica, report.serving.get(dataset), report.last_seen)
            for report in sorted(await self._registry.reports(), key=lambda r: r.replica)
        ]

    async def wait_serving(self, dataset: str, version_id: str, timeout_s: float) -> bool:
        """True once every live replica serves `version_id`; False if `timeout_s` ran out."""
        deadline = time.monotonic() + timeout_s
        while True:
            replicas = await self.of_dataset(dataset)
            if replicas and all(
                s is not None and s.version_id == version_id for _, s, _ in replicas
            ):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(WAIT_POLL_S)


class ServingReporter:
    """Watches this replica's views and reports what they serve (BackgroundWork).

    It reports when that changes and at least every `heartbeat_s`; without
    `report` (one process), it only keeps the tracker's "since" exact.
    """

    def __init__(self, tracker: ServingTracker, report: Report | None, heartbeat_s: float) -> None:
        self._tracker = tracker
        self._report = report
        self._heartbeat_s = heartbeat_s
        self._name = replica_name()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        reported: dict[str, Serving] | None = None
        reported_at = 0.0
        while True:
            serving = self._tracker.current()
            due = time.monotonic() - reported_at >= self._heartbeat_s
            if self._report is not None and (serving != reported or due):
                try:
                    await self._report(self._name, serving)
                    reported, reported_at = serving, time.monotonic()
                except Exception:
                    log.warning("reporting what this replica serves failed", exc_info=True)
            await asyncio.sleep(WATCH_POLL_S)
