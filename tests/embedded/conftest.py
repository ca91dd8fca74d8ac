"""Fixtures of the embedded server's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.rocks import Rocks, open_rocks
from tests.support.server import OptimusServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OptimusServer]:
    """`optimus serve` on a fresh data dir, stopped after the test."""
    server = OptimusServer(tmp_path / "data").start()
    yield server
    server.stop()


@pytest.fixture
def rocks(tmp_path: Path) -> Iterator[Rocks]:
    """The embedded host and its entry store on a fresh RocksDB, closed after the test."""
    with open_rocks(tmp_path / "rocksdb") as parts:
        yield parts
