"""Export: a version streamed out, and loaded back by `optimus load` to the same digest."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from optimus.entrypoints.cli import cli
from optimus.service_layer.export import BATCH_ENTRIES
from tests.support.api import Api, unique

ENTRIES = {
    ("items", "a"): {"score": 1.5, "tags": ["x", "y"]},
    ("items", "b"): "plain string",
    ("items", "c3"): 42,
    ("users", "u1"): {"name": "Zoë", "nested": {"deep": [1, None, True]}},
}


def _saved_version(api: Api, client: httpx.Client) -> tuple[str, str, str]:
    name = api.create_dataset(tables=("items", "users"))
    version = api.create_version(name)
    body = [{"table": t, "key": k, "value": v} for (t, k), v in ENTRIES.items()]
    loaded = client.post(f"/datasets/{name}", params={"version-id": version}, json=body)
    assert loaded.status_code == 201, loaded.text
    saved = api.save(version)
    assert saved["status"] == "SAVED"
    return name, version, saved["digest"]


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.stdout


def test_jsonl_export_streams_every_entry_in_table_and_key_order(
    api: Api, client: httpx.Client
) -> None:
    _, version, _ = _saved_version(api, client)
    response = client.get(f"/versions/{version}/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert rows == [{"table": t, "key": k, "value": v} for (t, k), v in sorted(ENTRIES.items())]
    one_table = client.get(f"/versions/{version}/export", params={"table": "users"})
    assert [json.loads(line)["key"] for line in one_table.text.splitlines()] == ["u1"]


def test_parquet_export_has_the_table_key_value_columns(api: Api, client: httpx.Client) -> None:
    _, version, _ = _saved_version(api, client)
    response = client.get(f"/versions/{version}/export", params={"format": "parquet"})
    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column_names == ["table", "key", "value"]
    assert [json.loads(v) for v in table.column("value").to_pylist()] == [
        v for _, v in sorted(ENTRIES.items())
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_an_export_loads_back_into_a_version_with_the_same_digest(
    api: Api, client: httpx.Client, tmp_path: Path, suffix: str
) -> None:
    name, version, digest = _saved_version(api, client)
    url = str(client.base_url).removesuffix("/")
    exported = tmp_path / f"export{suffix}"
    _run("export", name, "--version", version, "--url", url, "-o", str(exported))
    copy = api.create_dataset(tables=("items", "users"))
    journals = str(tmp_path / "journals")
    out = _run("load", str(exported), "--dataset", copy, "--url", url, "--journal-dir", journals,
               "--progress", "log")  # fmt: skip
    new_version = next(line.split()[1] for line in out.splitlines() if line.startswith("version "))
    reloaded = api.version(new_version)
    assert reloaded["status"] == "SAVED"
    assert reloaded["digest"] == digest
    assert reloaded["counts"] == {"items": 3, "users": 1}


def test_bad_export_requests_are_refused_with_a_json_error(api: Api, client: httpx.Client) -> None:
    name, version, _ = _saved_version(api, client)
    bad_format = client.get(f"/versions/{version}/export", params={"format": "csv"})
    assert bad_format.status_code == 400
    assert bad_format.json()["code"] == "invalid-format"
    assert client.get(f"/versions/{version}/export", params={"table": "nope"}).status_code == 404
    assert client.get(f"/versions/{unique('v')}/export").status_code == 404
    unsaved = api.create_version(name)
    assert client.get(f"/versions/{unsaved}/export").status_code == 409


def test_a_parquet_export_is_written_in_row_groups_of_at_most_65536_entries_of_one_table(
    api: Api, client: httpx.Client
) -> None:
    # Row groups are the unit a reader of the file reads (and the server writes) at once:
    # bounded, so that neither side holds a whole version, and one table each.
    name = api.create_dataset(tables=("items", "users"))
    version = api.create_version(name)
    keys = [f"k{i:06d}" for i in range(BATCH_ENTRIES + 1)]
    for start in range(0, len(keys), 10_000):
        api.load(name, version, "items", {key: 1 for key in keys[start : start + 10_000]})
    api.load(name, version, "users", {"u1": 2})
    api.save(version)
    response = client.get(f"/versions/{version}/export", params={"format": "parquet"}, timeout=120)
    assert response.status_code == 200
    file = pq.ParquetFile(io.BytesIO(response.content))
    groups = [file.read_row_group(i, columns=["table", "key"]) for i in range(file.num_row_groups)]
    assert [(g.num_rows, set(g.column("table").to_pylist())) for g in groups] == [
        (BATCH_ENTRIES, {"items"}),
        (1, {"items"}),
        (1, {"users"}),
    ]
    assert [key for g in groups for key in g.column("key").to_pylist()] == [*keys, "u1"]
