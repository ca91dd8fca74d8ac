"""Which files a load reads, into which tables, in which format."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimus.loader.errors import LoadFailed
from optimus.loader.sources import Format, expand_sources


def test_globs_expand_in_name_order_and_table_prefixes_apply_per_argument(tmp_path: Path) -> None:
    for name in ("b.csv", "a.csv", "c.jsonl"):
        (tmp_path / name).write_text("")
    sources = expand_sources(
        [str(tmp_path / "*.csv"), f"users={tmp_path / 'c.jsonl'}"],
        table="items",
        chosen_format=None,
    )
    assert [(Path(s.path).name, s.table, s.format) for s in sources] == [
        ("a.csv", "items", Format.CSV),
        ("b.csv", "items", Format.CSV),
        ("c.jsonl", "users", Format.JSONL),
    ]


def test_a_path_with_an_equals_sign_is_a_path_when_written_with_a_slash(tmp_path: Path) -> None:
    partition = tmp_path / "date=2024"
    partition.mkdir()
    (partition / "part.parquet").write_bytes(b"")
    [source] = expand_sources([f"{partition}/part.parquet"], table="items", chosen_format=None)
    assert source.table == "items" and source.format is Format.PARQUET


def test_unknown_suffixes_and_missing_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "data.xlsx").write_text("")
    with pytest.raises(LoadFailed, match="unknown format"):
        expand_sources([str(tmp_path / "data.xlsx")], table=None, chosen_format=None)
    assert expand_sources([str(tmp_path / "data.xlsx")], table=None, chosen_format=Format.TSV)
    with pytest.raises(LoadFailed, match="No such file"):
        expand_sources([str(tmp_path / "nope.csv")], table=None, chosen_format=None)
