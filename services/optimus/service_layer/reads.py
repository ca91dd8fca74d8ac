"""The read path: one key or many, from exactly one version."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from optimus.domain.access import Principal, Role
from optimus.domain.errors import InvalidInput
from optimus.domain.excision import key_hash, mark
from optimus.domain.masking import masked
from optimus.domain.names import KEY_RULE, is_valid_key
from optimus.domain.publications import parse_instant
from optimus.service_layer.ports import EntryPage, EntryStore, ScanPosition
from optimus.service_layer.views import (
    DatasetView,
    ViewSource,
    check_track,
    refreshed_view,
    served_track,
)

MAX_KEYS_PER_READ = 10_000
MAX_PAGE_SIZE = 10_000


class EntryRead(NamedTuple):  # a NamedTuple: made once per single-key read, cheaply
    view: DatasetView
    version_id: str
    value: bytes | None
    track: str | None = None  # the track that answered, when the reader asked for one
    excised: bool = False  # the key is absent because it was excised from the version


@dataclass(frozen=True, slots=True)
class EntriesRead:
    view: DatasetView
    version_id: str
    keys: Sequence[str]
    values: Sequence[bytes | None]
    track: str | None = None
    # How many of the keys are absent because they were excised from the version.
    excised: int = 0


@dataclass(frozen=True, slots=True)
class VersionScan:
    """A version's entries, pages of one table each; which version is known before the first."""

    view: DatasetView
    version_id: str
    pages: AsyncIterator[EntryPage]


def check_key(key: object) -> str:
    if not is_valid_key(key):
        raise InvalidInput(
            f"key must be {KEY_RULE}",
            code="invalid-key",
            key=key,
        )
    return key  # type: ignore[return-value]


def _masked_fields(
    view: DatasetView, table: str, reader: Principal | None
) -> tuple[tuple[str, ...], ...] | None:
    """The fields to remove from this reader's values; None when it sees them whole.

    `reader` None: auth is off, every caller sees everything.
    """
    paths = view.masking.get(table)
    if paths is None or reader is None or reader.may(Role.UNMASK, view.name):
        return None
    return paths


class EntryReader:
    """Reads of entries; every read names its reader, whose roles decide what is masked."""

    def __init__(self, source: ViewSource, store: EntryStore) -> None:
        self._views = source.views
        self._excised = source.views.excised
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
        version_id: str | None,
        reader: Principal | None,
        track: str | None = None,
        as_of: str | None = None,
    ) -> EntryRead:
        # One view answers the whole request: its version is the one read from.
        view = self._view(dataset, version_id) or await refreshed_view(self._source, dataset)
        view.check_table(table)
        if track is None and as_of is None:  # the default read, kept short
            version = view.version_to_read(version_id)
            answered = None
        else:
            version = view.version_to_read(version_id, check_track(track), _instant(as_of))
            answered = None if track is None else _track_of(view, version, version_id)
        value = await self._store.read(version, table, check_key(key))
        if value is None or version in self._excised:
            value, excised = self._unless_excised(version, table, key, value)
            if excised:
                return EntryRead(view, version, None, answered, excised=True)
        if value is not None and view.masking and (paths := _masked_fields(view, table, reader)):
            value = masked(value, paths)
        return EntryRead(view, version, value, answered)

    def _unless_excised(
        self, version_id: str, table: str, key: str, value: bytes | None
    ) -> tuple[bytes | None, bool]:
        """The value, unless the key was excised from the version: (None, True) then.

        A value found under a key excised from the version itself is one a cache kept
        from before (only the view's marks are sure to be current on every replica).
        """
        if value is not None:
            if mark(table, key_hash(key)) not in self._excised.get(version_id, ()):
                return value, False
            return None, True
        return None, self._views.is_excised(version_id, table, key)

    async def resolve(
        self,
        dataset: str,
        table: str,
        version_id: str | None = None,
        track: str | None = None,
        as_of: str | None = None,
    ) -> tuple[DatasetView, str]:
        """The view that answers a read of `table`, and the version it is answered from."""
        view = self._view(dataset, version_id) or await refreshed_view(self._source, dataset)
        view.check_table(table)
        return view, view.version_to_read(version_id, check_track(track), _instant(as_of))

    async def values(
        self,
        view: DatasetView,
        version_id: str,
        table: str,
        keys: Sequence[str],
        reader: Principal | None,
    ) -> list[bytes | None]:
        """The values of valid keys of a resolved version, as this reader may see them
        (what every multi-key read reads)."""
        values = await self._store.read_many(version_id, table, keys)
        if version_id in self._excised:
            values = [
                self._unless_excised(version_id, table, key, value)[0]
                for key, value in zip(keys, values, strict=True)
            ]
        return masked_values(view, table, values, reader)

    def excised_count(self, version_id: str, table: str, keys: Sequence[str]) -> int:
        """How many of the distinct `keys` were excised from the version (or its layers)."""
        return sum(self._views.is_excised(version_id, table, key) for key in set(keys))

    async def read_many(
        self,
        dataset: str,
        table: str,
        keys: Sequence[object],
        version_id: str | None,
        reader: Principal | None,
        track: str | None = None,
        as_of: str | None = None,
    ) -> EntriesRead:
        view, version = await self.resolve(dataset, table, version_id, track, as_of)
        if not keys:
            raise InvalidInput("at least one key is required", code="no-keys")
        if len(keys) > MAX_KEYS_PER_READ:
            raise InvalidInput(
                f"at most {MAX_KEYS_PER_READ} keys per request, got {len(keys)}",
                code="too-many-keys",
            )
        checked = [check_key(key) for key in keys]
        values = await self.values(view, version, table, checked, reader)
        answered = None if track is None else _track_of(view, version, version_id)
        missing = [key for key, value in zip(checked, values, strict=True) if value is None]
        excised = self.excised_count(version, table, missing) if missing else 0
        return EntriesRead(view, version, checked, values, answered, excised)

    async def scan(
        self,
        dataset: str,
        version_id: str | None = None,
        table: str | None = None,
        after: ScanPosition | None = None,
        page_size: int = 1000,
        *,
        reader: Principal | None,
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
        if view.masking:
            pages = _masked_pages(pages, view, reader)
        return VersionScan(view, version, pages)


def masked_values(
    view: DatasetView, table: str, values: Sequence[bytes | None], reader: Principal | None
) -> list[bytes | None]:
    """`values` of the table as this reader may see them (for reads that fetch their own)."""
    paths = _masked_fields(view, table, reader)
    if not paths:
        return list(values)
    return [None if v is None else masked(v, paths) for v in values]


async def _masked_pages(
    pages: AsyncIterator[EntryPage], view: DatasetView, reader: Principal | None
) -> AsyncIterator[EntryPage]:
    async for page in pages:
        paths = _masked_fields(view, page.table, reader)
        if paths:
            page = EntryPage(page.table, page.keys, [masked(v, paths) for v in page.values])
        yield page


def _instant(as_of: str | None) -> int | None:
    return None if as_of is None else parse_instant(as_of)


def _track_of(view: DatasetView, version: str, pinned: str | None) -> str | None:
    # A pinned read follows no track, whatever it asked.
    return None if pinned is not None else served_track(view, version)
