"""The reads, load, publish and memory benchmarks in one run, each beside its ceiling.

    .venv/bin/python bench/run.py [--quick] [--name NAME]

Order: bulk load (on a fresh server, beside the raw engine on a fresh database), then
reads (a 1M-key dataset, beside a bare ASGI server), publish/rollback (a second 1M-key
version of that dataset, and a 1k-key dataset), and memory (its own server, 5M keys).
Results: the table on stdout, everything in bench/results/run-full.json (or run-quick).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import bench_load
import bench_memory
import bench_publish
import bench_reads
from harness.cli import run_benchmark
from harness.datasets import create_dataset, load_dataset, sdk
from harness.figures import log, mib
from harness.processes import bare_server, optimus_server, stop_all
from harness.report import Row
from scale import FULL, QUICK, Scale

READS = "reads"


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    started = time.monotonic()
    bare = bare_server().start()
    optimus = optimus_server(work / "server").start()
    time.sleep(1)
    results: dict[str, Any] = {"idle": {"bare_asgi": bare.memory(), "optimus": optimus.memory()}}
    log(
        f"idle RSS: bare ASGI {mib(bare.memory()['VmRSS'])} MiB, "
        f"optimus {mib(optimus.memory()['VmRSS'])} MiB"
    )
    results["load"] = bench_load.run(scale, optimus, work / "raw")

    with sdk(optimus.api_url) as client:
        create_dataset(client, READS)
    first = load_dataset(optimus, READS, scale.read_keys, label="reads-1")
    results["setup"] = {"reads_dataset": first.figures()}
    results["reads"] = bench_reads.run(scale, optimus, bare, READS)
    results["publish"] = bench_publish.run(
        scale, optimus, (READS, first.version_id), scale.read_keys
    )
    stop_all()
    results["memory"] = bench_memory.run(scale, work / "memory")
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    log(f"done in {results['elapsed_s']:.0f} s")
    return results


def rows(results: dict[str, Any]) -> list[Row]:
    return [
        *bench_reads.rows(results),
        *bench_load.rows(results),
        *bench_publish.rows(results),
        *bench_memory.rows(results),
    ]


if __name__ == "__main__":
    run_benchmark("run", __doc__ or "", (FULL, QUICK), measure, rows)
