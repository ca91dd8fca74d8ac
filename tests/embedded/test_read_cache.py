"""`--read-cache-mb` bounds the memory the embedded server spends on reads."""

from __future__ import annotations

from pathlib import Path

import httpx
import psutil

from tests.support.api import Api
from tests.support.server import OptimusServer

KEYS = 200_000
VALUE = "v" * 250  # ~50 MB of entries in all: far more than the small cache
BATCH = 5_000


def keys() -> list[str]:
    return [f"key{i:07d}" for i in range(KEYS)]


def load(data_dir: Path) -> str:
    server = OptimusServer(data_dir).start()
    try:
        api = Api(httpx.Client(base_url=server.base_url, timeout=120))
        dataset = api.create_dataset()
        version_id = api.create_version(dataset)
        all_keys = keys()
        for start in range(0, KEYS, BATCH):
            api.load(
                dataset, version_id, "items", dict.fromkeys(all_keys[start : start + BATCH], VALUE)
            )
        assert api.save(version_id, timeout=120)["status"] == "SAVED"
        api.publish(version_id)
        return dataset
    finally:
        server.stop()


def rss_after_reading_everything(data_dir: Path, dataset: str, cache_mb: int) -> int:
    server = OptimusServer(data_dir, "--read-cache-mb", str(cache_mb)).start()
    try:
        api = Api(httpx.Client(base_url=server.base_url, timeout=120))
        all_keys = keys()
        for start in range(0, KEYS, 1000):
            answer = api.get_many(dataset, "items", all_keys[start : start + 1000]).json()
            assert answer["keys-found"] == 1000
        assert server.process is not None
        return psutil.Process(server.process.pid).memory_info().rss
    finally:
        server.stop()


def test_the_read_cache_bounds_the_memory_of_reads(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    dataset = load(data_dir)
    small = rss_after_reading_everything(data_dir, dataset, 4)
    large = rss_after_reading_everything(data_dir, dataset, 256)
    # Every block read stays cached with 256 MB; 4 MB keeps only the latest.
    assert large - small > 30 << 20, f"RSS with 4 MB {small >> 20} MiB, 256 MB {large >> 20} MiB"
