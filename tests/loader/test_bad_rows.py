"""Bad rows are reported with file and line; by default the load fails before saving."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from optimus.client import OptimusClient
from tests.loader.conftest import Loader, digest_of
from tests.support.api import unique
from tests.support.server import OptimusServer

BAD_JSONL = (
    b'{"key": "good1", "value": 1}\n'
    b'{"value": 2}\n'  # line 2: no key
    b'{"key": "bad key!", "value": 3}\n'  # line 3: invalid key
    b'{"key": "big", "value": "' + b"x" * 200 + b'"}\n'  # line 4: too large for --max-value-bytes
    b'{"key": "torn", "val\n'  # line 5: unparsable
    b'{"key": "good2", "value": 6}\n'
)


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(BAD_JSONL)
    return path


def test_bad_rows_fail_the_load_before_saving_and_are_reported_by_line(
    bad_file: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    result = load("-d", dataset, "-t", "items", bad_file, "--max-value-bytes", "100")
    assert result.exit_code == 1
    assert "more than --max-bad-rows 0" in result.stderr
    assert f"{bad_file}:2: missing key" in result.stderr
    # The load stops at the first batch over the limit; the batch's bad rows are all reported.
    assert f"{bad_file}:3: invalid key 'bad key!'" in result.stderr
    assert f"{bad_file}:4: value is 202 bytes, more than 100" in result.stderr
    assert f"{bad_file}:5: unparsable line" in result.stderr
    version_id = result.stderr.split("version ")[-1].split()[0]
    assert client.version(version_id).status == "AWAITING_ENTRIES"
    assert "to finish it" not in result.stderr  # resuming would meet the same rows


def test_max_bad_rows_tolerates_and_reports_them(
    bad_file: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    result = load(
        "-d", dataset, "-t", "items", bad_file, "--max-value-bytes", "100", "--max-bad-rows", "4"
    )
    assert result.exit_code == 0, result.stderr
    assert "4 bad rows not loaded (--max-bad-rows 4)" in result.stderr
    assert f"{bad_file}:5: unparsable line" in result.stderr
    version = client.version(result.version_id)
    assert version.status == "SAVED"
    assert version.digest == digest_of({("items", "good1"): 1, ("items", "good2"): 6})


def test_discard_on_error(
    bad_file: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    result = load("-d", dataset, "-t", "items", bad_file, "--discard-on-error")
    assert result.exit_code == 1
    version_id = result.stderr.split("version ")[-1].split()[0]
    assert "is DISCARDED" in result.stderr
    version = client.version(version_id)
    assert version.status == "DISCARDED"
    assert "bad rows" in (version.operation_log[-1].reason or "")


def test_csv_rows_with_missing_fields_and_tables(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text('table,key,value\nitems,a,1\nitems,b\nnope,c,3\n,d,4\nusers,e,"{bad json"\n')
    result = load("-d", dataset, path, "--table-column", "table", "--max-bad-rows", "10")
    assert result.exit_code == 0, result.stderr
    assert f"{path}:3: 2 fields, the header has 3" in result.stderr
    assert f"{path}:4: no table 'nope' in dataset {dataset!r}" in result.stderr
    assert f"{path}:5: missing table" in result.stderr
    assert f"{path}:6: value is not JSON" in result.stderr
    assert client.version(result.version_id).digest == digest_of({("items", "a"): 1})


def test_missing_columns_and_unknown_datasets_stop_with_a_clear_message(
    tmp_path: Path, load: Loader, dataset: str
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("id,value\na,1\n")
    result = load("-d", dataset, "-t", "items", path)
    assert result.exit_code == 1
    assert "no column 'key' (columns: id, value)" in result.stderr
    assert "does not exist" in load("-d", unique("nope"), "-t", "items", path).stderr
    assert "has no table 'nope'" in load("-d", dataset, f"nope={path}").stderr


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OptimusServer]:
    data = tmp_path_factory.mktemp("strict") / "data"
    server = OptimusServer(data, "--max-value-bytes", "50").start()
    yield server
    server.stop()


def test_values_the_server_refuses_are_reported_by_line(
    tmp_path: Path, strict_server: OptimusServer
) -> None:
    """The loader's own limit is the server's default; this server accepts less."""
    with OptimusClient(strict_server.base_url) as client:
        dataset = unique("ds")
        client.create_dataset(dataset, ["items"])
        path = tmp_path / "rows.tsv"
        values = ["x" * (10 if i % 3 else 80) for i in range(9)]
        path.write_text("".join(f'k{i}\t"{value}"\n' for i, value in enumerate(values)))
        load = Loader(strict_server.base_url, tmp_path / "journals")
        result = load("-d", dataset, "-t", "items", path, "--max-bad-rows", "3")
        assert result.exit_code == 0, result.stderr
        for line in (1, 4, 7):
            assert f"{path}:{line}: refused by the server: value is 82 bytes" in result.stderr
        expected = {("items", f"k{i}"): values[i] for i in range(9) if i % 3}
        assert client.version(result.version_id).digest == digest_of(expected)


def test_a_key_repeated_within_a_batch_is_a_bad_row_and_nothing_is_saved(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    path = tmp_path / "rows.tsv"
    path.write_text("a\t1\nb\t2\na\t3\n")
    result = load("-d", dataset, "-t", "items", path, "--publish")
    assert result.exit_code == 1
    assert f"{path}:3: refused by the server: key 'a' of table 'items'" in result.stderr
    assert client.dataset(dataset).active_version_id is None
    assert [v.status for v in client.versions(dataset)] == ["AWAITING_ENTRIES"]


def test_duplicate_keys_fail_the_verification_and_the_version_is_not_published(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    path = tmp_path / "rows.tsv"
    path.write_text("a\t1\nb\t2\na\t3\n")
    # One row per batch: each batch alone is sound, the input as a whole is not.
    result = load("-d", dataset, "-t", "items", path, "--publish", "--batch-size", "1")
    assert result.exit_code == 1
    assert "the input holds 1 more rows than the version has entries: duplicate keys" in (
        result.stderr
    )
    # The server checked the input's digest on save: the version FAILED, nobody can publish it.
    assert "is FAILED" in result.stderr and "to finish it" not in result.stderr
    assert client.dataset(dataset).active_version_id is None
    assert [v.status for v in client.versions(dataset)] == ["FAILED"]
