"""Optimus on the real Dapr runtime, each figure beside its baseline.

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
bounded, and is stopped at the end. Results: the table on stdout, everything in
bench/results/dapr-full.json (or dapr-quick.json).
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
from harness.cli import run_benchmark
from harness.dapr import BATCH, add_api, invoke_url, use_sidecar, write_through_dapr
from harness.data import (
    TABLE,
    Scatter,
    batch_indices,
    dataset_body,
    key_name,
    store_batches,
    value_of,
)
from harness.datasets import sdk
from harness.figures import log, median, percentile
from harness.processes import optimus_server
from harness.report import Row, ms, verdict
from harness.wrk import RANDOM_KEY, run_wrk

from optimus.dapr_runtime import AppReplica, AppSpec, DaprCluster
from optimus.hosts.dapr.components import LOADER_APP_ID

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

WORKER = AppSpec(
    LOADER_APP_ID,
    [PY, "-m", "optimus", "loader-worker", "--port", "{app_port}", "--log-level", "warning"],
    health_path="/healthcheck",
)


# ------------------------------------------------------------------ 1. writer
def write_straight_to_redis(port: int, n: int) -> float:
    """Entries/s of the same batches as pipelined SETs, one round trip per batch."""
    connection = redis.Redis(port=port)
    batches = store_batches(n, BATCH)
    started = time.perf_counter()
    for batch in batches:
        pipeline = connection.pipeline(transaction=False)
        for table, key, value in batch:
            pipeline.set(f"direct||{table}/{key}", value)
        pipeline.execute()
    return n * BATCH / (time.perf_counter() - started)


def bench_writer(cluster: DaprCluster, api: AppReplica, scale: Scale) -> dict[str, Any]:
    with sdk(invoke_url(api)) as client:
        client.create_dataset("writer", [TABLE])
        dapr_runs, redis_runs = [], []
        for _ in range(scale.rounds):
            version_id = client.create_version("writer").id
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
    with sdk(invoke_url(api)) as client:
        version_id = client.create_version("workers").id
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
    with sdk(invoke_url(api)) as client:
        client.create_dataset("workers", [TABLE])
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
    with sdk(base_url) as client:
        client.create_dataset("reads", [TABLE])
        version_id = client.create_version("reads").id
        scatter = Scatter(keys)
        for number in range((keys + 999) // 1000):
            body = dataset_body(batch_indices(keys, 1000, scatter, number))
            client.load_entries("reads", version_id, body)
        client.save(version_id, wait=True)
        client.publish(version_id)


def wrk(base: str, path: str, keys: int, seconds: int) -> dict[str, float]:
    """Random single-key GETs of `base` + `path` + key."""
    result = run_wrk(base, RANDOM_KEY, [path, str(keys)], duration_s=seconds)
    return {"rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
            "errors": result.errors}  # fmt: skip


def bench_reads(api: AppReplica, scale: Scale, work: Path) -> dict[str, Any]:
    entries = f"/datasets/reads/tables/{TABLE}/entries/"
    invoked = invoke_url(api).removeprefix(api.http_endpoint)
    load_read_dataset(invoke_url(api), scale.read_keys)
    embedded = optimus_server(work / "embedded").start()
    try:
        load_read_dataset(embedded.api_url, scale.read_keys)
        dapr_runs, embedded_runs = [], []
        for _ in range(scale.rounds):
            dapr_runs.append(
                wrk(api.http_endpoint, invoked + entries, scale.read_keys, scale.wrk_seconds)
            )
            embedded_runs.append(
                wrk(embedded.url, "/v1" + entries, scale.read_keys, scale.wrk_seconds)
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
    with sdk(urls[0]) as publisher:
        publisher.create_dataset("visible", [TABLE])
        versions = []
        for n in range(2):
            version_id = publisher.create_version("visible").id
            body = orjson.dumps([{"table": TABLE, "key": "k", "value": n}])
            publisher.load_entries("visible", version_id, body)
            publisher.save(version_id, wait=True)
            publisher.publish(version_id)
            versions.append(version_id)
        readers = [httpx.Client(base_url=url, timeout=10) for url in urls[1:]]
        delays = []
        for n in range(scale.publishes):
            target = versions[n % 2]
            publisher.publish(target)
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


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    started = time.monotonic()
    with DaprCluster("redis", work / "cluster") as cluster:
        api = add_api(cluster)
        use_sidecar(api)  # this process is a writer
        results["writer"] = bench_writer(cluster, api, scale)
        results["loader_workers"] = bench_workers(cluster, api, scale, work)
        results["reads"] = bench_reads(api, scale, work)
        results["publish_visibility"] = bench_publish(cluster, scale)
    results["seconds"] = round(time.monotonic() - started)
    return results


def rows(results: dict[str, Any]) -> list[Row]:
    writer, workers = results["writer"], results["loader_workers"]
    reads, visible = results["reads"], results["publish_visibility"]
    dapr, embedded = reads["dapr_invocation"], reads["embedded"]
    return [
        Row(
            "writer through the Dapr state API (Redis), entries/s",
            f"{writer['dapr_entries_per_s']:,}",
            f"Redis pipeline {writer['redis_pipeline_entries_per_s']:,}",
            f"{writer['ratio']:.2f}",
            ">= 30k/s",
            verdict(writer["dapr_entries_per_s"] >= 30_000),
        ),
        Row(
            "optimus load --workers, 2 workers vs 1",
            f"{workers['2_workers_rows_per_s']:,} rows/s",
            f"1 worker {workers['1_workers_rows_per_s']:,}; 4: {workers['4_workers_rows_per_s']:,}",
            f"{workers['speedup_2_vs_1']:.2f}x",
            ">= 1.6x",
            verdict(workers["speedup_2_vs_1"] >= 1.6),
        ),
        Row(
            "GET 1 key through service invocation, p50 / p99",
            f"{ms(dapr['p50_ms'])} / {ms(dapr['p99_ms'])} ({dapr['rps']:,.0f} req/s)",
            f"embedded {ms(embedded['p50_ms'])} / {ms(embedded['p99_ms'])}",
            f"{dapr['rps'] / embedded['rps']:.2f} req/s",
            "p99 < 15 ms",
            verdict(dapr["p99_ms"] < 15, int(dapr["errors"])),
        ),
        Row(
            "publish visible on 2 other replicas, p50 / p99",
            f"{ms(visible['median_ms'])} / {ms(visible['p99_ms'])}",
            f"max {ms(visible['max_ms'])}, {visible['publishes']} publishes",
            "",
            "p99 < 1 s",
            verdict(visible["p99_ms"] < 1000),
        ),
    ]


if __name__ == "__main__":
    run_benchmark("dapr", __doc__ or "", (FULL, QUICK), measure, rows)
