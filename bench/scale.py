"""How big and how long the reads, load, publish and memory benchmarks run: full and quick."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    read_keys: int  # keys of the dataset read by the read benchmarks
    wrk_seconds: float  # length of one wrk run
    runs: int  # runs per figure; the median is quoted
    get_many_keys: int  # keys per get-many request
    load_entries: int  # entries per bulk-load run
    load_connections: int  # concurrent client connections of the bulk load
    batch: int  # entries per batch
    publish_small: int  # keys of the small version of the publish benchmark
    publishes: int  # publishes per version size (alternating publish / rollback)
    memory_keys: int  # keys of the memory benchmark's dataset
    memory_seconds: float  # read load while sampling memory


FULL = Scale(
    name="full",
    read_keys=1_000_000,
    wrk_seconds=5,
    runs=5,
    get_many_keys=100,
    load_entries=200_000,
    load_connections=4,
    batch=1000,
    publish_small=1000,
    publishes=50,
    memory_keys=5_000_000,
    memory_seconds=10,
)

QUICK = Scale(
    name="quick",
    read_keys=100_000,
    wrk_seconds=2,
    runs=3,
    get_many_keys=100,
    load_entries=50_000,
    load_connections=4,
    batch=1000,
    publish_small=1000,
    publishes=20,
    memory_keys=300_000,
    memory_seconds=4,
)
