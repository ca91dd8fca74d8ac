"""The version lifecycle of the dataset aggregate, as a specification."""

from itertools import count

import pytest

from optimus.domain.bounds import MAX_OPEN_VERSIONS, MAX_TABLES
from optimus.domain.dataset import Dataset
from optimus.domain.digest import EntryStats, stats_of
from optimus.domain.errors import Conflict, Gone, InvalidInput, NotFound
from optimus.domain.events import EventType
from optimus.domain.policies import (
    CountPolicy,
    DigestPolicy,
    EvictionPolicy,
    TableCountsPolicy,
    parse_eviction_policy,
    parse_verification_policy,
)
from optimus.domain.version import ALLOWED_TRANSITIONS, VersionStatus
from optimus.service_layer.views import DatasetView

S = VersionStatus
clock = count(1000)
ids = (f"v{n:03d}" for n in count(1))


def new_dataset(keep: int = 10) -> Dataset:
    return Dataset.create(
        "recs", ["items", "users"], eviction_policy=EvictionPolicy(keep), at=next(clock), by="ann"
    )


def new_version(dataset: Dataset, policy=None) -> str:
    version = dataset.create_version(
        next(ids), label=None, verification_policy=policy, at=next(clock), by="ann"
    )
    return version.id


def saved_version(dataset: Dataset, stats: EntryStats | None = None) -> str:
    version_id = new_version(dataset)
    dataset.begin_save(version_id, at=next(clock), by="ann")
    dataset.complete_save(version_id, stats or stats_of([("items", "k", b"1")]), at=0, by="sys")
    return version_id


def published_version(dataset: Dataset) -> str:
    version_id = saved_version(dataset)
    dataset.publish(version_id, at=next(clock), by="ann")
    return version_id


def test_a_new_version_awaits_entries_with_the_next_sequence_number() -> None:
    dataset = new_dataset()
    first = dataset.version(new_version(dataset))
    second = dataset.version(new_version(dataset))
    assert first.status is S.AWAITING_ENTRIES
    assert [op.action for op in first.operation_log] == ["PREPARING", "AWAITING_ENTRIES"]
    assert (first.sequence, second.sequence) == (1, 2)
    assert [e.type for e in dataset.events] == ["created", "created"]


def test_save_then_publish_moves_the_active_pointer() -> None:
    dataset = new_dataset()
    version_id = new_version(dataset)
    assert dataset.begin_save(version_id, at=1, by="ann", reason="nightly")
    assert dataset.version(version_id).status is S.SAVING
    stats = stats_of([("items", "a", b"1"), ("users", "b", b"2")])
    dataset.complete_save(version_id, stats, at=2, by="optimus")
    version = dataset.version(version_id)
    assert version.status is S.SAVED
    assert version.counts == {"items": 1, "users": 1}
    assert version.digest == stats.digest
    assert dataset.active_version_id is None

    dataset.publish(version_id, at=3, by="ann")
    assert version.status is S.PUBLISHED
    assert dataset.active_version_id == version_id
    published = dataset.events[-1]
    assert (published.type, published.active_version_id) == ("published", version_id)
    assert published.previous_active_version_id is None


def test_publishing_demotes_the_previous_version_and_republishing_it_is_the_rollback() -> None:
    dataset = new_dataset()
    first = published_version(dataset)
    second = published_version(dataset)
    assert dataset.version(first).status is S.SAVED
    assert dataset.version(second).status is S.PUBLISHED
    assert dataset.events[-1].previous_active_version_id == first

    dataset.publish(first, at=next(clock), by="ann", reason="bad scores in second")
    assert dataset.active_version_id == first
    assert dataset.version(second).status is S.SAVED
    assert dataset.operation_log[-1].action == "ROLLED_BACK"
    statuses = [v.status for v in dataset.versions.values()]
    assert statuses.count(S.PUBLISHED) == 1


def test_verification_failure_marks_the_version_failed() -> None:
    dataset = new_dataset()
    version_id = new_version(dataset, CountPolicy(3))
    dataset.begin_save(version_id, at=1, by="ann")
    dataset.complete_save(version_id, stats_of([("items", "a", b"1")]), at=2, by="optimus")
    version = dataset.version(version_id)
    assert version.status is S.FAILED
    assert "expected 3 entries, found 1" in (version.operation_log[-1].reason or "")
    with pytest.raises(Conflict):
        dataset.publish(version_id, at=3, by="ann")


@pytest.mark.parametrize(
    ("policy", "passes"),
    [
        (CountPolicy(2), True),
        (TableCountsPolicy({"items": 1, "users": 1}), True),
        (TableCountsPolicy({"items": 2}), False),
        (DigestPolicy(stats_of([("items", "a", b"1"), ("users", "b", b"2")]).digest), True),
        (DigestPolicy(stats_of([("items", "a", b"X"), ("users", "b", b"2")]).digest), False),
    ],
)
def test_verification_policies(policy, passes: bool) -> None:
    dataset = new_dataset()
    version_id = new_version(dataset, policy)
    dataset.begin_save(version_id, at=1, by="ann")
    stats = stats_of([("items", "a", b"1"), ("users", "b", b"2")])
    dataset.complete_save(version_id, stats, at=2, by="optimus")
    assert dataset.version(version_id).status is (S.SAVED if passes else S.FAILED)


def test_the_published_version_cannot_be_discarded() -> None:
    dataset = new_dataset()
    version_id = published_version(dataset)
    with pytest.raises(Conflict) as caught:
        dataset.discard(version_id, at=1, by="ann")
    assert "publish another version" in caught.value.message
    assert dataset.version(version_id).status is S.PUBLISHED


@pytest.mark.parametrize("status", [S.DISCARDED, S.FAILED])
def test_a_discarded_or_failed_version_cannot_be_published(status: VersionStatus) -> None:
    dataset = new_dataset()
    version_id = new_version(dataset)
    if status is S.DISCARDED:
        dataset.discard(version_id, at=1, by="ann")
    else:
        dataset.fail(version_id, at=1, by="ann", reason="load crashed")
    with pytest.raises(Conflict) as caught:
        dataset.publish(version_id, at=2, by="ann")
    assert caught.value.details["version_status"] == str(status)


def test_entries_are_accepted_only_while_awaiting_entries() -> None:
    dataset = new_dataset()
    version_id = new_version(dataset)
    dataset.check_loadable(version_id)
    dataset.check_table("users")
    with pytest.raises(NotFound):
        dataset.check_table("nope")
    dataset.begin_save(version_id, at=1, by="ann")
    with pytest.raises(Conflict) as caught:
        dataset.check_loadable(version_id)
    assert caught.value.code == "version-not-loadable"


def test_only_committed_versions_are_readable_when_pinned() -> None:
    dataset = new_dataset()
    loading = new_version(dataset)
    saved = saved_version(dataset)

    def read(version_id: str) -> str:
        return DatasetView.of(dataset).version_to_read(version_id)

    with pytest.raises(Conflict):
        read(loading)
    assert read(saved) == saved
    dataset.discard(saved, at=1, by="ann")
    with pytest.raises(Gone):
        read(saved)
    with pytest.raises(NotFound):
        read("unknown")
    with pytest.raises(NotFound) as unpublished:
        DatasetView.of(dataset).version_to_read(None)
    assert unpublished.value.code == "no-active-version"


def test_retried_commands_are_idempotent() -> None:
    dataset = new_dataset()
    version_id = new_version(dataset)
    assert dataset.begin_save(version_id, at=1, by="ann")
    assert not dataset.begin_save(version_id, at=2, by="ann")
    dataset.complete_save(version_id, EntryStats(), at=3, by="optimus")
    assert not dataset.begin_save(version_id, at=4, by="ann")
    assert dataset.publish(version_id, at=5, by="ann")
    events = len(dataset.events)
    assert not dataset.publish(version_id, at=6, by="ann")
    assert len(dataset.events) == events
    other = new_version(dataset)
    assert dataset.discard(other, at=7, by="ann")
    assert not dataset.discard(other, at=8, by="ann")


def test_eviction_keeps_the_last_versions_and_always_the_published_one() -> None:
    dataset = new_dataset(keep=2)
    oldest = published_version(dataset)
    newer = [saved_version(dataset) for _ in range(3)]
    statuses = {vid: v.status for vid, v in dataset.versions.items()}
    assert statuses[oldest] is S.PUBLISHED  # outside the last 2, but published
    assert statuses[newer[0]] is S.DISCARDED
    assert dataset.versions[newer[0]].discard_reason == "evicted"
    assert dataset.versions[newer[1]].discard_reason is None
    assert statuses[newer[1]] is S.SAVED and statuses[newer[2]] is S.SAVED
    assert [e.version_id for e in dataset.events if e.type is EventType.EVICTED] == [newer[0]]
    assert [v.id for v in dataset.versions_to_purge()] == [newer[0]]
    with pytest.raises(Conflict):
        dataset.publish(newer[0], at=1, by="ann")


def test_purge_is_recorded_once_and_old_purged_versions_are_forgotten() -> None:
    dataset = new_dataset()
    version_id = new_version(dataset)
    with pytest.raises(Conflict):
        dataset.record_purge(version_id, at=1, by="optimus")
    dataset.discard(version_id, at=1, by="ann")
    dataset.record_purge(version_id, at=2, by="optimus")
    dataset.record_purge(version_id, at=3, by="optimus")
    assert dataset.version(version_id).purged
    assert [op.action for op in dataset.version(version_id).operation_log].count("PURGED") == 1
    assert dataset.versions_to_purge() == []


def test_every_transition_outside_the_table_is_refused() -> None:
    dataset = new_dataset()
    version = dataset.version(new_version(dataset))
    for source, targets in ALLOWED_TRANSITIONS.items():
        for target in set(S) - targets:
            version.status = source
            with pytest.raises(Conflict) as caught:
                version.transition(target, at=1, by="ann")
            assert caught.value.code == "illegal-transition"
            assert version.status is source


def test_dataset_creation_validates_its_input() -> None:
    def create(**kwargs):
        args = {"name": "ds", "tables": ["t"], "content_type": "application/json"} | kwargs
        return Dataset.create(
            args.pop("name"),
            args.pop("tables"),
            eviction_policy=EvictionPolicy(),
            at=1,
            by="a",
            **args,
        )

    for bad in [
        {"name": "bad name"},
        {"name": ""},
        {"tables": []},
        {"tables": "t"},
        {"tables": ["a", "a"]},
        {"tables": ["a/b"]},
        {"content_type": "json"},
    ]:
        with pytest.raises(InvalidInput):
            create(**bad)
    assert create(content_type="text/plain; charset=utf-8").content_type.startswith("text/plain")


def test_events_carry_a_strictly_increasing_revision() -> None:
    dataset = new_dataset()
    first = published_version(dataset)
    published_version(dataset)
    dataset.publish(first, at=next(clock), by="ann")
    revisions = [e.revision for e in dataset.events]
    assert revisions == sorted(set(revisions))
    assert revisions[-1] == dataset.revision


def test_operation_logs_stay_bounded_however_often_versions_are_republished() -> None:
    from optimus.domain.dataset import MAX_DATASET_LOG_LINES
    from optimus.domain.version import KEPT_FIRST_LINES, MAX_LOG_LINES

    dataset = new_dataset()
    first, second = published_version(dataset), published_version(dataset)
    for n in range(1200):
        dataset.publish(first if n % 2 == 0 else second, at=next(clock), by="ann")
    assert len(dataset.operation_log) == MAX_DATASET_LOG_LINES
    log = dataset.version(first).operation_log
    assert len(log) == MAX_LOG_LINES
    creation = ["PREPARING", "AWAITING_ENTRIES", "SAVING", "SAVED", "PUBLISHING", "PUBLISHED"]
    assert [op.action for op in log[: len(creation)]] == creation  # how it began is kept
    assert log[-1].action == str(dataset.version(first).status)  # and what happened last
    assert KEPT_FIRST_LINES < MAX_LOG_LINES


def test_the_aggregate_stays_bounded_whatever_callers_send() -> None:
    """Versions not yet saved are bounded, and so are the eviction and verification policies."""
    dataset = new_dataset()
    for _ in range(MAX_OPEN_VERSIONS):
        new_version(dataset)
    with pytest.raises(Conflict) as refused:
        new_version(dataset)
    assert refused.value.code == "too-many-open-versions"
    dataset.discard(next(iter(dataset.versions)), at=next(clock), by="ann")
    new_version(dataset)  # room again once one is discarded

    with pytest.raises(InvalidInput):
        parse_eviction_policy({"type": "keep-last-x-versions", "versions": 10**9})
    with pytest.raises(InvalidInput):
        parse_verification_policy({"strategy": "digest", "digest": "x" * 10_000})
    with pytest.raises(InvalidInput):
        counts = {f"t{n}": 1 for n in range(MAX_TABLES + 1)}
        parse_verification_policy({"strategy": "table-counts", "counts": counts})
