"""Datasets set up through the client SDK (untimed): create, load in random key order, save."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass

import httpx

from harness.data import TABLE, Scatter, batch_indices, dataset_body
from harness.figures import log
from harness.meters import MemorySampler
from harness.processes import Server
from optimus.client import AsyncOptimusClient, OptimusClient
from optimus.client.models import Version


def sdk(api_url: str) -> OptimusClient:
    """The SDK's client of an API (`…/v1`), uncached: what it sets up is read elsewhere."""
    return OptimusClient(api_url, cache_entries=0, timeout=600.0)


def async_sdk(api_url: str) -> AsyncOptimusClient:
    """The SDK's asyncio client of an API (`…/v1`), uncached, for set-ups done concurrently.

    Its idle connections are dropped after 1 s, before uvicorn's keep-alive timeout (5 s,
    httpx's default expiry too): a request sent on a connection the server is closing at
    that moment fails with a ReadError, which the set-up of many versions ran into.
    """
    limits = httpx.Limits(max_connections=100, keepalive_expiry=1.0)
    return AsyncOptimusClient(
        api_url, cache_entries=0, timeout=600.0, transport=httpx.AsyncHTTPTransport(limits=limits)
    )


def create_dataset(client: OptimusClient, name: str, versions_kept: int = 10) -> None:
    """A dataset of the one table the benchmarks use, JSON values."""
    client.create_dataset(
        name,
        [TABLE],
        content_type="application/json",
        eviction_policy={"type": "keep-last-x-versions", "versions": versions_kept},
    )


@dataclass(frozen=True, slots=True)
class Loaded:
    version_id: str
    entries: int
    load_s: float
    save_s: float
    peak_rss_bytes: int

    def figures(self) -> dict[str, float]:
        """What the results keep of a load (the version id changes from run to run)."""
        return {
            "entries": self.entries,
            "load_s": self.load_s,
            "save_s": self.save_s,
            "peak_rss_bytes": self.peak_rss_bytes,
        }


async def _load(
    base_url: str, dataset: str, n: int, label: str, connections: int
) -> tuple[Version, float, float]:
    """(the saved version, seconds loading, seconds saving)."""
    batch = 1000
    scatter = Scatter(n)
    count = (n + batch - 1) // batch
    async with async_sdk(base_url) as client:
        version = await client.create_version(dataset, label=label)
        numbers = iter(range(count))

        async def writer() -> None:
            for number in numbers:
                body = dataset_body(batch_indices(n, batch, scatter, number))
                await client.load_entries(dataset, version.id, body)

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(connections)))
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        saved = await client.save(version.id, wait=True)
        return saved, load_s, time.perf_counter() - started


def load_dataset(
    server: Server,
    dataset: str,
    n: int,
    *,
    label: str,
    connections: int = 4,
    publish: bool = True,
) -> Loaded:
    """A new version of `n` random-order keys, saved (the count checked) and published."""
    with MemorySampler(server.pid) as memory:
        loaded = load_version(server.api_url, dataset, n, label=label, connections=connections)
    if publish:
        with sdk(server.api_url) as client:
            client.publish(loaded.version_id)
    log(f"{dataset}: peak RSS {memory.peak.get('VmRSS', 0) / 2**20:.0f} MiB")
    return dataclasses.replace(loaded, peak_rss_bytes=memory.peak.get("VmRSS", 0))


def load_version(api_url: str, dataset: str, n: int, *, label: str, connections: int = 4) -> Loaded:
    """A new version of `n` random-order keys through any host's API, saved (count checked)."""
    saved, load_s, save_s = asyncio.run(_load(api_url, dataset, n, label, connections))
    if saved.status != "SAVED" or saved.entries != n:
        raise RuntimeError(f"{dataset}: save ended {saved.status} with {saved.entries} of {n}")
    log(
        f"{dataset}: {n:,} entries loaded in {load_s:.1f}s ({n / load_s:,.0f}/s), "
        f"saved in {save_s:.1f}s"
    )
    return Loaded(saved.id, n, load_s, save_s, 0)
