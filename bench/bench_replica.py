"""The local replica (`optimus.client.Replica`) of a 1M-key version: reads, bootstrap, switch.

Targets (issue 17), each beside its baseline in the same run:
- random `get`, in-process: RocksDB-backed p50 < 5 us and p99 < 20 us, memory-backed
  p99 < 2 us, beside a Python dict lookup of the same keys (and the timing loop's own
  cost, a call of a function that does nothing, as the control). Each call is timed
  alone with `time.perf_counter_ns` over a pre-drawn list of random keys; rounds
  alternate (loop, dict, memory, RocksDB, ...); medians of the rounds' percentiles.
- bootstrap: >= 200k entries/s from `Replica(...)` to serving, over loopback, beside
  the server's `StreamVersion` alone (the stream read and dropped: what the wire gives).
- switch: a reader thread calls `get` in a loop while a new 1M-key version is
  published; the max and p99.9 of its reads from the publish until the old version's
  store is deleted, and the time to switch; target: no read above 1 ms.

    .venv/bin/python bench/bench_replica.py [--quick]

Results: the table on stdout, everything in bench/results/replica-full.json (or -quick).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import orjson
from harness.cli import run_benchmark
from harness.data import TABLE, key_name, value_of
from harness.datasets import create_dataset, load_dataset, sdk
from harness.figures import log, median, percentile
from harness.meters import CpuMeter, load_average, wait_for_quiet
from harness.processes import Server, free_port, optimus_server
from harness.report import Row, verdict

from optimus.client import Replica, ReplicaSource
from optimus.v1 import optimus_pb2 as pb
from optimus.v1 import optimus_pb2_grpc

DATASET = "replica"
BOOTSTRAP_TARGET_PER_S = 200_000
SWITCH_TARGET_NS = 1_000_000
CONTROL_S = 2.0  # reads before the publish
AFTER_SWITCH_S = 3.0  # reads go on this long after the switch (the old store is deleted then)


@dataclass(frozen=True, slots=True)
class Scale:
    keys: int  # of each version
    samples: int  # timed gets per round
    rounds: int  # of the reads (alternating) and of the bootstrap


FULL = Scale(keys=1_000_000, samples=200_000, rounds=5)
QUICK = Scale(keys=100_000, samples=50_000, rounds=2)

Get = Callable[[str, str], object]


def _nothing(table: str, key: str) -> None:
    return None


def _timed_calls(get: Get, keys: list[str]) -> array[int]:
    """Nanoseconds of each `get(TABLE, key)`, timed alone."""
    clock = time.perf_counter_ns
    took = array("q", bytes(8 * len(keys)))
    for i, key in enumerate(keys):
        started = clock()
        get(TABLE, key)
        took[i] = clock() - started
    return took


def _timed_dict(entries: dict[str, bytes], keys: list[str]) -> array[int]:
    """The baseline: nanoseconds of each `entries[key]`, timed alone (no call)."""
    clock = time.perf_counter_ns
    took = array("q", bytes(8 * len(keys)))
    for i, key in enumerate(keys):
        started = clock()
        entries[key]
        took[i] = clock() - started
    return took


def _quantiles(took: array[int]) -> dict[str, float]:
    ordered = sorted(took)
    return {
        "p50_ns": percentile(ordered, 50),
        "p99_ns": percentile(ordered, 99),
        "p999_ns": percentile(ordered, 99.9),
        "max_ns": ordered[-1],
    }


# Bootstrap


async def _stream_alone(address: str) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = optimus_pb2_grpc.OptimusStub(channel)
        request = pb.StreamVersionRequest(dataset=DATASET, table=TABLE)
        call = stub.StreamVersion(request)
        entries = 0
        async for chunk in call:
            entries += len(chunk.keys)
        await call.code()  # the status too, before the channel closes
        return entries


def _bootstrap(source: ReplicaSource, path: Path | None) -> tuple[Replica, float]:
    started = time.perf_counter()
    replica = Replica(source, DATASET, path=path).start()
    return replica, time.perf_counter() - started


def _timed(server: Server, work: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    with CpuMeter(server) as meter:
        started = time.perf_counter()
        result = work()
        wall = time.perf_counter() - started
    return result, {
        "wall_s": wall,
        "server_cpu_s": meter.server_s,
        "client_cpu_s": meter.client_s,
        "others_pct": meter.others_pct,
    }


def _bootstraps(scale: Scale, server: Server, source: ReplicaSource, work: Path) -> dict[str, Any]:
    """Rounds of: the stream alone, a RocksDB replica's start, a memory replica's start."""
    address = source.grpc_address
    runs: dict[str, list[dict[str, float]]] = {"stream": [], "rocksdb": [], "memory": []}
    for number in range(scale.rounds):
        wait_for_quiet()
        streamed, figures = _timed(server, lambda: asyncio.run(_stream_alone(address)))
        if streamed != scale.keys:
            raise RuntimeError(f"streamed {streamed} entries, expected {scale.keys}")
        runs["stream"].append(figures)
        for kind, path in (("rocksdb", work / f"bootstrap-{number}"), ("memory", None)):
            wait_for_quiet()
            (replica, _), figures = _timed(server, lambda p=path: _bootstrap(source, p))
            received = replica.status().received_entries
            replica.close()
            if received != scale.keys:
                raise RuntimeError(f"{kind} replica received {received}, expected {scale.keys}")
            runs[kind].append(figures)
        rates = (f"{k} {scale.keys / r[-1]['wall_s']:,.0f}/s" for k, r in runs.items())
        log(f"bootstrap round {number + 1}: " + ", ".join(rates))
    per_entry_us = 1e6 / scale.keys
    return {
        kind: {
            "entries_per_s": median([scale.keys / r["wall_s"] for r in figures]),
            "server_cpu_us_per_entry": median([r["server_cpu_s"] * per_entry_us for r in figures]),
            "client_cpu_us_per_entry": median([r["client_cpu_s"] * per_entry_us for r in figures]),
            "others_pct_max": max(r["others_pct"] for r in figures),
            "runs": figures,
        }
        for kind, figures in runs.items()
    }


# Reads


def _reads(scale: Scale, rocks: Replica, memory: Replica) -> dict[str, Any]:
    rng = random.Random(17)
    keys = [key_name(rng.randrange(scale.keys)) for _ in range(scale.samples)]
    entries = {key_name(i): orjson.dumps(value_of(i)) for i in range(scale.keys)}
    # A pass over the keys first: the RocksDB replica's blocks are then in its cache.
    _timed_calls(rocks.get, keys)
    _timed_calls(memory.get, keys)
    timed: dict[str, Callable[[], array[int]]] = {
        "loop": lambda: _timed_calls(_nothing, keys),
        "dict": lambda: _timed_dict(entries, keys),
        "memory": lambda: _timed_calls(memory.get, keys),
        "rocksdb": lambda: _timed_calls(rocks.get, keys),
    }
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in timed}
    for _ in range(scale.rounds):
        for name, run in timed.items():
            rounds[name].append(_quantiles(run()))
    return {
        name: {
            **{q: median([r[q] for r in runs]) for q in runs[0]},
            "runs": runs,
        }
        for name, runs in rounds.items()
    }


# Switch


class _Reader(threading.Thread):
    """Calls `get` on the keys in a loop, recording each call's nanoseconds, until stopped."""

    def __init__(self, get: Get, keys: list[str]) -> None:
        super().__init__(daemon=True)
        self._get = get
        self._keys = keys
        self.took = array("q")
        self.stop = threading.Event()

    def run(self) -> None:
        clock = time.perf_counter_ns
        get, keys, took, stop = self._get, self._keys, self.took, self.stop
        while not stop.is_set():
            for key in keys:
                started = clock()
                get(TABLE, key)
                took.append(clock() - started)


def _window(took: array[int], start: int, end: int) -> dict[str, Any]:
    window = took[start:end]
    return {
        "reads": len(window),
        "over_1ms": sum(1 for t in window if t > SWITCH_TARGET_NS),
        **_quantiles(window),
    }


def _switch(server: Server, replica: Replica, version_id: str, keys: list[str]) -> dict[str, Any]:
    """Publish `version_id` with a reader going on. Its reads in three windows: before the
    publish (the control: the machine's own noise), while the new version downloads, and
    from the switch until the old store is deleted (the switch itself)."""
    reader = _Reader(replica.get, keys)
    reader.start()
    time.sleep(CONTROL_S)
    with sdk(server.api_url) as client:
        published_at = len(reader.took)
        published = time.perf_counter()
        client.publish(version_id)
    while replica.version_id != version_id:
        if time.perf_counter() - published > 300:
            raise RuntimeError(f"no switch to {version_id}: {replica.last_error}")
        time.sleep(0.001)
    switched_at = len(reader.took)
    switch_s = time.perf_counter() - published
    time.sleep(AFTER_SWITCH_S)
    reader.stop.set()
    reader.join()
    took = reader.took
    return {
        "switch_s": switch_s,
        "control": _window(took, 0, published_at),
        "download": _window(took, published_at, switched_at),
        "switch": _window(took, switched_at, len(took)),
    }


def measure(scale: Scale, work: Path) -> dict[str, Any]:
    log(f"load average at start: {load_average()}")
    grpc_port = free_port()
    server = optimus_server(work / "server")
    server.command += ["--grpc-port", str(grpc_port)]
    server.start()
    source = ReplicaSource(server.api_url, f"127.0.0.1:{grpc_port}")
    with sdk(server.api_url) as client:
        create_dataset(client, DATASET)
    first = load_dataset(server, DATASET, scale.keys, label="first")
    second = load_dataset(server, DATASET, scale.keys, label="second", publish=False)

    bootstrap = _bootstraps(scale, server, source, work)

    rocks = Replica(source, DATASET, path=work / "replica").start()
    memory = Replica(source, DATASET).start()
    wait_for_quiet()
    reads = _reads(scale, rocks, memory)
    memory.close()

    rng = random.Random(18)
    keys = [key_name(rng.randrange(scale.keys)) for _ in range(10_000)]
    wait_for_quiet()
    switch_rocks = _switch(server, rocks, second.version_id, keys)
    rocks.close()
    memory = Replica(source, DATASET).start()
    wait_for_quiet()
    switch_memory = _switch(server, memory, first.version_id, keys)  # a rollback
    memory.close()
    log(f"load average at end: {load_average()}")
    return {
        "replica": {
            "keys": scale.keys,
            "reads": reads,
            "bootstrap": bootstrap,
            "switch": {"rocksdb": switch_rocks, "memory": switch_memory},
        }
    }


def _us(ns: float) -> str:
    return f"{ns / 1000:.2f} us"


def rows(results: dict[str, Any]) -> list[Row]:
    figures = results["replica"]
    reads, boot, switch = figures["reads"], figures["bootstrap"], figures["switch"]
    loop, baseline = reads["loop"], reads["dict"]
    table = [
        Row(
            "timing loop alone (call of a no-op), p50 / p99",
            f"{_us(loop['p50_ns'])} / {_us(loop['p99_ns'])}",
            "(the control: in every figure below)",
        ),
    ]
    targets = {"rocksdb": (5_000, 20_000), "memory": (None, 2_000)}
    for kind, (p50_target, p99_target) in targets.items():
        got = reads[kind]
        aims = [f"p50 < {_us(p50_target)}"] if p50_target else []
        aims.append(f"p99 < {_us(p99_target)}")
        ok = got["p99_ns"] < p99_target and (p50_target is None or got["p50_ns"] < p50_target)
        table.append(
            Row(
                f"{kind} Replica.get, {figures['keys']:,} keys, p50 / p99",
                f"{_us(got['p50_ns'])} / {_us(got['p99_ns'])}",
                f"dict[key] {_us(baseline['p50_ns'])} / {_us(baseline['p99_ns'])}",
                f"{got['p99_ns'] / baseline['p99_ns']:.1f}x",
                ", ".join(aims),
                verdict(ok),
            )
        )
    stream = boot["stream"]["entries_per_s"]
    for kind in ("rocksdb", "memory"):
        rate = boot[kind]["entries_per_s"]
        table.append(
            Row(
                f"bootstrap, {kind}, Replica() to serving",
                f"{rate:,.0f} entries/s",
                f"StreamVersion alone {stream:,.0f}/s",
                f"{rate / stream:.2f}",
                f">= {BOOTSTRAP_TARGET_PER_S // 1000}k/s",
                verdict(rate >= BOOTSTRAP_TARGET_PER_S),
            )
        )
    for kind, got in switch.items():
        control = got["control"]
        for window, what in (("switch", "switch to old store deleted"), ("download", "download")):
            reads = got[window]
            table.append(
                Row(
                    f"switch, {kind}: reads during the {what}, max / p99.9",
                    f"{_us(reads['max_ns'])} / {_us(reads['p999_ns'])}",
                    f"before the publish {_us(control['max_ns'])} / {_us(control['p999_ns'])}",
                    f"{reads['over_1ms']} of {reads['reads']:,} > 1 ms "
                    f"(before: {control['over_1ms']} of {control['reads']:,})",
                    "max < 1 ms" if window == "switch" else "",
                    verdict(reads["max_ns"] < SWITCH_TARGET_NS) if window == "switch" else "",
                )
            )
        table.append(
            Row(f"switch, {kind}: publish to serving the new version", f"{got['switch_s']:.1f} s")
        )
    return table


if __name__ == "__main__":
    run_benchmark("replica", __doc__ or "", (FULL, QUICK), measure, rows)
