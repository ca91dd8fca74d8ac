"""Reads over HTTP: single-key GET and get-many, beside a bare ASGI endpoint, with wrk.

Targets (issue 4): single-key GET of random keys of a 1M-key dataset at >= 60% of
the bare endpoint's requests/s with p99 < 5 ms; get-many of 100 keys with p99 < 15 ms.
Runs alternate between the servers (bare, single, get-many, bare, …) so that they
share the machine's noise; the median of the runs is quoted.

    .venv/bin/python bench/bench_reads.py [--quick]
"""

from __future__ import annotations

import random
from typing import Any

from common import (
    BENCH,
    TABLE,
    Api,
    Server,
    bare_server,
    key_name,
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
from report import print_table, write_results
from scale import Scale, parse_scale

RANDOM_KEY = BENCH / "lua" / "random_key.lua"
GET_MANY = BENCH / "lua" / "get_many.lua"
GET_MANY_BODIES = 1000  # distinct get-many bodies per wrk thread


def _check(server: Server, api: Api, dataset: str, keys: int) -> None:
    """A random key is there and is what was loaded, before anything is timed."""
    key = key_name(random.randrange(keys))
    reply = api.read(dataset, key)
    if reply.status_code != 200 or "x-version-id" not in reply.headers:
        raise RuntimeError(f"{server.name}: GET {key} -> {reply.status_code} {reply.text[:200]}")


def run(scale: Scale, optimus: Server, bare: Server, api: Api, dataset: str) -> dict[str, Any]:
    entries = f"/v1/datasets/{dataset}/tables/{TABLE}/entries"
    _check(optimus, api, dataset, scale.read_keys)
    single_args = [entries + "/", str(scale.read_keys)]
    many_args = [entries, str(scale.read_keys), str(scale.get_many_keys), str(GET_MANY_BODIES)]

    def single(server: Server, seconds: float) -> Any:
        return run_wrk(server, "/", RANDOM_KEY, single_args, duration_s=seconds)

    def many(seconds: float, connections: int = 32) -> Any:
        threads = min(2, connections)
        return run_wrk(
            optimus,
            "/",
            GET_MANY,
            many_args,
            duration_s=seconds,
            threads=threads,
            connections=connections,
        )

    log("reads: warming up (caches, connections)")
    single(bare, 1)
    single(optimus, 2)
    many(1)
    bare_runs, single_runs, many_runs, eight_runs, alone_runs, burn_runs = [], [], [], [], [], []
    for number in range(1, scale.runs + 1):
        wait_for_quiet()
        bare_runs.append(single(bare, scale.wrk_seconds))
        wait_for_quiet()
        single_runs.append(single(optimus, scale.wrk_seconds))
        wait_for_quiet()
        many_runs.append(many(scale.wrk_seconds))
        eight_runs.append(many(scale.wrk_seconds / 2, connections=8))
        # One connection: the service time of a get-many, without queueing behind 31 others.
        alone_runs.append(many(scale.wrk_seconds / 2, connections=1))
        # The bare endpoint spending the CPU that get-many just spent per request: the
        # latency that the server and wrk give at that cost, whatever the code.
        burn = f"/?burn={round(many_runs[-1].server_cpu_us)}"
        burn_runs.append(
            run_wrk(bare, "/", GET_MANY, [burn, *many_args[1:]], duration_s=scale.wrk_seconds)
        )
        log(
            f"reads run {number}: bare {bare_runs[-1].rps:,.0f}/s, "
            f"single {single_runs[-1].rps:,.0f}/s p99 {single_runs[-1].p99_ms:.1f} ms, "
            f"get-many {many_runs[-1].rps:,.0f}/s p99 {many_runs[-1].p99_ms:.1f} ms "
            f"(others used {single_runs[-1].others_cpu_pct:.0f}% of the machine)"
        )
    rounds = quiet_rounds(
        [
            max(r.others_cpu_pct for r in runs)
            for runs in zip(bare_runs, single_runs, many_runs, strict=True)
        ]
    )
    bare_figures = summarize(bare_runs, rounds)
    single_figures = summarize(single_runs, rounds)
    many_figures = summarize(many_runs, rounds)
    return {
        "dataset_keys": scale.read_keys,
        "wrk": f"-t2 -c32 -d{scale.wrk_seconds:g}s, {scale.runs} runs, medians",
        "bare_asgi": bare_figures,
        "single_key": single_figures,
        "get_many": {"keys_per_request": scale.get_many_keys, **many_figures},
        "get_many_8_connections": summarize(eight_runs, rounds),
        "get_many_one_connection": summarize(alone_runs, rounds),
        "bare_asgi_same_cpu_as_get_many": summarize(burn_runs, rounds),
        "ratios": {
            "single_rps_vs_bare": round(single_figures["rps"] / bare_figures["rps"], 3),
            # Each round's single-key run over the bare run just before it: their spread
            # shows how much of the quoted ratio is the machine's noise.
            "single_rps_vs_bare_by_round": [
                round(single_runs[i].rps / bare_runs[i].rps, 3) for i in rounds
            ],
            "single_cpu_vs_bare": round(
                single_figures["server_cpu_us_per_request"]
                / bare_figures["server_cpu_us_per_request"],
                2,
            ),
            "get_many_keys_per_s_vs_single": round(
                many_figures["rps"] * scale.get_many_keys / single_figures["rps"], 2
            ),
        },
    }


def main() -> None:
    scale, args = parse_scale(__doc__ or "")
    try:
        with temp_dir("bench-reads-") as data_dir:
            bare = bare_server().start()
            optimus = optimus_server(data_dir).start()
            api = Api(optimus)
            api.create_dataset("reads")
            load_dataset(optimus, api, "reads", scale.read_keys, label="reads")
            results = {"reads": run(scale, optimus, bare, api, "reads")}
            stop_all()
    finally:
        stop_all()
    print_table(results)
    write_results(args.name or f"reads-{scale.name}", scale, results)


if __name__ == "__main__":
    main()
