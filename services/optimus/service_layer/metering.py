"""What the service counts and times, in plain integers and floats.

The use cases and hosts add to a `Meter` as they work (an attribute
increment costs tens of nanoseconds, cheap enough for the read path); the
metrics endpoint reads it only when it is scraped. Nothing here knows of
Prometheus: `entrypoints/api/metrics.py` turns a Meter into its families.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field

# Upper bounds in seconds, from a cached read (sub-millisecond) to a large save (minutes).
LATENCY_BOUNDS_S: tuple[float, ...] = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
DURATION_BOUNDS_S: tuple[float, ...] = (
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
)  # fmt: skip


@dataclass(slots=True)
class Timing:
    """A histogram: how many observations fell at or under each bound (the last: above all)."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.total += seconds

    @property
    def count(self) -> int:
        return sum(self.counts)


def _latencies() -> Timing:
    return Timing(LATENCY_BOUNDS_S)


def _durations() -> Timing:
    return Timing(DURATION_BOUNDS_S)


@dataclass(slots=True)
class Meter:
    """Everything one process counted since it started."""

    entries_loaded: int = 0
    batches_in_flight: int = 0
    # (operation: save | publish | rollback, outcome: e.g. SAVED, FAILED, ok, refused) -> durations
    operations: defaultdict[tuple[str, str], Timing] = field(
        default_factory=lambda: defaultdict(_durations)
    )
    # Time from a publish to this replica serving it (replicas told by an event).
    publish_to_served: Timing = field(default_factory=_latencies)
    read_cache_hits: int = 0
    read_cache_misses: int = 0
    gc_runs: int = 0
    gc_versions_purged: int = 0
    gc_bytes_reclaimed: int = 0

    def operation(self, name: str, outcome: str, seconds: float) -> None:
        self.operations[name, outcome].observe(seconds)
