"""`optimus load` of a 1M-row Parquet file into the embedded server, beside pyarrow's raw read.

Target: at least 100k rows/s, reported beside the raw rate of reading
the same file with pyarrow.

- file: 1M rows, columns `key` (string) and `value` (a struct whose stored JSON is
  ~100 bytes, as in the REST bulk-load benchmark), row groups of 100k rows.
- raw read: `ParquetFile.iter_batches` over the same file, in this process; once
  columnar (what reading costs), once also converted to Python objects
  (`to_pylist`, what any Python loader must pay).
- load: the real command, `optimus load FILE -d DS -t t --progress log`, in its
  own process, against a fresh `optimus serve` (fresh data dir) per run. Quoted:
  the rows/s of the load phase (first batch to last acknowledgement, from the
  loader's last progress line) and end to end (the command's wall time: start,
  create, load, save with verification, digest check); the CPU seconds of the
  loader and of the server during the command.

Runs alternate raw read, load, raw read, load, …; medians are quoted.

    .venv/bin/python bench/bench_loader.py [--quick]
"""

from __future__ import annotations

import re
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from harness.cli import run_benchmark
from harness.datasets import sdk
from harness.figures import log, median
from harness.meters import wait_for_quiet
from harness.paths import BIN
from harness.processes import optimus_server
from harness.report import Row, verdict

TARGET_ROWS_PER_S = 100_000
_RATE = re.compile(r"loaded ([\d,]+) rows \(100%, ([\d,]+) rows/s")


@dataclass(frozen=True, slots=True)
class Scale:
    rows: int  # rows of the Parquet file
    runs: int  # runs of each side; the median is quoted


FULL = Scale(rows=1_000_000, runs=3)
QUICK = Scale(rows=200_000, runs=2)


def write_file(path: Path, rows: int) -> None:
    chunk = 100_000
    writer = None
    for start in range(0, rows, chunk):
        indices = range(start, min(rows, start + chunk))
        table = pa.table(
            {
                "key": [f"k{i:08d}" for i in indices],
                "value": [{"i": i, "pad": "x" * 77} for i in indices],
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=chunk)
    assert writer is not None
    writer.close()


def raw_read(path: Path) -> dict[str, float]:
    started = time.perf_counter()
    rows = sum(b.num_rows for b in pq.ParquetFile(path).iter_batches(batch_size=5000))
    columnar = time.perf_counter() - started
    started = time.perf_counter()
    for batch in pq.ParquetFile(path).iter_batches(batch_size=5000):
        batch.column("key").to_pylist()
        batch.column("value").to_pylist()
    python = time.perf_counter() - started
    return {"columnar_rows_per_s": rows / columnar, "python_rows_per_s": rows / python}


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_once(path: Path, rows: int, work: Path) -> dict[str, float]:
    server = optimus_server(work / "data").start()
    try:
        base_url = server.api_url
        with sdk(server.api_url) as client:
            client.create_dataset("bench", ["t"])
        wait_for_quiet()
        command = [
            str(BIN / "optimus"), "load", str(path), "-d", "bench", "-t", "t",
            "--url", base_url, "--journal-dir", str(work / "journals"), "--progress", "log",
        ]  # fmt: skip
        server_cpu, loader_cpu = server.cpu_seconds(), _cpu_of_children()
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        server_cpu, loader_cpu = (
            server.cpu_seconds() - server_cpu,
            _cpu_of_children() - loader_cpu,
        )
    finally:
        server.stop()
    found = _RATE.search(done.stderr)
    if done.returncode != 0 or found is None or "equal to the input's" not in done.stdout:
        raise RuntimeError(f"optimus load failed:\n{done.stdout}\n{done.stderr}")
    assert int(found.group(1).replace(",", "")) == rows
    return {
        "load_rows_per_s": float(found.group(2).replace(",", "")),
        "end_to_end_rows_per_s": rows / wall,
        "wall_s": wall,
        "loader_cpu_s": loader_cpu,
        "server_cpu_s": server_cpu,
    }


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    count, runs = scale.rows, scale.runs
    reads, loads = [], []
    path = work / "rows.parquet"
    write_file(path, count)
    log(f"{path.name}: {count:,} rows, {path.stat().st_size / 2**20:.1f} MiB")
    for number in range(runs):
        reads.append(raw_read(path))
        loads.append(load_once(path, count, work / f"run{number}"))
        read_rate, load_rate = reads[-1]["columnar_rows_per_s"], loads[-1]["load_rows_per_s"]
        log(f"run {number + 1}/{runs}: read {read_rate:,.0f} rows/s, load {load_rate:,.0f}")

    def med(runs_: list[dict[str, float]], name: str) -> float:
        return median([r[name] for r in runs_])

    return {
        "rows": count,
        "raw_read": {name: med(reads, name) for name in reads[0]},
        "load": {name: med(loads, name) for name in loads[0]},
        "runs": {"raw_read": reads, "load": loads},
    }


def rows(results: dict[str, Any]) -> list[Row]:
    raw, load = results["raw_read"], results["load"]
    rate = load["load_rows_per_s"]
    return [
        Row(
            f"optimus load, {results['rows']:,}-row Parquet, rows/s",
            f"{rate:,.0f}",
            f"pyarrow read {raw['columnar_rows_per_s']:,.0f}",
            f"{rate / raw['columnar_rows_per_s']:.1%}",
            f">= {TARGET_ROWS_PER_S:,}",
            verdict(rate >= TARGET_ROWS_PER_S),
        ),
        Row(
            "  end to end (start, save, verify), rows/s",
            f"{load['end_to_end_rows_per_s']:,.0f}",
            f"pyarrow to Python objects {raw['python_rows_per_s']:,.0f}",
            f"{rate / raw['python_rows_per_s']:.1%}",
        ),
        Row(
            "  CPU of the command",
            f"loader {load['loader_cpu_s']:.1f} s",
            f"server {load['server_cpu_s']:.1f} s (wall {load['wall_s']:.1f} s)",
        ),
    ]


if __name__ == "__main__":
    run_benchmark("loader", __doc__ or "", (FULL, QUICK), measure, rows)
