"""Statistics of timed runs, and the log line every benchmark prints as it goes."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence

NOISY_PCT = 25.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank: a value that was observed."""
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def quiet_rounds(others_pct: Sequence[float]) -> list[int]:
    """Rounds during which other processes used < 25% of the machine; all if there is none.

    The quoted medians are over these rounds; every run is kept in the results.
    """
    quiet = [i for i, pct in enumerate(others_pct) if pct < NOISY_PCT]
    return quiet or list(range(len(others_pct)))


def mib(value: float) -> float:
    return round(value / 2**20, 1)
