"""The floor of the gRPC benchmark: a bare grpc.aio server answering GetMany with a constant.

It answers `optimus.v1.Optimus/GetMany` with a response serialized once (100 values of
100 bytes, the size of the benchmark's answers) and the two version names as trailing
metadata, without reading anything: what grpcio itself costs per call, under uvloop
as `optimus serve` runs it. `/healthcheck` on the HTTP port says it is up.

    python bare_grpc.py GRPC_PORT HTTP_PORT
"""

from __future__ import annotations

import asyncio
import sys

import grpc
import uvloop

from optimus.v1 import optimus_pb2 as pb

RESPONSE = pb.GetManyResponse(
    values={f"k{i:08d}": b'"' + b"v" * 98 + b'"' for i in range(100)},
    content_type="application/json",
).SerializeToString()
METADATA = (("x-version-id", "0123456789abcdefghijklmno"),) * 2


async def get_many(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    context.set_trailing_metadata(METADATA)
    return RESPONSE


async def health(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    await writer.drain()
    writer.close()


async def main(grpc_port: int, http_port: int) -> None:
    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(get_many)  # bytes in, bytes out
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("optimus.v1.Optimus", {"GetMany": handler}),)
    )
    server.add_insecure_port(f"127.0.0.1:{grpc_port}")
    await server.start()
    http = await asyncio.start_server(health, "127.0.0.1", http_port)
    async with http:
        await server.wait_for_termination()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1]), int(sys.argv[2])))
