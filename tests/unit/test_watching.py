"""Watching a dataset: its state first, then each newer event once, and an end for laggards."""

from __future__ import annotations

import asyncio

import pytest

from optimus.domain.dataset import Dataset
from optimus.domain.errors import TooLarge
from optimus.domain.events import VersionEvent
from optimus.domain.policies import EvictionPolicy
from optimus.service_layer.views import DatasetView, ReadViews
from optimus.service_layer.watching import EventFeed, watch_dataset


class Datasets:
    """The ViewSource the watch reads its first state from: aggregates held in memory."""

    def __init__(self, dataset: Dataset) -> None:
        self.views = ReadViews()
        self._dataset = dataset

    async def get(self, name: str) -> Dataset:
        return self._dataset


def event(revision: int, dataset: str = "recs") -> VersionEvent:
    return VersionEvent(
        type="published", dataset=dataset, revision=revision, version_id=f"v{revision}",
        sequence=revision, status="PUBLISHED", at=0, by="ann", reason=None,
        active_version_id=f"v{revision}", previous_active_version_id=None, counts=None,
        digest=None, label=None,
    )  # fmt: skip


@pytest.fixture
def source() -> Datasets:
    return Datasets(
        Dataset.create("recs", ["items"], eviction_policy=EvictionPolicy(10), at=0, by="ann")
    )


async def test_events_come_after_the_state_once_each_in_revision_order(source):
    feed = EventFeed()
    changes = watch_dataset(source, feed, "recs")
    state = await anext(changes)
    assert isinstance(state, DatasetView)
    later = state.revision + 1
    # Duplicated, overtaken and stale events (at-least-once, unordered on Dapr) are skipped;
    # another dataset's are not this watcher's.
    await feed.on_events([event(later), event(later), event(state.revision), event(later + 5, "x")])
    await feed.on_events([event(later + 2), event(later + 1), event(later + 3)])
    got = [await anext(changes) for _ in range(3)]
    assert [e.revision for e in got] == [later, later + 2, later + 3]
    await changes.aclose()


async def test_a_watcher_too_far_behind_is_ended_and_the_feed_goes_on(source):
    feed = EventFeed(max_pending=3)
    changes = watch_dataset(source, feed, "recs")
    state = await anext(changes)
    await feed.on_events([event(state.revision + n) for n in range(1, 6)])
    with pytest.raises(TooLarge) as ended:
        while True:
            await anext(changes)
    assert ended.value.code == "watcher-behind"
    # A new watcher starts from the current state again.
    again = watch_dataset(source, feed, "recs")
    assert await anext(again) == state
    await feed.on_events([event(state.revision + 9)])
    assert (await asyncio.wait_for(anext(again), 1)).revision == state.revision + 9
    await again.aclose()
