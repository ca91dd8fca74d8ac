"""Patch versions and pull patterns, each beside what it replaces, in the same run.

1. A patch of 10 keys on a large base (1M keys; 100k with --quick): created, loaded,
   saved and published, timed end to end over HTTP, beside the same cycle for a new full
   version of the same 10 keys (the floor of a version's cycle). Embedded host; the Dapr
   host (Redis state and pub/sub, a smaller base) beside it. Target: < 1 s embedded.
2. Single-key reads of random keys, `wrk -t2 -c32`, of a dataset whose active version is a
   patch of that base, beside the same reads of a dataset whose active version is a full
   version of the same keys, alternating runs. Target: >= 0.9 of its requests/s.
3. A pull of 100 root keys each with 10 references (two levels: 1,100 values), beside
   the 1,100 single-key GETs of the same values, one after another on one keep-alive
   connection (raw HTTP client, harness/raw_http.py). Target: the pull >= 10x faster (p50).

    .venv/bin/python bench/bench_shapes.py [--quick]
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from harness.cli import run_benchmark
from harness.dapr import add_api
from harness.data import TABLE, key_name
from harness.datasets import create_dataset, load_dataset, sdk
from harness.figures import log, median, percentile
from harness.meters import wait_for_quiet
from harness.processes import Server, optimus_server
from harness.raw_http import Connection, http_request
from harness.report import Row, ms, verdict
from harness.wrk import RANDOM_KEY, run_wrk, summarize

from optimus.dapr_runtime import DaprCluster

PATCH_KEYS = 10
CYCLE_TARGET_S = 1.0
READS_TARGET = 0.9
PULL_TARGET = 10.0
ROOTS, REFS = 100, 10
VERSIONS_KEPT = 100  # more than the cycles make: the base stays SAVED, patchable


@dataclass(frozen=True, slots=True)
class Scale:
    base_keys: int
    dapr_base_keys: int
    cycles: int  # patch cycles timed per host (and as many full-version cycles)
    wrk_rounds: int
    wrk_seconds: float
    pulls: int  # pulls timed, and as many sets of single GETs


FULL = Scale(1_000_000, 100_000, 10, 5, 10.0, 30)
QUICK = Scale(100_000, 10_000, 4, 3, 2.0, 10)


def _cycle(client: httpx.Client, dataset: str, base: str | None) -> float:
    """Seconds to create a version (a patch of `base`, or empty), load 10 keys, save, publish."""
    entries = [{"key": key_name(i), "value": f"patched {i}"} for i in range(PATCH_KEYS)]
    started = time.perf_counter()
    body = {"dataset": dataset, **({"base": base, "reason": "bench"} if base else {})}
    version = client.post("/versions", json=body).raise_for_status().json()["id"]
    path = f"/datasets/{dataset}/tables/{TABLE}/entries"
    client.post(path, params={"version-id": version}, json=entries).raise_for_status()
    saved = client.post(f"/versions/{version}/save", params={"wait": "true"}).raise_for_status()
    if saved.json()["version"]["status"] != "SAVED":
        raise RuntimeError(f"save of {version} ended {saved.text}")
    client.post(f"/versions/{version}/publish").raise_for_status()
    return time.perf_counter() - started


def time_cycles(api_url: str, dataset: str, base: str, cycles: int) -> dict[str, Any]:
    """Patch cycles and full-version cycles of 10 keys, alternating."""
    patch, full = [], []
    with httpx.Client(base_url=api_url, timeout=120) as client:
        for _ in range(cycles):
            wait_for_quiet()
            patch.append(_cycle(client, dataset, base))
            full.append(_cycle(client, dataset, None))
    return {
        "patch_median_s": round(median(patch), 3),
        "patch_max_s": round(max(patch), 3),
        "full_10_keys_median_s": round(median(full), 3),
        "patch_s": [round(s, 3) for s in patch],
    }


def measure_reads(scale: Scale, server: Server, base: str) -> dict[str, Any]:
    """Random single-key reads of "base" (its active version a patch of `base`) vs "full"
    (a full version of the same keys and values), alternating runs."""
    with sdk(server.api_url) as client:
        create_dataset(client, "full")
    load_dataset(server, "full", scale.base_keys, label="full")
    with httpx.Client(base_url=server.api_url, timeout=120) as client:
        _cycle(client, "base", base)
    runs = []
    for _ in range(scale.wrk_rounds):
        for dataset in ("full", "base"):
            wait_for_quiet()
            prefix = f"/v1/datasets/{dataset}/tables/{TABLE}/entries/"
            runs.append(
                run_wrk(
                    server.url,
                    RANDOM_KEY,
                    [prefix, str(scale.base_keys)],
                    duration_s=scale.wrk_seconds,
                    server=server,
                )
            )
    rounds = range(scale.wrk_rounds)
    return {"full": summarize(runs[0::2], rounds), "patch": summarize(runs[1::2], rounds)}


def _rows(n: int) -> list[dict[str, Any]]:
    return [{"table": TABLE, "key": key_name(i), "value": i} for i in range(n)]


def _pull_dataset(server: Server) -> None:
    with sdk(server.api_url) as client:
        client.create_dataset("pulled", ["users", "items"])
        version = client.create_version("pulled")
        users = [
            {
                "table": "users",
                "key": f"u{u:03}",
                "value": {"name": f"user {u}", "items": [f"i{u:03}{r}" for r in range(REFS)]},
            }
            for u in range(ROOTS)
        ]
        items = [
            {"table": "items", "key": f"i{u:03}{r}", "value": {"title": "x" * 60, "n": r}}
            for u in range(ROOTS)
            for r in range(REFS)
        ]
        client.load_entries("pulled", version.id, orjson.dumps(users + items))
        client.save(version.id, wait=True)
        client.publish(version.id)


async def time_pulls(server: Server, repeats: int) -> dict[str, Any]:
    """A pull of 100 roots x 10 references beside the 1,100 single GETs, alternating."""
    _pull_dataset(server)
    pattern = ["name", {"items": {"table": "items", "pattern": ["*"]}}]
    keys = [f"u{u:03}" for u in range(ROOTS)]
    pull = http_request(
        "POST",
        "/v1/datasets/pulled/pull",
        orjson.dumps({"table": "users", "keys": keys, "pattern": pattern}),
    )
    singles = [http_request("GET", f"/v1/datasets/pulled/tables/users/entries/{k}") for k in keys]
    singles += [
        http_request("GET", f"/v1/datasets/pulled/tables/items/entries/i{u:03}{r}")
        for u in range(ROOTS)
        for r in range(REFS)
    ]
    conn = await Connection.open(server.port)
    pulls, gets = [], []
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            reply = await conn.send(pull)
            pulls.append(time.perf_counter() - started)
            if reply.status != 200 or len(orjson.loads(reply.body)["results"]) != ROOTS:
                raise RuntimeError(f"pull failed: {reply.status} {reply.body[:300]!r}")
            started = time.perf_counter()
            for request in singles:
                if (await conn.send(request)).status != 200:
                    raise RuntimeError("a single GET failed")
            gets.append(time.perf_counter() - started)
    finally:
        await conn.close()
    figures = {}
    for name, runs in (("pull", pulls), ("gets", gets)):
        figures[f"{name}_p50_ms"] = round(median(runs) * 1e3, 2)
        figures[f"{name}_p99_ms"] = round(percentile(runs, 99) * 1e3, 2)
    return figures


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    embedded = optimus_server(work / "embedded").start()
    with sdk(embedded.api_url) as client:
        create_dataset(client, "base", versions_kept=VERSIONS_KEPT)
    base = load_dataset(embedded, "base", scale.base_keys, label="base")
    cycles = {"embedded": time_cycles(embedded.api_url, "base", base.version_id, scale.cycles)}
    log(f"embedded cycles: {cycles['embedded']}")
    reads = measure_reads(scale, embedded, base.version_id)
    pulls = asyncio.run(time_pulls(embedded, scale.pulls))
    embedded.stop()
    with DaprCluster("redis", work / "cluster") as cluster:
        api = add_api(cluster)
        api_url = api.app_url + "/v1"
        with sdk(api_url) as client:
            create_dataset(client, "base", versions_kept=VERSIONS_KEPT)
            version = client.create_version("base")
            rows = _rows(scale.dapr_base_keys)
            for start in range(0, len(rows), 1000):
                client.load_entries("base", version.id, orjson.dumps(rows[start : start + 1000]))
            client.save(version.id, wait=True)
            client.publish(version.id)
        cycles["dapr"] = time_cycles(api_url, "base", version.id, scale.cycles)
    return {
        "shapes": {
            "base_keys": scale.base_keys,
            "dapr_base_keys": scale.dapr_base_keys,
            "cycles": cycles,
            "reads": reads,
            "pulls": pulls,
        }
    }


def rows(results: dict[str, Any]) -> list[Row]:
    figures = results["shapes"]
    table = []
    for host, keys in (("embedded", figures["base_keys"]), ("Dapr", figures["dapr_base_keys"])):
        cycle = figures["cycles"][host.lower()]
        table.append(
            Row(
                f"{host}: 10-key patch of a {keys:,}-key base, create+load+save+publish, median",
                f"{cycle['patch_median_s']:.3f} s (max {cycle['patch_max_s']:.3f})",
                f"full 10-key version {cycle['full_10_keys_median_s']:.3f} s",
                f"{cycle['patch_median_s'] / cycle['full_10_keys_median_s']:.2f}x",
                f"< {CYCLE_TARGET_S:.0f} s" if host == "embedded" else "",
                verdict(cycle["patch_max_s"] < CYCLE_TARGET_S) if host == "embedded" else "",
            )
        )
    patch, full = figures["reads"]["patch"], figures["reads"]["full"]
    table.append(
        Row(
            "single-key reads of a patch version, req/s (p99)",
            f"{patch['rps']:,.0f} ({ms(patch['p99_ms'])})",
            f"full version {full['rps']:,.0f} ({ms(full['p99_ms'])})",
            f"{patch['rps'] / full['rps']:.2f}",
            f">= {READS_TARGET}",
            verdict(patch["rps"] / full["rps"] >= READS_TARGET, patch["errors"] + full["errors"]),
        )
    )
    pulls = figures["pulls"]
    table.append(
        Row(
            f"pull of {ROOTS} roots x {REFS} refs (1,100 values), p50 / p99",
            f"{ms(pulls['pull_p50_ms'])} / {ms(pulls['pull_p99_ms'])}",
            f"1,100 GETs {ms(pulls['gets_p50_ms'])} / {ms(pulls['gets_p99_ms'])}",
            f"{pulls['gets_p50_ms'] / pulls['pull_p50_ms']:.1f}x",
            f">= {PULL_TARGET:.0f}x",
            verdict(pulls["gets_p50_ms"] / pulls["pull_p50_ms"] >= PULL_TARGET),
        )
    )
    return table


if __name__ == "__main__":
    run_benchmark("shapes", __doc__ or "", (FULL, QUICK), measure, rows)
