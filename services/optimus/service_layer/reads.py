"""The read path: one key or many, from exactly one version."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from optimus.domain.errors import InvalidInput
from optimus.domain.names import MAX_KEY_LENGTH, is_valid_key
from optimus.domain.publications import parse_instant
from optimus.service_layer.ports import EntryPage, EntryStore, ScanPosition
from optimus.service_layer.views import DatasetView, ViewSource, refreshed_view

MAX_KEYS_PER_READ = 10_000
MAX_PAGE_SIZE = 10_000


class EntryRead(NamedTuple):  # a NamedTuple: made once per single-key read, cheaply
    view: DatasetView
    version_id: str
    value: bytes | None


@dataclass(frozen=True, slots=True)
class EntriesRead:
    view: DatasetView
    version_id: str
    keys: Sequence[str]
    values: Sequence[bytes | None]


@dataclass(frozen=True, slots=True)
class VersionScan:
    """A version's entries, pages of one table each; which version is known before the first."""

    view: DatasetView
    version_id: str
    pages: AsyncIterator[EntryPage]


def check_key(key: object) -> str:
    if not is_valid_key(key):
        raise InvalidInput(
            f"key must be 1..{MAX_KEY_LENGTH} characters of [A-Za-z0-9-_.]",
            code="invalid-key",
            key=key,
        )
    return key  # type: ignore[return-value]


class EntryReader:
    def __init__(self, source: ViewSource, store: EntryStore) -> None:
        self._views = source.views
        self._source = source
        self._store = store

    def _view(self, dataset: str, version_id: str | None) -> DatasetView | None:
        """This replica's view, if it can answer (it knows the dataset and the pinned version)."""
        view = self._views.get(dataset)
        if view is None or (version_id is not None and version_id not in view.statuses):
            return None
        return view

    async def read_one(
        self,
        dataset: str,
        table: str,
        key: str,
        version_id: str | None = None,
        as_of: str | None = None,
    ) -> EntryRead:
        # One view answers the whole request: its version is the one read from.
        view = self._view(dataset, version_id) or await refreshed_view(self._source, dataset)
        view.check_table(table)
        version = view.version_to_read(version_id, None if as_of is None else parse_instant(as_of))
        value = await self._store.read(version, table, check_key(key))
        return EntryRead(view, version, value)

    async def resolve(
        self, dataset: str, table: str, version_id: str | None = None, as_of: str | None = None
    ) -> tuple[DatasetView, str]:
        """The view that answers a read of `table`, and the version it is answered from."""
        view = self._view(dataset, version_id) or await refreshed_view(self._source, dataset)
        view.check_table(table)
        instant = None if as_of is None else parse_instant(as_of)
        return view, view.version_to_read(version_id, instant)

    async def values(self, version_id: str, table: str, keys: Sequence[str]) -> list[bytes | None]:
        """The values of valid keys of a resolved version (what every multi-key read reads)."""
        return await self._store.read_many(version_id, table, keys)

    async def read_many(
        self,
        dataset: str,
        table: str,
        keys: Sequence[object],
        version_id: str | None = None,
        as_of: str | None = None,
    ) -> EntriesRead:
        view, version = await self.resolve(dataset, table, version_id, as_of)
        if not keys:
            raise InvalidInput("at least one key is required", code="no-keys")
        if len(keys) > MAX_KEYS_PER_READ:
            raise InvalidInput(
                f"at most {MAX_KEYS_PER_READ} keys per request, got {len(keys)}",
                code="too-many-keys",
            )
        checked = [check_key(key) for key in keys]
        values = await self.values(version, table, checked)
        return EntriesRead(view, version, checked, values)

    async def scan(
        self,
        dataset: str,
        version_id: str | None = None,
        table: str | None = None,
        after: ScanPosition | None = None,
        page_size: int = 1000,
    ) -> VersionScan:
        """Every entry of the version (or of one table) after `after`, in (table, key) order."""
        view = self._view(dataset, version_id) or await refreshed_view(self._source, dataset)
        if table is not None:
            view.check_table(table)
        version = view.version_to_read(version_id)
        if after is not None and after[1]:
            check_key(after[1])
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidInput(
                f"page size must be 1..{MAX_PAGE_SIZE}, got {page_size}", code="invalid-page-size"
            )
        tables = [table] if table is not None else sorted(view.tables)
        pages = self._store.scan(dataset, version, tables, after, page_size)
        return VersionScan(view, version, pages)
