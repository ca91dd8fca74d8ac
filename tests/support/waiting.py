"""Waiting, bounded, for something the system does in the background."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import httpx

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


def answers_200(url: str, timeout: float = 2.0) -> bool:
    """True if `url` answers 200 now; False if it answers otherwise or not at all."""
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.TransportError:
        return False
