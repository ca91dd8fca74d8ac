"""API replicas report what they serve through the state store, with a heartbeat.

Each replica rewrites its own key (`r/<replica>`) when what it serves changes,
and at least every HEARTBEAT_S; a report older than REPORT_TTL_S is a dead
replica's, left out of the list (and its name pruned from `c/replicas`).
So a replica that dies drops out within REPORT_TTL_S of its last report.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from dapr.aio.clients import DaprClient
from dapr.clients.exceptions import DaprGrpcError
from dapr.clients.grpc._state import Concurrency, StateOptions

from optimus.hosts.dapr import state_keys
from optimus.service_layer.ports import Clock
from optimus.service_layer.replicas import ReplicaReport, Serving

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
REPORT_TTL_S = 5.0
LIST_RETRIES = 20


def _report_from(name: str, data: bytes) -> ReplicaReport:
    raw = orjson.loads(data)
    serving = {ds: Serving(version, since) for ds, (version, since) in raw["serving"].items()}
    return ReplicaReport(name, serving, raw["last_seen"])


class StateStoreReplicas:
    def __init__(self, client: DaprClient, store: str, clock: Clock) -> None:
        self._client = client
        self._store = store
        self._clock = clock
        self._listed = False

    async def report(self, name: str, serving: dict[str, Serving]) -> None:
        if not self._listed:
            await self._change_list(add=frozenset({name}))
            self._listed = True
        document = {
            "serving": {ds: [s.version_id, s.since] for ds, s in serving.items()},
            "last_seen": self._clock.now_ms(),
        }
        await self._client.save_state(self._store, state_keys.replica(name), orjson.dumps(document))

    async def reports(self) -> list[ReplicaReport]:
        found = await self._client.get_state(self._store, state_keys.REPLICAS)
        names = orjson.loads(found.data) if found.data else []
        if not names:
            return []
        documents = await self._client.get_bulk_state(
            self._store, [state_keys.replica(n) for n in names]
        )
        by_key = {item.key: item.data for item in documents.items if item.data}
        oldest = self._clock.now_ms() - REPORT_TTL_S * 1000
        live, dead = [], set()
        for name in names:
            data = by_key.get(state_keys.replica(name))
            report = _report_from(name, data) if data else None
            if report is not None and report.last_seen >= oldest:
                live.append(report)
            else:
                dead.add(name)
        if dead:
            await self._forget(dead)
        return live

    async def _forget(self, names: set[str]) -> None:
        try:
            await self._change_list(remove=frozenset(names))
            for name in names:
                await self._client.delete_state(self._store, state_keys.replica(name))
        except Exception:  # pruning is housekeeping: the next listing tries again
            log.warning("could not prune dead replicas %s", sorted(names), exc_info=True)

    async def _change_list(
        self, add: frozenset[str] = frozenset(), remove: frozenset[str] = frozenset()
    ) -> None:
        """Change `c/replicas` with optimistic concurrency: other replicas' changes are kept."""
        options = StateOptions(concurrency=Concurrency.first_write)
        for _ in range(LIST_RETRIES):
            found = await self._client.get_state(self._store, state_keys.REPLICAS)
            names = set(orjson.loads(found.data)) if found.data else set()
            wanted = (names | add) - remove
            if wanted == names:
                return
            try:
                await self._client.save_state(
                    self._store,
                    state_keys.REPLICAS,
                    orjson.dumps(sorted(wanted)),
                    etag=found.etag or None,
                    options=options,
                )
                return
            except DaprGrpcError:  # another replica changed it first
                await asyncio.sleep(0.01)
        raise RuntimeError(f"could not update the replica list after {LIST_RETRIES} tries")
