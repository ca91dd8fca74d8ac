"""Entries validated against their table's JSON Schema (draft 2020-12), compiled once.

jsonschema-rs compiles a schema to native code; a batch's values are validated
in one call (bench/RESULTS.md has the load rate with and without a schema).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from optimus.domain.errors import InvalidInput
from optimus.domain.schemas import TableSchemas
from optimus.service_layer.ports import DatasetHost

CACHED_VERSIONS = 64  # versions being loaded at once, on one server
# The base of a table's schema inside the schema of a batch, so that its own
# references ("#/$defs/...") still resolve against it.
_ENTRY_ID = "urn:optimus:entry"


@dataclass(frozen=True, slots=True)
class TableValidator:
    """A table's schema compiled twice: for one value, and for a whole batch's values.

    A batch is validated in one call (half the cost per value of one call each);
    only a batch that fails is gone through value by value, to say which and why.
    """

    one: jsonschema_rs.Draft202012Validator
    many: jsonschema_rs.Draft202012Validator

    @classmethod
    def of(cls, schema: dict[str, Any]) -> TableValidator:
        entry = schema if "$id" in schema else {**schema, "$id": _ENTRY_ID}
        batch = {"type": "array", "items": entry}
        return cls(
            jsonschema_rs.Draft202012Validator(schema), jsonschema_rs.Draft202012Validator(batch)
        )

    def errors(self, values: list[Any]) -> list[tuple[int, str]]:
        """(position in `values`, why) of each value that does not match."""
        try:
            if self.many.is_valid(values):
                return []
        except ValueError:  # text the validator can't take (a lone surrogate): told per value
            pass
        found = ((i, first_error(self.one, value)) for i, value in enumerate(values))
        return [(i, error) for i, error in found if error is not None]


Validators = Mapping[str, TableValidator]


def compiled(schemas: TableSchemas) -> dict[str, TableValidator]:
    """A validator per table; InvalidInput naming the table whose schema is not valid."""
    validators = {}
    for table, schema in schemas.items():
        if not isinstance(schema, dict):  # compiled before the domain checks the shape
            raise InvalidInput(
                f"the schema of table {table!r} must be a JSON Schema (an object)",
                field="schemas",
                table=table,
            )
        try:
            validators[table] = TableValidator.of(schema)
        except (jsonschema_rs.ValidationError, ValueError, TypeError) as exc:
            message = str(exc).split("\n", 1)[0]
            raise InvalidInput(
                f"the schema of table {table!r} is not a valid JSON Schema (2020-12): {message}",
                field="schemas",
                table=table,
            ) from None
    return validators


def first_error(validator: jsonschema_rs.Draft202012Validator, value: Any) -> str | None:
    """Why `value` is not valid (its first error, with where in the value), or None."""
    try:
        if validator.is_valid(value):
            return None
    except ValueError as exc:  # e.g. a string holding a lone surrogate (\\ud800)
        return f"the value can't be validated: {exc}"
    error = next(iter(validator.iter_errors(value)))
    where = "/".join(str(part) for part in error.instance_path)
    return f"{error.message} (at /{where})" if where else error.message


class VersionValidators:
    """The validators of the versions being loaded: their schemas never change."""

    def __init__(self, host: DatasetHost) -> None:
        self._host = host
        self._cache: OrderedDict[str, dict[str, jsonschema_rs.Draft202012Validator]] = OrderedDict()

    async def of(self, dataset: str, version_id: str) -> Validators:
        validators = self._cache.get(version_id)
        if validators is None:
            found = await self._host.get(dataset)
            validators = compiled(found.schemas_of(found.version(version_id)))
            self._cache[version_id] = validators
            while len(self._cache) > CACHED_VERSIONS:
                self._cache.popitem(last=False)
        self._cache.move_to_end(version_id)
        return validators
