"""Loads through loader workers (app id optimus-loader) on the real Dapr runtime."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from optimus.client import OptimusClient
from optimus.dapr_runtime import AppReplica, AppSpec, DaprCluster
from optimus.domain.digest import stats_of
from optimus.hosts.dapr.components import LOADER_APP_ID
from tests.dapr_host.conftest import on_postgres_too
from tests.support.dapr_optimus import invocation_url, start_api

WORKER = AppSpec(
    LOADER_APP_ID,
    [sys.executable, "-m", "optimus", "loader-worker", "--port", "{app_port}", "--log-level",
     "warning"],
    health_path="/healthcheck",
)  # fmt: skip


def parquet_files(directory: Path, files: int, rows: int) -> tuple[list[Path], str]:
    """`files` Parquet files of `rows` rows each, and the digest of all their entries."""
    paths, entries = [], []
    for n in range(files):
        keys = [f"f{n}-{i:06d}" for i in range(rows)]
        values = [{"score": i % 97, "file": n} for i in range(rows)]
        path = directory / f"part-{n}.parquet"
        table = pa.table({"key": keys, "value": [orjson.dumps(v).decode() for v in values]})
        pq.write_table(table, path)
        paths.append(path)
        entries += [("items", k, orjson.dumps(v)) for k, v in zip(keys, values, strict=True)]
    return paths, stats_of(entries).digest


def loader(api: AppReplica, journal_dir: Path, *args: str | Path) -> subprocess.Popen[bytes]:
    """`optimus load --workers optimus-loader` next to the API's sidecar."""
    env = {**os.environ, "DAPR_HTTP_PORT": str(api.http_port)}
    command = [
        sys.executable, "-m", "optimus", "load", "--url", invocation_url(api),
        "--journal-dir", str(journal_dir), "--workers", LOADER_APP_ID, "--progress", "log",
        "--value-format", "json",
        *map(str, args),
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@on_postgres_too
def test_workers_load_a_version_that_holds_exactly_the_input(
    cluster: DaprCluster, tmp_path: Path
) -> None:
    api = start_api(cluster)
    for _ in range(2):
        cluster.add_app(WORKER)
    paths, digest = parquet_files(tmp_path, files=4, rows=3000)
    with OptimusClient(invocation_url(api)) as client:
        client.create_dataset("scores", ["items"])
        run = loader(api, tmp_path / "journals", *paths, "-d", "scores", "-t", "items", "--publish")
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err.decode()
        active = client.dataset("scores").active_version_id
        version = client.version(active)
        assert version.counts == {"items": 12_000}
        assert version.digest == digest
        assert client.get("scores", "items", "f3-000042") == {"score": 42, "file": 3}


def test_a_killed_coordinator_resumes_without_resending_what_workers_stored(
    cluster: DaprCluster, tmp_path: Path
) -> None:
    api = start_api(cluster)
    cluster.add_app(WORKER)
    paths, digest = parquet_files(tmp_path, files=12, rows=4000)
    journals = tmp_path / "journals"
    with OptimusClient(invocation_url(api)) as client:
        client.create_dataset("resumed", ["items"])
        run = loader(api, journals, *paths, "-d", "resumed", "-t", "items", "--concurrency", "2")
        deadline = time.monotonic() + 120
        journal = None
        while time.monotonic() < deadline:
            found = list(journals.glob("*.journal")) if journals.exists() else []
            if found and found[0].read_bytes().count(b'"kind":"batch"') >= 4:
                journal = found[0]
                break
            time.sleep(0.05)
        assert journal is not None, "the load must have journaled some batches"
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        version_id = journal.name.split(".")[0]

        resumed = loader(api, journals, "--resume", version_id, "--publish")
        out, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err.decode()
        assert "acknowledged before" in out.decode() + err.decode()
        version = client.version(version_id)
        assert (version.status, version.counts) == ("PUBLISHED", {"items": 48_000})
        assert version.digest == digest
