"""The journal survives torn writes and gives back exactly what was recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimus.domain.digest import EntryStats
from optimus.loader.errors import BadRow, LoadFailed
from optimus.loader.journal import Journal, JournalHeader
from optimus.loader.mapping import ColumnMapping, ValueFormat
from optimus.loader.plan import LoadPlan
from optimus.loader.sources import Format, Source
from optimus.loader.writer import BatchRecord

PLAN = LoadPlan(
    dataset="ds",
    sources=[Source("/data/a.csv", Format.CSV, "items", 10, 20)],
    mapping=ColumnMapping(value_column=None, table_column="t", value_format=ValueFormat.TEXT),
    batch_size=7,
    max_bad_rows=3,
    label="nightly",
    publish=True,
)
HEADER = JournalHeader("v1", "http://optimus:8888/v1", True, PLAN)


def test_records_come_back_as_written(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, HEADER)
    first = BatchRecord(
        "0.0", EntryStats({"items": 2}, 2**255 + 7), [BadRow("/data/a.csv", 3, "x")]
    )
    journal.record(first)
    journal.record(BatchRecord("0.1", EntryStats({"items": 1}, 5)))
    journal.close()
    reopened, recovered = Journal.reopen(tmp_path, "v1")
    reopened.close()
    assert recovered.header == HEADER
    assert recovered.batches["0.0"] == first
    assert set(recovered.batches) == {"0.0", "0.1"}
    assert recovered.loaded is None


def test_a_torn_last_line_is_dropped_before_appending(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, HEADER)
    journal.record(BatchRecord("0.0", EntryStats({"items": 1}, 1)))
    journal.close()
    with journal.path.open("ab") as file:
        file.write(b'{"kind":"batch","id":"0.1","counts":{}')  # complete JSON, no newline
    reopened, recovered = Journal.reopen(tmp_path, "v1")
    assert set(recovered.batches) == {"0.0"}
    reopened.record_loaded(BatchRecord("all", EntryStats({"items": 1}, 1)))
    reopened.close()
    _, again = Journal.reopen(tmp_path, "v1")
    assert set(again.batches) == {"0.0"}
    assert again.loaded is not None


def test_one_journal_per_version_and_damage_is_reported(tmp_path: Path) -> None:
    Journal.create(tmp_path, HEADER).close()
    with pytest.raises(LoadFailed, match="optimus load --resume v1"):
        Journal.create(tmp_path, HEADER)
    path = Journal.path_of(tmp_path, "v1")
    path.write_bytes(path.read_bytes() + b"garbage\n{}\n")
    with pytest.raises(LoadFailed, match="damaged"):
        Journal.reopen(tmp_path, "v1")
