"""Optimus on the real Dapr runtime (issues 5 and 6), each figure beside its baseline.

    .venv/bin/python bench/bench_dapr.py [--quick]

1. writer: batches of 1,000 entries (100-byte values) through the Dapr state API on the
   Redis component, the way a loader worker writes them (the dataset actor's fence + one
   state transaction per batch), beside the same batches SET straight into the same
   Redis with a pipeline.
2. loader workers: `optimus load --workers optimus-loader` of 8 Parquet files with 1, 2
   and 4 worker replicas (each with its sidecar) on this machine.
3. reads: single-key GET through Dapr service invocation (wrk, 32 connections, random
   keys), beside the same GET on the embedded host (`optimus serve`, same keys).
4. publish visibility: 3 API replicas; a publish through one, then the time until the
   other two serve the new version (polled every millisecond); 30 publishes.

Everything runs on loopback (a private redis-server, placement and scheduler), is
bounded, and is stopped at the end. Results: stdout and bench/results/dapr[-quick].json.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import redis
from common import (
    BENCH,
    RESULTS,
    TABLE,
    WRK,
    Scatter,
    batch_body,
    batch_entries,
    batch_indices,
    key_name,
    log,
    median,
    optimus_server,
    parse_wrk,
    percentile,
    stop_all,
    temp_dir,
    value_of,
)
from dapr.conf import settings as dapr_settings

from optimus.dapr_runtime import AppReplica, AppSpec, DaprCluster
from optimus.hosts.dapr.components import API_APP_ID, LOADER_APP_ID

REPO = BENCH.parent
PY = sys.executable


@dataclass(frozen=True)
class Scale:
    writer_batches: int
    worker_files: int
    rows_per_file: int
    read_keys: int
    wrk_seconds: int
    publishes: int
    rounds: int


FULL = Scale(
    writer_batches=60,
    worker_files=8,
    rows_per_file=40_000,
    read_keys=100_000,
    wrk_seconds=10,
    publishes=30,
    rounds=3,
)
QUICK = Scale(
    writer_batches=10,
    worker_files=8,
    rows_per_file=5_000,
    read_keys=10_000,
    wrk_seconds=3,
    publishes=10,
    rounds=1,
)


def api_spec(*extra: str) -> AppSpec:
    command = [PY, "-m", "optimus", "serve", "--dapr", "--port", "{app_port}"]
    return AppSpec(
        API_APP_ID, [*command, "--log-level", "warning", *extra], health_path="/healthcheck"
    )


WORKER = AppSpec(
    LOADER_APP_ID,
    [PY, "-m", "optimus", "loader-worker", "--port", "{app_port}", "--log-level", "warning"],
    health_path="/healthcheck",
)


def add_api(cluster: DaprCluster) -> AppReplica:
    """One more API replica, once it reaches its sidecar and has loaded its views."""
    replica = cluster.add_app(api_spec())
    deadline = time.monotonic() + 60
    while httpx.get(f"{replica.app_url}/readyz", timeout=5).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{replica.name} not ready")
        time.sleep(0.1)
    return replica


def invoke_url(replica: AppReplica) -> str:
    return f"{replica.http_endpoint}/v1.0/invoke/{API_APP_ID}/method/v1"


def new_version(client: httpx.Client, dataset: str) -> str:
    response = client.post("/versions", json={"dataset": dataset})
    response.raise_for_status()
    return response.json()["id"]


def save_and_publish(client: httpx.Client, version_id: str) -> None:
    client.post(f"/versions/{version_id}/save", params={"wait": "true"}).raise_for_status()
    client.post(f"/versions/{version_id}/publish").raise_for_status()


# ------------------------------------------------------------------ 1. writer
async def write_through_dapr(replica: AppReplica, dataset: str, version_id: str, n: int) -> float:
    """Entries/s of `n` batches written as a loader worker writes them, 4 in flight."""
    from dapr.aio.clients import DaprClient

    from optimus.hosts.dapr.actor_client import DatasetActors
    from optimus.hosts.dapr.components import DaprNames
    from optimus.hosts.dapr.entry_store import DaprEntryStore
    from optimus.hosts.dapr.fence import DaprWriteFence
    from optimus.service_layer.ports import Batch

    client = DaprClient(address=replica.grpc_endpoint)
    actors = DatasetActors()
    store = DaprEntryStore(client, actors, DaprNames())
    fence = DaprWriteFence(actors)
    scatter = Scatter(n * 1000)
    batches = [batch_entries(batch_indices(n * 1000, 1000, scatter, b)) for b in range(n)]
    queue = list(reversed(batches))

    async def writer() -> None:
        while queue:
            batch = Batch(dataset, version_id, queue.pop())
            async with fence.writing(batch):
                await store.write(batch)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(4)))
    seconds = time.perf_counter() - started
    await actors.close()
    await client.close()
    return n * 1000 / seconds


def write_straight_to_redis(port: int, n: int) -> float:
    """Entries/s of the same batches as pipelined SETs, one round trip per batch."""
    connection = redis.Redis(port=port)
    scatter = Scatter(n * 1000)
    batches = [batch_entries(batch_indices(n * 1000, 1000, scatter, b)) for b in range(n)]
    started = time.perf_counter()
    for batch in batches:
        pipeline = connection.pipeline(transaction=False)
        for table, key, value in batch:
            pipeline.set(f"direct||{table}/{key}", value)
        pipeline.execute()
    return n * 1000 / (time.perf_counter() - started)


def bench_writer(cluster: DaprCluster, api: AppReplica, scale: Scale) -> dict[str, Any]:
    with httpx.Client(base_url=invoke_url(api), timeout=120) as client:
        client.post("/datasets", json={"name": "writer", "tables": [TABLE]}).raise_for_status()
        dapr_runs, redis_runs = [], []
        for _ in range(scale.rounds):
            version_id = new_version(client, "writer")
            dapr_runs.append(
                asyncio.run(write_through_dapr(api, "writer", version_id, scale.writer_batches))
            )
            assert cluster.redis_port is not None
            redis_runs.append(write_straight_to_redis(cluster.redis_port, scale.writer_batches))
            log(f"writer: dapr {dapr_runs[-1]:,.0f}/s, redis pipeline {redis_runs[-1]:,.0f}/s")
    return {
        "dapr_entries_per_s": round(median(dapr_runs)),
        "redis_pipeline_entries_per_s": round(median(redis_runs)),
        "ratio": round(median(dapr_runs) / median(redis_runs), 3),
        "runs": {"dapr": dapr_runs, "redis": redis_runs},
    }


# ----------------------------------------------------------- 2. loader workers
def parquet_input(directory: Path, scale: Scale) -> list[Path]:
    paths = []
    for n in range(scale.worker_files):
        first = n * scale.rows_per_file
        indices = range(first, first + scale.rows_per_file)
        table = pa.table(
            {"key": [key_name(i) for i in indices], "value": [value_of(i) for i in indices]}
        )
        path = directory / f"part-{n:02d}.parquet"
        pq.write_table(table, path)
        paths.append(path)
    return paths


def run_workers_load(api: AppReplica, paths: list[Path], workers: int, journals: Path) -> float:
    """Rows/s of `optimus load --workers` (no save: the load itself), files 2 per worker."""
    with httpx.Client(base_url=invoke_url(api), timeout=120) as client:
        version_id = new_version(client, "workers")
    command = [
        PY, "-m", "optimus", "load", *map(str, paths), "-d", "workers", "-t", TABLE,
        "--version-id", version_id, "--no-save", "--workers", LOADER_APP_ID,
        "--concurrency", str(2 * workers), "--url", invoke_url(api),
        "--journal-dir", str(journals), "--progress", "log",
    ]  # fmt: skip
    env = {**os.environ, "DAPR_HTTP_PORT": str(api.http_port)}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"optimus load failed: {done.stderr[-2000:]}")
    return len(paths) * pq.ParquetFile(paths[0]).metadata.num_rows / seconds


def bench_workers(cluster: DaprCluster, api: AppReplica, scale: Scale, work: Path) -> dict:
    paths = parquet_input(work, scale)
    with httpx.Client(base_url=invoke_url(api), timeout=120) as client:
        client.post("/datasets", json={"name": "workers", "tables": [TABLE]}).raise_for_status()
    figures: dict[str, Any] = {}
    replicas: list[AppReplica] = []
    for workers in (1, 2, 4):
        while len(replicas) < workers:
            replicas.append(cluster.add_app(WORKER))
        runs = [
            run_workers_load(api, paths, workers, work / "journals") for _ in range(scale.rounds)
        ]
        figures[f"{workers}_workers_rows_per_s"] = round(median(runs))
        log(f"{workers} worker(s): {median(runs):,.0f} rows/s ({len(paths)} files)")
    figures["speedup_2_vs_1"] = round(
        figures["2_workers_rows_per_s"] / figures["1_workers_rows_per_s"], 2
    )
    figures["speedup_4_vs_1"] = round(
        figures["4_workers_rows_per_s"] / figures["1_workers_rows_per_s"], 2
    )
    for replica in replicas:
        replica.stop()
    return figures


# --------------------------------------------------------------------- 3. reads
def load_read_dataset(base_url: str, keys: int) -> None:
    with httpx.Client(base_url=base_url, timeout=120) as client:
        client.post("/datasets", json={"name": "reads", "tables": [TABLE]}).raise_for_status()
        version_id = new_version(client, "reads")
        scatter = Scatter(keys)
        for number in range((keys + 999) // 1000):
            body = batch_body(batch_indices(keys, 1000, scatter, number))
            client.post(
                f"/datasets/reads/tables/{TABLE}/entries",
                params={"version-id": version_id},
                content=body,
            ).raise_for_status()
        save_and_publish(client, version_id)


def wrk(url_prefix: str, keys: int, seconds: int) -> dict[str, float]:
    script = BENCH / "lua" / "random_key.lua"
    base, _, path = url_prefix.partition("/v1")
    command = [
        WRK, "-t2", "-c32", f"-d{seconds}s", "--timeout", "5s", "--latency",
        "-s", str(script), base, "--", "/v1" + path, str(keys),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    result = parse_wrk(done.stdout)
    return {"rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
            "errors": result.errors}  # fmt: skip


def bench_reads(api: AppReplica, scale: Scale, work: Path) -> dict[str, Any]:
    entries = f"/datasets/reads/tables/{TABLE}/entries/"
    load_read_dataset(invoke_url(api), scale.read_keys)
    embedded = optimus_server(work / "embedded").start()
    try:
        load_read_dataset(embedded.url + "/v1", scale.read_keys)
        dapr_runs, embedded_runs = [], []
        for _ in range(scale.rounds):
            dapr_runs.append(wrk(invoke_url(api) + entries, scale.read_keys, scale.wrk_seconds))
            embedded_runs.append(
                wrk(embedded.url + "/v1" + entries, scale.read_keys, scale.wrk_seconds)
            )
            log(f"reads: dapr {dapr_runs[-1]}, embedded {embedded_runs[-1]}")
    finally:
        embedded.stop()

    def summary(runs: list[dict[str, float]]) -> dict[str, float]:
        return {name: round(median([r[name] for r in runs]), 3) for name in runs[0]}

    return {"dapr_invocation": summary(dapr_runs), "embedded": summary(embedded_runs)}


# ------------------------------------------------------- 4. publish visibility
def bench_publish(cluster: DaprCluster, scale: Scale) -> dict[str, Any]:
    replicas = [add_api(cluster) for _ in range(3)]
    urls = [f"{replica.app_url}/v1" for replica in replicas]
    with httpx.Client(base_url=urls[0], timeout=60) as publisher:
        publisher.post("/datasets", json={"name": "visible", "tables": [TABLE]})
        versions = []
        for n in range(2):
            version_id = new_version(publisher, "visible")
            publisher.post(
                f"/datasets/visible/tables/{TABLE}/entries",
                params={"version-id": version_id},
                json=[{"key": "k", "value": n}],
            ).raise_for_status()
            save_and_publish(publisher, version_id)
            versions.append(version_id)
        readers = [httpx.Client(base_url=url, timeout=10) for url in urls[1:]]
        delays = []
        for n in range(scale.publishes):
            target = versions[n % 2]
            publisher.post(f"/versions/{target}/publish").raise_for_status()
            started = time.perf_counter()
            pending = set(range(len(readers)))
            while pending and time.perf_counter() - started < 30:
                for i in list(pending):
                    served = readers[i].get(f"/datasets/visible/tables/{TABLE}/entries/k")
                    if served.headers.get("x-version-id") == target:
                        pending.discard(i)
                time.sleep(0.001)
            delays.append(time.perf_counter() - started)
        for reader in readers:
            reader.close()
    for replica in replicas:
        replica.stop()
    return {
        "publishes": len(delays),
        "median_ms": round(median(delays) * 1000, 1),
        "p99_ms": round(percentile(delays, 99) * 1000, 1),
        "max_ms": round(max(delays) * 1000, 1),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    scale = QUICK if quick else FULL
    results: dict[str, Any] = {"scale": "quick" if quick else "full"}
    started = time.monotonic()
    try:
        with temp_dir("bench-dapr-") as work, DaprCluster("redis", work / "cluster") as cluster:
            api = add_api(cluster)
            # The SDK's clients (this process is a writer) talk to the API replica's sidecar.
            dapr_settings.DAPR_HTTP_ENDPOINT = api.http_endpoint
            dapr_settings.DAPR_GRPC_ENDPOINT = api.grpc_endpoint
            results["writer"] = bench_writer(cluster, api, scale)
            results["loader_workers"] = bench_workers(cluster, api, scale, work)
            results["reads"] = bench_reads(api, scale, work)
            results["publish_visibility"] = bench_publish(cluster, scale)
    finally:
        stop_all()
    results["seconds"] = round(time.monotonic() - started)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("dapr-quick.json" if quick else "dapr.json")
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
    print(f"written to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
