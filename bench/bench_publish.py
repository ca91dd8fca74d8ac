"""Publish and rollback latency, for a small and a large version.

Target (issue 4): publish and rollback take the same time (within 2x) for a 1k-key
and a 1M-key version, under 20 ms. Each dataset holds two SAVED versions of its
size; the benchmark alternates publishing the newer one (publish) and the older one
(rollback), interleaving the two sizes, timing each `POST /v1/versions/{id}/publish`
on a keep-alive connection. After every publish a read checks (untimed) that the
published version answers.

    .venv/bin/python bench/bench_publish.py [--quick]
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from common import (
    TABLE,
    Api,
    Connection,
    CpuMeter,
    Server,
    http_request,
    key_name,
    load_dataset,
    log,
    median,
    optimus_server,
    percentile,
    stop_all,
    temp_dir,
    wait_for_quiet,
)
from report import print_table, write_results
from scale import Scale, parse_scale

SMALL = "publish-small"


async def _time_publishes(
    port: int, pairs: dict[str, tuple[str, str, str]], count: int
) -> dict[str, list[tuple[str, float]]]:
    """{size: [(kind, ms), …]}; pairs maps size -> (dataset, older id, newer id)."""
    timings: dict[str, list[tuple[str, float]]] = {size: [] for size in pairs}
    conn = await Connection.open(port)
    try:
        for number in range(count):
            for size, (dataset, older, newer) in pairs.items():
                kind, target = ("publish", newer) if number % 2 == 0 else ("rollback", older)
                request = http_request("POST", f"/v1/versions/{target}/publish")
                started = time.perf_counter()
                reply = await conn.send(request)
                elapsed_ms = (time.perf_counter() - started) * 1e3
                if reply.status != 202:
                    raise RuntimeError(f"publish {target}: {reply.status} {reply.body[:300]!r}")
                timings[size].append((kind, elapsed_ms))
                entry = f"/v1/datasets/{dataset}/tables/{TABLE}/entries/{key_name(1)}"
                await _check_active(conn, http_request("GET", entry), target)
    finally:
        await conn.close()
    return timings


async def _check_active(conn: Connection, read: bytes, expected: str) -> None:
    reply = await conn.send(read)
    if reply.status != 200 or reply.header("x-version-id") != expected:
        raise RuntimeError(f"after publishing {expected}: {reply.status} {reply.body[:300]!r}")


def _figures(keys: int, timings: list[tuple[str, float]]) -> dict[str, Any]:
    all_ms = [ms for _, ms in timings]
    tenth = max(1, len(all_ms) // 5)
    return {
        "keys": keys,
        "count": len(all_ms),
        "median_ms": round(median(all_ms), 3),
        "p99_ms": round(percentile(all_ms, 99), 3),
        "max_ms": round(max(all_ms), 3),
        "publish_median_ms": round(median([ms for k, ms in timings if k == "publish"]), 3),
        "rollback_median_ms": round(median([ms for k, ms in timings if k == "rollback"]), 3),
        # > 1 if publishes slow down as the dataset's history grows
        "last_fifth_vs_first_fifth": round(median(all_ms[-tenth:]) / median(all_ms[:tenth]), 2),
    }


def run(
    scale: Scale, optimus: Server, api: Api, large: tuple[str, str], large_keys: int
) -> dict[str, Any]:
    """`large` is (dataset, its published version) holding `large_keys` keys."""
    large_dataset, large_older = large
    large_newer = load_dataset(
        optimus, api, large_dataset, large_keys, label="publish-large-2", publish=False
    )["version_id"]
    api.create_dataset(SMALL)
    small_older = load_dataset(optimus, api, SMALL, scale.publish_small, label="small-1")
    small_newer = load_dataset(
        optimus, api, SMALL, scale.publish_small, label="small-2", publish=False
    )
    pairs = {
        "small": (SMALL, str(small_older["version_id"]), str(small_newer["version_id"])),
        "large": (large_dataset, large_older, str(large_newer)),
    }
    # Settle: the large load's flush and compaction run in the background.
    time.sleep(2)
    wait_for_quiet()
    with CpuMeter(optimus) as cpu:
        timings = asyncio.run(_time_publishes(optimus.port, pairs, scale.publishes))
    small = _figures(scale.publish_small, timings["small"])
    big = _figures(large_keys, timings["large"])
    log(
        f"publish: {small['keys']:,} keys median {small['median_ms']:.2f} ms "
        f"p99 {small['p99_ms']:.2f} ms; {big['keys']:,} keys median {big['median_ms']:.2f} ms "
        f"p99 {big['p99_ms']:.2f} ms"
    )
    # Leave the large dataset as it was found: its first version published.
    api.publish(large_older)
    return {
        "client": "one keep-alive connection, sequential, publish and rollback alternating",
        "small": small,
        "large": big,
        "others_cpu_pct": round(cpu.others_pct, 1),
        "ratios": {"large_vs_small_median": round(big["median_ms"] / small["median_ms"], 3)},
    }


def main() -> None:
    scale, args = parse_scale(__doc__ or "")
    try:
        with temp_dir("bench-publish-") as data_dir:
            optimus = optimus_server(data_dir).start()
            api = Api(optimus)
            api.create_dataset("reads")
            first = load_dataset(optimus, api, "reads", scale.read_keys, label="reads")
            large = ("reads", str(first["version_id"]))
            results = {"publish": run(scale, optimus, api, large, scale.read_keys)}
    finally:
        stop_all()
    print_table(results)
    write_results(args.name or f"publish-{scale.name}", scale, results)


if __name__ == "__main__":
    main()
