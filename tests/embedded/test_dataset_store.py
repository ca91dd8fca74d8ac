"""The embedded metadata store: what a command changed is stored, and the whole dataset comes back.

Datasets are stored as a header and one document per version; data dirs written
when a dataset was one document still open, and move to the new layout on
their next command.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from optimus.adapters.clock import SystemClock
from optimus.adapters.codec import dataset_to_dict
from optimus.domain.dataset import Dataset
from optimus.domain.policies import EvictionPolicy
from optimus.hosts.embedded.host import EmbeddedHost
from optimus.hosts.embedded.rocksdb import RocksDatasetStore, open_database
from optimus.service_layer.commands import (
    BeginSave,
    CompleteSave,
    CreateVersion,
    Discard,
    Publish,
    RecordPurge,
)
from optimus.service_layer.views import ReadViews


async def _history(host: EmbeddedHost, name: str, versions: int) -> None:
    """Versions created, saved and published in turn, some discarded and purged, some evicted."""
    for n in range(versions):
        version_id = f"v{n:04d}"
        await host.execute(name, CreateVersion(version_id))
        await host.execute(name, BeginSave(version_id))
        await host.execute(name, CompleteSave(version_id, {"t": n}, n))
        if n % 3 == 2:
            await host.execute(name, Discard(version_id))
            await host.execute(name, RecordPurge(version_id))
        else:
            await host.execute(name, Publish(version_id))


def _new_host(data_dir: Path):
    db = open_database(data_dir)
    return db, EmbeddedHost(RocksDatasetStore(db), SystemClock(), ReadViews())


async def test_every_command_is_stored_and_the_dataset_reopens_equal(tmp_path: Path) -> None:
    db, host = _new_host(tmp_path)
    dataset = Dataset.create("ds", ["t"], eviction_policy=EvictionPolicy(versions=4), at=1, by="a")
    await host.create(dataset)
    await _history(host, "ds", 30)
    before = dataset_to_dict(await host.get("ds"))
    db.close()

    db, reopened = _new_host(tmp_path)
    try:
        assert dataset_to_dict(await reopened.get("ds")) == before
        statuses = {v["status"] for v in before["versions"]}
        assert statuses == {"PUBLISHED", "SAVED", "DISCARDED"}
    finally:
        db.close()


async def test_a_dataset_stored_as_one_document_opens_and_moves_to_the_new_layout(
    tmp_path: Path,
) -> None:
    db, host = _new_host(tmp_path)
    await host.create(Dataset.create("ds", ["t"], eviction_policy=EvictionPolicy(), at=1, by="a"))
    await _history(host, "ds", 5)
    whole = dataset_to_dict(await host.get("ds"))
    db.close()

    # As a data dir of the earlier layout holds it: the whole dataset under its name alone.
    db = open_database(tmp_path)
    for key in list(db.keys()):
        if key.startswith(b"v\x00"):
            del db[key]
    db[b"d\x00ds"] = orjson.dumps(whole)
    db.close()

    db, host = _new_host(tmp_path)
    assert dataset_to_dict(await host.get("ds")) == whole
    await host.execute("ds", CreateVersion("next"))  # stores every version in the new layout
    after = dataset_to_dict(await host.get("ds"))
    db.close()

    db, reopened = _new_host(tmp_path)
    try:
        assert dataset_to_dict(await reopened.get("ds")) == after
        assert "versions" not in orjson.loads(db[b"d\x00ds"])
    finally:
        db.close()


async def test_every_dataset_reopens_whatever_the_others_hold(tmp_path: Path) -> None:
    db, host = _new_host(tmp_path)
    names = [f"ds{n}" for n in range(5)]
    for name in names:
        await host.create(
            Dataset.create(name, ["t"], eviction_policy=EvictionPolicy(), at=1, by="a")
        )
        await _history(host, name, 3)
    before = [dataset_to_dict(await host.get(name)) for name in names]
    db.close()

    db, reopened = _new_host(tmp_path)
    try:
        assert [dataset_to_dict(d) for d in await reopened.all()] == before
    finally:
        db.close()
