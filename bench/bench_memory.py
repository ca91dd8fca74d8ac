"""Server memory serving a large dataset, beside the idle server's.

Target (issue 4): the server's memory stays under 200 MB serving a 5M-key dataset
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
from typing import Any

from common import (
    BENCH,
    TABLE,
    Api,
    MemorySampler,
    Server,
    WrkResult,
    load_dataset,
    log,
    mib,
    optimus_server,
    run_wrk,
    stop_all,
    temp_dir,
)
from report import print_table, write_results
from scale import Scale, parse_scale

DATASET = "memory"
SETTLE_S = 1.0


def _idle(server: Server) -> dict[str, int]:
    time.sleep(SETTLE_S)
    return server.memory()


ENTRIES = f"/v1/datasets/{DATASET}/tables/{TABLE}/entries"


def _single_key_reads(server: Server, scale: Scale, seconds: float) -> WrkResult:
    """wrk reading random keys of the dataset, one per request."""
    random_key = BENCH / "lua" / "random_key.lua"
    return run_wrk(
        server, "/", random_key, [ENTRIES + "/", str(scale.memory_keys)], duration_s=seconds
    )


def _serve(server: Server, scale: Scale) -> dict[str, Any]:
    """Random single-key reads, then get-many, while sampling memory."""
    with MemorySampler(server.pid) as memory:
        single = _single_key_reads(server, scale, scale.memory_seconds)
        many = run_wrk(
            server,
            "/",
            BENCH / "lua" / "get_many.lua",
            [ENTRIES, str(scale.memory_keys), str(scale.get_many_keys), "1000"],
            duration_s=scale.memory_seconds / 2,
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
    api = Api(server)
    try:
        loaded = load_dataset(server, api, DATASET, scale.memory_keys, label="memory-next")
    finally:
        loading.clear()
        reader.join()
        api.close()
    if any(r.errors for r in reads):
        raise RuntimeError(f"reads failed while loading: {sum(r.errors for r in reads)} errors")
    return {
        "peak_rss_bytes": loaded["peak_rss_bytes"],
        "load": {k: v for k, v in loaded.items() if k != "version_id"},
        "reads_during_load": [r.as_dict() for r in reads],
    }


def run(scale: Scale, data_dir: Any) -> dict[str, Any]:
    server = optimus_server(data_dir).start()
    idle_empty = _idle(server)
    api = Api(server)
    api.create_dataset(DATASET)
    loaded = load_dataset(server, api, DATASET, scale.memory_keys, label="memory")
    api.close()
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
        f"{mib(loaded['peak_rss_bytes'])} MiB, serving peak {mib(serving_peak['VmRSS'])} MiB "
        f"(before restart {mib(peaks[0]['VmRSS'])}, after {mib(peaks[1]['VmRSS'])}), "
        f"loading the next version while serving {mib(next_version['peak_rss_bytes'])} MiB"
    )
    return {
        "dataset_keys": scale.memory_keys,
        "idle_empty": idle_empty,
        "loading_peak_rss": loaded["peak_rss_bytes"],
        "load": {k: v for k, v in loaded.items() if k != "version_id"},
        "idle_after_load": after_load,
        "serving_before_restart": serving_loader,
        "idle_loaded": idle_loaded,
        "serving_after_restart": serving_restarted,
        "serving_peak": serving_peak,
        "next_version_while_serving": next_version,
    }


def main() -> None:
    scale, args = parse_scale(__doc__ or "")
    try:
        with temp_dir("bench-memory-") as data_dir:
            results = {"memory": run(scale, data_dir)}
    finally:
        stop_all()
    print_table(results)
    write_results(args.name or f"memory-{scale.name}", scale, results)


if __name__ == "__main__":
    main()
