"""Operations overhead: single-key GET with request metrics on vs off, side by side.

Target (issue 18): with metrics on, at least 0.95 of the requests/s without them.
Two embedded servers hold the same dataset, one started with
`--no-count-requests`; wrk runs alternate between them (off, on, off, on, …)
so that they share the machine's noise, and the median of the rounds is quoted.

    .venv/bin/python bench/bench_ops.py [--quick]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    RESULTS,
    TABLE,
    Api,
    Server,
    load_dataset,
    log,
    optimus_server,
    quiet_rounds,
    run_wrk,
    stop_all,
    summarize,
    temp_dir,
    wait_for_quiet,
)
from scale import Scale, parse_scale

RANDOM_KEY = BENCH / "lua" / "random_key.lua"
DATASET = "ops"


def _server(data_dir: Path, *extra: str) -> Server:
    server = optimus_server(data_dir)
    server.command.extend(extra)
    return server


def _serving(data_dir: Path, keys: int, *extra: str) -> Server:
    server = _server(data_dir, *extra).start()
    api = Api(server)
    api.create_dataset(DATASET)
    load_dataset(server, api, DATASET, keys, label="ops")
    api.close()
    return server


def metrics_overhead(scale: Scale, without: Server, with_metrics: Server) -> dict[str, Any]:
    path = f"/v1/datasets/{DATASET}/tables/{TABLE}/entries/"
    args = [path, str(scale.read_keys)]
    off_runs, on_runs, others = [], [], []
    for round_number in range(scale.runs):
        wait_for_quiet()
        log(f"metrics round {round_number + 1}/{scale.runs}")
        off_runs.append(run_wrk(without, "/", RANDOM_KEY, args, duration_s=scale.wrk_seconds))
        on_runs.append(run_wrk(with_metrics, "/", RANDOM_KEY, args, duration_s=scale.wrk_seconds))
        others.append(max(off_runs[-1].others_cpu_pct, on_runs[-1].others_cpu_pct))
    rounds = quiet_rounds(others)
    off, on = summarize(off_runs, rounds), summarize(on_runs, rounds)
    return {
        "metrics_off": off,
        "metrics_on": on,
        "rps_ratio_on_vs_off": round(on["rps"] / off["rps"], 3),
        "rps_ratio_by_round": [round(on_runs[i].rps / off_runs[i].rps, 3) for i in rounds],
        "target": ">= 0.95",
    }


def main() -> None:
    scale, args = parse_scale(__doc__ or "")
    results: dict[str, Any] = {}
    try:
        with temp_dir("bench-ops-off-") as off_dir, temp_dir("bench-ops-on-") as on_dir:
            without = _serving(off_dir, scale.read_keys, "--no-count-requests")
            with_metrics = _serving(on_dir, scale.read_keys)
            results["metrics"] = metrics_overhead(scale, without, with_metrics)
            stop_all()
    finally:
        stop_all()
    text = json.dumps(results, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name or 'ops-' + scale.name}.json").write_text(text)


if __name__ == "__main__":
    main()
