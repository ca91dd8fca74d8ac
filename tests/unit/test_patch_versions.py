"""Patch versions in the aggregate: their layers, and GC that counts references to them."""

from optimus.domain.digest import stats_from, stats_of
from optimus.service_layer.views import DatasetView
from tests.unit.test_dataset_lifecycle import clock, new_dataset, saved_version


def _patch(dataset, base: str, version_id: str) -> str:
    version = dataset.create_version(
        version_id, label=None, verification_policy=None, at=next(clock), by="bo", base=base
    )
    dataset.begin_save(version_id, at=next(clock), by="bo")
    dataset.complete_save(version_id, stats_of([("items", "k", b"2")]), at=next(clock), by="sys")
    return version.id


def test_a_patch_chain_lists_its_layers_and_keeps_them_from_gc_until_it_is_gone() -> None:
    dataset = new_dataset()
    full = saved_version(dataset)
    p1 = _patch(dataset, full, "p1")
    p2 = _patch(dataset, p1, "p2")
    assert dataset.version(p2).layers == (p1, full)
    assert DatasetView.of(dataset).layers == {p1: (full,), p2: (p1, full)}
    for version_id in (full, p1):
        dataset.discard(version_id, at=next(clock), by="bo")
    assert dataset.versions_to_purge() == []
    dataset.discard(p2, at=next(clock), by="bo")
    assert [v.id for v in dataset.versions_to_purge()] == [p2]
    dataset.record_purge(p2, at=next(clock), by="gc")
    assert [v.id for v in dataset.versions_to_purge()] == [p1]  # p1 still reads `full`
    dataset.record_purge(p1, at=next(clock), by="gc")
    assert [v.id for v in dataset.versions_to_purge()] == [full]


def test_a_patch_digest_is_its_base_digest_minus_what_it_replaced_plus_what_it_wrote() -> None:
    base = stats_of([("t", "a", b"1"), ("t", "b", b"2"), ("t", "c", b"3")])
    patched = stats_from(base.counts, base.digest)
    patched.remove("t", "b", b"2")  # replaced
    patched.add("t", "b", b"20")
    patched.remove("t", "c", b"3")  # retracted
    assert patched == stats_of([("t", "b", b"20"), ("t", "a", b"1")])
