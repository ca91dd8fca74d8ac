"""A replica's directory: one RocksDB per version, and which one it serves.

<path>/versions/<version id>/   a version's store (at most two: served, downloading)
<path>/serving.json             {"version_id", "revision"} of the served, sealed one
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson

from optimus.client.replica.stores import RocksStore


class ReplicaDisk:
    def __init__(self, path: Path, block_cache_bytes: int) -> None:
        self.path = path
        self._versions = path / "versions"
        self._serving = path / "serving.json"
        self._block_cache_bytes = block_cache_bytes
        self._versions.mkdir(parents=True, exist_ok=True)

    def store(self, version_id: str) -> RocksStore:
        """The version's store: what an earlier download left of it, if anything."""
        return RocksStore(self._versions / version_id, self._block_cache_bytes)

    def serving(self) -> tuple[str, int] | None:
        """The version served last, if its store is there."""
        try:
            body = orjson.loads(self._serving.read_bytes())
        except FileNotFoundError:
            return None
        if not (self._versions / body["version_id"]).is_dir():
            return None
        return body["version_id"], body["revision"]

    def record_serving(self, version_id: str, revision: int) -> None:
        staged = self._serving.with_suffix(".tmp")
        staged.write_bytes(orjson.dumps({"version_id": version_id, "revision": revision}))
        os.replace(staged, self._serving)

    def keep_only(self, version_ids: set[str]) -> None:
        """Delete every other version's store (each closed by now)."""
        for directory in self._versions.iterdir():
            if directory.name not in version_ids:
                shutil.rmtree(directory, ignore_errors=True)

    def version_ids(self) -> list[str]:
        return sorted(directory.name for directory in self._versions.iterdir())
