"""Every input format loads into a version that holds exactly the input (same digest)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from optimus.client import OptimusClient
from tests.loader.conftest import Loader, digest_of, read_all
from tests.support.api import unique


def _check_saved(
    load_result, client: OptimusClient, dataset: str, expected: dict, *, as_json: bool = True
) -> str:
    assert load_result.exit_code == 0, load_result.stderr
    version = client.version(load_result.version_id)
    assert version.status == "SAVED"
    assert version.entries == len(expected)
    assert version.digest == digest_of(expected, as_json=as_json)
    assert "(equal to the input's)" in load_result.summary["digest"]
    return version.id


def test_csv_with_key_and_value_columns_holding_json(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    path = tmp_path / "items.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["key", "value", "ignored"])
        for i in range(250):
            writer.writerow(
                [f"item{i:03d}", orjson.dumps({"score": i, "tags": ["a, b"]}).decode(), "x"]
            )
    result = load("--dataset", dataset, "--table", "items", path, "--batch-size", "40")
    expected = {("items", f"item{i:03d}"): {"score": i, "tags": ["a, b"]} for i in range(250)}
    version_id = _check_saved(result, client, dataset, expected)
    values = read_all(client, dataset, version_id, "items", ["item000", "item249"])
    assert values == {
        "item000": {"score": 0, "tags": ["a, b"]},
        "item249": {"score": 249, "tags": ["a, b"]},
    }


def test_csv_whole_row_as_value_with_a_table_column(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        'id,kind,name,city\nu1,users,Ann,Paris\ni1,items,Lamp,\nu2,users,"Bo, Jr",Rome\n'
    )
    result = load(
        "-d", dataset, path, "--key-column", "id", "--table-column", "kind", "--row-as-value"
    )
    expected = {
        ("users", "u1"): {"name": "Ann", "city": "Paris"},
        ("items", "i1"): {"name": "Lamp", "city": ""},
        ("users", "u2"): {"name": "Bo, Jr", "city": "Rome"},
    }
    version_id = _check_saved(result, client, dataset, expected)
    assert client.get(dataset, "users", "u2", version_id=version_id) == {
        "name": "Bo, Jr",
        "city": "Rome",
    }


def test_tsv_in_optimus_loader_format_one_table_per_file(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    items = tmp_path / "items.tsv"
    items.write_text(
        'item000\t{"scores": [{"productId": "item001", "score": 500}]}\nitem001\t{"scores": []}\n'
    )
    users = tmp_path / "users.tsv"
    users.write_text('u1\t"tab\\there"\n\nu2\t42\n')  # a blank line is skipped
    result = load("-d", dataset, f"items={items}", f"users={users}")
    expected = {  # JSON text is stored exactly as written
        ("items", "item000"): b'{"scores": [{"productId": "item001", "score": 500}]}',
        ("items", "item001"): b'{"scores": []}',
        ("users", "u1"): b'"tab\\there"',
        ("users", "u2"): 42,
    }
    _check_saved(result, client, dataset, expected)


def test_tsv_with_a_table_field_and_values_holding_tabs(
    tmp_path: Path, load: Loader, client: OptimusClient
) -> None:
    dataset = unique("text")
    client.create_dataset(dataset, ["items", "users"], content_type="text/plain")
    path = tmp_path / "all.tsv"
    path.write_text("items\tk1\tplain text\twith a tab\nusers\tk2\t{not json}\n")
    result = load("-d", dataset, path)
    expected = {("items", "k1"): "plain text\twith a tab", ("users", "k2"): "{not json}"}
    version_id = _check_saved(result, client, dataset, expected, as_json=False)
    assert client.get(dataset, "items", "k1", version_id=version_id) == "plain text\twith a tab"


def test_jsonl_with_value_field_and_as_whole_rows(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    values = tmp_path / "values.jsonl"
    values.write_bytes(
        b'{"key": "a", "value": {"x": [1, 2.5, null]}}\n'
        b'{"key": "b", "value": "a string"}\n'
        b'{"key": "c", "value": null}\n'
    )
    rows = tmp_path / "rows.ndjson"
    rows.write_bytes(b'{"key": "u1", "name": "Ann", "age": 31}\n{"name": "Bo", "key": "u2"}\n')
    first = load("-d", dataset, f"items={values}", "--no-save")
    assert first.exit_code == 0, first.stderr
    assert first.summary["status"] == "AWAITING_ENTRIES"
    second = load(
        "-d", dataset, f"users={rows}", "--row-as-value", "--version-id", first.version_id
    )
    assert second.exit_code == 0, second.stderr
    assert "not compared" in second.summary["digest"]
    expected = {
        ("items", "a"): b'{"x": [1, 2.5, null]}',  # the field's text, exactly
        ("items", "b"): "a string",
        ("items", "c"): None,
        ("users", "u1"): {"name": "Ann", "age": 31},
        ("users", "u2"): {"name": "Bo"},
    }
    version = client.version(first.version_id)
    assert version.status == "SAVED"
    assert version.digest == digest_of(expected)


def test_jsonl_with_a_table_field_and_strings_parsed_as_json(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(
        b'{"t": "items", "id": "k1", "payload": "{\\"a\\": 1}"}\n'
        b'{"t": "users", "id": "k2", "payload": "[1, 2]"}\n'
    )
    result = load(
        "-d", dataset, path,
        "--table-column", "t", "--key-column", "id", "--value-column", "payload",
        "--value-format", "json",
    )  # fmt: skip
    _check_saved(
        result, client, dataset, {("items", "k1"): b'{"a": 1}', ("users", "k2"): b"[1, 2]"}
    )


def test_parquet_typed_columns_streamed_in_batches(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    count = 3000
    table = pa.table(
        {
            "key": pa.array(range(count), pa.int64()),  # integer keys are written in decimal
            "value": pa.array(
                [{"score": i / 4, "name": f"n{i}", "tags": ["x"] * (i % 3)} for i in range(count)]
            ),
            "price": pa.array([Decimal(i) / 100 for i in range(count)], pa.decimal128(10, 2)),
        }
    )
    path = tmp_path / "scores.parquet"
    pq.write_table(table, path, row_group_size=700)
    result = load("-d", dataset, "-t", "items", path, "--batch-size", "500")
    expected = {
        ("items", str(i)): {"score": i / 4, "name": f"n{i}", "tags": ["x"] * (i % 3)}
        for i in range(count)
    }
    _check_saved(result, client, dataset, expected)

    whole_rows = load("-d", dataset, "-t", "users", path, "--row-as-value")
    expected_rows = {
        ("users", str(i)): {
            "value": {"score": i / 4, "name": f"n{i}", "tags": ["x"] * (i % 3)},
            "price": f"{i // 100}.{i % 100:02d}",  # decimals keep their digits, as strings
        }
        for i in range(count)
    }
    _check_saved(whole_rows, client, dataset, expected_rows)


def test_parquet_with_a_table_column_and_globs(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    expected = {}
    for part in range(3):
        keys = [f"p{part}-{i}" for i in range(100)]
        tables = ["items" if i % 2 else "users" for i in range(100)]
        pq.write_table(
            pa.table({"table": tables, "key": keys, "value": [f"v{i}" for i in range(100)]}),
            tmp_path / f"part-{part}.parquet",
        )
        expected |= {(t, k): f"v{i}" for i, (t, k) in enumerate(zip(tables, keys, strict=True))}
    result = load("-d", dataset, tmp_path / "part-*.parquet", "--table-column", "table")
    version_id = _check_saved(result, client, dataset, expected)
    assert client.version(version_id).counts == {"items": 150, "users": 150}


def test_publish_makes_the_version_active(
    tmp_path: Path, load: Loader, client: OptimusClient, dataset: str
) -> None:
    path = tmp_path / "items.tsv"
    path.write_text("k1\t1\nk2\t2\n")
    result = load("-d", dataset, "-t", "items", path, "--publish", "--label", "nightly")
    assert result.exit_code == 0, result.stderr
    assert result.summary["status"] == "PUBLISHED"
    assert client.dataset(dataset).active_version_id == result.version_id
    assert client.version(result.version_id).label == "nightly"
    assert client.get(dataset, "items", "k2") == 2


EXACT = {  # JSON texts that any re-encoding would change
    "big": "123456789012345678901234567890",
    "float17": "0.30000000000000004",
    "negative-zero": "-0.0",
    "exponent": "6.02214076E+23",
    "trailing-zeros": "1.50",
    "escaped": '"caf\\u00e9 \\ud83d\\ude00"',
    "nested": '{"a": [1, {"b": 12345678901234567890123}]}',
}


def test_values_are_loaded_exactly_as_written_from_jsonl_and_csv(
    tmp_path: Path, load: Loader, client: OptimusClient, server, dataset: str
) -> None:
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text("".join(f'{{"key": "{k}", "value": {v}}}\n' for k, v in EXACT.items()))
    cells = tmp_path / "users.csv"
    with cells.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["key", "value"])
        writer.writerows(EXACT.items())
    result = load("-d", dataset, f"items={jsonl}", f"users={cells}")
    expected = {(t, k): v.encode() for t in ("items", "users") for k, v in EXACT.items()}
    version_id = _check_saved(result, client, dataset, expected)
    for table in ("items", "users"):
        for key, text in EXACT.items():
            url = f"{server.base_url}/datasets/{dataset}/tables/{table}/entries/{key}"
            assert httpx.get(url, params={"version-id": version_id}).content == text.encode()
