"""Safe publishing, every figure beside its baseline in the same run.

1. Diff, embedded host in-process: two versions of N keys, the second with 5% of the
   keys removed, 5% added and 10% changed. Keys compared per second by
   `VersionDiffs.summary` (wall and CPU), beside a plain scan of both versions' keys
   and values through `EntryStore.fingerprints` (the reading the merge cannot avoid).
   Target: >= 500k keys compared/s.
2. Save of the second version, embedded in-process (`LifecycleJobs.complete_save`:
   count, digest, compaction; with a gate also the diff against the active version),
   with a `max-changed-fraction` gate and without, alternating, the same content each
   time. Target: with gates <= 1.5x without.
3. The same two figures on the Dapr host (Redis state store, one API replica), at a
   smaller size: the diff over HTTP (`GET /v1/versions/{id}/diff`), the save from the
   version's operation log (SAVING to SAVED, server clock).
4. Loading with a typical JSON Schema on the table (an object holding a list of scored
   products) and without, alternating: entries/s over HTTP (what `optimus load` sees,
   4 connections, server CPU per entry) and in-process (`EntryLoader.load`: checks,
   validation, encoding, the write; no HTTP). Target: with a schema >= 0.7 of without.
5. Single-key reads through `optimus serve` (wrk, random keys), in rounds that rotate
   the order: default reads with nothing staged (the baseline), default reads with a
   candidate staged, candidate reads by `?track=candidate` and by the
   `x-optimus-track: candidate` header. Targets: candidate >= 0.9 of default; default
   with a candidate staged >= 0.97 of the baseline. Each ratio is the median of the
   ratios within a round (the ratio of the medians beside); server CPU per request beside.

    flock /tmp/bench.lock .venv/bin/python bench/bench_safe_publish.py [--quick]
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from harness.cli import run_benchmark
from harness.dapr import add_api, use_sidecar
from harness.data import TABLE, key_name, value_of
from harness.datasets import async_sdk, create_dataset, load_dataset, sdk
from harness.figures import log, median
from harness.meters import wait_for_quiet
from harness.paths import BENCH
from harness.processes import Server, optimus_server
from harness.report import Row, verdict
from harness.wrk import WrkResult, rotating_rounds, run_wrk

from optimus.adapters.clock import SystemClock
from optimus.adapters.publish_hooks import HttpPublishHooks
from optimus.dapr_runtime import DaprCluster
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


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    diff_keys: int  # keys of each version diffed and saved, embedded
    dapr_keys: int  # the same on the Dapr host
    schema_keys: int  # entries per load run
    read_keys: int
    wrk_seconds: float
    rounds: int  # alternating rounds of every comparison; medians quoted
    read_rounds: int  # rounds of the four kinds of reads, in rotating order


FULL = Scale("full", 1_000_000, 100_000, 200_000, 200_000, 4, 3, 5)
QUICK = Scale("quick", 200_000, 20_000, 50_000, 50_000, 2, 2, 2)
GATES = {"max-changed-fraction": 0.5}
WRITE_BATCH = 10_000
HTTP_BATCH = 1000


# ------------------------------------------------------------- versions to compare
def second_version(n: int) -> dict[int, bytes]:
    """Index -> stored value of the second version: 5% removed, 10% changed, 5% added."""
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


def expected_counts(n: int) -> dict[str, int]:
    changed = sum(1 for i in range(n) if i % 10 == 1 and i % 20 != 0)
    removed = added = n // 20
    return {"added": added, "removed": removed, "changed": changed,
            "unchanged": n - removed - changed}  # fmt: skip


# ------------------------------------------------------------ 1 and 2: embedded
@dataclass
class EmbeddedVersions:
    """One dataset "ds" on an embedded RocksDB host, and the save of a version of it.

    Uses only what older checkouts have too (the store's `write`,
    `LifecycleJobs.complete_save`, `VersionDiffs.summary`): ab_safe_publish.py runs it
    against two of them.
    """

    db: Any
    store: RocksEntryStore
    host: EmbeddedHost
    diffs: VersionDiffs
    lifecycle: VersionLifecycle
    jobs: LifecycleJobs
    by: str

    @classmethod
    async def create(cls, data_dir: Path, versions: int, by: str) -> EmbeddedVersions:
        db = open_database(data_dir / "rocksdb")
        store = RocksEntryStore(db)
        clock = SystemClock()
        host = EmbeddedHost(RocksDatasetStore(db), clock, ReadViews())
        diffs = VersionDiffs(host, store)
        lifecycle = VersionLifecycle(host, clock, diffs=diffs, hooks=HttpPublishHooks())
        jobs = LifecycleJobs(host, store, EmbeddedWriteFence(host.views))
        made = cls(db, store, host, diffs, lifecycle, jobs, by)
        try:
            await lifecycle.create_dataset(
                "ds",
                [TABLE],
                content_type="application/json",
                eviction_policy=EvictionPolicy(versions=versions),
                by=by,
            )
        except BaseException:
            made.close()
            raise
        return made

    async def saved(self, values: dict[int, bytes], gates: dict | None) -> tuple[str, float, float]:
        """The version's id, and the wall and CPU seconds of its save."""
        version = await self.lifecycle.create_version(
            "ds", label=None, verification_policy=None, publish_gates=gates, by=self.by
        )
        items = [(TABLE, key_name(i), v) for i, v in values.items()]
        for start in range(0, len(items), WRITE_BATCH):
            await self.store.write(Batch("ds", version.id, items[start : start + WRITE_BATCH]))
        await self.lifecycle.save(version.id, by=self.by)
        wall, cpu = time.perf_counter(), time.process_time()
        await self.jobs.complete_save("ds", version.id)
        return version.id, time.perf_counter() - wall, time.process_time() - cpu

    def close(self) -> None:
        self.store.close()
        self.db.close()


async def embedded_diff_and_save(n: int, rounds: int, data_dir: Path) -> dict[str, Any]:
    ds = await EmbeddedVersions.create(data_dir, 2 * rounds + 2, "bench")
    host, diffs, lifecycle, store, saved = ds.host, ds.diffs, ds.lifecycle, ds.store, ds.saved
    try:
        v1, _, _ = await saved({i: _value(i) for i in range(n)}, None)
        await lifecycle.publish(v1, by="bench")
        second = second_version(n)
        # Each save compacts its own version's range, so neither benefits from the other.
        saves: dict[str, list[tuple[float, float]]] = {"without": [], "with": []}
        v2 = gated = ""
        for number in range(rounds):
            for name in ("without", "with") if number % 2 == 0 else ("with", "without"):
                version_id, wall, cpu = await saved(second, GATES if name == "with" else None)
                saves[name].append((wall, cpu))
                v2 = v2 or version_id
                gated = version_id if name == "with" else gated
            log(f"save round {number + 1} (wall, CPU s): {saves}")
        gates = (await host.get("ds")).version(gated).gates
        if gates is None or not gates.passed:
            raise RuntimeError(f"the gated save has no passed gates: {gates}")

        compared = n + n // 20
        diff_runs: list[tuple[float, float]] = []
        scan_runs: list[tuple[float, float]] = []
        for _ in range(rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            summary = await diffs.summary(v2, v1)
            diff_runs.append((time.perf_counter() - wall, time.process_time() - cpu))
            wall, cpu = time.perf_counter(), time.process_time()
            for version_id in (v1, v2):
                after = None
                while chunk := (
                    await store.fingerprints("ds", version_id, TABLE, after, CHUNK_KEYS)
                ).keys:
                    after = chunk[-1]
            scan_runs.append((time.perf_counter() - wall, time.process_time() - cpu))
        if summary.total.to_dict() != expected_counts(n):
            raise RuntimeError(f"diff counts {summary.total} != {expected_counts(n)}")
        diff_s = median([w for w, _ in diff_runs])
        diff_cpu = median([c for _, c in diff_runs])
        log(f"diff of {n:,} vs {len(second):,} keys: {diff_s:.2f}s ({compared / diff_s:,.0f}/s)")
        without = median([w for w, _ in saves["without"]])
        with_gates = median([w for w, _ in saves["with"]])
        return {
            "keys": n,
            "compared": compared,
            "counts": summary.total.to_dict(),
            "diff_s": round(diff_s, 3),
            "diff_cpu_s": round(diff_cpu, 3),
            "keys_compared_per_s": round(compared / diff_s),
            "keys_compared_per_cpu_s": round(compared / diff_cpu),
            "scan_both_s": round(median([w for w, _ in scan_runs]), 3),
            "scan_both_cpu_s": round(median([c for _, c in scan_runs]), 3),
            "save_without_gates_s": round(without, 3),
            "save_with_gates_s": round(with_gates, 3),
            "save_without_gates_cpu_s": round(median([c for _, c in saves["without"]]), 3),
            "save_with_gates_cpu_s": round(median([c for _, c in saves["with"]]), 3),
            "save_ratio": round(with_gates / without, 3),
            "runs": {"diff": diff_runs, "scan": scan_runs, "saves": saves},
        }
    finally:
        ds.close()


# ------------------------------------------------------------------- 3: Dapr host
async def _post_batches(api_url: str, dataset: str, version_id: str, values: dict[int, bytes]):
    indices = list(values)
    batches = [indices[i : i + HTTP_BATCH] for i in range(0, len(indices), HTTP_BATCH)]
    queue = list(reversed(batches))
    async with async_sdk(api_url) as client:

        async def writer() -> None:
            while queue:
                chunk = queue.pop()
                body = (
                    b"["
                    + b",".join(
                        b'{"table":"%s","key":"%s","value":%s}'
                        % (TABLE.encode(), key_name(i).encode(), values[i])
                        for i in chunk
                    )
                    + b"]"
                )
                await client.load_entries(dataset, version_id, body)

        await asyncio.gather(*(writer() for _ in range(4)))


def _saved_version(
    http: httpx.Client, api_url: str, values: dict[int, bytes], gates
) -> tuple[str, float]:
    """A version of `values`, saved; its id and its save's seconds by the server's clock."""
    body: dict[str, Any] = {"dataset": "ds"}
    if gates:
        body["publish-gates"] = gates
    version_id = http.post("/versions", json=body).raise_for_status().json()["version"]["id"]
    asyncio.run(_post_batches(api_url, "ds", version_id, values))
    http.post(f"/versions/{version_id}/save", json={}).raise_for_status()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        version = http.get(f"/versions/{version_id}").raise_for_status().json()
        if version["status"] in ("SAVED", "FAILED"):
            break
        time.sleep(0.05)
    if version["status"] != "SAVED":
        raise RuntimeError(f"save of {version_id} ended {version['status']}")
    at = {op["action"]: op["at"] for op in version["operation-log"]}
    return version_id, (at["SAVED"] - at["SAVING"]) / 1000


def dapr_diff_and_save(n: int, rounds: int, work: Path) -> dict[str, Any]:
    with DaprCluster("redis", work / "cluster") as cluster:
        api = add_api(cluster)
        use_sidecar(api)
        api_url = f"{api.app_url}/v1"
        with httpx.Client(base_url=api_url, timeout=600) as http, sdk(api_url) as client:
            create_dataset(client, "ds", versions_kept=2 * rounds + 2)
            v1, _ = _saved_version(http, api_url, {i: _value(i) for i in range(n)}, None)
            client.publish(v1)
            second = second_version(n)
            saves: dict[str, list[float]] = {"without": [], "with": []}
            v2 = ""
            for number in range(rounds):
                for name in ("without", "with") if number % 2 == 0 else ("with", "without"):
                    version_id, seconds = _saved_version(
                        http, api_url, second, GATES if name == "with" else None
                    )
                    saves[name].append(seconds)
                    v2 = v2 or version_id
                log(f"dapr save round {number + 1}: {saves}")
            # The first diff reads the new version's manifests; later ones find its keys
            # indexed in the replica's memory (the old version's were read by the gates).
            diff_s = []
            for _ in range(rounds + 1):
                started = time.perf_counter()
                summary = http.get(f"/versions/{v2}/diff", params={"against": v1})
                diff_s.append(time.perf_counter() - started)
            total = summary.raise_for_status().json()["total"]
    if total != expected_counts(n):
        raise RuntimeError(f"dapr diff counts {total} != {expected_counts(n)}")
    compared = n + n // 20
    without, with_gates = median(saves["without"]), median(saves["with"])
    first, repeated = diff_s[0], median(diff_s[1:])
    log(f"dapr diff of {n:,} keys: {first:.2f}s first, {repeated:.2f}s repeated; "
        f"saves {without:.2f}s / {with_gates:.2f}s")  # fmt: skip
    return {
        "keys": n,
        "diff_s": round(first, 3),
        "keys_compared_per_s": round(compared / first),
        "repeated_diff_s": round(repeated, 3),
        "repeated_keys_compared_per_s": round(compared / repeated),
        "save_without_gates_s": round(without, 3),
        "save_with_gates_s": round(with_gates, 3),
        "save_ratio": round(with_gates / without, 3),
        "runs": {"diff": diff_s, "saves": saves},
    }


# ---------------------------------------------------------------------- 4: schemas
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


def scores_batches(n: int) -> list[list[dict[str, Any]]]:
    return [
        [
            {
                "key": key_name(i),
                "value": {"scores": [{"productId": f"p{i + j}", "score": j} for j in range(3)]},
            }
            for i in range(start, min(start + HTTP_BATCH, n))
        ]
        for start in range(0, n, HTTP_BATCH)
    ]


def _alternating(rounds: int) -> list[tuple[int, str]]:
    """(round, case) with the order of the two cases swapped every round."""
    cases = ("without", "with")
    return [(r, name) for r in range(rounds) for name in (cases if r % 2 == 0 else cases[::-1])]


async def schema_load_in_process(n: int, rounds: int, data_dir: Path) -> dict[str, Any]:
    db = open_database(data_dir / "rocksdb")
    store = RocksEntryStore(db)
    try:
        clock = SystemClock()
        host = EmbeddedHost(RocksDatasetStore(db), clock, ReadViews())
        lifecycle = VersionLifecycle(
            host, clock, diffs=VersionDiffs(host, store), hooks=HttpPublishHooks()
        )
        loader = EntryLoader(host, store, EmbeddedWriteFence(host.views), Limits())
        batches = scores_batches(n)
        rates: dict[str, list[float]] = {"without": [], "with": []}
        for number, name in _alternating(rounds):
            dataset = f"{name}-{number}"
            await lifecycle.create_dataset(
                dataset,
                [TABLE],
                content_type="application/json",
                eviction_policy=EvictionPolicy(),
                schemas={TABLE: SCORES_SCHEMA} if name == "with" else None,
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
        log(f"in-process load entries/s: {medians}")
        return {
            "entries_per_s": medians,
            "ratio": round(medians["with"] / medians["without"], 3),
            "runs": rates,
        }
    finally:
        store.close()
        db.close()


async def _http_load(server: Server, dataset: str, bodies: list[bytes]) -> float:
    path = f"/v1/datasets/{dataset}/tables/{TABLE}/entries"
    queue = list(reversed(bodies))
    async with httpx.AsyncClient(base_url=server.url, timeout=600) as http:
        version_id = (
            (await http.post("/v1/versions", json={"dataset": dataset})).raise_for_status()
        ).json()["version"]["id"]

        async def writer() -> None:
            while queue:
                body = queue.pop()
                done = await http.post(path, params={"version-id": version_id}, content=body)
                done.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(4)))
        return time.perf_counter() - started


def schema_load_over_http(n: int, rounds: int, work: Path) -> dict[str, Any]:
    bodies = [orjson.dumps(batch) for batch in scores_batches(n)]
    server = optimus_server(work / "schema-http").start()
    try:
        rates: dict[str, list[float]] = {"without": [], "with": []}
        cpu_us: dict[str, list[float]] = {"without": [], "with": []}
        with httpx.Client(base_url=server.api_url, timeout=60) as http:
            for number, name in _alternating(rounds):
                dataset = f"{name}-{number}"
                body: dict[str, Any] = {"name": dataset, "tables": [TABLE],
                                        "content-type": "application/json"}  # fmt: skip
                if name == "with":
                    body["schemas"] = {TABLE: SCORES_SCHEMA}
                http.post("/datasets", json=body).raise_for_status()
                wait_for_quiet()
                cpu = server.cpu_seconds()
                seconds = asyncio.run(_http_load(server, dataset, bodies))
                rates[name].append(n / seconds)
                cpu_us[name].append((server.cpu_seconds() - cpu) / n * 1e6)
        medians = {name: round(median(values)) for name, values in rates.items()}
        cpu = {name: round(median(values), 2) for name, values in cpu_us.items()}
        log(f"HTTP load entries/s: {medians}, server CPU µs/entry {cpu}")
        return {
            "entries_per_s": medians,
            "server_cpu_us_per_entry": cpu,
            "ratio": round(medians["with"] / medians["without"], 3),
            "cpu_ratio": round(cpu["without"] / cpu["with"], 3),
            "runs": {"rates": rates, "server_cpu_us_per_entry": cpu_us},
        }
    finally:
        server.stop()


# ------------------------------------------------------------------------ 5: reads
READ_CASES = {
    "baseline": ("", "", False),
    "default": ("", "", True),
    "candidate": ("?track=candidate", "", True),
    "candidate_header": ("", "candidate", True),
}


def candidate_reads(n: int, seconds: float, rounds: int, work: Path) -> dict[str, Any]:
    script = BENCH / "lua" / "random_key_suffix.lua"
    prefix = f"/v1/datasets/reads/tables/{TABLE}/entries/"
    server = optimus_server(work / "reads").start()
    try:
        with sdk(server.api_url) as client:
            create_dataset(client, "reads")
            load_dataset(server, "reads", n, label="v1")
            v2 = load_dataset(server, "reads", n, label="v2", publish=False).version_id

            def single(name: str) -> WrkResult:
                suffix, header, staged = READ_CASES[name]
                if staged:
                    client.stage(v2)
                else:
                    client.unstage(v2)
                result = run_wrk(
                    server.url, script, [prefix, str(n), suffix, header],
                    duration_s=seconds, server=server,
                )  # fmt: skip
                if result.errors:
                    raise RuntimeError(f"{name}: {result.errors} errors")
                return result

            compared = rotating_rounds(READ_CASES, rounds, single, "reads")
        # Every round counts here, quiet or not (compared.figures keeps only the quiet ones).
        runs = {name: [r.as_dict() for r in rs] for name, rs in compared.runs.items()}
        rps = {name: round(median([r["rps"] for r in rs])) for name, rs in runs.items()}
        cpu = {
            name: round(median([r["server_cpu_us_per_request"] for r in rs]), 1)
            for name, rs in runs.items()
        }

        def paired(name: str, beside: str) -> float:
            """The median over rounds of the two runs' ratio within a round: the machine's
            load drifts between rounds more than between a round's adjacent runs."""
            pairs = zip(runs[name], runs[beside], strict=True)
            return round(median([a["rps"] / b["rps"] for a, b in pairs]), 3)

        return {
            "keys": n,
            "rps": rps,
            "server_cpu_us_per_request": cpu,
            "candidate_vs_default": round(rps["candidate"] / rps["default"], 3),
            "candidate_header_vs_default": round(rps["candidate_header"] / rps["default"], 3),
            "default_staged_vs_baseline": round(rps["default"] / rps["baseline"], 3),
            "paired": {
                "candidate_vs_default": paired("candidate", "default"),
                "candidate_header_vs_default": paired("candidate_header", "default"),
                "default_staged_vs_baseline": paired("default", "baseline"),
            },
            "runs": runs,
        }
    finally:
        server.stop()


# ------------------------------------------------------------------------------------
def measure(scale: Scale, work: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"load_average_start": os.getloadavg()}
    log(f"load average at the start: {results['load_average_start']}")
    results["embedded"] = asyncio.run(
        embedded_diff_and_save(scale.diff_keys, scale.rounds, work / "embedded")
    )
    results["dapr"] = dapr_diff_and_save(scale.dapr_keys, scale.rounds, work / "dapr")
    results["schema_http"] = schema_load_over_http(scale.schema_keys, scale.rounds + 1, work)
    results["schema_in_process"] = asyncio.run(
        schema_load_in_process(scale.schema_keys, scale.rounds + 1, work / "schema")
    )
    results["reads"] = candidate_reads(scale.read_keys, scale.wrk_seconds, scale.read_rounds, work)
    results["load_average_end"] = os.getloadavg()
    log(f"load average at the end: {results['load_average_end']}")
    return results


def rows(results: dict[str, Any]) -> list[Row]:
    embedded, dapr = results["embedded"], results["dapr"]
    http, local, reads = results["schema_http"], results["schema_in_process"], results["reads"]
    rps, cpu, paired = reads["rps"], reads["server_cpu_us_per_request"], reads["paired"]

    def ratio(name: str) -> str:
        return f"{paired[name]:.2f} paired ({reads[name]:.2f} of medians)"

    def per_s(figures: dict[str, Any]) -> str:
        return f"{figures['keys_compared_per_s']:,} ({figures['diff_s']:.2f} s)"

    return [
        Row(
            f"diff of two {embedded['keys']:,}-key versions, embedded, keys compared/s",
            per_s(embedded) + f"; {embedded['keys_compared_per_cpu_s']:,}/CPU-s",
            f"scan of both {embedded['scan_both_s']:.2f} s",
            f"{embedded['diff_s'] / embedded['scan_both_s']:.2f}x the scan",
            ">= 500k/s",
            verdict(embedded["keys_compared_per_s"] >= 500_000),
        ),
        Row(
            f"save of {embedded['keys']:,} keys with a gate vs without, embedded",
            f"{embedded['save_with_gates_s']:.2f} s",
            f"{embedded['save_without_gates_s']:.2f} s",
            f"{embedded['save_ratio']:.2f}x",
            "<= 1.5x",
            verdict(embedded["save_ratio"] <= 1.5),
        ),
        Row(
            f"diff of two {dapr['keys']:,}-key versions, Dapr (Redis), over HTTP, first",
            per_s(dapr),
            f"repeated {dapr['repeated_keys_compared_per_s']:,}/s; "
            f"embedded {embedded['keys_compared_per_s']:,}/s",
            "",
            "reported",
        ),
        Row(
            f"save of {dapr['keys']:,} keys with a gate vs without, Dapr (Redis)",
            f"{dapr['save_with_gates_s']:.2f} s",
            f"{dapr['save_without_gates_s']:.2f} s",
            f"{dapr['save_ratio']:.2f}x",
            "reported",
        ),
        Row(
            "load over HTTP with a schema vs none, entries/s (server µs/entry)",
            f"{http['entries_per_s']['with']:,} ({http['server_cpu_us_per_entry']['with']})",
            f"{http['entries_per_s']['without']:,} ({http['server_cpu_us_per_entry']['without']})",
            f"{http['ratio']:.2f} (CPU {http['cpu_ratio']:.2f})",
            ">= 0.7",
            verdict(http["ratio"] >= 0.7),
        ),
        Row(
            "load in-process (EntryLoader.load) with a schema vs none, entries/s",
            f"{local['entries_per_s']['with']:,}",
            f"{local['entries_per_s']['without']:,}",
            f"{local['ratio']:.2f}",
            ">= 0.7",
            verdict(local["ratio"] >= 0.7),
        ),
        Row(
            "GET, ?track=candidate vs default reads (candidate staged), req/s (µs CPU)",
            f"{rps['candidate']:,} ({cpu['candidate']})",
            f"{rps['default']:,} ({cpu['default']})",
            ratio("candidate_vs_default"),
            ">= 0.9",
            verdict(paired["candidate_vs_default"] >= 0.9),
        ),
        Row(
            "GET, x-optimus-track: candidate vs default reads, req/s (µs CPU)",
            f"{rps['candidate_header']:,} ({cpu['candidate_header']})",
            f"{rps['default']:,} ({cpu['default']})",
            ratio("candidate_header_vs_default"),
            ">= 0.9",
            verdict(paired["candidate_header_vs_default"] >= 0.9),
        ),
        Row(
            "GET, default reads with a candidate staged vs none staged, req/s (µs CPU)",
            f"{rps['default']:,} ({cpu['default']})",
            f"{rps['baseline']:,} ({cpu['baseline']})",
            ratio("default_staged_vs_baseline"),
            ">= 0.97",
            verdict(paired["default_staged_vs_baseline"] >= 0.97),
        ),
    ]


if __name__ == "__main__":
    run_benchmark("safe-publish", __doc__ or "", (FULL, QUICK), measure, rows)
