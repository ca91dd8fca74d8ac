"""What an excision costs on the embedded host, beside the save of a version of the same size.

In-process (no HTTP): a dataset keeping 3 versions of N entries each; every round
saves one more version (the baseline: its save flushes and compacts the version's
key range, as an excision compacts the excised keys' range) and then excises K keys,
spread over the key space, from the 3 retained versions. Wall and process CPU time of
each, medians of the rounds; the digest of the newest version afterwards is checked against a
full count of what it holds.

    PYTHONPATH=services:bench .venv/bin/python bench/bench_excision.py [--quick] [--name NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from optimus.bootstrap import EmbeddedSettings, bootstrap_embedded
from optimus.domain.digest import stats_of
from optimus.domain.policies import EvictionPolicy
from optimus.service_layer.services import Services

KEPT = 3
ROUNDS = 3
BATCH = 10_000


def _timed() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(started: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _timed()
    return wall - started[0], cpu - started[1]


async def _new_version(services: Services, n: int, seed: int) -> tuple[str, float, float]:
    """A version of `n` entries loaded in random order; the wall and CPU time of its save."""
    lifecycle = services.lifecycle
    version = await lifecycle.create_version("ds", label=None, verification_policy=None, by="b")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    for start in range(0, n, BATCH):
        batch = [
            {"key": f"k{i:08d}", "value": f"{seed:04d}{i:090d}"} for i in order[start:][:BATCH]
        ]
        await services.loader.load("ds", version.id, batch, table="t")
    started = _timed()
    await lifecycle.save(version.id, by="b")
    assert (await lifecycle.wait_saved(version.id)).status == "SAVED"
    wall, cpu = _since(started)
    return version.id, wall, cpu


async def main(n: int, k: int, name: str) -> None:
    print(f"load average at start: {os.getloadavg()}")
    figures: dict[str, list[float]] = {"save": [], "save cpu": [], "excise": [], "excise cpu": []}
    with tempfile.TemporaryDirectory() as data:
        services = bootstrap_embedded(EmbeddedSettings(data_dir=Path(data)))
        await services.background.start()
        await services.lifecycle.create_dataset(
            "ds",
            ["t"],
            content_type="application/json",
            eviction_policy=EvictionPolicy(KEPT),
            by="b",
        )
        for seed in range(KEPT - 1):
            await _new_version(services, n, seed)
        pool = random.Random(7).sample(range(n), k * ROUNDS)
        for round_ in range(ROUNDS):
            version_id, wall, cpu = await _new_version(services, n, KEPT + round_)
            figures["save"].append(wall)
            figures["save cpu"].append(cpu)
            keys = [f"k{i:08d}" for i in pool[round_ * k : (round_ + 1) * k]]
            started = _timed()
            done = await services.excision.excise("ds", "t", keys, "bench", by="b")
            wall, cpu = _since(started)
            assert len(done.versions) == KEPT, done
            figures["excise"].append(wall)
            figures["excise cpu"].append(cpu)
        scan = await services.reader.scan("ds", version_id, reader=None, page_size=10_000)
        held = [
            ("t", key, value)
            async for page in scan.pages
            for key, value in zip(page.keys, page.values, strict=True)
        ]
        version = await services.lifecycle.version(version_id)
        assert len(held) == n - k and version.digest == stats_of(held).digest  # its one excision
        await services.background.stop()
        services.close()
    result = {name: statistics.median(values) for name, values in figures.items()}
    result |= {"entries per version": n, "keys per excision": k, "rounds": ROUNDS}
    print(f"| {n:,}-entry versions, {KEPT} retained, {ROUNDS} rounds | median wall s | CPU s |")
    print("|---|---|---|")
    print(f"| save of one version (baseline) | {result['save']:.3f} | {result['save cpu']:.3f} |")
    print(
        f"| excision of {k:,} keys from {KEPT} versions | {result['excise']:.3f} | "
        f"{result['excise cpu']:.3f} |"
    )
    print(f"digest after the excisions == a full count of the entries held ({len(held):,})")
    print(f"load average at end: {os.getloadavg()}")
    out = Path(__file__).parent / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result | {"rounds_raw": figures}, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k entries, 100 keys")
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    entries, keys = (100_000, 100) if args.quick else (1_000_000, 1000)
    scale = "quick" if args.quick else "full"
    asyncio.run(main(entries, keys, args.name or f"excision-{scale}"))
