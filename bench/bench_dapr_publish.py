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
from harness.datasets import async_sdk, create_dataset, sdk
from harness.figures import log
from harness.meters import CpuMeter, wait_for_quiet
from harness.processes import optimus_server
from harness.report import Row, ms, verdict

from optimus.client import AsyncOptimusClient
from optimus.client.models import Version
from optimus.dapr_runtime import DaprCluster

VERSIONS_KEPT = 1000  # keep-last-x-versions: more than the longest history built
BUILT_AT_ONCE = 25  # versions created, loaded and saved concurrently while building a history
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


async def _new_saving_version(client: AsyncOptimusClient, dataset: str, number: int) -> Version:
    """A version of one entry, its save begun."""
    version = await client.create_version(dataset, label=f"v{number}")
    body = orjson.dumps([{"table": TABLE, "key": key_name(1), "value": number}])
    await client.load_entries(dataset, version.id, body)
    return await client.save(version.id)


async def _wait_saved(client: AsyncOptimusClient, dataset: str, ids: set[str]) -> None:
    """Until every version of `ids` is SAVED: one listing of the dataset per poll."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        statuses = {v.id: v.status for v in await client.versions(dataset) if v.id in ids}
        if any(status not in ("SAVING", "SAVED") for status in statuses.values()):
            raise RuntimeError(f"{dataset}: a save ended otherwise: {statuses}")
        if all(status == "SAVED" for status in statuses.values()):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{dataset}: saves not done after 600 s")


async def build_history(base_url: str, dataset: str, versions: int) -> tuple[str, str]:
    """`versions` tiny versions, each but the last published, in the order of their
    sequence numbers; the ids of the last two.

    BUILT_AT_ONCE versions at a time are created, loaded and saved concurrently (the
    dataset's commands still run one at a time; the round trips and the saves overlap),
    then published one by one.
    """
    ids: list[str] = []
    async with async_sdk(base_url) as client:
        for first in range(0, versions, BUILT_AT_ONCE):
            numbers = range(first, min(first + BUILT_AT_ONCE, versions))
            begun = await asyncio.gather(
                *(_new_saving_version(client, dataset, n) for n in numbers)
            )
            await _wait_saved(client, dataset, {v.id for v in begun})
            ids += [v.id for v in sorted(begun, key=lambda v: v.sequence)]
        for version_id in ids[:-1]:
            await client.publish(version_id)
    return ids[-2], ids[-1]


def build(base_url: str, history: int) -> Pairs:
    """The two datasets on the host at `base_url`: 1 and `history` versions of history."""
    pairs: Pairs = {}
    for case, versions in (("1", 2), (str(history), history + 1)):
        started = time.perf_counter()
        dataset = f"history-{case}"
        with sdk(base_url) as client:
            create_dataset(client, dataset, versions_kept=VERSIONS_KEPT)
        pairs[case] = (dataset, *asyncio.run(build_history(base_url, dataset, versions)))
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
