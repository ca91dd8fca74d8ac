"""The client SDK: a cache hit and a miss, and a pinned get_many beside single gets.

Targets (issue 6): a cache hit under 20 µs; `get_many` of 100 keys from a pinned
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

import argparse
import asyncio
import json
import random
import time
from pathlib import Path
from typing import Any

import orjson
from common import (
    RESULTS,
    log,
    median,
    optimus_server,
    percentile,
    stop_all,
    temp_dir,
    wait_for_quiet,
)

from optimus.client import AsyncOptimusClient, OptimusClient

DATASET = "bench-client"
TABLE = "t"
KEYS = 100_000
HIT_TARGET_US = 20.0


def _key(i: int) -> str:
    return f"k{i:08d}"


def _load(base_url: str) -> None:
    with OptimusClient(base_url, cache_entries=0) as client:
        client.create_dataset(DATASET, [TABLE])
        version = client.create_version(DATASET)
        for start in range(0, KEYS, 5000):
            body = orjson.dumps(
                [
                    {"table": TABLE, "key": _key(i), "value": {"i": i, "pad": "x" * 70}}
                    for i in range(start, min(KEYS, start + 5000))
                ]
            )
            client.load_entries(DATASET, version.id, body)
        client.save(version.id, wait=True)
        client.publish(version.id)


def _hits(base_url: str, loops: int) -> dict[str, float]:
    calls = 10_000
    with OptimusClient(base_url, active_ttl=3600) as client:
        client.get(DATASET, TABLE, _key(1))
        per_call = []
        for _ in range(loops):
            started = time.perf_counter()
            for _ in range(calls):
                client.get(DATASET, TABLE, _key(1))
            per_call.append((time.perf_counter() - started) / calls * 1e6)

    async def async_hits() -> list[float]:
        async with AsyncOptimusClient(base_url, active_ttl=3600) as client:
            await client.get(DATASET, TABLE, _key(1))
            timings = []
            for _ in range(loops):
                started = time.perf_counter()
                for _ in range(calls):
                    await client.get(DATASET, TABLE, _key(1))
                timings.append((time.perf_counter() - started) / calls * 1e6)
            return timings

    return {"sync_us": median(per_call), "async_us": median(asyncio.run(async_hits()))}


def _misses(base_url: str, count: int) -> dict[str, float]:
    keys = random.Random(1).sample(range(KEYS), count)
    with OptimusClient(base_url, active_ttl=3600) as client:
        client.get(DATASET, TABLE, _key(0))  # connection and active pointer established
        timings = []
        for i in keys:
            started = time.perf_counter()
            client.get(DATASET, TABLE, _key(i))
            timings.append((time.perf_counter() - started) * 1e6)
    return {"median_us": median(timings), "p99_us": percentile(timings, 99)}


def _many_vs_single(base_url: str, rounds: int) -> dict[str, float]:
    rng = random.Random(2)
    many_ms, single_ms = [], []
    with OptimusClient(base_url, cache_entries=0) as client, client.pin(DATASET) as snapshot:
        for _ in range(rounds):
            keys = [_key(i) for i in rng.sample(range(KEYS), 100)]
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


def run(quick: bool) -> dict[str, Any]:
    with temp_dir("bench-client-") as data_dir:
        server = optimus_server(data_dir / "data").start()
        base_url = server.url + "/v1"
        started = time.perf_counter()
        _load(base_url)
        log(f"{KEYS:,} keys loaded and published in {time.perf_counter() - started:.1f}s")
        wait_for_quiet()
        results = {
            "hit": _hits(base_url, loops=5 if quick else 20),
            "miss": _misses(base_url, 500 if quick else 3000),
            "pinned": _many_vs_single(base_url, 20 if quick else 100),
        }
        server.stop()
    return results


def print_table(results: dict[str, Any]) -> None:
    hit, miss, pinned = results["hit"], results["miss"], results["pinned"]
    many, single = pinned["get_many_100_ms"], pinned["single_gets_100_ms"]
    verdict = "ok" if hit["sync_us"] < HIT_TARGET_US else "MISS"
    rows = [
        (
            "cache hit, sync client",
            f"{hit['sync_us']:.2f} µs",
            f"< {HIT_TARGET_US:.0f} µs",
            verdict,
        ),
        ("cache hit, async client", f"{hit['async_us']:.2f} µs", "", ""),
        (
            "cache miss (HTTP GET, loopback)",
            f"{miss['median_us']:.0f} µs (p99 {miss['p99_us']:.0f})",
            f"{miss['median_us'] / hit['sync_us']:.0f}x a hit",
            "",
        ),
        (
            "pinned get_many, 100 keys",
            f"{many:.2f} ms (p99 {pinned['get_many_100_p99_ms']:.2f})",
            f"100 single gets: {single:.2f} ms ({single / many:.1f}x)",
            "",
        ),
    ]
    width = max(len(row[0]) for row in rows)
    for what, measured, beside, target in rows:
        print(f"{what:<{width}}  {measured:<28} {beside:<36} {target}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke test")
    args = parser.parse_args()
    try:
        results = run(args.quick)
    finally:
        stop_all()
    print_table(results)
    RESULTS.mkdir(exist_ok=True)
    path = Path(RESULTS) / f"client{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(results, indent=2))
    log(f"results in {path}")


if __name__ == "__main__":
    main()
