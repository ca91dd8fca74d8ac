"""Dapr's app callbacks over gRPC, for a replica whose sidecar has a gRPC app channel.

Such a sidecar (app id optimus-reads, docs/grpc.md) asks the app for its
subscriptions and delivers events through `dapr.proto.runtime.v1.AppCallback`
on the app's gRPC port, not over HTTP: the versions topic is subscribed here.
"""

from __future__ import annotations

import grpc
import orjson
from dapr.proto.runtime.v1 import appcallback_pb2, appcallback_pb2_grpc

from optimus.hosts.dapr.components import DaprNames
from optimus.hosts.dapr.refresher import ViewRefresher
from optimus.hosts.dapr.version_events import deliver_version_event
from optimus.service_layer.watching import EventFeed

_SUCCESS = appcallback_pb2.TopicEventResponse.TopicEventResponseStatus.SUCCESS


class VersionEventCallbacks(appcallback_pb2_grpc.AppCallbackServicer):
    def __init__(self, names: DaprNames, refresher: ViewRefresher, feed: EventFeed) -> None:
        self._names = names
        self._refresher = refresher
        self._feed = feed

    def install(self, server: grpc.aio.Server) -> list[str]:
        appcallback_pb2_grpc.add_AppCallbackServicer_to_server(self, server)
        return [appcallback_pb2.DESCRIPTOR.services_by_name["AppCallback"].full_name]

    async def ListTopicSubscriptions(
        self, request: object, context: grpc.aio.ServicerContext
    ) -> appcallback_pb2.ListTopicSubscriptionsResponse:
        topic = appcallback_pb2.TopicSubscription(
            pubsub_name=self._names.pubsub, topic=self._names.topic
        )
        return appcallback_pb2.ListTopicSubscriptionsResponse(subscriptions=[topic])

    async def OnTopicEvent(
        self, request: appcallback_pb2.TopicEventRequest, context: grpc.aio.ServicerContext
    ) -> appcallback_pb2.TopicEventResponse:
        await deliver_version_event(orjson.loads(request.data), self._refresher, self._feed)
        return appcallback_pb2.TopicEventResponse(status=_SUCCESS)
