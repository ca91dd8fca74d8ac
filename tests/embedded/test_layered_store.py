"""A patch chain's effective entries through LayeredEntryStore on a real RocksDB, whether
its own keys are held in memory or looked up (a patch too large to hold)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from optimus.domain.dataset import Dataset
from optimus.domain.digest import stats_of
from optimus.domain.excision import key_hash
from optimus.domain.policies import EvictionPolicy
from optimus.hosts.embedded.rocksdb import RocksEntryStore, open_database
from optimus.service_layer.layers import LayeredEntryStore, retraction_batch
from optimus.service_layer.ports import Batch
from optimus.service_layer.views import ReadViews

BASE = {f"k{i:03}": b"%d" % i for i in range(50)}


class Source:
    def __init__(self, dataset: Dataset) -> None:
        self.views = ReadViews()
        self.views.update(dataset)
        self._dataset = dataset

    async def get(self, name: str) -> Dataset:
        return self._dataset


def _chain() -> Dataset:
    dataset = Dataset.create("ds", ["t"], eviction_policy=EvictionPolicy(10), at=0, by="ann")
    for version_id, base in (("F", None), ("P1", "F"), ("P2", "P1")):
        dataset.create_version(
            version_id, label=None, verification_policy=None, at=1, by="ann", base=base
        )
        dataset.begin_save(version_id, at=2, by="ann")
        dataset.complete_save(version_id, stats_of([]), at=3, by="ann")
    return dataset


@asynccontextmanager
async def _raw_store_with_base(path: Path) -> AsyncIterator[RocksEntryStore]:
    """A RocksDB entry store whose full version F holds BASE in table t."""
    db = open_database(path)
    raw = RocksEntryStore(db)
    try:
        await raw.write(Batch("ds", "F", [("t", k, v) for k, v in BASE.items()]))
        yield raw
    finally:
        raw.close()
        db.close()


@pytest.mark.parametrize("max_indexed_keys", [100, 0], ids=["held", "looked-up"])
def test_reads_and_scans_of_a_patch_chain_see_its_effective_entries(
    tmp_path: Path, max_indexed_keys: int
) -> None:
    async def run() -> None:
        async with _raw_store_with_base(tmp_path / "db") as raw:
            await raw.write(Batch("ds", "P1", [("t", "k001", b"x1"), ("t", "new", b"n")]))
            await raw.write(retraction_batch("ds", "P1", "t", ["k002", "k003"]))
            await raw.write(Batch("ds", "P2", [("t", "k003", b"back"), ("t", "k004", b"x4")]))
            await raw.write(retraction_batch("ds", "P2", "t", ["new", "k003", "k005"]))
            store = LayeredEntryStore(raw, Source(_chain()), max_indexed_keys=max_indexed_keys)
            # P2 loads k003 and retracts it too: the retraction wins.
            expected = {k: v for k, v in BASE.items() if k not in ("k002", "k003", "k005")}
            expected |= {"k001": b"x1", "k004": b"x4"}
            keys = [*BASE, "new", "nope"]
            assert await store.read_many("P2", "t", keys) == [expected.get(k) for k in keys]
            assert [await store.read("P2", "t", k) for k in keys] == [expected.get(k) for k in keys]
            scanned = [
                (key, value)
                async for page in store.scan("ds", "P2", ["t"], ("t", "k000"), 7)
                for key, value in zip(page.keys, page.values, strict=True)
            ]
            assert scanned == sorted((k, v) for k, v in expected.items() if k > "k000")
            assert await store.read("P1", "t", "new") == b"n"
            assert await store.read("F", "t", "k002") == b"2"

    asyncio.run(run())


def test_an_excision_recorded_before_its_bytes_are_deleted_hides_them_from_every_read(
    tmp_path: Path,
) -> None:
    """What a crash between the record and the deletion leaves: the bytes, unreadable."""

    async def run() -> None:
        async with _raw_store_with_base(tmp_path / "db") as raw:
            await raw.write(Batch("ds", "P1", [("t", "k001", b"x1")]))
            dataset = _chain()
            gone = ["k001", "k010"]
            remaining = {v.id: stats_of([]) for v in dataset.retained_versions()}
            dataset.excise("t", tuple(map(key_hash, gone)), remaining, at=4, by="ann", reason="r")
            # Created after the excision, a patch may write the key anew.
            dataset.create_version(
                "P3", label=None, verification_policy=None, at=5, by="ann", base="P2"
            )
            await raw.write(Batch("ds", "P3", [("t", "k010", b"again")]))
            dataset.begin_save("P3", at=6, by="ann")
            dataset.complete_save("P3", stats_of([]), at=7, by="ann")
            store = LayeredEntryStore(raw, Source(dataset))
            assert await raw.read("F", "t", "k001") == b"1"  # still stored
            for version_id in ("F", "P1", "P2"):
                assert await store.read_many(version_id, "t", gone) == [None, None]
                assert [await store.read(version_id, "t", key) for key in gone] == [None, None]
                listed = (await store.fingerprints("ds", version_id, "t", None, 5)).keys
                assert len(listed) == 5 and not set(gone) & set(listed)
                scanned = [
                    k async for p in store.scan("ds", version_id, ["t"], None, 7) for k in p.keys
                ]
                assert len(scanned) == len(BASE) - 2 and not set(gone) & set(scanned)
            assert await store.read_many("P3", "t", gone) == [None, b"again"]
            assert await store.read("P3", "t", "k010") == b"again"

    asyncio.run(run())
