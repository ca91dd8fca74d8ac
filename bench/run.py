"""Every benchmark of issue 4 in one run, each beside its ceiling; prints the table.

    .venv/bin/python bench/run.py [--quick] [--name NAME]

Order: bulk load (on a fresh server, beside the raw engine on a fresh database), then
reads (a 1M-key dataset, beside a bare ASGI server), publish/rollback (a second 1M-key
version of that dataset, and a 1k-key dataset), and memory (its own server, 5M keys).
Results: the table on stdout, everything in bench/results/NAME.json (default: the scale).
"""

from __future__ import annotations

import time

import bench_load
import bench_memory
import bench_publish
import bench_reads
from common import Api, bare_server, load_dataset, log, mib, optimus_server, stop_all, temp_dir
from report import print_table, write_results
from scale import parse_scale

READS = "reads"


def main() -> None:
    scale, args = parse_scale(__doc__ or "")
    started = time.monotonic()
    results: dict = {}
    try:
        with temp_dir("bench-run-") as data_dir:
            bare = bare_server().start()
            optimus = optimus_server(data_dir / "server").start()
            time.sleep(1)
            results["idle"] = {"bare_asgi": bare.memory(), "optimus": optimus.memory()}
            log(
                f"idle RSS: bare ASGI {mib(bare.memory()['VmRSS'])} MiB, "
                f"optimus {mib(optimus.memory()['VmRSS'])} MiB"
            )
            api = Api(optimus)
            results["load"] = bench_load.run(scale, optimus, api, data_dir / "raw")

            api.create_dataset(READS)
            first = load_dataset(optimus, api, READS, scale.read_keys, label="reads-1")
            results["setup"] = {"reads_dataset": {k: v for k, v in first.items()}}
            results["reads"] = bench_reads.run(scale, optimus, bare, api, READS)
            results["publish"] = bench_publish.run(
                scale, optimus, api, (READS, str(first["version_id"])), scale.read_keys
            )
            api.close()
            stop_all()
            results["memory"] = bench_memory.run(scale, data_dir / "memory")
    finally:
        stop_all()
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    log(f"done in {results['elapsed_s']:.0f} s")
    print_table(results)
    write_results(args.name or scale.name, scale, results)


if __name__ == "__main__":
    main()
