"""Turn raw rows into entries exactly as the server will store them.

Each value is encoded to its stored bytes here (for JSON datasets
the exact JSON text of the value, as the server stores it), so that the loader can
check keys, tables and value sizes before sending, and compute the counts
and digest the saved version must have (`optimus.domain.digest`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from optimus.domain.dataset import is_json
from optimus.domain.digest import EntryStats, stats_of
from optimus.domain.errors import InvalidInput
from optimus.domain.json_values import RawValue, exact_json_text, parsed_value
from optimus.domain.names import ALPHABET, KEY_RULE, MAX_KEY_LENGTH, is_valid_key
from optimus.loader.errors import BadRow
from optimus.loader.mapping import ValueFormat
from optimus.loader.plan import LoadPlan
from optimus.loader.readers import RawBatch
from optimus.loader.sources import Source

# (table, key, stored value bytes)
Entry = tuple[str, str, bytes]
Encode = Callable[[Any], bytes]


@dataclass(frozen=True, slots=True)
class EncodingRules:
    dataset: str
    tables: frozenset[str]
    content_type: str
    max_value_bytes: int
    value_format: ValueFormat

    @classmethod
    def of(cls, plan: LoadPlan, tables: Iterable[str], content_type: str) -> EncodingRules:
        """The rules of loading `plan` into a dataset of these tables and content type."""
        return cls(
            dataset=plan.dataset,
            tables=frozenset(tables),
            content_type=content_type,
            max_value_bytes=plan.max_value_bytes,
            value_format=plan.mapping.value_format,
        )

    @property
    def is_json(self) -> bool:
        return is_json(self.content_type)

    def encoder(self, text_values: bool) -> Encode:
        if not self.is_json:
            return self._text
        parse = self.value_format is ValueFormat.JSON or (
            self.value_format is ValueFormat.AUTO and text_values
        )
        return _parsed_json if parse else _json

    def _text(self, value: Any) -> bytes:
        value = parsed_value(value)
        if type(value) is not str:
            raise TypeError(f"value must be a string for content-type {self.content_type}")
        return value.encode()


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exact, unlike a float
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def _json(value: Any) -> bytes:
    if type(value) is RawValue:  # a JSONL field: its exact text
        return value.data
    return orjson.dumps(value, default=_default)


def _parsed_json(value: Any) -> bytes:
    text = parsed_value(value)
    if type(text) is str:  # JSON text: kept exactly as written, once validated
        try:
            return exact_json_text(text).encode()
        except InvalidInput as exc:
            raise ValueError(
                f"value is not JSON ({exc.message}); load strings as they are with "
                "--value-format text"
            ) from None
    return _json(value)


@dataclass(slots=True)
class EncodedBatch:
    id: str
    file: str
    entries: list[Entry]
    lines: list[int]  # the input line (Parquet: row number) of each entry
    bad: list[BadRow]
    stats: EntryStats = field(default_factory=EntryStats)
    rows: int = 0  # rows read, good and bad
    weight: float = 0.0

    def reject(self, problems: Sequence[tuple[int, str]]) -> None:
        """Move entries the store refused (by index) to the bad rows."""
        refused = dict(problems)
        kept: list[Entry] = []
        lines: list[int] = []
        for index, (entry, line) in enumerate(zip(self.entries, self.lines, strict=True)):
            if index in refused:
                self.bad.append(BadRow(self.file, line, refused[index]))
            else:
                kept.append(entry)
                lines.append(line)
        self.entries, self.lines = kept, lines
        self.stats = stats_of(kept)


def _key(key: Any) -> str | None:
    if type(key) is int:
        return str(key)
    return key if is_valid_key(key) else None


def _key_problem(key: Any) -> str:
    if key is None or key == "":
        return "missing key"
    return f"invalid key {str(key)[:80]!r}: {KEY_RULE}"


# The keys of a batch joined by newlines, which no key holds.
_KEYS_ALPHABET = re.compile(f"[{ALPHABET}\n]*")


def _all_valid_keys(keys: list[Any]) -> bool:
    """One regex over the whole batch instead of one per key (the common case: all valid)."""
    if not all(type(key) is str for key in keys):
        return False
    if not keys or max(map(len, keys)) > MAX_KEY_LENGTH or min(map(len, keys)) == 0:
        return False
    if "." in keys or ".." in keys:
        return False
    return _KEYS_ALPHABET.fullmatch("\n".join(keys)) is not None


def encode_batch(raw: RawBatch, source: Source, rules: EncodingRules) -> EncodedBatch:
    batch = EncodedBatch(raw.id, source.path, [], [], list(raw.bad), rows=raw.rows)
    batch.weight = raw.weight
    encode = rules.encoder(raw.text_values)
    tables = raw.tables
    known_tables = rules.tables
    max_bytes = rules.max_value_bytes
    keys = raw.keys
    keys_checked = _all_valid_keys(keys)
    entries, lines, bad = batch.entries, batch.lines, batch.bad
    stats = batch.stats
    path = source.path
    for index, line in enumerate(raw.lines):
        table = tables[index] if tables is not None else source.table
        if table not in known_tables:
            reason = (
                f"no table {str(table)[:80]!r} in dataset {rules.dataset!r}"
                if table
                else "missing table"
            )
            bad.append(BadRow(path, line, reason))
            continue
        key = keys[index] if keys_checked else _key(keys[index])
        if key is None:
            bad.append(BadRow(path, line, _key_problem(keys[index])))
            continue
        try:
            data = encode(raw.values[index])
        except (TypeError, ValueError) as exc:
            bad.append(BadRow(path, line, str(exc)))
            continue
        if len(data) > max_bytes:
            bad.append(BadRow(path, line, f"value is {len(data)} bytes, more than {max_bytes}"))
            continue
        entries.append((table, key, data))
        lines.append(line)
        stats.add(table, key, data)
    bad.sort(key=lambda row: row.line)
    return batch
