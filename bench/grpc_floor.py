"""grpcio's own cost per call under each server setting: a bare GetMany server, no Optimus.

Each variant is a server process answering `optimus.v1.Optimus/GetMany` with a
response serialized once (100 values of 100 bytes); the server's CPU per call
(psutil) at 8 calls in flight, 3 rounds alternating over the variants, medians.
What it tells: whether any setting moves the floor under gRPC GetMany.

    .venv/bin/python bench/grpc_floor.py
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import grpc
from harness.processes import cpu_seconds, free_port

from optimus.v1 import optimus_pb2 as pb

SERVER = r"""
import asyncio, concurrent.futures, json, sys
import grpc
from optimus.v1 import optimus_pb2 as pb

mode, port, options = sys.argv[1], int(sys.argv[2]), [tuple(o) for o in json.loads(sys.argv[3])]
RESPONSE = pb.GetManyResponse(
    values={f"k{i:08d}": b'"' + b"v" * 98 + b'"' for i in range(100)}
).SerializeToString()
METADATA = (("x-version-id", "0123456789abcdefghijklmno"),) * 2


def handlers(get_many):
    handler = grpc.unary_unary_rpc_method_handler(get_many)
    return (grpc.method_handlers_generic_handler("optimus.v1.Optimus", {"GetMany": handler}),)


if mode.startswith("sync"):
    def get_many(request, context):
        context.set_trailing_metadata(METADATA)
        return RESPONSE

    server = grpc.server(concurrent.futures.ThreadPoolExecutor(int(mode[4:])), options=options)
    server.add_generic_rpc_handlers(handlers(get_many))
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    server.wait_for_termination()
else:
    async def get_many(request, context):
        if "no-metadata" not in mode:
            context.set_trailing_metadata(METADATA)
        return RESPONSE

    async def main():
        server = grpc.aio.server(options=options)
        server.add_generic_rpc_handlers(handlers(get_many))
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        await server.wait_for_termination()

    if "asyncio" in mode:
        asyncio.run(main())
    else:
        import uvloop
        uvloop.run(main())
"""

# name: (mode, grpc server options, environment)
VARIANTS: dict[str, tuple[str, list[list[Any]], dict[str, str]]] = {
    "aio under uvloop (as optimus serve)": ("aio", [], {}),
    "aio under uvloop, no trailing metadata": ("aio-no-metadata", [], {}),
    "aio under asyncio's own loop": ("aio-asyncio", [], {}),
    "aio, GRPC_POLL_STRATEGY=poll": ("aio", [], {"GRPC_POLL_STRATEGY": "poll"}),
    "aio, grpc.optimization_target=throughput": (
        "aio", [["grpc.optimization_target", "throughput"]], {}
    ),
    "aio, grpc.so_reuseport=0, grpc.max_concurrent_streams=16": (
        "aio", [["grpc.so_reuseport", 0], ["grpc.max_concurrent_streams", 16]], {}
    ),
    "sync grpc.server, 1 thread": ("sync1", [], {}),
    "sync grpc.server, 4 threads": ("sync4", [], {}),
}  # fmt: skip
CALLS = 3000
CONCURRENCY = 8
ROUNDS = 3


async def _calls(address: str) -> None:
    request = pb.GetManyRequest(dataset="d", table="t", keys=[f"k{i}" for i in range(100)])
    async with grpc.aio.insecure_channel(address) as channel:
        get_many = channel.unary_unary("/optimus.v1.Optimus/GetMany")
        body = request.SerializeToString()

        async def worker(first: int) -> None:
            for _ in range(first, CALLS, CONCURRENCY):
                await get_many(body)

        await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))


def main() -> None:
    print("load average at start:", os.getloadavg())
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        for name, (mode, options, env) in VARIANTS.items():
            port = free_port()
            command = [sys.executable, "-c", SERVER, mode, str(port), json.dumps(options)]
            servers[name] = (
                subprocess.Popen(command, env={**os.environ, **env}),
                f"127.0.0.1:{port}",
            )
        time.sleep(4)  # all of them up
        cpu_us: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(ROUNDS):
            for name, (process, address) in servers.items():
                asyncio.run(_calls(address))  # warm: connections, threads
                before = cpu_seconds(process.pid)
                asyncio.run(_calls(address))
                cpu_us[name].append((cpu_seconds(process.pid) - before) / CALLS * 1e6)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=10)
    print("| server | CPU per call, median | rounds |\n|---|---|---|")
    for name, runs in cpu_us.items():
        print(
            f"| {name} | {statistics.median(runs):.0f} µs | {', '.join(f'{r:.0f}' for r in runs)} |"
        )
    print("load average at end:", os.getloadavg())


if __name__ == "__main__":
    main()
