"""Excision: keys removed for good from every version of a dataset that stores them.

Recorded first, deleted after: the `Excise` command gives each retained version
its counts and digest without the keys (a digest is a sum over entries, so what
the keys held is taken out) and marks the keys excised, which every read then
honours (`LayeredEntryStore`, `EntryReader`); then the entries are deleted
from every layer that stores them. A crash in between leaves the bytes on disk
but unreadable; the same excision run again deletes them (recounting nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optimus.domain.bounds import check_reason
from optimus.domain.dataset import Dataset
from optimus.domain.digest import EntryStats, stats_from
from optimus.domain.errors import InvalidInput
from optimus.domain.excision import MAX_EXCISED_KEYS, check_excision_reason, key_hash
from optimus.domain.version import OPEN, Version
from optimus.service_layer.commands import Excise
from optimus.service_layer.ports import DatasetHost, EntryStore
from optimus.service_layer.reads import check_key


@dataclass(frozen=True, slots=True)
class ExcisionDone:
    dataset: str
    table: str
    key_hashes: tuple[str, ...]
    # Versions whose counts and digests this excision changed, newest first.
    versions: tuple[str, ...]
    # Versions whose stored entries it deleted (patch layers and dead versions too).
    layers: tuple[str, ...]


def check_excised_keys(keys: object) -> list[str]:
    """The distinct keys to excise, in the order given, or a precise 400."""
    if not isinstance(keys, list) or not keys:
        raise InvalidInput("keys must be a non-empty list of keys", code="no-keys", field="keys")
    if len(keys) > MAX_EXCISED_KEYS:
        raise InvalidInput(
            f"at most {MAX_EXCISED_KEYS} keys per excision, got {len(keys)}",
            code="too-many-keys",
            field="keys",
            limit=MAX_EXCISED_KEYS,
        )
    return list(dict.fromkeys(check_key(key) for key in keys))


class VersionExcision:
    def __init__(self, host: DatasetHost, entries: EntryStore) -> None:
        self._host = host
        self._entries = entries  # the one reads go through: its caches forget what it deletes

    async def excise(
        self, dataset_name: str, table: object, keys: object, reason: object, *, by: str
    ) -> ExcisionDone:
        checked = check_excised_keys(keys)
        why = check_reason(check_excision_reason(reason)) or ""
        if not isinstance(table, str):
            raise InvalidInput("table must name a table of the dataset", field="table")
        dataset = await self._host.get(dataset_name)
        hashes = tuple(key_hash(key) for key in checked)
        pending = dataset.excisable(table, hashes)
        if pending:
            remaining = {v.id: await self._without(v, table, checked) for v in pending}
            command = Excise(
                pending[0].id,
                table,
                list(hashes),
                {v: stats.counts for v, stats in remaining.items()},
                {v: stats.digest for v, stats in remaining.items()},
                why,
                by,
            )
            await self._host.execute(dataset_name, command)
            dataset = await self._host.get(dataset_name)
        layers = _storing(dataset)
        for version_id in layers:
            await self._entries.excise(dataset_name, version_id, table, checked)
        return ExcisionDone(
            dataset_name, table, hashes, tuple(v.id for v in pending), tuple(layers)
        )

    async def _without(self, version: Version, table: str, keys: Sequence[str]) -> EntryStats:
        """The version's counts and digest once the keys are gone (read through its layers)."""
        stats = stats_from(version.counts or {}, version.digest)
        values = await self._entries.read_many(version.id, table, keys)
        for key, value in zip(keys, values, strict=True):
            if value is not None:
                stats.remove(table, key, value)
        return stats


def _storing(dataset: Dataset) -> list[str]:
    """Versions whose own entries are stored and committed: retained ones, and dead ones not
    yet purged (a patch may read through them). Versions still loading are left alone:
    what their loader writes is new data."""
    return [v.id for v in dataset.versions.values() if v.status not in OPEN and not v.purged]
