"""The gRPC server: optimus.v1.Optimus, grpc.health.v1 and server reflection, on one port.

It runs in the HTTP server's event loop, started and stopped with the app's
background work, so both share the process's views and stores.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from optimus.entrypoints.grpc_api.servicer import OptimusServicer
from optimus.v1 import optimus_pb2, optimus_pb2_grpc

OPTIMUS_SERVICE = optimus_pb2.DESCRIPTOR.services_by_name["Optimus"].full_name
SHUTDOWN_GRACE_S = 2.0

# Adds more services to the server before it starts (e.g. Dapr's app callbacks).
ServiceInstaller = Callable[[grpc.aio.Server], list[str]]


class GrpcServer:
    def __init__(
        self, servicer: OptimusServicer, address: str, *installers: ServiceInstaller
    ) -> None:
        self._servicer = servicer
        self._address = address
        self._installers = installers
        self._server: grpc.aio.Server | None = None
        self._health: health.aio.HealthServicer | None = None

    async def start(self) -> None:
        # Created here: a grpc.aio server belongs to the running event loop.
        server = grpc.aio.server()
        optimus_pb2_grpc.add_OptimusServicer_to_server(self._servicer, server)
        self._health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        names = [OPTIMUS_SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME]
        for install in self._installers:
            names += install(server)
        reflection.enable_server_reflection(names, server)
        server.add_insecure_port(self._address)
        await server.start()
        self._server = server
        for service in ("", OPTIMUS_SERVICE):
            await self._health.set(service, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        if self._server is None:
            return
        if self._health is not None:
            await self._health.enter_graceful_shutdown()
        # Watches never end by themselves: in-flight calls get the grace, then are cancelled.
        await self._server.stop(SHUTDOWN_GRACE_S)
        self._server = None
