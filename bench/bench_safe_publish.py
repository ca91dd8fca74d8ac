"""Safe publishing: diff of two versions, save with and without publish gates, candidate reads.

1. Diff (embedded engine, in-process): two versions of N keys, the second with 5%
   of the keys removed, 5% added and 10% changed. Keys compared per second by
   `VersionDiffs.summary`, beside a plain scan of both versions' keys and values
   (the reading the merge cannot avoid). Target: >= 500k keys compared/s.
2. Save of the second version (count, digest, compaction; with gates also the diff
   against the active version), without and with a `max-changed-fraction` gate, the
   same content each time. Target: with gates <= 1.5x without.
3. Loading with a JSON Schema on the table (a typical one: an object holding a list of
   scored products) and without: entries/s through the server's load use case
   (`EntryLoader.load`: checks, validation, encoding, the RocksDB write; not HTTP).
   Target: with a schema >= 0.7 of the rate without.
4. Reads through `optimus serve` (wrk, random keys): default reads with nothing
   staged (the baseline), default reads with a candidate staged, candidate-track
   reads (?track=candidate). Targets: candidate within 10% of default; default with
   a candidate staged within 3% of the baseline.

    .venv/bin/python bench/bench_safe_publish.py [--quick]
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from common import (
    BENCH,
    TABLE,
    Api,
    key_name,
    load_dataset,
    log,
    median,
    optimus_server,
    run_wrk,
    stop_all,
    temp_dir,
    value_of,
    wait_for_quiet,
)

from optimus.adapters.clock import SystemClock
from optimus.adapters.publish_hooks import HttpPublishHooks
from optimus.domain.policies import EvictionPolicy
from optimus.hosts.embedded.fence import EmbeddedWriteFence
from optimus.hosts.embedded.host import EmbeddedHost
from optimus.hosts.embedded.rocksdb import RocksDatasetStore, RocksEntryStore, open_database
from optimus.service_layer.diffs import CHUNK_KEYS, VersionDiffs
from optimus.service_layer.jobs import LifecycleJobs
from optimus.service_layer.lifecycle import VersionLifecycle
from optimus.service_layer.loading import EntryLoader, Limits
from optimus.service_layer.ports import Batch
from optimus.service_layer.views import ReadViews

QUICK = {"diff_keys": 200_000, "schema_keys": 50_000, "read_keys": 50_000, "wrk_s": 3, "rounds": 2}
FULL = {
    "diff_keys": 1_000_000,
    "schema_keys": 200_000,
    "read_keys": 200_000,
    "wrk_s": 8,
    "rounds": 3,
}
WRITE_BATCH = 10_000


def _second(n: int) -> dict[int, bytes]:
    """Index -> value of the second version: 5% removed, 10% changed, 5% added."""
    values = {}
    for i in range(n):
        if i % 20 == 0:
            continue  # removed
        changed = i % 10 == 1
        values[i] = (b'"changed-' + value_of(i)[8:].encode() + b'"') if changed else _value(i)
    for i in range(n, n + n // 20):
        values[i] = _value(i)  # added
    return values


def _value(i: int) -> bytes:
    return b'"' + value_of(i).encode() + b'"'


async def _write(store: RocksEntryStore, version_id: str, values: dict[int, bytes]) -> None:
    items = [(TABLE, key_name(i), v) for i, v in values.items()]
    for start in range(0, len(items), WRITE_BATCH):
        await store.write(Batch("ds", version_id, items[start : start + WRITE_BATCH]))


async def diff_and_save(n: int, data_dir: Path) -> dict[str, Any]:
    db = open_database(data_dir / "rocksdb")
    store = RocksEntryStore(db)
    try:
        clock = SystemClock()
        host = EmbeddedHost(RocksDatasetStore(db), clock, ReadViews())
        diffs = VersionDiffs(host, store)
        lifecycle = VersionLifecycle(host, clock, diffs=diffs, hooks=HttpPublishHooks())
        jobs = LifecycleJobs(host, store, EmbeddedWriteFence(host.views))
        await lifecycle.create_dataset(
            "ds",
            [TABLE],
            content_type="application/json",
            eviction_policy=EvictionPolicy(versions=10),
            by="bench",
        )

        async def saved_version(values: dict[int, bytes], gates: dict | None) -> tuple[str, float]:
            version = await lifecycle.create_version(
                "ds", label=None, verification_policy=None, publish_gates=gates, by="bench"
            )
            await _write(store, version.id, values)
            await lifecycle.save(version.id, by="bench")
            started = time.perf_counter()
            await jobs.complete_save("ds", version.id)
            return version.id, time.perf_counter() - started

        first = {i: _value(i) for i in range(n)}
        v1, _ = await saved_version(first, None)
        await lifecycle.publish(v1, by="bench")
        second = _second(n)
        # The same content twice, alternately without and with a gate (each save compacts
        # its own version's range, so neither benefits from the other).
        without, with_gates = [], []
        ids = []
        for _ in range(2):
            version_id, seconds = await saved_version(second, None)
            without.append(seconds)
            ids.append(version_id)
            _, seconds = await saved_version(second, {"max-changed-fraction": 0.5})
            with_gates.append(seconds)
        v2 = ids[0]
        log(
            f"save of {len(second):,} keys: {median(without):.2f}s without gates, "
            f"{median(with_gates):.2f}s with"
        )

        compared = len(set(first) | set(second))
        diff_s, scan_s = [], []
        for _ in range(3):
            started = time.perf_counter()
            summary = await diffs.summary(v2, v1)
            diff_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            for version_id in (v1, v2):
                after = None
                while True:
                    chunk = await store.fingerprints("ds", version_id, TABLE, after, CHUNK_KEYS)
                    if not chunk:
                        break
                    after = chunk[-1][0]
            scan_s.append(time.perf_counter() - started)
        total = summary.total
        assert (total.added, total.removed) == (n // 20, n // 20), total
        log(
            f"diff of {n:,} vs {len(second):,} keys: {median(diff_s):.2f}s "
            f"({compared / median(diff_s):,.0f} keys compared/s); scan alone {median(scan_s):.2f}s"
        )
        return {
            "keys": n,
            "compared": compared,
            "counts": total.to_dict(),
            "diff_s": round(median(diff_s), 3),
            "keys_compared_per_s": round(compared / median(diff_s)),
            "scan_both_s": round(median(scan_s), 3),
            "save_without_gates_s": round(median(without), 3),
            "save_with_gates_s": round(median(with_gates), 3),
            "save_ratio": round(median(with_gates) / median(without), 2),
        }
    finally:
        store.close()
        db.close()


SCORES_SCHEMA = {
    "type": "object",
    "properties": {
        "scores": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"productId": {"type": "string"}, "score": {"type": "number"}},
                "required": ["productId", "score"],
            },
        }
    },
    "required": ["scores"],
}
SCHEMA_BATCH = 1000


async def schema_load(n: int, data_dir: Path) -> dict[str, Any]:
    db = open_database(data_dir / "rocksdb")
    store = RocksEntryStore(db)
    try:
        clock = SystemClock()
        host = EmbeddedHost(RocksDatasetStore(db), clock, ReadViews())
        lifecycle = VersionLifecycle(
            host, clock, diffs=VersionDiffs(host, store), hooks=HttpPublishHooks()
        )
        loader = EntryLoader(host, store, EmbeddedWriteFence(host.views), Limits())
        batches = [
            [
                {
                    "key": key_name(i),
                    "value": {"scores": [{"productId": f"p{i + j}", "score": j} for j in range(3)]},
                }
                for i in range(start, start + SCHEMA_BATCH)
            ]
            for start in range(0, n, SCHEMA_BATCH)
        ]
        rates: dict[str, list[float]] = {"without": [], "with": []}
        cases = [("without", None), ("with", {TABLE: SCORES_SCHEMA})]
        for round_ in range(4):
            # Alternate which goes first: the second writes while the first one's flushes run.
            for name, schemas in cases if round_ % 2 == 0 else cases[::-1]:
                dataset = f"{name}-{round_}"
                await lifecycle.create_dataset(
                    dataset,
                    [TABLE],
                    content_type="application/json",
                    eviction_policy=EvictionPolicy(),
                    schemas=schemas,
                    by="bench",
                )
                version = await lifecycle.create_version(
                    dataset, label=None, verification_policy=None, by="bench"
                )
                started = time.perf_counter()
                for batch in batches:
                    await loader.load(dataset, version.id, batch, table=TABLE)
                rates[name].append(n / (time.perf_counter() - started))
        medians = {name: round(median(values)) for name, values in rates.items()}
        log(f"load entries/s: {medians}")
        return {
            "entries": n,
            "entries_per_s": medians,
            "ratio": round(medians["with"] / medians["without"], 3),
        }
    finally:
        store.close()
        db.close()


def reads(n: int, seconds: float, rounds: int) -> dict[str, Any]:
    script = BENCH / "lua" / "random_key_suffix.lua"
    prefix = f"/v1/datasets/reads/tables/{TABLE}/entries/"
    with temp_dir("bench-safe-") as data_dir:
        server = optimus_server(data_dir).start()
        api = Api(server)
        try:
            api.create_dataset("reads")
            load_dataset(server, api, "reads", n, label="v1")
            v2 = load_dataset(server, api, "reads", n, label="v2", publish=False)["version_id"]
            runs: dict[str, list[float]] = {"baseline": [], "default": [], "candidate": []}
            cpu: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(rounds):
                wait_for_quiet()
                api._call("POST", f"/versions/{v2}/unstage", 200)
                for name, suffix, staged in (
                    ("baseline", "", False),
                    ("default", "", True),
                    ("candidate", "?track=candidate", True),
                ):
                    if staged:
                        api._call("POST", f"/versions/{v2}/stage", 200)
                    result = run_wrk(
                        server, prefix, script, [prefix, str(n), suffix], duration_s=seconds
                    )
                    if result.errors:
                        raise RuntimeError(f"{name}: {result.errors} errors")
                    runs[name].append(result.rps)
                    cpu[name].append(result.server_cpu_us)
            medians = {name: round(median(values)) for name, values in runs.items()}
            log(f"reads/s: {medians}")
            return {
                "keys": n,
                "rps": medians,
                "server_cpu_us_per_request": {k: round(median(v), 1) for k, v in cpu.items()},
                "candidate_vs_default": round(medians["candidate"] / medians["default"], 3),
                "default_staged_vs_baseline": round(medians["default"] / medians["baseline"], 3),
                "runs": runs,
            }
        finally:
            api.close()
            server.stop()


def main() -> None:
    scale = QUICK if "--quick" in sys.argv else FULL
    results: dict[str, Any] = {"scale": "quick" if scale is QUICK else "full"}
    try:
        with temp_dir("bench-diff-") as data_dir:
            results["diff_and_save"] = asyncio.run(diff_and_save(scale["diff_keys"], data_dir))
        with temp_dir("bench-schema-") as data_dir:
            results["schema_load"] = asyncio.run(schema_load(scale["schema_keys"], data_dir))
        results["reads"] = reads(scale["read_keys"], scale["wrk_s"], scale["rounds"])
    finally:
        stop_all()
    out = BENCH / "results" / f"safe-publish{'-quick' if scale is QUICK else ''}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
