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
stdout and bench/results/postgres[-quick].json.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import psycopg
from bench_dapr import add_api, invoke_url, new_version, write_through_dapr
from common import (
    REPO,
    RESULTS,
    TABLE,
    Scatter,
    batch_entries,
    batch_indices,
    log,
    median,
    stop_all,
    temp_dir,
)
from dapr.conf import settings as dapr_settings

from optimus.dapr_runtime import DaprCluster
from optimus.dapr_runtime.postgres import connection_url
from optimus.hosts.dapr import state_keys

BATCH = 1_000
COPY_TABLE = "copy_baseline"
STORE_PREFIX = "optimus-entries||"  # what keyPrefix: name puts before each state key


@dataclass(frozen=True)
class Scale:
    batches: int  # of BATCH entries, per round
    rounds: int


FULL = Scale(batches=200, rounds=3)
QUICK = Scale(batches=20, rounds=1)


def copy_batches(url: str, version_id: str, batches: int) -> float:
    """Entries/s of the same batches COPied into COPY_TABLE, one transaction each.

    The keys are those the Dapr writer stored (store prefix, version, table, key).
    """
    scatter = Scatter(batches * BATCH)
    work = [
        batch_entries(batch_indices(batches * BATCH, BATCH, scatter, b)) for b in range(batches)
    ]
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
    # The SDK's clients (this process is a writer) talk to the API replica's sidecar.
    dapr_settings.DAPR_HTTP_ENDPOINT = api.http_endpoint
    dapr_settings.DAPR_GRPC_ENDPOINT = api.grpc_endpoint
    assert cluster.postgres_port is not None
    url = connection_url(cluster.postgres_port)
    create_copy_table(url)
    dapr_runs, copy_runs = [], []
    with httpx.Client(base_url=invoke_url(api), timeout=120) as client:
        client.post("/datasets", json={"name": "writer", "tables": [TABLE]}).raise_for_status()
        for _ in range(scale.rounds):
            version_id = new_version(client, "writer")
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


def main() -> None:
    quick = "--quick" in sys.argv
    scale = QUICK if quick else FULL
    results: dict[str, Any] = {"scale": "quick" if quick else "full"}
    started = time.monotonic()
    try:
        with (
            temp_dir("bench-postgres-") as work,
            DaprCluster("postgres", work / "cluster") as cluster,
        ):
            results["writer"] = bench_writer(cluster, scale)
    finally:
        stop_all()
    results["seconds"] = round(time.monotonic() - started)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("postgres-quick.json" if quick else "postgres.json")
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
    print(f"written to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
