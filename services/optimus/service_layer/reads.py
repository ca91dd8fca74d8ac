"""The read path: one key or many, from exactly one version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from optimus.domain.errors import InvalidInput
from optimus.domain.names import MAX_KEY_LENGTH, is_valid_key
from optimus.service_layer.ports import EntryStore
from optimus.service_layer.views import (
    DatasetView,
    ViewSource,
    check_track,
    refreshed_view,
    served_track,
)

MAX_KEYS_PER_READ = 10_000


class EntryRead(NamedTuple):  # a NamedTuple: made once per single-key read, cheaply
    view: DatasetView
    version_id: str
    value: bytes | None
    track: str | None = None  # the track that answered, when the reader asked for one


@dataclass(frozen=True, slots=True)
class EntriesRead:
    view: DatasetView
    version_id: str
    keys: Sequence[str]
    values: Sequence[bytes | None]
    track: str | None = None


def _check_key(key: object) -> str:
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
        track: str | None = None,
    ) -> EntryRead:
        # One view answers the whole request: its version is the one read from.
        view = self._view(dataset, version_id) or await refreshed_view(self._source, dataset)
        view.check_table(table)
        if track is None:  # the default read, kept short
            version = view.version_to_read(version_id)
            return EntryRead(view, version, await self._store.read(version, table, _check_key(key)))
        version = view.version_to_read(version_id, check_track(track))
        value = await self._store.read(version, table, _check_key(key))
        return EntryRead(view, version, value, _track_of(view, version, version_id))

    async def read_many(
        self,
        dataset: str,
        table: str,
        keys: Sequence[object],
        version_id: str | None = None,
        track: str | None = None,
    ) -> EntriesRead:
        view = self._view(dataset, version_id) or await refreshed_view(self._source, dataset)
        view.check_table(table)
        version = view.version_to_read(version_id, check_track(track))
        if not keys:
            raise InvalidInput("at least one key is required", code="no-keys")
        if len(keys) > MAX_KEYS_PER_READ:
            raise InvalidInput(
                f"at most {MAX_KEYS_PER_READ} keys per request, got {len(keys)}",
                code="too-many-keys",
            )
        checked = [_check_key(key) for key in keys]
        values = await self._store.read_many(version, table, checked)
        track_read = None if track is None else _track_of(view, version, version_id)
        return EntriesRead(view, version, checked, values, track_read)


def _track_of(view: DatasetView, version: str, pinned: str | None) -> str | None:
    # A pinned read follows no track, whatever it asked.
    return None if pinned is not None else served_track(view, version)
