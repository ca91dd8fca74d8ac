"""The local replica against a real server on each host: it serves one whole version at a time."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

import orjson
import pytest
from rocksdict import Options, Rdict

from optimus.client import AsyncReplica, KeyNotFound, Replica
from tests.replica.conftest import Server
from tests.support.api import Api
from tests.support.waiting import eventually

KEYS = [f"k{i:04}" for i in range(300)]


def publish_labelled(api: Api, dataset: str, label: str, keys=KEYS) -> str:
    """A version whose every value names it, so a read shows which version answered."""
    version_id = api.create_version(dataset, label=label)
    api.load(dataset, version_id, "items", {key: {"label": label, "key": key} for key in keys})
    assert api.save(version_id)["status"] == "SAVED"
    api.publish(version_id)
    return version_id


def serving(replica: Replica | AsyncReplica, version_id: str) -> bool:
    return replica.version_id == version_id


def test_a_replica_serves_the_active_version_from_memory(server: Server, api: Api):
    dataset = api.create_dataset(tables=("items", "other"))
    v1 = publish_labelled(api, dataset, "v1")
    with Replica(server.source, dataset, tables=["items"]) as replica:
        assert replica.version_id == v1
        assert orjson.loads(replica.get("items", "k0001")) == {"label": "v1", "key": "k0001"}
        assert replica.get("items", "k0001") == api.get(dataset, "items", "k0001").content
        many = replica.get_many("items", ["k0002", "nope"])
        assert (many.version_id, sorted(many.values), many.missing) == (v1, ["k0002"], ["nope"])
        with pytest.raises(KeyNotFound):
            replica.get("items", "nope")
        with pytest.raises(ValueError, match="not replicated"):
            replica.get("other", "k0001")
        assert replica.last_error is None


def test_under_a_publish_and_rollback_storm_reads_match_the_version_reported(
    server: Server, api: Api, tmp_path: Path
):
    dataset = api.create_dataset()
    labels = {publish_labelled(api, dataset, "v0"): "v0"}
    versions = [publish_labelled(api, dataset, f"v{i}") for i in (1, 2)]
    labels |= {version_id: f"v{i}" for i, version_id in zip((1, 2), versions, strict=True)}
    (v0, v1, v2) = labels
    wrong: list[str] = []
    done = threading.Event()
    with Replica(server.source, dataset, path=tmp_path, poll_interval=0.5, drop_after=0.1) as r:

        def read_all_the_time() -> None:
            revision = -1
            while not done.is_set():
                snapshot = r.snapshot()
                many = snapshot.get_many("items", KEYS[::37])
                one = orjson.loads(snapshot.get("items", "k0299"))
                got = {orjson.loads(value)["label"] for value in many.values.values()}
                if got != {labels[many.version_id]} or one["label"] != labels[many.version_id]:
                    wrong.append(f"{many.version_id} answered {got} {one}")
                if snapshot.revision < revision:
                    wrong.append(f"went back from revision {revision} to {snapshot.revision}")
                revision = snapshot.revision

        reader = threading.Thread(target=read_all_the_time)
        reader.start()
        try:
            assert r.version_id == v2
            # Each publish and rollback, waited for; then a burst the replica must end on.
            for version_id in (v0, v1, v2, v0):
                api.publish(version_id)
                eventually(lambda v=version_id: serving(r, v), what=f"serving {version_id}")
            for version_id in (v1, v2, v0, v2, v1):
                api.publish(version_id)
            eventually(lambda: serving(r, v1), what="serving the last of a burst")
            eventually(lambda: len(list((tmp_path / "versions").iterdir())) == 1)
        finally:
            done.set()
            reader.join()
    assert wrong == []
    assert r.last_error is None


def test_a_replica_follows_the_server_through_a_restart(server: Server, api: Api):
    dataset = api.create_dataset()
    v1 = publish_labelled(api, dataset, "v1")

    async def follow() -> None:
        async with AsyncReplica(server.source, dataset, poll_interval=0.5) as replica:
            assert replica.version_id == v1
            await asyncio.to_thread(server.restart)
            assert orjson.loads(replica.get("items", "k0001"))["label"] == "v1"
            v2 = await asyncio.to_thread(publish_labelled, api, dataset, "v2")
            for _ in range(3000):
                if replica.version_id == v2:
                    break
                await asyncio.sleep(0.01)
            assert orjson.loads(replica.get("items", "k0001"))["label"] == "v2"

    asyncio.run(follow())


def test_a_digest_mismatch_keeps_the_old_version_and_says_why(
    server: Server, api: Api, tmp_path: Path
):
    if server.data_dir is None:
        pytest.skip("corrupts the embedded host's RocksDB while it is stopped")
    dataset = api.create_dataset()
    v1 = publish_labelled(api, dataset, "v1")
    with Replica(server.source, dataset, path=tmp_path, poll_interval=0.5) as replica:
        v2 = api.create_version(dataset)
        api.load(dataset, v2, "items", {"a": 1, "b": 2})
        assert api.save(v2)["status"] == "SAVED"
        server.stop()
        _corrupt(server.data_dir / "rocksdb", f"e\0{v2}\0items\0a".encode(), b"666")
        server.start()
        api.publish(v2)
        eventually(lambda: replica.last_error and "digest" in replica.last_error)
        assert replica.version_id == v1
        assert orjson.loads(replica.get("items", "k0001"))["label"] == "v1"


def _corrupt(database: Path, key: bytes, value: bytes) -> None:
    """Change one stored value behind the server's back, as a bad disk would."""
    db = Rdict(str(database), Options(raw_mode=True))
    try:
        assert db.get(key) is not None
        db.put(key, value)
    finally:
        db.close()


# Last: a server restarted after this test lost what was created just before (see report).
def test_a_replica_killed_mid_download_resumes_where_it_stopped(
    server: Server, api: Api, tmp_path: Path
):
    dataset = api.create_dataset()
    entries = {f"key{i:06}": "x" * 200 for i in range(60_000)}
    version_id = api.create_version(dataset)
    for start in range(0, len(entries), 5_000):  # under the Dapr client's 4 MB message limit
        api.load(dataset, version_id, "items", dict(list(entries.items())[start : start + 5_000]))
    assert api.save(version_id)["status"] == "SAVED"
    api.publish(version_id)
    source = server.source
    arguments = [source.rest_url, source.grpc_address, dataset, str(tmp_path)]
    child = subprocess.Popen([sys.executable, "-c", _REPLICA_IN_A_CHILD, *arguments])
    try:
        # Killed once it has stored some chunks (its write-ahead log grows with each).
        store = tmp_path / "versions" / version_id
        eventually(
            lambda: sum(f.stat().st_size for f in store.glob("*.log")) > 2 << 20,
            pause=0.002,
            what="a part of the version downloaded",
        )
    finally:
        child.kill()
        child.wait()
    with Replica(server.source, dataset, path=tmp_path) as replica:
        assert replica.version_id == version_id
        assert 0 < replica.status().received_entries < len(entries)
        assert replica.get("items", "key059999") == b'"' + b"x" * 200 + b'"'


_REPLICA_IN_A_CHILD = """
import sys, time
from optimus.client import Replica, ReplicaSource
rest_url, grpc_address, dataset, path = sys.argv[1:]
Replica(ReplicaSource(rest_url, grpc_address), dataset, path=path, chunk_size=100).start()
time.sleep(60)
"""
