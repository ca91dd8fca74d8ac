"""A diff between versions that share layers (a patch and its base, two patches of one base)
counts what the patches changed, reading only the keys they touched, never their base whole;
the counts are those of a key-by-key comparison of the two versions' effective entries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from optimus.adapters.clock import SystemClock
from optimus.adapters.publish_hooks import HttpPublishHooks
from optimus.domain.diff import Fingerprints
from optimus.domain.policies import EvictionPolicy
from optimus.hosts.embedded.fence import EmbeddedWriteFence
from optimus.hosts.embedded.rocksdb import RocksEntryStore
from optimus.service_layer.diffs import VersionDiffs
from optimus.service_layer.jobs import LifecycleJobs
from optimus.service_layer.layers import LayeredEntryStore, retraction_batch
from optimus.service_layer.lifecycle import VersionLifecycle
from optimus.service_layer.ports import Batch, EntryPage
from tests.support.rocks import Rocks

Entries = dict[str, bytes]
BASE: Entries = {f"k{i:04}": b"%d" % i for i in range(1000)}
# Each patch: its base, what it writes, what it retracts.
PATCHES: dict[str, tuple[str, Entries, list[str]]] = {
    "p1": ("full", {"k0001": b"x1", "new": b"n", "k0010": b"10"}, ["k0002", "k0003", "absent"]),
    "p2": ("p1", {"k0003": b"back", "k0004": b"x4"}, ["new", "k0006"]),
    "q": ("full", {"k0001": b"q1", "q": b"q"}, ["k0007"]),
}
PAIRS = [("p1", "full"), ("p2", "full"), ("p2", "p1"), ("p1", "p2"), ("p2", "q"), ("q", "p2")]


class CountingStore:
    """The real engine, counting the keys it is asked about or gives out."""

    def __init__(self, store: RocksEntryStore) -> None:
        self._store = store
        self.keys = 0

    async def fingerprints(
        self, dataset: str, version_id: str, table: str, after: str | None, limit: int
    ) -> Fingerprints:
        found = await self._store.fingerprints(dataset, version_id, table, after, limit)
        self.keys += len(found.keys)
        return found

    async def read_many(self, version_id: str, table: str, keys: Sequence[str]) -> list:
        self.keys += len(keys)
        return await self._store.read_many(version_id, table, keys)

    async def scan(self, *args: Any) -> AsyncIterator[EntryPage]:
        async for page in self._store.scan(*args):
            self.keys += len(page.keys)
            yield page

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def _effective(name: str) -> Entries:
    if name == "full":
        return dict(BASE)
    base, written, retracted = PATCHES[name]
    entries = _effective(base) | written
    return {key: value for key, value in entries.items() if key not in retracted}


def _expected(new: Entries, old: Entries) -> dict[str, int]:
    both = new.keys() & old.keys()
    changed = sum(1 for key in both if new[key] != old[key])
    return {
        "added": len(new.keys() - both),
        "removed": len(old.keys() - both),
        "changed": changed,
        "unchanged": len(both) - changed,
    }


@pytest.mark.parametrize("max_indexed_keys", [100, 0], ids=["held", "too-many-to-hold"])
async def test_diffs_between_patches_of_one_base_read_only_what_the_patches_touched(
    rocks: Rocks, max_indexed_keys: int
) -> None:
    host, raw = rocks.host, rocks.entries
    counting = CountingStore(raw)
    store = LayeredEntryStore(counting, host, max_indexed_keys=max_indexed_keys)  # type: ignore[arg-type]
    diffs = VersionDiffs(host, store)
    lifecycle = VersionLifecycle(host, SystemClock(), diffs=diffs, hooks=HttpPublishHooks())
    jobs = LifecycleJobs(host, store, EmbeddedWriteFence(host.views))
    await lifecycle.create_dataset(
        "ds", ["t"], content_type="text/plain", eviction_policy=EvictionPolicy(10), by="t"
    )
    ids: dict[str, str] = {}
    for name, (base, written, retracted) in {"full": ("", BASE, []), **PATCHES}.items():
        version = await lifecycle.create_version(
            "ds", label=name, verification_policy=None, by="t", base=ids.get(base)
        )
        await raw.write(Batch("ds", version.id, [("t", k, v) for k, v in written.items()]))
        if retracted:
            await raw.write(retraction_batch("ds", version.id, "t", retracted))
        await lifecycle.save(version.id, by="t")
        await jobs.complete_save("ds", version.id)
        ids[name] = version.id
    dataset = await host.get("ds")
    counting.keys = 0

    for new, old in PAIRS:
        summary = await diffs.summary_of(
            dataset, dataset.version(ids[new]), dataset.version(ids[old])
        )
        counts = summary.tables["t"].to_dict()
        assert counts == _expected(_effective(new), _effective(old)), (new, old)

    if max_indexed_keys:  # each pair: the keys its patches touched, on both sides
        touched = sum(len(w) + len(r) for _, w, r in PATCHES.values())
        assert counting.keys <= (2 * len(PAIRS) + 1) * touched
    else:  # the patches' own keys not held: every key of both versions compared
        assert counting.keys >= 2 * len(PAIRS) * len(BASE)
