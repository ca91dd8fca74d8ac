"""A load killed with SIGKILL resumes from its journal: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optimus.client import OptimusClient
from tests.loader.conftest import Loader, digest_of
from tests.loader.flaky_proxy import FlakyProxy
from tests.support.api import unique
from tests.support.server import OptimusServer

ROWS = 30_000
BATCH = 250


@pytest.fixture
def rows(tmp_path: Path) -> tuple[Path, dict]:
    keys = [f"key-{i:06d}" for i in range(ROWS)]
    values = [{"n": i, "tags": ["t"] * (i % 4)} for i in range(ROWS)]
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"key": keys, "value": values}), path, row_group_size=4096)
    return path, {("items", k): v for k, v in zip(keys, values, strict=True)}


def _acknowledged(journal: Path) -> int:
    return journal.read_bytes().count(b'"kind":"batch"') if journal.exists() else 0


def _kill_mid_load(base_url: str, journals: Path, dataset: str, path: Path) -> str:
    """Start `optimus load` in a process, SIGKILL it once some batches are acknowledged."""
    process = subprocess.Popen(
        [
            sys.executable, "-m", "optimus", "load", str(path),
            "--url", base_url, "--journal-dir", str(journals), "--progress", "log",
            "-d", dataset, "-t", "items", "--batch-size", str(BATCH), "--concurrency", "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    journal = None
    while time.monotonic() < deadline and process.poll() is None:
        found = list(journals.glob("*.journal")) if journals.exists() else []
        if found and _acknowledged(found[0]) >= 20:
            journal = found[0]
            break
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    output = process.communicate()[0].decode()
    assert journal is not None, f"the load did not get going:\n{output}"
    assert b'"kind":"loaded"' not in journal.read_bytes(), "killed too late"
    return journal.stem


def test_resume_after_kill_9_sends_only_what_was_not_acknowledged(
    tmp_path: Path,
    server: OptimusServer,
    client: OptimusClient,
    dataset: str,
    rows: tuple[Path, dict],
) -> None:
    path, expected = rows
    journals = tmp_path / "journals"
    # A slow link (30 ms per batch) so that the kill lands in the middle of the load.
    slow = FlakyProxy(server.url, lambda n, method, p: 0.03 if method == "POST" else None)
    with slow:
        version_id = _kill_mid_load(slow.base_url, journals, dataset, path)
    assert client.version(version_id).status == "AWAITING_ENTRIES"
    journal = journals / f"{version_id}.journal"
    acknowledged = _acknowledged(journal)
    with journal.open("ab") as file:
        file.write(b'{"kind":"batch","id":"0.9')  # as if the kill had torn a write

    resumed = Loader(server.url + "/v1", journals)("--resume", version_id, "--publish")
    assert resumed.exit_code == 0, resumed.stderr
    sent, skipped = resumed.batches
    assert skipped == acknowledged
    assert sent + skipped == ROWS // BATCH
    assert not journal.exists()  # a finished load needs no journal

    version = client.version(version_id)
    assert version.status == "PUBLISHED"
    assert version.entries == ROWS
    # The same digest as an uninterrupted load of the same file.
    other = unique("ds")
    client.create_dataset(other, ["items"])
    clean = Loader(server.base_url, tmp_path / "clean")("-d", other, "-t", "items", path)
    assert clean.exit_code == 0, clean.stderr
    assert version.digest == client.version(clean.version_id).digest == digest_of(expected)


def test_resume_refuses_changed_input(
    tmp_path: Path,
    server: OptimusServer,
    client: OptimusClient,
    dataset: str,
    rows: tuple[Path, dict],
) -> None:
    path, _ = rows
    journals = tmp_path / "journals"
    with FlakyProxy(server.url, lambda n, method, p: 0.03 if method == "POST" else None) as slow:
        version_id = _kill_mid_load(slow.base_url, journals, dataset, path)
    os.utime(path)  # touched: batch positions may no longer be the same rows
    resumed = Loader(server.base_url, journals)("--resume", version_id)
    assert resumed.exit_code == 1
    assert "changed since the load began; a resumed load needs the very same input" in (
        resumed.stderr
    )
    assert client.version(version_id).status == "AWAITING_ENTRIES"


def test_resume_without_a_journal_and_loads_into_closed_versions_are_refused(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    assert "no journal of version nope" in load("--resume", "nope").stderr
    saved = client.create_version(dataset)
    client.save(saved.id, wait=True)
    path = tmp_path / "rows.tsv"
    path.write_text("k\t1\n")
    result = load("-d", dataset, "-t", "items", path, "--version-id", saved.id)
    assert result.exit_code == 1
    assert f"version {saved.id} is SAVED; entries are accepted only" in result.stderr
