"""The entries writer on PostgreSQL through the Dapr state API, beside psycopg COPY (issue 18).

    .venv/bin/python bench/bench_postgres.py [--quick]

The postgres component set on loopback (a private PostgreSQL server, Dapr's
state.postgresql v2 for both state stores). Each round writes the same batches of
1,000 entries (100-byte values, keys in random order) twice, into the same server:

1. through the Dapr state API as a loader worker writes them: the dataset actor's
   fence and one state transaction per batch, 4 batches in flight (the product's
   DaprEntryStore, the same code as bench_dapr.py's Redis writer);
2. with psycopg `COPY ... FROM STDIN (FORMAT BINARY)`, one transaction per batch, into
   a table shaped like Dapr's (`key text PRIMARY KEY, value bytea`), with keys of
   the same length: the ceiling of bulk ingest on this server.

Both commit durably (the server's defaults: fsync on, synchronous_commit on). Results:
the table on stdout, everything in bench/results/postgres-full.json (or postgres-quick.json).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from harness.cli import run_benchmark
from harness.dapr import BATCH, add_api, invoke_url, use_sidecar, write_through_dapr
from harness.data import TABLE, store_batches
from harness.datasets import sdk
from harness.figures import log, median
from harness.report import Row

from optimus.dapr_runtime import DaprCluster
from optimus.dapr_runtime.postgres import connection_url
from optimus.hosts.dapr import state_keys

COPY_TABLE = "copy_baseline"
STORE_PREFIX = "optimus-entries||"  # what keyPrefix: name puts before each state key


@dataclass(frozen=True, slots=True)
class Scale:
    batches: int  # of BATCH entries, per round
    rounds: int


FULL = Scale(batches=200, rounds=3)
QUICK = Scale(batches=20, rounds=1)


def copy_batches(url: str, version_id: str, batches: int) -> float:
    """Entries/s of the same batches COPied into COPY_TABLE, one transaction each.

    The keys are those the Dapr writer stored (store prefix, version, table, key).
    """
    work = store_batches(batches, BATCH)
    with psycopg.connect(url) as connection:
        started = time.perf_counter()
        for batch in work:
            with connection.transaction(), connection.cursor() as cursor:
                copy_sql = f"COPY {COPY_TABLE} (key, value) FROM STDIN (FORMAT BINARY)"
                with cursor.copy(copy_sql) as copy:
                    copy.set_types(["text", "bytea"])
                    for table, key, value in batch:
                        copy.write_row(
                            (STORE_PREFIX + state_keys.entry(version_id, table, key), value)
                        )
        return batches * BATCH / (time.perf_counter() - started)


def create_copy_table(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            f"CREATE TABLE {COPY_TABLE} (key text NOT NULL PRIMARY KEY, value bytea NOT NULL)"
        )


def bench_writer(cluster: DaprCluster, scale: Scale) -> dict[str, Any]:
    api = add_api(cluster)
    use_sidecar(api)  # this process is a writer
    assert cluster.postgres_port is not None
    url = connection_url(cluster.postgres_port)
    create_copy_table(url)
    dapr_runs, copy_runs = [], []
    with sdk(invoke_url(api)) as client:
        client.create_dataset("writer", [TABLE])
        for _ in range(scale.rounds):
            version_id = client.create_version("writer").id
            dapr_runs.append(
                asyncio.run(write_through_dapr(api, "writer", version_id, scale.batches))
            )
            copy_runs.append(copy_batches(url, version_id, scale.batches))
            log(f"writer: dapr {dapr_runs[-1]:,.0f}/s, COPY {copy_runs[-1]:,.0f}/s")
    return {
        "entries_per_round": scale.batches * BATCH,
        "dapr_state_api_entries_per_s": round(median(dapr_runs)),
        "copy_entries_per_s": round(median(copy_runs)),
        "ratio": round(median(dapr_runs) / median(copy_runs), 3),
        "runs": {"dapr": dapr_runs, "copy": copy_runs},
    }


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    started = time.monotonic()
    with DaprCluster("postgres", work / "cluster") as cluster:
        results: dict[str, Any] = {"writer": bench_writer(cluster, scale)}
    results["seconds"] = round(time.monotonic() - started)
    return results


def rows(results: dict[str, Any]) -> list[Row]:
    writer = results["writer"]
    runs = writer["runs"]
    by_round = [dapr / copy for dapr, copy in zip(runs["dapr"], runs["copy"], strict=True)]
    return [
        Row(
            "writer through the Dapr state API (PostgreSQL), entries/s",
            f"{writer['dapr_state_api_entries_per_s']:,}",
            f"psycopg COPY {writer['copy_entries_per_s']:,}",
            f"{writer['ratio']:.2f} (rounds {', '.join(f'{r:.2f}' for r in by_round)})",
        )
    ]


if __name__ == "__main__":
    run_benchmark("postgres", __doc__ or "", (FULL, QUICK), measure, rows)
