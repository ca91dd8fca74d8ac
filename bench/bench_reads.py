"""Reads over HTTP: single-key GET and get-many, beside a bare ASGI endpoint, with wrk.

Targets: single-key GET of random keys of a 1M-key dataset at >= 60% of
the bare endpoint's requests/s with p99 < 5 ms; get-many of 100 keys with p99 < 15 ms.
Runs alternate between the servers (bare, single, get-many, bare, …) so that they
share the machine's noise; the median of the runs is quoted.

    .venv/bin/python bench/bench_reads.py [--quick]
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from harness.cli import run_benchmark
from harness.data import TABLE, key_name
from harness.datasets import create_dataset, load_dataset, sdk
from harness.figures import log, quiet_rounds
from harness.meters import wait_for_quiet
from harness.processes import Server, bare_server, optimus_server
from harness.report import Row, ms, verdict
from harness.wrk import GET_MANY, RANDOM_KEY, WrkResult, run_wrk, summarize
from scale import FULL, QUICK, Scale

from optimus.client import OptimusClient

DATASET = "reads"
GET_MANY_BODIES = 1000  # distinct get-many bodies per wrk thread


def _check(client: OptimusClient, dataset: str, keys: int) -> None:
    """A random key is there, in the active version, before anything is timed."""
    key = key_name(random.randrange(keys))
    with client.pin(dataset) as snapshot:
        snapshot.get(TABLE, key)


def run(scale: Scale, optimus: Server, bare: Server, dataset: str) -> dict[str, Any]:
    """The read figures of `dataset` (`scale.read_keys` keys, published) on `optimus`."""
    entries = f"/v1/datasets/{dataset}/tables/{TABLE}/entries"
    with sdk(optimus.api_url) as client:
        _check(client, dataset, scale.read_keys)
    single_args = [entries + "/", str(scale.read_keys)]
    many_args = [entries, str(scale.read_keys), str(scale.get_many_keys), str(GET_MANY_BODIES)]

    def single(server: Server, seconds: float) -> WrkResult:
        return run_wrk(server.url, RANDOM_KEY, single_args, duration_s=seconds, server=server)

    def many(seconds: float, connections: int = 32) -> WrkResult:
        return run_wrk(
            optimus.url,
            GET_MANY,
            many_args,
            duration_s=seconds,
            server=optimus,
            threads=min(2, connections),
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
        burn_args = [burn, *many_args[1:]]
        burn_runs.append(
            run_wrk(bare.url, GET_MANY, burn_args, duration_s=scale.wrk_seconds, server=bare)
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


def rows(results: dict[str, Any]) -> list[Row]:
    reads = results["reads"]
    bare, single, many = reads["bare_asgi"], reads["single_key"], reads["get_many"]
    alone = reads["get_many_one_connection"]
    eight = reads["get_many_8_connections"]
    burn = reads["bare_asgi_same_cpu_as_get_many"]
    n = many["keys_per_request"]
    ratio = reads["ratios"]["single_rps_vs_bare"]
    by_round = reads["ratios"]["single_rps_vs_bare_by_round"]
    return [
        Row(
            f"GET 1 key ({reads['dataset_keys']:,} keys), req/s",
            f"{single['rps']:,.0f}",
            f"bare ASGI {bare['rps']:,.0f}",
            f"{ratio:.3f} (rounds {min(by_round):.2f}-{max(by_round):.2f})",
            ">= 0.60",
            verdict(ratio >= 0.60, single["errors"] + bare["errors"]),
        ),
        Row(
            "GET 1 key, p50 / p99",
            f"{ms(single['p50_ms'])} / {ms(single['p99_ms'])}",
            f"bare {ms(bare['p50_ms'])} / {ms(bare['p99_ms'])}",
            "",
            "p99 < 5 ms",
            verdict(single["p99_ms"] < 5),
        ),
        Row(
            "GET 1 key, server CPU per request",
            f"{single['server_cpu_us_per_request']:.0f} us",
            f"bare {bare['server_cpu_us_per_request']:.0f} us",
            f"{reads['ratios']['single_cpu_vs_bare']:.2f}x",
        ),
        Row(
            f"get-many {n} keys, req/s (keys/s)",
            f"{many['rps']:,.0f} ({many['rps'] * n:,.0f})",
            f"single-key {single['rps']:,.0f}",
            f"{reads['ratios']['get_many_keys_per_s_vs_single']:.2f}x keys/s",
        ),
        Row(
            f"get-many {n} keys, 32 connections, p50 / p99",
            f"{ms(many['p50_ms'])} / {ms(many['p99_ms'])}",
            f"single {ms(single['p50_ms'])} / {ms(single['p99_ms'])}",
            "",
            "p99 < 15 ms",
            verdict(many["p99_ms"] < 15, many["errors"]),
        ),
        Row(
            "  same CPU/request in the bare ASGI app, p50 / p99",
            f"{ms(burn['p50_ms'])} / {ms(burn['p99_ms'])}",
            f"spinning {many['server_cpu_us_per_request']:,.0f} us, {burn['rps']:,.0f} req/s",
        ),
        Row(
            f"get-many {n} keys, 8 connections, p50 / p99",
            f"{ms(eight['p50_ms'])} / {ms(eight['p99_ms'])}",
            f"{eight['rps']:,.0f} req/s",
            "",
            "p99 < 15 ms",
            verdict(eight["p99_ms"] < 15, eight["errors"]),
        ),
        Row(
            f"get-many {n} keys, 1 connection, p50 / p99",
            f"{ms(alone['p50_ms'])} / {ms(alone['p99_ms'])}",
            f"{alone['rps']:,.0f} req/s",
            "",
            "p99 < 15 ms",
            verdict(alone["p99_ms"] < 15, alone["errors"]),
        ),
        Row(
            f"get-many {n} keys, server CPU per request",
            f"{many['server_cpu_us_per_request']:,.0f} us",
            f"single {single['server_cpu_us_per_request']:.0f} us",
        ),
    ]


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    bare = bare_server().start()
    optimus = optimus_server(work).start()
    with sdk(optimus.api_url) as client:
        create_dataset(client, DATASET)
    load_dataset(optimus, DATASET, scale.read_keys, label="reads")
    return {"reads": run(scale, optimus, bare, DATASET)}


if __name__ == "__main__":
    run_benchmark("reads", __doc__ or "", (FULL, QUICK), measure, rows)
