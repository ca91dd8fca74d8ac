"""The pull use case: a pattern over keys of a dataset, all from one version."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from optimus.domain.access import Principal
from optimus.domain.errors import InvalidInput
from optimus.domain.pull import Pull, compile_pattern
from optimus.service_layer.reads import MAX_KEYS_PER_READ, EntryReader, check_key
from optimus.service_layer.views import DatasetView


@dataclass(frozen=True, slots=True)
class Pulled:
    view: DatasetView
    version_id: str
    keys: Sequence[str]
    results: Sequence[Any]


class PullReader:
    def __init__(self, reader: EntryReader) -> None:
        self._reader = reader

    async def pull(
        self,
        dataset: str,
        table: str,
        keys: object,
        pattern: object,
        version_id: str | None = None,
        as_of: str | None = None,
        *,
        track: str | None = None,
        reader: Principal | None,
    ) -> Pulled:
        """One result per key; each level of references read in one batch per table.

        Values are read as every read is (masked for this reader where declared)."""
        view, version = await self._reader.resolve(dataset, table, version_id, track, as_of)
        if not view.is_json:
            raise InvalidInput(
                f"pull patterns read JSON values; dataset {dataset!r} holds {view.content_type}",
                code="pull-needs-json",
            )
        if not isinstance(keys, list):
            raise InvalidInput("keys must be a list of keys", code="no-keys")
        roots = [check_key(key) for key in keys]
        pull = Pull(table, roots, compile_pattern(pattern, view.tables))
        while wanted := pull.wanted():
            reads = [
                (table_, chunk)
                for table_, table_keys in wanted.items()
                for chunk in _chunks(table_keys)
            ]
            values = await asyncio.gather(
                *(self._reader.values(view, version, t, chunk, reader) for t, chunk in reads)
            )
            pull.supply(
                {
                    (t, key): value
                    for (t, chunk), found in zip(reads, values, strict=True)
                    for key, value in zip(chunk, found, strict=True)
                }
            )
        return Pulled(view, version, roots, pull.results)


def _chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i : i + MAX_KEYS_PER_READ] for i in range(0, len(keys), MAX_KEYS_PER_READ)]
