"""The diff merges two versions chunk by chunk: whatever the chunk size, it finds every change.

Chunks of a few keys make every run boundary occur (a side ending first, a
key on a chunk's edge, a page's cursor inside a chunk) on the real engine.
"""

from __future__ import annotations

import random

import pytest

from optimus.adapters.clock import SystemClock
from optimus.adapters.publish_hooks import HttpPublishHooks
from optimus.domain.digest import stats_of
from optimus.domain.policies import EvictionPolicy
from optimus.service_layer.commands import CompleteSave
from optimus.service_layer.diffs import VersionDiffs
from optimus.service_layer.lifecycle import VersionLifecycle
from optimus.service_layer.ports import Batch
from tests.support.rocks import Rocks

TABLES = ["a", "b"]


def _entries(rng: random.Random) -> dict[tuple[str, str], bytes]:
    keys = {(t, f"k{rng.randrange(200):03d}") for t in TABLES for _ in range(120)}
    return {name: str(rng.randrange(3)).encode() for name in keys}


@pytest.mark.parametrize("chunk_keys", [1, 3, 16, 1000])
async def test_diff_in_small_chunks_finds_every_change(rocks: Rocks, chunk_keys: int) -> None:
    host, store = rocks.host, rocks.entries
    lifecycle = VersionLifecycle(
        host, SystemClock(), diffs=VersionDiffs(host, store), hooks=HttpPublishHooks()
    )
    await lifecycle.create_dataset(
        "ds",
        TABLES,
        content_type="text/plain",
        eviction_policy=EvictionPolicy(versions=10),
        by="test",
    )
    rng = random.Random(chunk_keys)
    contents = [_entries(rng), _entries(rng)]
    ids = []
    for entries in contents:
        version = await lifecycle.create_version("ds", label=None, verification_policy=None, by="t")
        rows = [(t, k, v) for (t, k), v in entries.items()]
        await store.write(Batch("ds", version.id, rows))
        await lifecycle.save(version.id, by="t")
        stats = stats_of(rows)
        await host.execute("ds", CompleteSave(version.id, stats.counts, stats.digest_sum))
        ids.append(version.id)
    old, new = contents
    expected = sorted(
        (t, k, "added" if (t, k) not in old else "removed" if (t, k) not in new else "changed")
        for (t, k) in old.keys() | new.keys()
        if old.get((t, k)) != new.get((t, k))
    )
    diffs = VersionDiffs(host, store, chunk_keys=chunk_keys)

    summary = (await diffs.summary(ids[1], ids[0])).total
    assert summary.added == sum(1 for row in expected if row[2] == "added")
    assert summary.removed == sum(1 for row in expected if row[2] == "removed")
    assert summary.changed == sum(1 for row in expected if row[2] == "changed")
    assert summary.unchanged == sum(1 for name in old.keys() & new.keys() if old[name] == new[name])

    listed, cursor = [], None
    while True:
        page = await diffs.page(ids[1], ids[0], limit="5", cursor=cursor)
        listed += [(e.table, e.key, str(e.change)) for e in page.entries]
        if page.cursor is None:
            break
        cursor = page.cursor
    assert listed == expected
