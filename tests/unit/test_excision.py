"""Excision in the aggregate: which versions it reaches, what it records, what it refuses."""

import pytest

from optimus.adapters.codec import dataset_from_dict, dataset_to_dict
from optimus.domain.digest import stats_of
from optimus.domain.errors import Conflict, InvalidInput, NotFound
from optimus.domain.events import EventType
from optimus.domain.excision import key_hash
from optimus.service_layer.views import DatasetView
from tests.unit.test_dataset_lifecycle import clock, new_dataset, new_version, saved_version

HASHES = (key_hash("alice"),)


def test_it_recounts_and_marks_every_retained_version_and_no_other() -> None:
    dataset = new_dataset()
    old, new = saved_version(dataset), saved_version(dataset)
    loading = new_version(dataset)
    pending = dataset.excisable("items", HASHES)
    assert [v.id for v in pending] == [new, old]
    remaining = {v.id: stats_of([("items", "bob", b"1")]) for v in pending}
    dataset.excise("items", HASHES, remaining, at=next(clock), by="ann", reason="erasure")
    for version_id in (old, new):
        version = dataset.version(version_id)
        assert (
            version.counts == {"items": 1, "users": 0} and version.digest == remaining[old].digest
        )
        assert version.excisions[0].summary()["keys"] == 1
        assert version.operation_log[-1].action == "EXCISED"
    assert dataset.version(loading).excisions == []
    assert [(e.type, e.version_id) for e in dataset.events[-2:]] == [
        (EventType.EXCISED, new),
        (EventType.EXCISED, old),
    ]
    # Stored and read back, and in the read view: the marks without the keys.
    again = dataset_from_dict(dataset_to_dict(dataset))
    assert again.version(old).excisions == dataset.version(old).excisions
    assert DatasetView.of(again).excised[old] == {f"items/{HASHES[0]}"}
    assert dataset.excisable("items", HASHES) == []  # run again: nothing to recount


def test_it_is_refused_while_a_version_is_saving_or_if_the_versions_changed() -> None:
    dataset = new_dataset()
    saved = saved_version(dataset)
    saving = new_version(dataset)
    dataset.begin_save(saving, at=next(clock), by="ann")
    with pytest.raises(Conflict) as refused:
        dataset.excisable("items", HASHES)
    assert refused.value.code == "version-saving"
    dataset.discard(saving, at=next(clock), by="ann")
    measured = {saved: stats_of([])}
    saved_version(dataset)  # saved after the excision was measured
    with pytest.raises(Conflict) as changed:
        dataset.excise("items", HASHES, measured, at=next(clock), by="ann", reason="erasure")
    assert changed.value.code == "versions-changed"
    assert dataset.version(saved).excisions == []


@pytest.mark.parametrize(
    ("table", "reason", "error", "code"),
    [("nope", "why", NotFound, "not-found"), ("items", "", InvalidInput, "reason-required")],
)
def test_bad_input_changes_nothing(table: str, reason: str, error: type, code: str) -> None:
    dataset = new_dataset()
    saved = saved_version(dataset)
    with pytest.raises(error) as refused:
        dataset.excise(table, HASHES, {saved: stats_of([])}, at=1, by="ann", reason=reason)
    assert refused.value.code == code
    assert dataset.version(saved).excisions == []
