"""Diff of two versions of a dataset: counts, and the changed keys page by page.

The store gives each version's keys of a table in key order with a
fingerprint of each value (`EntryStore.fingerprints`); the two sides are
merged chunk by chunk, so memory stays bounded whatever the versions' size
and no value is read to count. Values are read only for the keys listed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import orjson

from optimus.domain.access import Principal
from optimus.domain.dataset import Dataset
from optimus.domain.diff import (
    LISTED_CHANGES,
    Change,
    ChangeCounts,
    DiffSummary,
    Fingerprints,
    compare_run,
    count_run,
)
from optimus.domain.errors import InvalidInput, NotFound, unknown_version
from optimus.domain.version import Version, patches_apart, require_readable
from optimus.service_layer.ports import DatasetHost, EntryStore, LayeredEntries
from optimus.service_layer.reads import masked_values
from optimus.service_layer.views import DatasetView

CHUNK_KEYS = 10_000
DEFAULT_PAGE = 100
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class ListedChange:
    table: str
    key: str
    change: Change
    old: bytes | None
    new: bytes | None


@dataclass(frozen=True, slots=True)
class DiffPage:
    version_id: str
    against: str
    content_type: str
    entries: list[ListedChange]
    cursor: str | None  # None: this is the last page


class _Side:
    """One version's keys of one table, fetched chunk by chunk in key order."""

    def __init__(
        self, store: EntryStore, dataset: str, version_id: str, table: str, chunk_keys: int
    ) -> None:
        self._store = store
        self._chunk_keys = chunk_keys
        self._dataset = dataset
        self._version_id = version_id
        self._table = table
        self.pending = Fingerprints()
        self.last: str | None = None
        self.done = False

    async def fetch(self, after: str | None) -> None:
        chunk = await self._store.fingerprints(
            self._dataset, self._version_id, self._table, self.last or after, self._chunk_keys
        )
        self.done = len(chunk.keys) < self._chunk_keys
        if chunk.keys:
            self.last = chunk.keys[-1]
            self.pending.extend(chunk)


def encode_cursor(table: str, key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([table, key])).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        table, key = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(table, str) and isinstance(key, str):
            return table, key
    except (binascii.Error, orjson.JSONDecodeError, ValueError, TypeError):
        pass
    raise InvalidInput("cursor is not one this API gave", code="invalid-cursor", cursor=cursor)


def parse_change(change: str | None) -> tuple[Change, ...]:
    if change is None:
        return LISTED_CHANGES
    if change not in {str(c) for c in LISTED_CHANGES}:
        raise InvalidInput(
            "change must be added, removed or changed", code="invalid-change", change=change
        )
    return (Change(change),)


def parse_limit(limit: str | None) -> int:
    if limit is None:
        return DEFAULT_PAGE
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_PAGE:
        raise InvalidInput(
            f"limit must be an integer from 1 to {MAX_PAGE}", code="invalid-limit", limit=limit
        )
    return int(limit)


class VersionDiffs:
    def __init__(
        self, host: DatasetHost, store: LayeredEntries, chunk_keys: int = CHUNK_KEYS
    ) -> None:
        self._host = host
        self._store = store
        self._chunk_keys = chunk_keys

    async def _runs(
        self, dataset: str, old_id: str, new_id: str, table: str, after: str | None
    ) -> AsyncIterator[tuple[Fingerprints, Fingerprints]]:
        """One table's (old, new) fingerprints in runs of ascending keys, each run
        complete on both sides, from strictly after `after`."""
        old = _Side(self._store, dataset, old_id, table, self._chunk_keys)
        new = _Side(self._store, dataset, new_id, table, self._chunk_keys)
        while True:
            for side in (old, new):
                if not side.done:
                    await side.fetch(after)
            # Keys up to the smallest last key of a side not yet done are complete on both sides.
            open_lasts = [side.last for side in (old, new) if not side.done]
            bound = min(open_lasts) if open_lasts else None  # type: ignore[type-var]
            yield old.pending.take_through(bound), new.pending.take_through(bound)
            if old.done and new.done and not old.pending.keys and not new.pending.keys:
                return

    async def summary(self, version_id: str, against: str | None = None) -> DiffSummary:
        dataset, new, old = await self._pair(version_id, against)
        return await self.summary_of(dataset, new, old)

    async def summary_of(self, dataset: Dataset, new: Version, old: Version) -> DiffSummary:
        """Counts of `new` against `old`, both readable versions of `dataset`."""
        summary = DiffSummary(new.id, old.id)
        # The reads below go through both versions' layers: this replica's view may lag.
        self._host.views.update(dataset)
        patches = patches_apart(new, old)
        for table in dataset.tables:
            counts = None
            if patches is not None:
                counts = await self._counts_of_patches(dataset.name, patches, old, new, table)
            if counts is None:
                counts = ChangeCounts()
                async for old_run, new_run in self._runs(dataset.name, old.id, new.id, table, None):
                    counts.add(count_run(old_run, new_run))
            summary.tables[table] = counts
        return summary

    async def _counts_of_patches(
        self, dataset: str, patches: Sequence[str], old: Version, new: Version, table: str
    ) -> ChangeCounts | None:
        """The counts from the keys `patches` (those between the two versions) wrote or
        retracted: every other key is the same entry on both sides, so the cost is that of
        the patches, not of the versions. None if a patch touched too many keys to hold."""
        if old.counts is None:
            return None
        touched: set[str] = set()
        for patch in patches:
            own = await self._store.own_keys(dataset, patch, table)
            if own is None:
                return None
            touched |= own
        keys = sorted(touched)
        fingerprint = self._store.fingerprint_of
        sides = []
        for version in (old, new):
            values = await self._store.read_many(version.id, table, keys) if keys else []
            side = Fingerprints()
            for key, value in zip(keys, values, strict=True):
                if value is not None:
                    side.keys.append(key)
                    side.prints.append(fingerprint(value))
            sides.append(side)
        counts = count_run(*sides)
        counts.unchanged = old.counts.get(table, 0) - counts.removed - counts.changed
        return counts

    async def page(
        self,
        version_id: str,
        against: str | None = None,
        *,
        table: str | None = None,
        change: str | None = None,
        limit: str | None = None,
        cursor: str | None = None,
        reader: Principal | None = None,
    ) -> DiffPage:
        """Changed keys in table then key order, `limit` at a time, after `cursor`."""
        dataset, new, old = await self._pair(version_id, against)
        kinds, size = parse_change(change), parse_limit(limit)
        if table is not None:
            dataset.check_table(table)
        tables = sorted(dataset.tables) if table is None else [table]
        start_table, after = decode_cursor(cursor) if cursor else (tables[0], None)
        found: list[tuple[str, str, Change]] = []
        for name in tables:
            if name < start_table:
                continue
            resume = after if name == start_table else None
            async for old_run, new_run in self._runs(dataset.name, old.id, new.id, name, resume):
                run = compare_run(old_run, new_run)
                listed = sorted((key, kind) for kind in kinds for key in run.keys(kind))
                found.extend((name, key, kind) for key, kind in listed)
                if len(found) > size:
                    break
            if len(found) > size:
                break
        more = len(found) > size
        found = found[:size]
        entries = await self._with_values(found, old.id, new.id, DatasetView.of(dataset), reader)
        next_cursor = encode_cursor(found[-1][0], found[-1][1]) if more else None
        return DiffPage(new.id, old.id, dataset.content_type, entries, next_cursor)

    async def _with_values(
        self,
        found: list[tuple[str, str, Change]],
        old_id: str,
        new_id: str,
        view: DatasetView,
        reader: Principal | None,
    ) -> list[ListedChange]:
        old_values: dict[tuple[str, str], bytes | None] = {}
        new_values: dict[tuple[str, str], bytes | None] = {}
        for table in dict.fromkeys(name for name, _, _ in found):
            olds = [k for t, k, c in found if t == table and c is not Change.ADDED]
            news = [k for t, k, c in found if t == table and c is not Change.REMOVED]
            if olds:
                values = masked_values(
                    view, table, await self._store.read_many(old_id, table, olds), reader
                )
                old_values.update(((table, k), v) for k, v in zip(olds, values, strict=True))
            if news:
                values = masked_values(
                    view, table, await self._store.read_many(new_id, table, news), reader
                )
                new_values.update(((table, k), v) for k, v in zip(news, values, strict=True))
        return [
            ListedChange(t, k, c, old_values.get((t, k)), new_values.get((t, k)))
            for t, k, c in found
        ]

    async def _pair(self, version_id: str, against: str | None) -> tuple[Dataset, Version, Version]:
        """The dataset, the version and the one it is compared against; both readable."""
        dataset = await self._host.get(await self._host.dataset_of_version(version_id))
        new = dataset.version(version_id)
        require_readable(new.id, new.status)
        if against is None:
            if dataset.active_version_id is None:
                raise NotFound(
                    f"dataset {dataset.name!r} has no published version to compare against; "
                    "name one with ?against=",
                    code="no-active-version",
                    dataset=dataset.name,
                )
            against = dataset.active_version_id
        old = dataset.versions.get(against)
        if old is None:
            owner = self._host.views.dataset_of_version(against)
            if owner is not None and owner != dataset.name:
                raise InvalidInput(
                    f"version {against} belongs to dataset {owner!r}, not {dataset.name!r}",
                    code="version-not-in-dataset",
                    version=against,
                    dataset=owner,
                )
            raise unknown_version(against)
        require_readable(old.id, old.status)
        return dataset, new, old
