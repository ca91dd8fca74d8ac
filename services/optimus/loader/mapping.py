"""How the columns (or fields) of an input row become a table, a key and a value."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class ValueFormat(StrEnum):
    AUTO = "auto"  # text cells (CSV, TSV) hold JSON; typed values (JSONL, Parquet) are values
    JSON = "json"  # every string holds JSON text, parsed before it is stored
    TEXT = "text"  # strings are strings, never parsed


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    key_column: str = "key"
    # The column holding the value; None loads the whole row (minus key and table) as the value.
    value_column: str | None = "value"
    # The column naming each row's table; None when each file has its table.
    table_column: str | None = None
    value_format: ValueFormat = ValueFormat.AUTO

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ColumnMapping:
        return cls(**{**body, "value_format": ValueFormat(body["value_format"])})

    def row_value(self, row: dict[str, Any]) -> dict[str, Any]:
        """The whole row as a value: every field but the key and the table."""
        return {
            name: value
            for name, value in row.items()
            if name != self.key_column and name != self.table_column
        }
