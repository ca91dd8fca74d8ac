"""A replica's stores: one lookup per table, and deletion in steps (readers in other
threads wait for the GIL behind whatever the replica's thread does)."""

from pathlib import Path

import pytest

from optimus.client.replica.stores import MemoryStore, Progress, RocksStore, VersionStore

ENTRIES = 2_500


@pytest.fixture(params=["memory", "rocksdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> VersionStore:
    made: VersionStore = MemoryStore() if request.param == "memory" else RocksStore(tmp_path / "v")
    keys = [f"k{i:05}" for i in range(ENTRIES)]
    made.write("items", keys, [key.encode() for key in keys], Progress("items", keys[-1]))
    made.seal()
    return made


def test_a_table_s_lookup_answers_its_keys_and_none_for_others(store: VersionStore):
    items, users = store.lookup("items"), store.lookup("users")
    assert (items("k00042"), items("nope"), users("k00042")) == (b"k00042", None, None)


def test_a_store_is_deleted_in_steps_and_is_empty_after_the_last(store: VersionStore):
    lookup = store.lookup("items")
    steps = store.destroy()
    next(steps)
    if isinstance(store, MemoryStore):
        assert lookup("k00042") == b"k00042"  # one step frees a part, not everything
    for _ in steps:
        pass
    if isinstance(store, MemoryStore):
        assert lookup("k00042") is None  # the entries were freed
        assert store.lookup("items")("k00001") is None
    else:
        assert not store.directory.exists()
