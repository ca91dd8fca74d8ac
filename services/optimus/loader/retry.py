"""Retrying transient failures with capped exponential backoff and full jitter."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 10
    first_delay: float = 0.2
    max_delay: float = 15.0

    def delay(self, attempt: int) -> float:
        """Full jitter: parallel writers that failed together do not retry together."""
        return random.uniform(0, min(self.max_delay, self.first_delay * 2 ** (attempt - 1)))


async def with_retries(
    action: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    transient: Callable[[BaseException], bool],
    describe: str,
    notify: Callable[[str], None],
) -> T:
    """`action()`, tried again after a transient error, at most `policy.attempts` times."""
    attempt = 1
    while True:
        try:
            return await action()
        except Exception as exc:
            if not transient(exc) or attempt >= policy.attempts:
                raise
            pause = policy.delay(attempt)
            notify(f"{describe}: {exc}; retry {attempt}/{policy.attempts - 1} in {pause:.1f}s")
            await asyncio.sleep(pause)
            attempt += 1
