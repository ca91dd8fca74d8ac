"""The client SDK: a cache hit and a miss, and a pinned get_many beside single gets.

Targets: a cache hit under 20 µs; `get_many` of 100 keys from a pinned
snapshot, reported beside 100 single gets of the same keys (both uncached, so
what is compared is the wire: one request against a hundred).

- hit: `client.get` of a key already cached (sync and async clients), timed in
  loops of 10,000 calls; the median of the loops, per call.
- miss: `client.get` of a key not cached yet, random keys of a 100k-key dataset
  over one keep-alive connection to `optimus serve`; median and p99 per call.
- get_many vs single gets: a pinned snapshot, cache off, 100 random keys.

Runs alternate between the two sides of each comparison; medians are quoted.

    .venv/bin/python bench/bench_client.py [--quick]
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from harness.cli import run_benchmark
from harness.data import TABLE, key_name
from harness.figures import log, median, percentile
from harness.meters import wait_for_quiet
from harness.processes import optimus_server
from harness.report import Row, verdict

from optimus.client import AsyncOptimusClient, OptimusClient

DATASET = "bench-client"
KEYS = 100_000
HIT_TARGET_US = 20.0


@dataclass(frozen=True, slots=True)
class Scale:
    hit_loops: int  # loops of 10,000 cached gets
    misses: int  # uncached gets of random keys
    pinned_rounds: int  # rounds of get_many(100) beside 100 single gets


FULL = Scale(hit_loops=20, misses=3000, pinned_rounds=100)
QUICK = Scale(hit_loops=5, misses=500, pinned_rounds=20)


def _load(base_url: str) -> None:
    with OptimusClient(base_url, cache_entries=0) as client:
        client.create_dataset(DATASET, [TABLE])
        version = client.create_version(DATASET)
        for start in range(0, KEYS, 5000):
            body = orjson.dumps(
                [
                    {"table": TABLE, "key": key_name(i), "value": {"i": i, "pad": "x" * 70}}
                    for i in range(start, min(KEYS, start + 5000))
                ]
            )
            client.load_entries(DATASET, version.id, body)
        client.save(version.id, wait=True)
        client.publish(version.id)


def _hits(base_url: str, loops: int) -> dict[str, float]:
    calls = 10_000
    with OptimusClient(base_url, active_ttl=3600) as client:
        client.get(DATASET, TABLE, key_name(1))
        per_call = []
        for _ in range(loops):
            started = time.perf_counter()
            for _ in range(calls):
                client.get(DATASET, TABLE, key_name(1))
            per_call.append((time.perf_counter() - started) / calls * 1e6)

    async def async_hits() -> list[float]:
        async with AsyncOptimusClient(base_url, active_ttl=3600) as client:
            await client.get(DATASET, TABLE, key_name(1))
            timings = []
            for _ in range(loops):
                started = time.perf_counter()
                for _ in range(calls):
                    await client.get(DATASET, TABLE, key_name(1))
                timings.append((time.perf_counter() - started) / calls * 1e6)
            return timings

    return {"sync_us": median(per_call), "async_us": median(asyncio.run(async_hits()))}


def _misses(base_url: str, count: int) -> dict[str, float]:
    keys = random.Random(1).sample(range(KEYS), count)
    with OptimusClient(base_url, active_ttl=3600) as client:
        client.get(DATASET, TABLE, key_name(0))  # connection and active pointer established
        timings = []
        for i in keys:
            started = time.perf_counter()
            client.get(DATASET, TABLE, key_name(i))
            timings.append((time.perf_counter() - started) * 1e6)
    return {"median_us": median(timings), "p99_us": percentile(timings, 99)}


def _many_vs_single(base_url: str, rounds: int) -> dict[str, float]:
    rng = random.Random(2)
    many_ms, single_ms = [], []
    with OptimusClient(base_url, cache_entries=0) as client, client.pin(DATASET) as snapshot:
        for _ in range(rounds):
            keys = [key_name(i) for i in rng.sample(range(KEYS), 100)]
            started = time.perf_counter()
            found = snapshot.get_many(TABLE, keys)
            many_ms.append((time.perf_counter() - started) * 1e3)
            started = time.perf_counter()
            for key in keys:
                snapshot.get(TABLE, key)
            single_ms.append((time.perf_counter() - started) * 1e3)
            assert len(found) == 100
    return {
        "get_many_100_ms": median(many_ms),
        "get_many_100_p99_ms": percentile(many_ms, 99),
        "single_gets_100_ms": median(single_ms),
        "single_gets_100_p99_ms": percentile(single_ms, 99),
    }


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    server = optimus_server(work / "data").start()
    base_url = server.api_url
    started = time.perf_counter()
    _load(base_url)
    log(f"{KEYS:,} keys loaded and published in {time.perf_counter() - started:.1f}s")
    wait_for_quiet()
    return {
        "hit": _hits(base_url, scale.hit_loops),
        "miss": _misses(base_url, scale.misses),
        "pinned": _many_vs_single(base_url, scale.pinned_rounds),
    }


def rows(results: dict[str, Any]) -> list[Row]:
    hit, miss, pinned = results["hit"], results["miss"], results["pinned"]
    many, single = pinned["get_many_100_ms"], pinned["single_gets_100_ms"]
    hit_us = hit["sync_us"]
    return [
        Row(
            "cache hit, sync client",
            f"{hit_us:.2f} us",
            f"async client {hit['async_us']:.2f} us",
            target=f"< {HIT_TARGET_US:.0f} us",
            verdict=verdict(hit_us < HIT_TARGET_US),
        ),
        Row(
            "cache miss (HTTP GET, loopback)",
            f"{miss['median_us']:.0f} us (p99 {miss['p99_us']:.0f})",
            "a hit",
            f"{miss['median_us'] / hit['sync_us']:.0f}x",
        ),
        Row(
            "pinned get_many, 100 keys",
            f"{many:.2f} ms (p99 {pinned['get_many_100_p99_ms']:.2f})",
            f"100 single gets {single:.2f} ms",
            f"{single / many:.1f}x",
        ),
    ]


if __name__ == "__main__":
    run_benchmark("client", __doc__ or "", (FULL, QUICK), measure, rows)
