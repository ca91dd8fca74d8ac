"""Calls from any Optimus process to the DatasetActor of a dataset, through its sidecar.

The SDK's default actor client opens a new HTTP session per call; the gRPC
client keeps one channel to the sidecar, which matters for the two calls per
loaded batch (see `fence.py`).
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from dapr.actor import ActorId, ActorProxy
from dapr.clients.grpc.dapr_actor_grpc_client import DaprActorGrpcClient
from dapr.serializers import Serializer

from optimus.hosts.dapr.actor_interface import DatasetActorInterface
from optimus.hosts.dapr.components import ACTOR_TYPE


class _Orjson(Serializer):
    def serialize(self, obj: object, custom_hook: Any = None) -> bytes:
        return orjson.dumps(obj)

    def deserialize(self, data: bytes, data_type: Any = object, custom_hook: Any = None) -> Any:
        return orjson.loads(data)


class DatasetActors:
    def __init__(self, timeout_seconds: int = 120) -> None:
        self._client = DaprActorGrpcClient(timeout=timeout_seconds)
        self._serializer = _Orjson()
        self._proxies: dict[str, DatasetActorInterface] = {}

    def of(self, dataset: str) -> DatasetActorInterface:
        """The dataset's actor; its methods answer envelopes (`envelope.unwrap` opens them)."""
        proxy = self._proxies.get(dataset)
        if proxy is None:
            actor = ActorProxy(
                self._client, ACTOR_TYPE, ActorId(dataset), DatasetActorInterface, self._serializer
            )
            proxy = self._proxies[dataset] = cast(DatasetActorInterface, actor)
        return proxy

    async def close(self) -> None:
        await self._client.close()
