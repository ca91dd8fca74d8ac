"""Read input files as batches of raw rows, streaming (never a whole file in memory).

Every batch has a stable id, `<source index>.<batch number>`: the same files
read with the same options give the same batches, which is what lets a
resumed load skip the batches the server already acknowledged. Rows that
cannot be parsed are reported with their line (Parquet: row number).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow.parquet as pq

from optimus.domain.errors import InvalidInput
from optimus.domain.export_layout import LAYOUT, LAYOUT_KEY
from optimus.domain.json_values import parse_with_raw_values
from optimus.loader.errors import BadRow, LoadFailed
from optimus.loader.mapping import ColumnMapping
from optimus.loader.plan import BatchLimits
from optimus.loader.sources import Format, Source

_NO_VALUE = object()


@dataclass(slots=True)
class RawBatch:
    source_index: int
    number: int
    lines: list[int] = field(default_factory=list)
    tables: list[Any] | None = None  # None: every row goes to the source's table
    keys: list[Any] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    text_values: bool = False  # values are text cells (CSV, TSV) rather than typed values
    bad: list[BadRow] = field(default_factory=list)
    weight: float = 0.0  # the share of the source's bytes it covers, for progress

    @property
    def id(self) -> str:
        return f"{self.source_index}.{self.number}"

    @property
    def rows(self) -> int:
        return len(self.keys) + len(self.bad)


class _Batches:
    """Cuts rows into batches (bad rows count too: batch ids must not depend on them)."""

    def __init__(self, source: Source, index: int, limits: BatchLimits, text_values: bool) -> None:
        self.source = source
        self.index = index
        self.limits = limits
        self.text_values = text_values
        self.with_tables = source.table is None
        self.weight_done = 0.0
        self._next_number = 0
        self.current = self._new()

    def _new(self) -> RawBatch:
        batch = RawBatch(self.index, self._next_number, text_values=self.text_values)
        batch.tables = [] if self.with_tables else None
        self._next_number += 1
        return batch

    def add(self, line: int, table: Any, key: Any, value: Any) -> None:
        batch = self.current
        batch.lines.append(line)
        if batch.tables is not None:
            batch.tables.append(table)
        batch.keys.append(key)
        batch.values.append(value)

    def bad(self, line: int, reason: str) -> None:
        self.current.bad.append(BadRow(self.source.path, line, reason))

    def full(self, pending_bytes: int) -> bool:
        return self.current.rows >= self.limits.rows or pending_bytes >= self.limits.bytes

    def take(self, weight: float) -> RawBatch:
        batch, self.current = self.current, self._new()
        batch.weight = weight
        self.weight_done += weight
        return batch

    def rest(self) -> Iterator[RawBatch]:
        """The last, partial batch, carrying whatever weight is left of the source."""
        if self.current.rows:
            yield self.take(max(0.0, self.source.size - self.weight_done))


def read_batches(
    source: Source, index: int, mapping: ColumnMapping, limits: BatchLimits
) -> Iterator[RawBatch]:
    readers = {
        Format.CSV: _read_csv,
        Format.TSV: _read_tsv,
        Format.JSONL: _read_jsonl,
        Format.PARQUET: _read_parquet,
    }
    return readers[source.format](source, index, mapping, limits)


class _CountingLines:
    """Lines of a text file, counting their characters (progress weight ≈ bytes)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = lines
        self.chars = 0

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            self.chars += len(line)
            yield line

    def take(self) -> int:
        chars, self.chars = self.chars, 0
        return chars


def _require_table(source: Source, mapping: ColumnMapping) -> None:
    if source.table is None and mapping.table_column is None:
        raise LoadFailed(f"{source.path}: no table; give one with --table or --table-column")


def _column(source: Source, names: list[str], name: str) -> int:
    try:
        return names.index(name)
    except ValueError:
        raise LoadFailed(
            f"{source.path}: no column {name!r} (columns: {', '.join(names)}); "
            "choose others with --key-column, --value-column or --table-column"
        ) from None


def _read_csv(
    source: Source, index: int, mapping: ColumnMapping, limits: BatchLimits
) -> Iterator[RawBatch]:
    _require_table(source, mapping)
    csv.field_size_limit(sys.maxsize)  # a value may be as large as the server accepts
    batches = _Batches(source, index, limits, text_values=mapping.value_column is not None)
    with open(source.path, newline="", encoding="utf-8") as file:
        lines = _CountingLines(file)
        reader = csv.reader(lines)
        try:
            header = next(reader, None)
            if header is None:
                return
            key_at = _column(source, header, mapping.key_column)
            table_at = (
                _column(source, header, mapping.table_column)
                if mapping.table_column is not None and batches.with_tables
                else None
            )
            value_at = (
                _column(source, header, mapping.value_column) if mapping.value_column else None
            )
            previous_line = reader.line_num
            while True:
                try:
                    row = next(reader, None)
                except csv.Error as exc:
                    batches.bad(previous_line + 1, f"unparsable CSV: {exc}")
                    previous_line = reader.line_num
                    continue
                if row is None:
                    break
                line, previous_line = previous_line + 1, reader.line_num
                if not row:
                    continue  # a blank line
                if len(row) != len(header):
                    batches.bad(line, f"{len(row)} fields, the header has {len(header)}")
                elif value_at is None:
                    record = dict(zip(header, row, strict=True))
                    table = row[table_at] if table_at is not None else source.table
                    batches.add(line, table, row[key_at], mapping.row_value(record))
                else:
                    table = row[table_at] if table_at is not None else source.table
                    batches.add(line, table, row[key_at], row[value_at])
                if batches.full(lines.chars):
                    yield batches.take(lines.take())
        except UnicodeDecodeError as exc:
            raise LoadFailed(
                f"{source.path}: not UTF-8 after line {reader.line_num}: {exc}"
            ) from None
    yield from batches.rest()


def _read_tsv(
    source: Source, index: int, mapping: ColumnMapping, limits: BatchLimits
) -> Iterator[RawBatch]:
    """Optimus's loader format: `key<TAB>value`, or `table<TAB>key<TAB>value` when the file
    has no table. The value is the rest of the line (it may hold tabs)."""
    batches = _Batches(source, index, limits, text_values=True)
    fields = 3 if batches.with_tables else 2
    expected = "table, key and value" if fields == 3 else "key and value"
    with open(source.path, encoding="utf-8", newline="\n") as file:
        lines = _CountingLines(file)
        try:
            for line_number, line in enumerate(lines, 1):
                text = line.rstrip("\r\n")
                if not text:
                    continue
                parts = text.split("\t", fields - 1)
                if len(parts) < fields:
                    batches.bad(line_number, f"unparsable line: expected {expected} split by tabs")
                elif fields == 3:
                    batches.add(line_number, parts[0], parts[1], parts[2])
                else:
                    batches.add(line_number, source.table, parts[0], parts[1])
                if batches.full(lines.chars):
                    yield batches.take(lines.take())
        except UnicodeDecodeError as exc:
            raise LoadFailed(f"{source.path}: not UTF-8: {exc}") from None
    yield from batches.rest()


def _read_jsonl(
    source: Source, index: int, mapping: ColumnMapping, limits: BatchLimits
) -> Iterator[RawBatch]:
    _require_table(source, mapping)
    batches = _Batches(source, index, limits, text_values=False)
    table_field = mapping.table_column if batches.with_tables else None
    with open(source.path, "rb") as file:
        weight = 0
        for line_number, line in enumerate(file, 1):
            weight += len(line)
            if line.strip():
                _add_json_line(batches, mapping, table_field, line_number, line)
            if batches.full(weight):
                yield batches.take(weight)
                weight = 0
    yield from batches.rest()


def _add_json_line(
    batches: _Batches,
    mapping: ColumnMapping,
    table_field: str | None,
    line_number: int,
    line: bytes,
) -> None:
    try:  # the value field keeps its exact JSON text (json_values)
        row = parse_with_raw_values(line, mapping.value_column)
    except InvalidInput as exc:
        batches.bad(line_number, f"unparsable line: {exc.message}")
        return
    if type(row) is not dict:
        batches.bad(line_number, "unparsable line: not a JSON object")
        return
    table = row.get(table_field) if table_field is not None else batches.source.table
    if mapping.value_column is None:
        value = mapping.row_value(row)
    else:
        value = row.get(mapping.value_column, _NO_VALUE)
        if value is _NO_VALUE:
            batches.bad(line_number, f"missing {mapping.value_column!r}")
            return
    batches.add(line_number, table, row.get(mapping.key_column), value)


def _read_parquet(
    source: Source, index: int, mapping: ColumnMapping, limits: BatchLimits
) -> Iterator[RawBatch]:
    _require_table(source, mapping)
    file = pq.ParquetFile(source.path)
    # An Optimus export holds values as text (JSON text for a JSON dataset).
    is_export = (file.schema_arrow.metadata or {}).get(LAYOUT_KEY) == LAYOUT
    batches = _Batches(source, index, limits, text_values=is_export)
    names = file.schema_arrow.names
    _column(source, names, mapping.key_column)
    table_column = mapping.table_column if batches.with_tables else None
    if table_column is not None:
        _column(source, names, table_column)
    if mapping.value_column is not None:
        _column(source, names, mapping.value_column)
        value_columns = [mapping.value_column]
    else:
        value_columns = [n for n in names if n not in (mapping.key_column, table_column)]
    wanted = list(
        dict.fromkeys([mapping.key_column, *value_columns, *filter(None, [table_column])])
    )
    metadata = file.metadata
    rows = max(1, metadata.num_rows)
    rows_per_weight = source.size / rows
    # Rows per batch from the file's average row size: deterministic, so batch ids are stable.
    row_bytes = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    batch_rows = max(1, min(limits.rows, limits.bytes * rows // max(1, row_bytes)))
    first_row = 1
    for record_batch in file.iter_batches(batch_size=batch_rows, columns=wanted):
        count = record_batch.num_rows
        batch = batches.current
        batch.lines = list(range(first_row, first_row + count))
        batch.keys = record_batch.column(mapping.key_column).to_pylist()
        if table_column is not None:
            batch.tables = record_batch.column(table_column).to_pylist()
        if mapping.value_column is not None:
            batch.values = record_batch.column(mapping.value_column).to_pylist()
        else:
            batch.values = record_batch.select(value_columns).to_pylist()
        first_row += count
        yield batches.take(count * rows_per_weight)
