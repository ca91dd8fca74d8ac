"""CPU of a single-key read in the ASGI app itself, beside the bare ASGI endpoint, in-process.

No HTTP server and no load generator: each app is called directly with the scope
uvicorn would give, so the figures are the app's own CPU per request (the part
that code changes move), measured in alternating rounds in one process.

    .venv/bin/python bench/bench_fast_path.py [--requests 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import bare_asgi

from optimus.bootstrap import EmbeddedSettings, bootstrap_embedded
from optimus.domain.policies import EvictionPolicy
from optimus.entrypoints.api.app import create_app
from optimus.entrypoints.api.host_guard import LOOPBACK_HOSTS, HostGuard

KEYS = 1000
ROUNDS = 5


def _scope(key: int, query: bytes = b"", dataset: str = "ds") -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": f"/v1/datasets/{dataset}/tables/t/entries/k{key}",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:8888"), (b"user-agent", b"wrk")],
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    return None


async def _per_request_us(app: Any, scopes: list[dict[str, Any]]) -> float:
    start = time.process_time()
    for scope in scopes:
        await app(scope, _receive, _send)
    return (time.process_time() - start) / len(scopes) * 1e6


async def _published(services: Any, dataset: str) -> str:
    lifecycle = services.lifecycle
    await lifecycle.create_dataset(
        dataset, ["t"], content_type="application/json", eviction_policy=EvictionPolicy(), by="b"
    )
    version = await lifecycle.create_version(dataset, label=None, verification_policy=None, by="b")
    entries = [{"key": f"k{i}", "value": "v" * 98} for i in range(KEYS)]
    await services.loader.load(dataset, version.id, entries, table="t")
    await lifecycle.save(version.id, by="b")
    await lifecycle.wait_saved(version.id)
    await lifecycle.publish(version.id, by="b")
    return version.id


async def main(requests: int) -> None:
    with tempfile.TemporaryDirectory() as data:
        services = bootstrap_embedded(EmbeddedSettings(data_dir=Path(data)))
        version_id = await _published(services, "ds")
        # Trees before excision existed have no `excision`: that row is left out of theirs.
        excision = getattr(services, "excision", None)
        if excision is not None:  # one key excised: every read of the version checks it
            await _published(services, "excised")
            await excision.excise("excised", "t", ["gone"], "bench", by="b")
        optimus = create_app(services)
        apps = {
            "bare ASGI": bare_asgi.app,
            "fast path": optimus,
            "fast path behind the Host guard (optimus serve)": HostGuard(optimus, LOOPBACK_HOSTS),
        }
        unpinned = [_scope(i % KEYS) for i in range(requests)]
        pinned = [_scope(i % KEYS, f"version-id={version_id}".encode()) for i in range(requests)]
        of_excised = [_scope(i % KEYS, dataset="excised") for i in range(requests)]
        figures: dict[str, list[float]] = {name: [] for name in apps}
        figures["fast path, pinned"] = []
        if excision is not None:
            figures["fast path, a version with an excision"] = []
        for _ in range(ROUNDS):
            for name, app in apps.items():
                scopes = unpinned if name != "bare ASGI" else [_scope(0)] * requests
                figures[name].append(await _per_request_us(app, scopes))
            figures["fast path, pinned"].append(await _per_request_us(optimus, pinned))
            if excision is not None:
                row = "fast path, a version with an excision"
                figures[row].append(await _per_request_us(optimus, of_excised))
        services.close()
    bare = statistics.median(figures["bare ASGI"])
    print(
        f"| app, single-key GET, {requests:,} requests x {ROUNDS} rounds | CPU µs/request "
        "(median) | beside bare ASGI |"
    )
    print("|---|---|---|")
    for name, rounds in figures.items():
        median = statistics.median(rounds)
        print(f"| {name} | {median:.2f} | {median / bare:.2f}x |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().requests))
