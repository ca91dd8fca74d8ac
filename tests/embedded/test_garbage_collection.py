"""Entries of discarded and evicted versions are deleted in the background, and the disk
space comes back."""

from __future__ import annotations

import random
from pathlib import Path

import httpx

from tests.support.api import Api
from tests.support.server import OptimusServer

ENTRIES = 200_000
VALUES = [random.randbytes(50).hex() for _ in range(1000)]  # 100 chars, incompressible


def disk_usage(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def load_version(api: Api, dataset: str, tag: str) -> str:
    version_id = api.create_version(dataset)
    for start in range(0, ENTRIES, 5000):
        batch = [
            {"key": f"{tag}-{n:07d}", "value": f"{tag}{VALUES[n % 1000]}"}
            for n in range(start, start + 5000)
        ]
        api.client.post(
            f"/datasets/{dataset}/tables/items/entries",
            params={"version-id": version_id},
            json=batch,
        ).raise_for_status()
    assert api.save(version_id)["status"] == "SAVED"
    return version_id


def test_discarded_and_evicted_versions_give_their_disk_space_back(tmp_path: Path) -> None:
    server = OptimusServer(tmp_path / "data", "--gc-grace-seconds", "0.5").start()
    try:
        api = Api(httpx.Client(base_url=server.base_url, timeout=60))
        dataset = api.create_dataset(
            **{"eviction-policy": {"type": "keep-last-x-versions", "versions": 1}}
        )
        rocksdb = tmp_path / "data" / "rocksdb"
        empty = disk_usage(rocksdb)

        first = load_version(api, dataset, "a")
        api.publish(first)
        one_version = disk_usage(rocksdb)

        # Publishing a second version with keep-last-1 evicts the first.
        second = load_version(api, dataset, "b")
        api.publish(second)
        discarded = load_version(api, dataset, "c")
        api.client.post(f"/versions/{discarded}/discard").raise_for_status()
        assert api.version(first)["discard-reason"] == "evicted"

        api.wait_purged(first)
        api.wait_purged(discarded)
        after_gc = disk_usage(rocksdb)
        print(
            f"\nrocksdb bytes: empty {empty:,}; one version of {ENTRIES:,} entries "
            f"{one_version:,}; after 3 loads, an eviction, a discard and GC {after_gc:,}"
        )
        per_version = one_version - empty
        assert per_version > ENTRIES * 50  # the entries really were on disk
        # Only the published version's entries remain (plus metadata and compaction slack).
        assert after_gc < empty + 1.5 * per_version
        assert api.get(dataset, "items", "a-0000001", first).status_code == 410
        assert api.get(dataset, "items", "b-0000001").status_code == 200
    finally:
        server.stop()
