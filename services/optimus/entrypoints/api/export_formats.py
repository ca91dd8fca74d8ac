"""An export's bytes: JSON Lines or Parquet, produced chunk by chunk as entries are read.

Both have the columns `table`, `key`, `value`. A JSON dataset's values are
written as JSON (JSON Lines: the value itself; Parquet: its JSON text), a text
dataset's as strings. The Parquet file says so in its schema metadata, so that
`optimus load` can read an export back with no options and store the same bytes.
Each batch is turned into bytes in a worker thread, while the scan reads the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from enum import StrEnum

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from optimus.domain.export_layout import COLUMNS, CONTENT_TYPE_KEY, LAYOUT, LAYOUT_KEY
from optimus.service_layer.export import Export
from optimus.service_layer.ports import EntryPage


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        return (
            "application/x-ndjson"
            if self is ExportFormat.JSONL
            else "application/vnd.apache.parquet"
        )


async def jsonl_chunks(export: Export) -> AsyncIterator[bytes]:
    as_json = export.view.is_json
    async for batch in export.batches:
        yield await asyncio.to_thread(_jsonl_lines, batch, as_json)


def _jsonl_lines(batch: EntryPage, as_json: bool) -> bytes:
    dumps = orjson.dumps
    table = b'{"table":%s,"key":' % dumps(batch.table)
    if as_json:  # the stored bytes of a JSON value are its JSON: written as they are
        lines = [
            b'%s%s,"value":%s}\n' % (table, dumps(key), value)
            for key, value in zip(batch.keys, batch.values, strict=True)
        ]
    else:
        lines = [
            b'%s%s,"value":%s}\n' % (table, dumps(key), dumps(value.decode()))
            for key, value in zip(batch.keys, batch.values, strict=True)
        ]
    return b"".join(lines)


class _Chunks:
    """A write-only file for ParquetWriter: what it wrote is taken out chunk by chunk."""

    closed = False

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def parquet_schema(content_type: str) -> pa.Schema:
    fields = [pa.field(name, pa.string(), nullable=False) for name in COLUMNS]
    return pa.schema(fields, metadata={LAYOUT_KEY: LAYOUT, CONTENT_TYPE_KEY: content_type.encode()})


class _ParquetEncoder:
    """Batches into the bytes of one Parquet file, a row group each."""

    def __init__(self, content_type: str) -> None:
        self._schema = parquet_schema(content_type)
        self._sink = _Chunks()
        # zstd: half the bytes of snappy or lz4 for JSON text, and faster than snappy here.
        # Dictionaries only for `table` (one value a row group): keys and values are unique.
        self._writer = pq.ParquetWriter(
            self._sink, self._schema, compression="zstd", use_dictionary=["table"]
        )

    def encode(self, batch: EntryPage) -> bytes:
        columns = [
            pa.repeat(pa.scalar(batch.table, pa.string()), len(batch.keys)),
            pa.array(batch.keys, pa.string()),
            # Values are UTF-8 text (JSON or strings): their bytes, checked, not decoded.
            pa.array(batch.values, pa.string()),
        ]
        self._writer.write_table(pa.table(columns, schema=self._schema))
        return self._sink.take()

    def close(self) -> bytes:
        self._writer.close()
        return self._sink.take()


async def parquet_chunks(export: Export) -> AsyncIterator[bytes]:
    encoder = _ParquetEncoder(export.view.content_type)
    async for batch in export.batches:
        yield await asyncio.to_thread(encoder.encode, batch)
    yield encoder.close()


def export_chunks(export: Export, export_format: ExportFormat) -> AsyncIterator[bytes]:
    return jsonl_chunks(export) if export_format is ExportFormat.JSONL else parquet_chunks(export)
