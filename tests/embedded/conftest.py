"""Fixtures of the embedded server's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import OptimusServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OptimusServer]:
    """`optimus serve` on a fresh data dir, stopped after the test."""
    server = OptimusServer(tmp_path / "data").start()
    yield server
    server.stop()
