"""Operations overhead and export speed, each beside its baseline in the same run.

Targets (issue 18):
- single-key GET with request metrics on: >= 0.95 of the requests/s without them;
- with tracing on, sampled at 1%: >= 0.9 of the requests/s without it;
- export of a version to Parquet: >= 300k entries/s.
Three embedded servers hold the same dataset: metrics off (`--no-count-requests`),
metrics on (the default), metrics on and tracing at 1% (OTLP to a sink on
loopback). wrk runs alternate between them so that they share the machine's
noise, and the median of the rounds is quoted.

    .venv/bin/python bench/bench_ops.py [--quick]
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
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


class _Sink(BaseHTTPRequestHandler):
    """Takes OTLP exports and throws them away."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _server(data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> Server:
    server = optimus_server(data_dir)
    server.command.extend(extra)
    if env:  # env(1) execs the server: the pid, and so the CPU measured, stay the server's
        server.command[:0] = ["env", *(f"{name}={value}" for name, value in env.items())]
    return server


def _serving(data_dir: Path, keys: int, *extra: str, env: dict[str, str] | None = None) -> Server:
    server = _server(data_dir, *extra, env=env).start()
    api = Api(server)
    api.create_dataset(DATASET)
    load_dataset(server, api, DATASET, keys, label="ops")
    api.close()
    return server


def read_overheads(scale: Scale, servers: dict[str, Server]) -> dict[str, Any]:
    path = f"/v1/datasets/{DATASET}/tables/{TABLE}/entries/"
    args = [path, str(scale.read_keys)]
    runs: dict[str, list[Any]] = {name: [] for name in servers}
    others = []
    for round_number in range(scale.runs):
        wait_for_quiet()
        log(f"read round {round_number + 1}/{scale.runs}")
        for name, server in servers.items():
            runs[name].append(run_wrk(server, "/", RANDOM_KEY, args, duration_s=scale.wrk_seconds))
        others.append(max(r[-1].others_cpu_pct for r in runs.values()))
    rounds = quiet_rounds(others)
    figures = {name: summarize(server_runs, rounds) for name, server_runs in runs.items()}

    def ratio(a: str, b: str) -> dict[str, Any]:
        return {
            "rps": round(figures[a]["rps"] / figures[b]["rps"], 3),
            "rps_by_round": [round(runs[a][i].rps / runs[b][i].rps, 3) for i in rounds],
            "server_cpu_us_per_request": [
                figures[a]["server_cpu_us_per_request"],
                figures[b]["server_cpu_us_per_request"],
            ],
        }

    return {
        **figures,
        "metrics_on_vs_off": {**ratio("metrics_on", "metrics_off"), "target": ">= 0.95"},
        "tracing_1pct_vs_off": {**ratio("tracing_1pct", "metrics_on"), "target": ">= 0.9"},
    }


def export_speed(server: Server, keys: int, runs: int) -> dict[str, Any]:
    """Entries/s of GET /v1/versions/{id}/export?format=parquet, the whole body read."""
    with httpx.Client(base_url=server.url, timeout=600) as client:
        version = client.get(f"/v1/datasets/{DATASET}").json()["active-version"]["id"]
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            size = 0
            with client.stream(
                "GET", f"/v1/versions/{version}/export", params={"format": "parquet"}
            ) as response:
                for chunk in response.iter_bytes(1 << 20):
                    size += len(chunk)
            timings.append(time.perf_counter() - started)
    best = min(timings)
    return {
        "entries": keys,
        "seconds": [round(t, 3) for t in timings],
        "entries_per_s": round(keys / sorted(timings)[len(timings) // 2]),
        "best_entries_per_s": round(keys / best),
        "parquet_bytes": size,
        "target": ">= 300000 entries/s",
    }


def main() -> None:
    scale, args = parse_scale(__doc__ or "")
    results: dict[str, Any] = {}
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    tracing = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.server_address[1]}",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.01",
    }
    try:
        with (
            temp_dir("bench-ops-off-") as off_dir,
            temp_dir("bench-ops-on-") as on_dir,
            temp_dir("bench-ops-traced-") as traced_dir,
        ):
            servers = {
                "metrics_off": _serving(off_dir, scale.read_keys, "--no-count-requests"),
                "metrics_on": _serving(on_dir, scale.read_keys),
                "tracing_1pct": _serving(traced_dir, scale.read_keys, env=tracing),
            }
            results["reads"] = read_overheads(scale, servers)
            results["export_parquet"] = export_speed(servers["metrics_on"], scale.read_keys, 3)
            stop_all()
    finally:
        stop_all()
        sink.shutdown()
    text = json.dumps(results, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name or 'ops-' + scale.name}.json").write_text(text)


if __name__ == "__main__":
    main()
