"""Bulk load through the REST API, beside the raw engine writing the same batches.

Target: >= 100k entries/s in batches of 1,000 entries of 100-byte values
(random keys), and >= 40% of the raw engine's rate measured beside it.

- REST: `POST /v1/datasets/{ds}/tables/t/entries?version-id=` over several keep-alive
  connections. The client is `harness.raw_http.Connection` (asyncio streams, in this process)
  sending bodies pre-encoded with orjson before the clock starts, so what is timed
  is the server; the client's CPU is reported beside it.
- Raw engine: the same batches (same keys, same stored bytes, same key layout) written
  to a fresh RocksDB with the server's options (`open_database`), one WriteBatch per
  batch with sync=True, one writer, as the server writes them.

Runs alternate raw, REST, raw, REST, … on fresh keys; the median is quoted.

    .venv/bin/python bench/bench_load.py [--quick]
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.cli import run_benchmark
from harness.data import TABLE, Scatter, batch_entries, batch_indices, table_body, table_path
from harness.datasets import create_dataset, sdk
from harness.figures import log, median, quiet_rounds
from harness.meters import CpuMeter, wait_for_quiet
from harness.processes import Server, optimus_server
from harness.raw_http import http_request, send_requests
from harness.report import Row, verdict
from rocksdict import Rdict, WriteBatch, WriteOptions
from scale import FULL, QUICK, Scale

DATASET = "load"

RawBatch = list[tuple[bytes, bytes]]


def open_engine(path: Path) -> Rdict:
    """A RocksDB opened exactly as the server opens its own."""
    from optimus.hosts.embedded.rocksdb import open_database

    return open_database(path)


def raw_batches(version_id: str, batches: Sequence[Sequence[int]]) -> list[RawBatch]:
    """The server's key layout: e NUL version NUL table NUL key."""
    prefix = f"e\0{version_id}\0"
    return [
        [(f"{prefix}{table}\0{key}".encode(), value) for table, key, value in batch_entries(b)]
        for b in batches
    ]


def write_raw(db: Rdict, batches: Sequence[RawBatch]) -> tuple[float, float]:
    """Seconds and CPU seconds to write every batch, each with one synced WriteBatch."""
    options = WriteOptions()
    options.sync = True
    cpu = time.process_time()
    started = time.perf_counter()
    for entries in batches:
        batch = WriteBatch(raw_mode=True)
        for key, value in entries:
            batch.put(key, value)
        db.write(batch, options)
    return time.perf_counter() - started, time.process_time() - cpu


def run(scale: Scale, optimus: Server, raw_dir: Path) -> dict[str, Any]:
    count = scale.load_entries // scale.batch
    total = count * scale.batch * scale.runs
    scatter = Scatter(total, seed=777)
    client = sdk(optimus.api_url)
    create_dataset(client, DATASET)
    engine = open_engine(raw_dir)
    rest_runs: list[dict[str, float]] = []
    raw_runs: list[dict[str, float]] = []
    try:
        for number in range(scale.runs):
            first = number * count
            batches = [batch_indices(total, scale.batch, scatter, first + i) for i in range(count)]
            version_id = client.create_version(DATASET, label=f"load-{number}").id
            path = table_path(DATASET, version_id)
            requests = [http_request("POST", path, table_body(b)) for b in batches]
            raw = raw_batches(f"raw{number:022d}", batches)
            entries = count * scale.batch

            wait_for_quiet()
            with CpuMeter() as raw_cpu:
                seconds, cpu_s = write_raw(engine, raw)
            raw_runs.append(
                {
                    "entries_per_s": entries / seconds,
                    "cpu_ms_per_batch": cpu_s / count * 1e3,
                    "seconds": seconds,
                    "others_cpu_pct": raw_cpu.others_pct,
                }
            )

            wait_for_quiet()
            with CpuMeter(optimus) as cpu:
                seconds, failures = asyncio.run(
                    send_requests(optimus.port, requests, count, scale.load_connections, 201)
                )
            if failures:
                raise RuntimeError(f"bulk load failed: {failures[:3]}")
            rest_runs.append(
                {
                    "entries_per_s": entries / seconds,
                    "server_cpu_ms_per_batch": cpu.server_s / count * 1e3,
                    "client_cpu_ms_per_batch": cpu.client_s / count * 1e3,
                    "seconds": seconds,
                    "others_cpu_pct": cpu.others_pct,
                }
            )
            log(
                f"load run {number + 1}: REST {rest_runs[-1]['entries_per_s']:,.0f}/s "
                f"(server {rest_runs[-1]['server_cpu_ms_per_batch']:.2f} ms CPU/batch), "
                f"raw {raw_runs[-1]['entries_per_s']:,.0f}/s "
                f"(others used {cpu.others_pct:.0f}% and {raw_cpu.others_pct:.0f}% of the machine)"
            )
    finally:
        engine.close()
        client.close()
    rounds = quiet_rounds(
        [
            max(a["others_cpu_pct"], b["others_cpu_pct"])
            for a, b in zip(rest_runs, raw_runs, strict=True)
        ]
    )
    rest = _medians(rest_runs, rounds)
    raw_figures = _medians(raw_runs, rounds)
    return {
        "batch": scale.batch,
        "value_bytes": 100,
        "entries_per_run": count * scale.batch,
        "connections": scale.load_connections,
        "client": "asyncio streams, keep-alive, bodies pre-encoded with orjson, in-process",
        "table": TABLE,
        "rest": rest,
        "raw_engine": raw_figures,
        "ratios": {"rest_vs_raw": round(rest["entries_per_s"] / raw_figures["entries_per_s"], 3)},
    }


def _medians(all_runs: list[dict[str, float]], rounds: list[int]) -> dict[str, Any]:
    runs = [all_runs[i] for i in rounds]
    figures: dict[str, Any] = {name: round(median([r[name] for r in runs]), 3) for name in runs[0]}
    figures["rounds_quoted"] = len(runs)
    figures["runs"] = [{k: round(v, 3) for k, v in r.items()} for r in all_runs]
    return figures


def rows(results: dict[str, Any]) -> list[Row]:
    load = results["load"]
    rest, raw = load["rest"], load["raw_engine"]
    ratio = load["ratios"]["rest_vs_raw"]
    return [
        Row(
            f"bulk load via REST, entries/s (batches of {load['batch']:,})",
            f"{rest['entries_per_s']:,.0f}",
            f"raw engine {raw['entries_per_s']:,.0f}",
            f"{ratio:.3f}",
            ">= 100k/s, >= 0.40",
            verdict(rest["entries_per_s"] >= 100_000 and ratio >= 0.40),
        ),
        Row(
            "bulk load, server CPU per batch",
            f"{rest['server_cpu_ms_per_batch']:.2f} ms",
            f"raw engine {raw['cpu_ms_per_batch']:.2f} ms",
        ),
    ]


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    optimus = optimus_server(work / "server").start()
    return {"load": run(scale, optimus, work / "raw")}


if __name__ == "__main__":
    run_benchmark("load", __doc__ or "", (FULL, QUICK), measure, rows)
