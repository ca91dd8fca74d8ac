"""The gRPC API beside REST on one embedded server: GetMany of 100 keys, and StreamVersion.

Targets (issue 17): GetMany of 100 keys costs the server less CPU per request
than REST's get-many of the same keys (psutil CPU times of the server process,
runs alternating in one session, 8 concurrent calls each); StreamVersion at
>= 300k entries/s, beside a download of the same version by REST get-many of
1,000 known keys per request (the way to fetch a version without the stream).

    .venv/bin/python bench/bench_grpc.py [--quick]

Results: the table on stdout, everything in bench/results/grpc-full.json (or grpc-quick.json).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import orjson
from harness.cli import run_benchmark
from harness.data import TABLE, key_name
from harness.datasets import create_dataset, load_dataset, sdk
from harness.figures import log, median
from harness.meters import CpuMeter, wait_for_quiet
from harness.paths import BENCH, BIN
from harness.processes import Server, free_port, optimus_server
from harness.raw_http import Connection, http_request, send_requests
from harness.report import Row, verdict

from optimus.v1 import optimus_pb2 as pb
from optimus.v1 import optimus_pb2_grpc

DATASET = "grpc"
CONCURRENCY = 8
BODIES = 200  # distinct random 100-key requests, cycled
STREAM_TARGET_PER_S = 300_000
DOWNLOAD_KEYS = 1000  # keys per REST get-many when downloading the whole version


@dataclass(frozen=True, slots=True)
class Scale:
    keys: int  # of the dataset read
    calls: int  # per run
    runs: int  # per figure, alternating; the median is quoted


FULL = Scale(keys=1_000_000, calls=10_000, runs=5)
QUICK = Scale(keys=100_000, calls=2_000, runs=3)


async def _concurrently(calls: int, call: Callable[[int], Awaitable[None]]) -> None:
    async def worker(first: int) -> None:
        for number in range(first, calls, CONCURRENCY):
            await call(number)

    await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))


def _key_sets(keys: int, per_request: int) -> list[list[str]]:
    rng = random.Random(17)
    return [[key_name(rng.randrange(keys)) for _ in range(per_request)] for _ in range(BODIES)]


def _rest_requests(key_sets: list[list[str]]) -> list[bytes]:
    path = f"/v1/datasets/{DATASET}/tables/{TABLE}/entries"
    if len(key_sets[0]) == 1:  # single-key reads: GET …/entries/{key}
        return [http_request("GET", f"{path}/{keys[0]}") for keys in key_sets]
    return [http_request("GET", path, orjson.dumps([{"key": k} for k in ks])) for ks in key_sets]


async def _rest_reads(port: int, key_sets: list[list[str]], calls: int) -> None:
    requests = _rest_requests(key_sets)
    _, errors = await send_requests(
        port, lambda number: requests[number % BODIES], calls, CONCURRENCY, 200
    )
    if errors:
        raise RuntimeError(f"REST reads: {errors[:3]}")


async def _grpc_reads(address: str, key_sets: list[list[str]], calls: int) -> None:
    single = len(key_sets[0]) == 1
    requests = [
        pb.GetRequest(dataset=DATASET, table=TABLE, key=ks[0])
        if single
        else pb.GetManyRequest(dataset=DATASET, table=TABLE, keys=ks)
        for ks in key_sets
    ]
    async with grpc.aio.insecure_channel(address) as channel:
        stub = optimus_pb2_grpc.OptimusStub(channel)
        method = stub.Get if single else stub.GetMany

        async def call(number: int) -> None:
            await method(requests[number % BODIES])

        await _concurrently(calls, call)


async def _stream(address: str) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = optimus_pb2_grpc.OptimusStub(channel)
        entries = 0
        async for chunk in stub.StreamVersion(pb.StreamVersionRequest(dataset=DATASET)):
            entries += len(chunk.keys)
        return entries


async def _rest_download(port: int, keys: int) -> int:
    path = f"/v1/datasets/{DATASET}/tables/{TABLE}/entries"
    connection = await Connection.open(port)
    entries = 0
    try:
        for start in range(0, keys, DOWNLOAD_KEYS):
            chunk = [{"key": key_name(i)} for i in range(start, min(start + DOWNLOAD_KEYS, keys))]
            reply = await connection.send(http_request("GET", path, orjson.dumps(chunk)))
            entries += orjson.loads(reply.body)["keys-found"]
    finally:
        await connection.close()
    return entries


def _bare_grpc_server() -> Server:
    """bare_grpc.py: GetMany answered with a constant by grpcio alone (the floor)."""
    grpc_port, http_port = free_port(), free_port()
    command = [str(BIN / "python"), str(BENCH / "bare_grpc.py"), str(grpc_port), str(http_port)]
    return Server("bare-grpc", command, http_port, "/healthcheck")


def _measure(server: Server, work: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """(result, wall seconds, server CPU seconds, others' share of the machine in %)."""
    with CpuMeter(server) as meter:
        started = time.perf_counter()
        result = work()
        wall = time.perf_counter() - started
    return result, wall, meter.server_s, meter.others_pct


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    grpc_port = free_port()
    server = optimus_server(work / "server")
    server.command += ["--grpc-port", str(grpc_port)]
    server.start()
    address = f"127.0.0.1:{grpc_port}"
    with sdk(server.api_url) as client:
        create_dataset(client, DATASET)
    load_dataset(server, DATASET, scale.keys, label="grpc")
    bare = _bare_grpc_server().start()
    bare_address = f"127.0.0.1:{bare.command[-2]}"
    wait_for_quiet()
    others: list[float] = []

    def cpu_per_call(
        read: Callable[..., Awaitable[None]], target: Any, key_sets: Any, on: Server = server
    ) -> float:
        _, _, cpu, busy = _measure(on, lambda: asyncio.run(read(target, key_sets, scale.calls)))
        others.append(busy)
        return cpu / scale.calls * 1e6

    cpu_us: dict[str, list[float]] = {
        "grpc": [], "rest": [], "bare_grpc": [], "grpc_1": [], "rest_1": []
    }  # fmt: skip
    many, one = _key_sets(scale.keys, 100), _key_sets(scale.keys, 1)
    for _ in range(scale.runs):  # alternating, so that both share the machine's noise
        cpu_us["rest"].append(cpu_per_call(_rest_reads, server.port, many))
        cpu_us["grpc"].append(cpu_per_call(_grpc_reads, address, many))
        cpu_us["bare_grpc"].append(cpu_per_call(_grpc_reads, bare_address, many, bare))
        cpu_us["rest_1"].append(cpu_per_call(_rest_reads, server.port, one))
        cpu_us["grpc_1"].append(cpu_per_call(_grpc_reads, address, one))
    stream_rates, download_rates = [], []
    for _ in range(scale.runs):
        streamed, wall, _, busy = _measure(server, lambda: asyncio.run(_stream(address)))
        if streamed != scale.keys:
            raise RuntimeError(f"streamed {streamed} entries, expected {scale.keys}")
        stream_rates.append(streamed / wall)
        others.append(busy)
        fetched, wall, _, busy = _measure(
            server, lambda: asyncio.run(_rest_download(server.port, scale.keys))
        )
        download_rates.append(fetched / wall)
        others.append(busy)
    log(f"others used up to {max(others):.0f}% of the machine")
    return {
        "grpc": {
            "keys": scale.keys,
            "concurrency": CONCURRENCY,
            "server_cpu_us": {name: median(runs_us) for name, runs_us in cpu_us.items()},
            "server_cpu_runs_us": cpu_us,
            "stream_entries_per_s": median(stream_rates),
            "rest_download_entries_per_s": median(download_rates),
            "others_cpu_pct_max": max(others),
        }
    }


def rows(results: dict[str, Any]) -> list[Row]:
    figures = results["grpc"]
    cpu = figures["server_cpu_us"]
    stream, download = figures["stream_entries_per_s"], figures["rest_download_entries_per_s"]
    return [
        Row(
            "GetMany 100 keys, server CPU per request",
            f"gRPC {cpu['grpc']:,.0f} us",
            f"REST get-many {cpu['rest']:,.0f} us",
            f"{cpu['grpc'] / cpu['rest']:.2f}x",
            "below REST",
            verdict(cpu["grpc"] < cpu["rest"]),
        ),
        Row(
            "· floor: bare grpc.aio server, constant GetMany answer",
            f"{cpu['bare_grpc']:,.0f} us",
            f"REST get-many {cpu['rest']:,.0f} us",
            f"{cpu['bare_grpc'] / cpu['rest']:.2f}x",
        ),
        Row(
            "Get 1 key, server CPU per request",
            f"gRPC {cpu['grpc_1']:,.0f} us",
            f"REST GET {cpu['rest_1']:,.0f} us",
            f"{cpu['grpc_1'] / cpu['rest_1']:.2f}x",
        ),
        Row(
            f"StreamVersion, {figures['keys']:,} entries",
            f"{stream:,.0f} entries/s",
            f"REST get-many of {DOWNLOAD_KEYS:,} keys {download:,.0f}/s",
            f"{stream / download:.1f}x",
            f">= {STREAM_TARGET_PER_S // 1000}k/s",
            verdict(stream >= STREAM_TARGET_PER_S),
        ),
    ]


if __name__ == "__main__":
    run_benchmark("grpc", __doc__ or "", (FULL, QUICK), measure, rows)
