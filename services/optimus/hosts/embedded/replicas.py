"""The embedded host's replicas: the one process, reporting what its views serve."""

from __future__ import annotations

from optimus.service_layer.ports import Clock
from optimus.service_layer.replicas import ReplicaReport, ServingTracker, replica_name


class ThisProcess:
    def __init__(self, tracker: ServingTracker, clock: Clock) -> None:
        self._tracker = tracker
        self._clock = clock
        self._name = replica_name()

    async def reports(self) -> list[ReplicaReport]:
        return [ReplicaReport(self._name, self._tracker.current(), self._clock.now_ms())]
