"""Calls from any Optimus process to the DatasetActor of a dataset, through its sidecar.

The SDK's default actor client opens a new HTTP session per call; the gRPC
client keeps one channel to the sidecar, which matters for the two calls per
loaded batch (see `fence.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

import orjson
from dapr.actor import ActorId, ActorProxy
from dapr.clients.grpc.dapr_actor_grpc_client import DaprActorGrpcClient
from dapr.serializers import Serializer
from opentelemetry import trace

from optimus.hosts.dapr.actor_interface import DatasetActorInterface
from optimus.hosts.dapr.components import ACTOR_TYPE


class _Orjson(Serializer):
    def serialize(self, obj: object, custom_hook: Any = None) -> bytes:
        return orjson.dumps(obj)

    def deserialize(self, data: bytes, data_type: Any = object, custom_hook: Any = None) -> Any:
        return orjson.loads(data)


_tracer = trace.get_tracer(__name__)


class _TracedActor:
    """The actor proxy, with a span per call (no-ops while tracing is off)."""

    def __init__(self, proxy: ActorProxy, dataset: str) -> None:
        self._proxy = proxy
        self._dataset = dataset

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        call = getattr(self._proxy, method)

        async def traced(*args: Any) -> Any:
            with _tracer.start_as_current_span(
                f"actor {ACTOR_TYPE}.{method}",
                kind=trace.SpanKind.CLIENT,
                attributes={"optimus.dataset": self._dataset},
            ):
                return await call(*args)

        return traced


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
            proxy = self._proxies[dataset] = cast(
                DatasetActorInterface, _TracedActor(actor, dataset)
            )
        return proxy

    async def close(self) -> None:
        await self._client.close()
