"""JSON Schemas of a dataset's tables: which tables have one, and whether they may.

Only the shape is checked here (the domain has no validator); the service
layer compiles the schemas (JSON Schema draft 2020-12) and validates entries.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from optimus.domain.errors import InvalidInput

# Per table: its JSON Schema, as given.
TableSchemas = dict[str, dict[str, Any]]


def check_schemas(raw: object, *, tables: Collection[str], json_values: bool) -> TableSchemas:
    """The schemas given for some of `tables`, or a precise error."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput("schemas must be an object {table: JSON Schema}", field="schemas")
    if raw and not json_values:
        raise InvalidInput(
            "schemas apply to JSON values only: the dataset's content type is not JSON",
            field="schemas",
        )
    for table, schema in raw.items():
        if table not in tables:
            raise InvalidInput(
                f"schemas names table {table!r}, which the dataset does not have",
                field="schemas",
                table=table,
            )
        if not isinstance(schema, dict):
            raise InvalidInput(
                f"the schema of table {table!r} must be a JSON Schema (an object)",
                field="schemas",
                table=table,
            )
    return dict(raw)
