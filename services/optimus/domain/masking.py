"""Masking: fields of a JSON dataset's values that only callers with `unmask` may see (pure).

Declared per table, as dotted paths into the value's objects:
`{"users": ["email", "address.street"]}`. A masked value is the value without
those fields; a value that is not an object, or lacks a field, is left as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from optimus.domain.errors import InvalidInput

# table -> the masked fields' paths, each split on its dots
Masking = Mapping[str, tuple[tuple[str, ...], ...]]


def parse_masking(raw: object, tables: tuple[str, ...], json_values: bool) -> dict[str, list[str]]:
    """The declared masking, checked: {table: [field path, …]} of this dataset's tables."""
    if raw is None or raw == {}:
        return {}
    if not json_values:
        raise InvalidInput("masking needs a JSON content type", field="masking")
    if not isinstance(raw, dict):
        raise InvalidInput('masking is {"<table>": ["field", "a.b"]}', field="masking")
    for table, paths in raw.items():
        if table not in tables:
            raise InvalidInput(f"masking names table {table!r}, not one of its", field="masking")
        if (
            not isinstance(paths, list)
            or not paths
            or not all(isinstance(p, str) and p and all(p.split(".")) for p in paths)
        ):
            raise InvalidInput(
                f"masking of {table!r} must be a list of field paths like 'address.street'",
                field="masking",
            )
    return {table: list(paths) for table, paths in raw.items()}


def split_paths(declared: Mapping[str, list[str]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    return {table: tuple(tuple(p.split(".")) for p in paths) for table, paths in declared.items()}


def _remove(value: Any, path: tuple[str, ...]) -> None:
    for name in path[:-1]:
        if not isinstance(value, dict):
            return
        value = value.get(name)
    if isinstance(value, dict):
        value.pop(path[-1], None)


def masked(value: bytes, paths: tuple[tuple[str, ...], ...]) -> bytes:
    """The stored JSON value without the masked fields."""
    decoded = orjson.loads(value)
    if not isinstance(decoded, dict):
        return value
    for path in paths:
        _remove(decoded, path)
    return orjson.dumps(decoded)
