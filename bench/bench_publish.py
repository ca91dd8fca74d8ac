"""Publish and rollback latency, for a small and a large version.

Target: publish and rollback take the same time (within 2x) for a 1k-key and a
1M-key version, under 20 ms: they move a pointer, whatever the size. Each dataset
holds two SAVED versions of its size; the benchmark alternates publishing the newer
one (publish) and the older one (rollback), interleaving the two sizes, timing each
`POST /v1/versions/{id}/publish` on a keep-alive connection. After every publish a
read checks (untimed) that the published version answers.

    .venv/bin/python bench/bench_publish.py [--quick]
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from harness.cli import run_benchmark
from harness.data import TABLE, key_name
from harness.datasets import create_dataset, load_dataset, sdk
from harness.figures import log, median, percentile
from harness.meters import CpuMeter, wait_for_quiet
from harness.processes import Server, optimus_server
from harness.raw_http import Connection, http_request
from harness.report import Row, ms, verdict
from scale import FULL, QUICK, Scale

SMALL = "publish-small"


async def time_publishes(
    port: int, pairs: dict[str, tuple[str, str, str]], count: int
) -> dict[str, list[tuple[str, float]]]:
    """{case: [(kind, ms), …]}; pairs maps case -> (dataset, older id, newer id).

    Each round publishes the newer version of every case (even rounds) or re-publishes
    the older one (odd rounds: the rollback), then reads a key untimed to check that
    the version published is the one served.
    """
    timings: dict[str, list[tuple[str, float]]] = {case: [] for case in pairs}
    conn = await Connection.open(port)
    try:
        for number in range(count):
            for case, (dataset, older, newer) in pairs.items():
                kind, target = ("publish", newer) if number % 2 == 0 else ("rollback", older)
                request = http_request("POST", f"/v1/versions/{target}/publish")
                started = time.perf_counter()
                reply = await conn.send(request)
                elapsed_ms = (time.perf_counter() - started) * 1e3
                if reply.status != 202:
                    raise RuntimeError(f"publish {target}: {reply.status} {reply.body[:300]!r}")
                timings[case].append((kind, elapsed_ms))
                entry = f"/v1/datasets/{dataset}/tables/{TABLE}/entries/{key_name(1)}"
                await _check_active(conn, http_request("GET", entry), target)
    finally:
        await conn.close()
    return timings


async def _check_active(conn: Connection, read: bytes, expected: str) -> None:
    reply = await conn.send(read)
    if reply.status != 200 or reply.header("x-version-id") != expected:
        raise RuntimeError(f"after publishing {expected}: {reply.status} {reply.body[:300]!r}")


def publish_figures(timings: list[tuple[str, float]]) -> dict[str, Any]:
    """Median, p99 and max of every publish and rollback timed, and of each kind."""
    all_ms = [ms for _, ms in timings]
    fifth = max(1, len(all_ms) // 5)
    return {
        "count": len(all_ms),
        "median_ms": round(median(all_ms), 3),
        "p99_ms": round(percentile(all_ms, 99), 3),
        "max_ms": round(max(all_ms), 3),
        "publish_median_ms": round(median([ms for k, ms in timings if k == "publish"]), 3),
        "rollback_median_ms": round(median([ms for k, ms in timings if k == "rollback"]), 3),
        # > 1 if publishes slow down as the dataset's history grows
        "last_fifth_vs_first_fifth": round(median(all_ms[-fifth:]) / median(all_ms[:fifth]), 2),
    }


def run(scale: Scale, optimus: Server, large: tuple[str, str], large_keys: int) -> dict[str, Any]:
    """`large` is (dataset, its published version) holding `large_keys` keys."""
    large_dataset, large_older = large
    large_newer = load_dataset(
        optimus, large_dataset, large_keys, label="publish-large-2", publish=False
    )
    with sdk(optimus.api_url) as client:
        create_dataset(client, SMALL)
    small_older = load_dataset(optimus, SMALL, scale.publish_small, label="small-1")
    small_newer = load_dataset(optimus, SMALL, scale.publish_small, label="small-2", publish=False)
    pairs = {
        "small": (SMALL, small_older.version_id, small_newer.version_id),
        "large": (large_dataset, large_older, large_newer.version_id),
    }
    # Settle: the large load's flush and compaction run in the background.
    time.sleep(2)
    wait_for_quiet()
    with CpuMeter(optimus) as cpu:
        timings = asyncio.run(time_publishes(optimus.port, pairs, scale.publishes))
    small = {"keys": scale.publish_small, **publish_figures(timings["small"])}
    big = {"keys": large_keys, **publish_figures(timings["large"])}
    log(
        f"publish: {small['keys']:,} keys median {small['median_ms']:.2f} ms "
        f"p99 {small['p99_ms']:.2f} ms; {big['keys']:,} keys median {big['median_ms']:.2f} ms "
        f"p99 {big['p99_ms']:.2f} ms"
    )
    # Leave the large dataset as it was found: its first version published.
    with sdk(optimus.api_url) as client:
        client.publish(large_older)
    return {
        "client": "one keep-alive connection, sequential, publish and rollback alternating",
        "small": small,
        "large": big,
        "others_cpu_pct": round(cpu.others_pct, 1),
        "ratios": {"large_vs_small_median": round(big["median_ms"] / small["median_ms"], 3)},
    }


def rows(results: dict[str, Any]) -> list[Row]:
    publish = results["publish"]
    small, large = publish["small"], publish["large"]
    ratio = publish["ratios"]["large_vs_small_median"]
    worst_p99 = max(small["p99_ms"], large["p99_ms"])
    return [
        Row(
            f"publish/rollback {large['keys']:,} keys, median / p99",
            f"{ms(large['median_ms'])} / {ms(large['p99_ms'])}",
            f"{small['keys']:,} keys {ms(small['median_ms'])} / {ms(small['p99_ms'])}",
            f"{ratio:.2f}",
            "within 2x, p99 < 20 ms",
            verdict(ratio <= 2 and 1 / ratio <= 2 and worst_p99 < 20),
        ),
        Row(
            "publish, last fifth of the runs vs first fifth (median)",
            f"{large['last_fifth_vs_first_fifth']:.2f}x ({large['keys']:,} keys)",
            f"{small['last_fifth_vs_first_fifth']:.2f}x ({small['keys']:,} keys)",
            "",
            "~1x: no growth with history",
        ),
    ]


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    optimus = optimus_server(work).start()
    with sdk(optimus.api_url) as client:
        create_dataset(client, "reads")
    first = load_dataset(optimus, "reads", scale.read_keys, label="reads")
    return {"publish": run(scale, optimus, ("reads", first.version_id), scale.read_keys)}


if __name__ == "__main__":
    run_benchmark("publish", __doc__ or "", (FULL, QUICK), measure, rows)
