"""Calls from any Optimus process to the DatasetActor of a dataset, through its sidecar.

The SDK's default actor client opens a new HTTP session per call; the gRPC
client keeps one channel to the sidecar, which matters for the two calls per
loaded batch (see `fence.py`).
"""

from __future__ import annotations

from typing import Any

import orjson
from dapr.actor import ActorId, ActorProxy
from dapr.clients.grpc.dapr_actor_grpc_client import DaprActorGrpcClient
from dapr.serializers import DefaultJSONSerializer

from optimus.hosts.dapr.components import ACTOR_TYPE
from optimus.hosts.dapr.envelope import unwrap


class DatasetActors:
    def __init__(self, timeout_seconds: int = 120) -> None:
        self._client = DaprActorGrpcClient(timeout=timeout_seconds)
        self._serializer = DefaultJSONSerializer()
        self._proxies: dict[str, ActorProxy] = {}

    async def call(self, dataset: str, method: str, payload: dict[str, Any] | None = None) -> Any:
        """Invoke `method` of the dataset's actor; domain errors come back as raised."""
        proxy = self._proxies.get(dataset)
        if proxy is None:
            proxy = ActorProxy(self._client, ACTOR_TYPE, ActorId(dataset), None, self._serializer)
            self._proxies[dataset] = proxy
        raw = await proxy.invoke_method(method, orjson.dumps(payload or {}))
        return unwrap(orjson.loads(raw))

    async def close(self) -> None:
        await self._client.close()
