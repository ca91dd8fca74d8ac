"""Waiting, bounded, for something the system does in the background."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T], *, timeout: float = 30.0, pause: float = 0.02, what: str = "condition"
) -> T:
    """The first truthy value of `check()`; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(pause)
    raise AssertionError(f"{what} not met within {timeout}s")
