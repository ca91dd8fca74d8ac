"""Publish and rollback on the Dapr host as a dataset's history grows, beside the embedded host.

Targets: publish and rollback under 20 ms at p99 on the Dapr host (Redis state store
and Redis pub/sub), for a dataset with 1 version of history and for one with 500,
and the 500-version figure within 2x of the 1-version one: a publish moves a
pointer, whatever the dataset holds.

On each host, two datasets of one table (eviction keep-last-x-versions 1,000, so
that nothing is evicted):
- `history-1`: 2 versions of one entry, the second SAVED and not yet published:
  the active version and one more, 1 version of history behind the pair timed;
- `history-500`: 501 versions of one entry, built through the client SDK (create,
  load, save, and publish each but the last), so the dataset's version list and
  operation log hold 500 versions of history.

Timed: the newest version of each dataset published, then the one before it
re-published (the rollback), alternating, interleaving the two datasets, each
`POST /v1/versions/{id}/publish` on one keep-alive connection to the app's own port
(no sidecar in front of the command: what is timed is the command path of the
host). After each, an untimed read checks that the version published is served.
Rounds alternate between the hosts (Dapr, embedded, Dapr, …) so that they share
the machine's noise.

    .venv/bin/python bench/bench_dapr_publish.py [--quick]
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from bench_publish import publish_figures, time_publishes
from harness.cli import run_benchmark
from harness.dapr import add_api
from harness.data import TABLE, key_name
from harness.datasets import create_dataset, sdk
from harness.figures import log
from harness.meters import CpuMeter, wait_for_quiet
from harness.processes import optimus_server
from harness.report import Row, ms, verdict

from optimus.client import OptimusClient
from optimus.dapr_runtime import DaprCluster

VERSIONS_KEPT = 1000  # keep-last-x-versions: more than the longest history built
P99_TARGET_MS = 20.0
RATIO_TARGET = 2.0


@dataclass(frozen=True, slots=True)
class Scale:
    history: int  # versions of history of the long dataset
    rounds: int  # rounds per host; the hosts alternate
    publishes: int  # publishes per dataset per round, publish and rollback alternating (even)


FULL = Scale(history=500, rounds=4, publishes=50)
QUICK = Scale(history=50, rounds=2, publishes=10)

Pairs = dict[str, tuple[str, str, str]]  # case -> (dataset, older id, newer id)


def build_history(client: OptimusClient, dataset: str, versions: int) -> tuple[str, str]:
    """`versions` tiny versions, each but the last published; the ids of the last two."""
    create_dataset(client, dataset, versions_kept=VERSIONS_KEPT)
    ids: list[str] = []
    for number in range(versions):
        version = client.create_version(dataset, label=f"v{number}")
        body = orjson.dumps([{"table": TABLE, "key": key_name(1), "value": number}])
        client.load_entries(dataset, version.id, body)
        saved = client.save(version.id, wait=True)
        if saved.status != "SAVED":
            raise RuntimeError(f"{dataset}: save of {version.id} ended {saved.status}")
        if number < versions - 1:
            client.publish(version.id)
        ids.append(version.id)
    return ids[-2], ids[-1]


def build(base_url: str, history: int) -> Pairs:
    """The two datasets on the host at `base_url`: 1 and `history` versions of history."""
    pairs: Pairs = {}
    with sdk(base_url) as client:
        for case, versions in (("1", 2), (str(history), history + 1)):
            started = time.perf_counter()
            dataset = f"history-{case}"
            pairs[case] = (dataset, *build_history(client, dataset, versions))
            log(f"{base_url}: {dataset} built in {time.perf_counter() - started:.1f}s")
    return pairs


def _host_figures(timings: dict[str, list[tuple[str, float]]], history: int) -> dict[str, Any]:
    one, many = publish_figures(timings["1"]), publish_figures(timings[str(history)])
    return {
        "history_1": one,
        f"history_{history}": many,
        "ratios": {
            "median": round(many["median_ms"] / one["median_ms"], 2),
            "p99": round(many["p99_ms"] / one["p99_ms"], 2),
        },
    }


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    embedded = optimus_server(work / "embedded").start()
    with DaprCluster("redis", work / "cluster") as cluster:
        api = add_api(cluster)
        hosts = {"dapr": api.app_port, "embedded": embedded.port}
        pairs = {
            "dapr": build(api.app_url + "/v1", scale.history),
            "embedded": build(embedded.api_url, scale.history),
        }
        timings: dict[str, dict[str, list[tuple[str, float]]]] = {
            host: {case: [] for case in pairs[host]} for host in hosts
        }
        others: list[float] = []
        for number in range(scale.rounds):
            for host, port in hosts.items():
                wait_for_quiet()
                with CpuMeter() as cpu:
                    done = asyncio.run(time_publishes(port, pairs[host], scale.publishes))
                others.append(cpu.others_pct)
                for case, runs in done.items():
                    timings[host][case] += runs
            log(f"round {number + 1}/{scale.rounds} done")
    results = {host: _host_figures(timings[host], scale.history) for host in hosts}
    return {
        "dapr_publish": {
            "history": scale.history,
            "client": "one keep-alive connection to the app's port, sequential",
            "others_cpu_pct_max": round(max(others), 1),
            **results,
        }
    }


def rows(results: dict[str, Any]) -> list[Row]:
    figures = results["dapr_publish"]
    history = figures["history"]
    dapr, embedded = figures["dapr"], figures["embedded"]
    table = []
    for versions in (1, history):
        on_dapr, beside = dapr[f"history_{versions}"], embedded[f"history_{versions}"]
        table.append(
            Row(
                f"Dapr publish/rollback, {versions} version(s) of history, p50 / p99",
                f"{ms(on_dapr['median_ms'])} / {ms(on_dapr['p99_ms'])}",
                f"embedded {ms(beside['median_ms'])} / {ms(beside['p99_ms'])}",
                f"{on_dapr['p99_ms'] / beside['p99_ms']:.1f}x p99",
                f"p99 < {P99_TARGET_MS:.0f} ms",
                verdict(on_dapr["p99_ms"] < P99_TARGET_MS),
            )
        )
    for host, found in (("Dapr", dapr), ("embedded", embedded)):
        ratios = found["ratios"]
        table.append(
            Row(
                f"{host}: {history} versions of history vs 1, p50 (p99)",
                f"{ratios['median']:.2f}x ({ratios['p99']:.2f}x)",
                "",
                "",
                f"within {RATIO_TARGET:.0f}x",
                verdict(max(ratios["median"], ratios["p99"]) <= RATIO_TARGET),
            )
        )
    return table


if __name__ == "__main__":
    run_benchmark("dapr-publish", __doc__ or "", (FULL, QUICK), measure, rows)
