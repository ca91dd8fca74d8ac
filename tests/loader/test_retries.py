"""Transient failures are retried with backoff; a permanent one stops the load clearly."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from optimus.client import OptimusClient
from tests.loader.conftest import Loader, digest_of
from tests.loader.flaky_proxy import FlakyProxy
from tests.support.server import OptimusServer

ROWS = 4000


def _input(tmp_path: Path) -> tuple[Path, dict]:
    path = tmp_path / "rows.parquet"
    keys = [f"k{i:05d}" for i in range(ROWS)]
    values = [{"i": i, "pad": "p" * (i % 50)} for i in range(ROWS)]
    pq.write_table(pa.table({"key": keys, "value": values}), path)
    return path, {("items", k): v for k, v in zip(keys, values, strict=True)}


def _is_load(method: str, path: str) -> bool:
    return method == "POST" and "version-id=" in path


def test_a_load_through_a_flaky_network_ends_with_exactly_the_input(
    tmp_path: Path, server: OptimusServer, client: OptimusClient, dataset: str
) -> None:
    def fault(number: int, method: str, path: str) -> str | None:
        if _is_load(method, path):
            return {0: "503", 3: "drop", 5: "429"}.get(number % 7)
        if method == "GET" and number % 5 == 0:
            return "503"  # version polling and dataset lookups too
        if path.endswith("/save") and number % 2:
            return "drop"  # the save happened, its answer was lost: retried harmlessly
        return None

    path, expected = _input(tmp_path)
    with FlakyProxy(server.url, fault) as proxy:
        load = Loader(proxy.base_url, tmp_path / "journals")
        result = load("-d", dataset, "-t", "items", path, "--batch-size", "100", "--publish")
    assert result.exit_code == 0, result.stderr
    assert proxy.injected["503"] > 5 and proxy.injected["drop"] > 3 and proxy.injected["429"] > 3
    assert "retry" in result.stderr
    version = client.version(result.version_id)
    assert version.status == "PUBLISHED"
    assert version.entries == ROWS
    assert version.digest == digest_of(expected)


def test_giving_up_after_the_retries_leaves_the_version_to_resume(
    tmp_path: Path, server: OptimusServer, client: OptimusClient, dataset: str
) -> None:
    path, expected = _input(tmp_path)
    down_after = 10  # load requests: then the network fails for good

    def fault(number: int, method: str, path: str) -> str | None:
        return "503" if _is_load(method, path) and number > down_after else None

    journals = tmp_path / "journals"
    with FlakyProxy(server.url, fault) as proxy:
        result = Loader(proxy.base_url, journals)(
            "-d", dataset, "-t", "items", path, "--batch-size", "100", "--retries", "2"
        )
    assert result.exit_code == 1
    assert "gave up after 2 attempts" in result.stderr
    version_id = result.resume_hint
    assert client.version(version_id).status == "AWAITING_ENTRIES"

    resumed = Loader(server.base_url, journals)("--resume", version_id)
    assert resumed.exit_code == 0, resumed.stderr
    sent, skipped = resumed.batches
    assert skipped > 0 and sent + skipped == ROWS // 100
    assert client.version(version_id).digest == digest_of(expected)


def test_a_permanent_refusal_stops_at_once(
    tmp_path: Path, server: OptimusServer, client: OptimusClient, dataset: str
) -> None:
    path, _ = _input(tmp_path)

    def fault(number: int, method: str, path: str) -> str | None:
        return "refuse" if _is_load(method, path) else None

    with FlakyProxy(server.url, fault) as proxy:
        result = Loader(proxy.base_url, tmp_path / "journals")(
            "-d", dataset, "-t", "items", path, "--batch-size", "100"
        )
    assert result.exit_code == 1
    assert "refused by policy (HTTP 400, policy)" in result.stderr
    assert proxy.injected["refuse"] <= 4  # one per writer at most: no retries
    version_id = result.resume_hint
    assert client.version(version_id).status == "AWAITING_ENTRIES"
