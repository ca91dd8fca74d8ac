"""Patch versions and pull patterns at scale, each beside what it replaces, in the same run.

One base (1M keys; 100k with --quick) per host serves every row.

1. A patch of 10 keys on the base: created, loaded, saved and published, timed end to end
   over HTTP, beside the same cycle for a new full version of the same 10 keys (the floor
   of a version's cycle), and beside a patch with diff gates (its save diffs it against
   the active version, itself a patch of the same base). Embedded host, then the Dapr host
   (Redis state and pub/sub). Target: < 1 s embedded. Server CPU per cycle beside it.
2. Single-key reads of random keys of the base, `wrk -t2 -c32`, pinned to a patch version
   (`?version-id=`), beside the same reads pinned to the base itself, alternating runs
   (A B A B …), medians and server CPU per request. Target: >= 0.9 of its requests/s.
3. A pull of 100 root keys (a patch's own table) each with 10 references into the base's
   table (two levels: 1,100 values, read through the patch's layers), beside the 1,100
   single-key GETs of the same values, one after another on one keep-alive connection
   (raw HTTP client, harness/raw_http.py), alternating. Target: the pull >= 10x faster (p50).

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
from harness.datasets import load_version, sdk
from harness.figures import log, median, percentile
from harness.meters import load_average, wait_for_quiet
from harness.paths import BENCH
from harness.processes import Server, cpu_seconds, optimus_server
from harness.raw_http import Connection, http_request
from harness.report import Row, ms, verdict
from harness.wrk import run_wrk, summarize

from optimus.dapr_runtime import DaprCluster

PATCH_KEYS = 10
CYCLE_TARGET_S = 1.0
READS_TARGET = 0.9
PULL_TARGET = 10.0
ROOTS, REFS = 100, 10
ROOT_TABLE = "users"  # written by the pulled patch only; its references point into TABLE
VERSIONS_KEPT = 100  # more than the cycles make: the base stays SAVED, patchable
GATES = {"max-changed-fraction": 0.01, "max-removed-fraction": 0.01}
KEY_SUFFIX = BENCH / "lua" / "random_key_suffix.lua"


@dataclass(frozen=True, slots=True)
class Scale:
    base_keys: int
    dapr_base_keys: int
    cycles: int  # cycles of each kind timed per host
    wrk_rounds: int
    wrk_seconds: float
    pulls: int  # pulls timed, and as many sets of single GETs


FULL = Scale(1_000_000, 1_000_000, 10, 5, 8.0, 100)
QUICK = Scale(100_000, 10_000, 4, 3, 2.0, 10)


def _create_base(api_url: str, n: int) -> str:
    """The base every row uses: `n` keys of TABLE, published; its version id."""
    with sdk(api_url) as client:
        client.create_dataset(
            "base",
            [TABLE, ROOT_TABLE],
            content_type="application/json",
            eviction_policy={"type": "keep-last-x-versions", "versions": VERSIONS_KEPT},
        )
        version_id = load_version(api_url, "base", n, label="base").version_id
        client.publish(version_id)
    return version_id


def _cycle(
    client: httpx.Client, base: str | None, gates: dict[str, float] | None = None
) -> tuple[float, str]:
    """(seconds, version id) to create a version (a patch of `base`, or empty), load 10
    keys, save and publish it."""
    entries = [{"key": key_name(i), "value": f"patched {i}"} for i in range(PATCH_KEYS)]
    started = time.perf_counter()
    body: dict[str, Any] = {"dataset": "base"}
    if base:
        body |= {"base": base, "reason": "bench"}
    if gates:
        body["publish-gates"] = gates
    version = client.post("/versions", json=body).raise_for_status().json()["id"]
    path = f"/datasets/base/tables/{TABLE}/entries"
    client.post(path, params={"version-id": version}, json=entries).raise_for_status()
    saved = client.post(f"/versions/{version}/save", params={"wait": "true"}).raise_for_status()
    if saved.json()["version"]["status"] != "SAVED":
        raise RuntimeError(f"save of {version} ended {saved.text}")
    client.post(f"/versions/{version}/publish").raise_for_status()
    return time.perf_counter() - started, version


def time_cycles(api_url: str, pid: int, base: str, cycles: int) -> dict[str, Any]:
    """Rounds of: a patch of `base`, a full 10-key version, then (the base re-published,
    untimed) a patch of `base` with diff gates, diffed on save against that base."""
    kinds = ("patch", "full", "gated")
    seconds: dict[str, list[float]] = {kind: [] for kind in kinds}
    cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    with httpx.Client(base_url=api_url, timeout=120) as client:
        for _ in range(cycles):
            for kind in kinds:
                if kind == "gated":
                    client.post(f"/versions/{base}/publish").raise_for_status()
                wait_for_quiet()
                cpu0 = cpu_seconds(pid)
                patched = None if kind == "full" else base
                took, _ = _cycle(client, patched, GATES if kind == "gated" else None)
                seconds[kind].append(took)
                cpu[kind].append(cpu_seconds(pid) - cpu0)
    figures: dict[str, Any] = {}
    for kind in kinds:
        figures[f"{kind}_median_s"] = round(median(seconds[kind]), 3)
        figures[f"{kind}_max_s"] = round(max(seconds[kind]), 3)
        figures[f"{kind}_server_cpu_s"] = round(median(cpu[kind]), 3)
        figures[f"{kind}_s"] = [round(s, 3) for s in seconds[kind]]
    return figures


def measure_reads(scale: Scale, server: Server, base: str) -> dict[str, Any]:
    """Random single-key reads pinned to a patch of `base`, and pinned to `base`, alternating."""
    with httpx.Client(base_url=server.api_url, timeout=120) as client:
        _, patch = _cycle(client, base)
    pinned = {"full": base, "patch": patch}
    runs = []
    for _ in range(scale.wrk_rounds):
        for kind in ("full", "patch"):
            wait_for_quiet()
            prefix = f"/v1/datasets/base/tables/{TABLE}/entries/"
            args = [prefix, str(scale.base_keys), f"?version-id={pinned[kind]}"]
            runs.append(
                run_wrk(server.url, KEY_SUFFIX, args, duration_s=scale.wrk_seconds, server=server)
            )
    rounds = range(scale.wrk_rounds)
    return {"full": summarize(runs[0::2], rounds), "patch": summarize(runs[1::2], rounds)}


def _referenced(scale: Scale, root: int) -> list[str]:
    """The base keys root `root` refers to, spread over the whole base."""
    step = scale.base_keys // (ROOTS * REFS)
    return [key_name((root * REFS + r) * step) for r in range(REFS)]


def _pulled_patch(scale: Scale, server: Server, base: str) -> None:
    """A published patch of `base` whose own table ROOT_TABLE refers into the base's keys."""
    roots = [
        {"key": f"u{u:03}", "value": {"name": f"user {u}", "items": _referenced(scale, u)}}
        for u in range(ROOTS)
    ]
    with httpx.Client(base_url=server.api_url, timeout=120) as client:
        body = {"dataset": "base", "base": base, "reason": "pull roots"}
        version = client.post("/versions", json=body).raise_for_status().json()["id"]
        path = f"/datasets/base/tables/{ROOT_TABLE}/entries"
        client.post(path, params={"version-id": version}, json=roots).raise_for_status()
        client.post(f"/versions/{version}/save", params={"wait": "true"}).raise_for_status()
        client.post(f"/versions/{version}/publish").raise_for_status()


async def time_pulls(scale: Scale, server: Server, base: str) -> dict[str, Any]:
    """A pull of 100 roots x 10 references beside the 1,100 single GETs, alternating."""
    _pulled_patch(scale, server, base)
    pattern = ["name", {"items": {"table": TABLE, "pattern": ["*"]}}]
    keys = [f"u{u:03}" for u in range(ROOTS)]
    pull = http_request(
        "POST",
        "/v1/datasets/base/pull",
        orjson.dumps({"table": ROOT_TABLE, "keys": keys, "pattern": pattern}),
    )
    entries = "/v1/datasets/base/tables/{}/entries/{}"
    singles = [http_request("GET", entries.format(ROOT_TABLE, k)) for k in keys]
    singles += [
        http_request("GET", entries.format(TABLE, k))
        for u in range(ROOTS)
        for k in _referenced(scale, u)
    ]
    conn = await Connection.open(server.port)
    pulls, gets = [], []
    try:
        for request in [pull, *singles]:  # untimed: both read the same values from a warm cache
            await conn.send(request)
        for _ in range(scale.pulls):
            started = time.perf_counter()
            reply = await conn.send(pull)
            pulls.append(time.perf_counter() - started)
            results = orjson.loads(reply.body)["results"] if reply.status == 200 else []
            if len(results) != ROOTS or None in results[-1]["value"]["items"]:
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
    log(f"load average at the start: {load_average()}")
    embedded = optimus_server(work / "embedded").start()
    base = _create_base(embedded.api_url, scale.base_keys)
    cycles = {"embedded": time_cycles(embedded.api_url, embedded.pid, base, scale.cycles)}
    log(f"embedded cycles: {cycles['embedded']}")
    reads = measure_reads(scale, embedded, base)
    log(f"reads: patch {reads['patch']['rps']:,.0f}/s, full {reads['full']['rps']:,.0f}/s")
    pulls = asyncio.run(time_pulls(scale, embedded, base))
    log(f"pulls: {pulls}")
    embedded.stop()
    with DaprCluster("redis", work / "cluster") as cluster:
        api = add_api(cluster)
        api_url = api.app_url + "/v1"
        assert api.app.pid is not None
        dapr_base = _create_base(api_url, scale.dapr_base_keys)
        cycles["dapr"] = time_cycles(api_url, api.app.pid, dapr_base, scale.cycles)
        log(f"Dapr cycles: {cycles['dapr']}")
    at_end = load_average()
    log(f"load average at the end: {at_end}")
    return {
        "shapes": {
            "base_keys": scale.base_keys,
            "dapr_base_keys": scale.dapr_base_keys,
            "cycles": cycles,
            "reads": reads,
            "pulls": pulls,
            "load_average_at_end": at_end,
        }
    }


def rows(results: dict[str, Any]) -> list[Row]:
    figures = results["shapes"]
    table = []
    for host, keys in (("embedded", figures["base_keys"]), ("Dapr", figures["dapr_base_keys"])):
        cycle = figures["cycles"][host.lower()]
        target = host == "embedded"
        for kind, what in (("patch", "10-key patch"), ("gated", "10-key patch with diff gates")):
            table.append(
                Row(
                    f"{host}: {what} of a {keys:,}-key base, create+load+save+publish, median",
                    f"{cycle[f'{kind}_median_s']:.3f} s (max {cycle[f'{kind}_max_s']:.3f}; "
                    f"server CPU {cycle[f'{kind}_server_cpu_s']:.3f} s)",
                    f"full 10-key version {cycle['full_median_s']:.3f} s "
                    f"(server CPU {cycle['full_server_cpu_s']:.3f} s)",
                    f"{cycle[f'{kind}_median_s'] / cycle['full_median_s']:.2f}x",
                    f"< {CYCLE_TARGET_S:.0f} s" if target else "",
                    verdict(cycle[f"{kind}_max_s"] < CYCLE_TARGET_S) if target else "",
                )
            )
    patch, full = figures["reads"]["patch"], figures["reads"]["full"]
    table.append(
        Row(
            "single-key reads pinned to a patch version, req/s (p99)",
            f"{patch['rps']:,.0f} ({ms(patch['p99_ms'])})",
            f"the base itself {full['rps']:,.0f} ({ms(full['p99_ms'])})",
            f"{patch['rps'] / full['rps']:.2f}",
            f">= {READS_TARGET}",
            verdict(patch["rps"] / full["rps"] >= READS_TARGET, patch["errors"] + full["errors"]),
        )
    )
    table.append(
        Row(
            "· server CPU per read",
            f"{patch['server_cpu_us_per_request']:.1f} µs",
            f"the base itself {full['server_cpu_us_per_request']:.1f} µs",
            f"{patch['server_cpu_us_per_request'] / full['server_cpu_us_per_request']:.2f}",
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
