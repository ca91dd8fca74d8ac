"""Server memory serving a large dataset, beside the idle server's.

Target: the server's memory stays under 200 MB serving a 5M-key dataset
(nothing proportional to the data held in RAM). /proc/PID/status is sampled every
0.2 s: VmRSS, and its parts RssAnon (heap: Python objects, RocksDB block cache and
memtables) and RssFile (mapped files: code and libraries).

Phases: idle on an empty data dir; loading the dataset (REST, then save and publish);
serving random single-key reads and get-many from the server that loaded it; then
the same after a restart on that data dir (what a server sees after a deploy); then
the nightly case: the next version of the same size loaded, saved and published
while readers go on reading.

    .venv/bin/python bench/bench_memory.py [--quick]
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from harness.cli import run_benchmark
from harness.data import TABLE
from harness.datasets import create_dataset, load_dataset, sdk
from harness.figures import log, mib
from harness.meters import MemorySampler
from harness.processes import Server, optimus_server
from harness.report import Row, verdict
from harness.wrk import GET_MANY, RANDOM_KEY, WrkResult, run_wrk
from scale import FULL, QUICK, Scale

DATASET = "memory"
SETTLE_S = 1.0


def _idle(server: Server) -> dict[str, int]:
    time.sleep(SETTLE_S)
    return server.memory()


ENTRIES = f"/v1/datasets/{DATASET}/tables/{TABLE}/entries"


def _single_key_reads(server: Server, scale: Scale, seconds: float) -> WrkResult:
    """wrk reading random keys of the dataset, one per request."""
    args = [ENTRIES + "/", str(scale.memory_keys)]
    return run_wrk(server.url, RANDOM_KEY, args, duration_s=seconds, server=server)


def _serve(server: Server, scale: Scale) -> dict[str, Any]:
    """Random single-key reads, then get-many, while sampling memory."""
    with MemorySampler(server.pid) as memory:
        single = _single_key_reads(server, scale, scale.memory_seconds)
        many = run_wrk(
            server.url,
            GET_MANY,
            [ENTRIES, str(scale.memory_keys), str(scale.get_many_keys), "1000"],
            duration_s=scale.memory_seconds / 2,
            server=server,
        )
    if single.errors or many.errors:
        raise RuntimeError(f"reads failed: {single.errors} and {many.errors} errors")
    return {
        "peak": memory.peak,
        "end": server.memory(),
        "single_key": single.as_dict(),
        "get_many": many.as_dict(),
    }


def _load_while_serving(server: Server, scale: Scale) -> dict[str, Any]:
    """The next version loaded, saved and published under random single-key reads."""
    loading = threading.Event()
    loading.set()
    reads: list[WrkResult] = []

    def read() -> None:
        while loading.is_set():
            reads.append(_single_key_reads(server, scale, 2))

    reader = threading.Thread(target=read, name="readers")
    reader.start()
    try:
        loaded = load_dataset(server, DATASET, scale.memory_keys, label="memory-next")
    finally:
        loading.clear()
        reader.join()
    if any(r.errors for r in reads):
        raise RuntimeError(f"reads failed while loading: {sum(r.errors for r in reads)} errors")
    return {
        "peak_rss_bytes": loaded.peak_rss_bytes,
        "load": loaded.figures(),
        "reads_during_load": [r.as_dict() for r in reads],
    }


def run(scale: Scale, data_dir: Path) -> dict[str, Any]:
    server = optimus_server(data_dir).start()
    idle_empty = _idle(server)
    with sdk(server.api_url) as client:
        create_dataset(client, DATASET)
    loaded = load_dataset(server, DATASET, scale.memory_keys, label="memory")
    after_load = _idle(server)
    serving_loader = _serve(server, scale)
    server.stop()

    server = optimus_server(data_dir).start()
    idle_loaded = _idle(server)
    serving_restarted = _serve(server, scale)
    next_version = _load_while_serving(server, scale)
    server.stop()

    peaks = [serving_loader["peak"], serving_restarted["peak"]]
    serving_peak = max(peaks, key=lambda p: p["VmRSS"])
    log(
        f"memory: idle {mib(idle_empty['VmRSS'])} MiB, loading peak "
        f"{mib(loaded.peak_rss_bytes)} MiB, serving peak {mib(serving_peak['VmRSS'])} MiB "
        f"(before restart {mib(peaks[0]['VmRSS'])}, after {mib(peaks[1]['VmRSS'])}), "
        f"loading the next version while serving {mib(next_version['peak_rss_bytes'])} MiB"
    )
    return {
        "dataset_keys": scale.memory_keys,
        "idle_empty": idle_empty,
        "loading_peak_rss": loaded.peak_rss_bytes,
        "load": loaded.figures(),
        "idle_after_load": after_load,
        "serving_before_restart": serving_loader,
        "idle_loaded": idle_loaded,
        "serving_after_restart": serving_restarted,
        "serving_peak": serving_peak,
        "next_version_while_serving": next_version,
    }


MIB = 2**20


def rows(results: dict[str, Any]) -> list[Row]:
    memory = results["memory"]
    idle, loaded, serving = memory["idle_empty"], memory["idle_loaded"], memory["serving_peak"]
    before = memory["serving_before_restart"]["single_key"]
    after = memory["serving_after_restart"]["single_key"]
    nightly = memory["next_version_while_serving"]
    return [
        Row(
            f"server RSS serving {memory['dataset_keys']:,} keys (peak)",
            f"{serving['VmRSS'] / MIB:.0f} MiB (anon {serving['RssAnon'] / MIB:.0f}, "
            f"file {serving['RssFile'] / MIB:.0f})",
            f"idle, empty {idle['VmRSS'] / MIB:.0f} MiB; idle, loaded "
            f"{loaded['VmRSS'] / MIB:.0f} MiB",
            f"{serving['VmRSS'] / idle['VmRSS']:.1f}x idle",
            "< 200 MB",
            verdict(serving["VmRSS"] < 200e6),
        ),
        Row(
            "server RSS while loading it (peak)",
            f"{memory['loading_peak_rss'] / MIB:.0f} MiB",
        ),
        Row(
            "server RSS loading the next version while serving (peak)",
            f"{nightly['peak_rss_bytes'] / MIB:.0f} MiB",
            f"{len(nightly['reads_during_load'])} wrk runs of 2 s meanwhile",
            "",
            "< 200 MB",
            verdict(nightly["peak_rss_bytes"] < 200e6),
        ),
        Row(
            f"GET 1 key on {memory['dataset_keys']:,} keys, server CPU per request",
            f"{before['server_cpu_us_per_request']:.0f} us ({before['rps']:,.0f} req/s)",
            f"after a restart {after['server_cpu_us_per_request']:.0f} us "
            f"({after['rps']:,.0f} req/s)",
        ),
    ]


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    return {"memory": run(scale, work)}


if __name__ == "__main__":
    run_benchmark("memory", __doc__ or "", (FULL, QUICK), measure, rows)
